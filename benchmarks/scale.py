"""How the P2P market scales with the number of DCs and the graph (issue: scaling study).

    python benchmarks/scale.py --n-dc 64 --graph random-regular      # one point
    python benchmarks/scale.py --study --sizes 4,16,64 --out DIR     # the grid, a plot

One point builds ``n_dc`` seeded DCs (sim/p2p/instances.py:random_scenario) on
a communication graph of degree 4 (random 4-regular, Watts-Strogatz small
world, or each DC linked to its 4 nearest on a map), clears the market by
dual-consensus ADMM in this process and, where the centralised LP is solved
(``--twin``: always up to 256 DCs by default), the welfare gap to it.  The
message log is not kept (counts only), so memory is the agents' own state.
The last line is one JSON object: n_dc, graph, executor, rounds, converged,
clearing_s, per_round_ms, messages_per_round, values_per_round, peak_rss_gb,
central_s, welfare_gap_rel (null where no twin was solved).  The study mode
runs each point in its own process (so peak memory is its own) and draws
cost per round against agents × degree.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

GRAPHS = {"random-regular": "random_regular", "small-world": "small_world",
          "geographic": "geographic"}
DEGREE = 4


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # kB on Linux


def one_point(n_dc: int, graph: str, executor: str, twin: str, seed: int,
              max_rounds: int, shards: int | None = None, local_shard: bool = False) -> dict:
    from dcmarket.sim.executors import InProcess, RayExecutor
    from dcmarket.sim.p2p.config import parse_scenario
    from dcmarket.sim.p2p.instances import random_scenario
    from dcmarket.sim.p2p.model import P2PMarketModel, centralised_twin

    ray_start_s = None
    if executor == "ray":
        from dcmarket.sim.executors.ray_pool import ensure_ray

        tic = time.perf_counter()
        ensure_ray()  # started here, or joined (RAY_ADDRESS): not part of the market's time
        ray_start_s = round(time.perf_counter() - tic, 3)
    degree = min(DEGREE, n_dc - 1)  # 4 DCs: every DC talks to the other three
    raw = random_scenario(n_dc, seed=seed, topology=GRAPHS[graph], degree=degree)
    raw["market"]["max_rounds"] = max_rounds
    scenario = parse_scenario(raw)
    tic = time.perf_counter()
    model = P2PMarketModel(scenario, keep_log=False,
                           executor=RayExecutor(shards=shards, local_shard=local_shard)
                           if executor == "ray" else InProcess())
    build_s = time.perf_counter() - tic
    result = model.run()
    report = {
        "n_dc": n_dc, "graph": graph, "executor": executor, "backend": model.backend,
        "degree": degree,
        "links": scenario.trading_graph().number_of_edges(),
        "rounds": result.rounds, "converged": result.converged,
        "build_s": round(build_s, 3), "clearing_s": round(result.clearing_s, 3),
        "per_round_ms": round(1e3 * result.clearing_s / max(result.rounds, 1), 3),
        "messages_per_round": round(model.bus.sent_messages / max(result.rounds, 1), 1),
        "values_per_round": round(model.bus.sent_values / max(result.rounds, 1), 1),
        "bytes_per_round": round(8 * model.bus.sent_values / max(result.rounds, 1), 1),
        "central_s": None, "welfare_gap_rel": None,
    }
    if executor == "ray":
        actors = model.host.actors_peak_rss_gb()
        report.update(ray_start_s=ray_start_s, shards=model.host.shard_count,
                      local_shard=local_shard,
                      messages_kept_in_shards=model.host.kept_local,
                      messages_forwarded_between_shards=model.host.forwarded,
                      actors_peak_rss_gb=round(sum(actors), 3))
    if twin == "yes" or (twin == "auto" and n_dc <= 256):
        tic = time.perf_counter()
        solution, total_revenue = centralised_twin(scenario)
        report["central_s"] = round(time.perf_counter() - tic, 3)
        welfare = total_revenue - solution.total_cost
        report["welfare_gap_rel"] = (welfare - result.welfare) / abs(welfare) \
            if result.converged else None
    report["peak_rss_gb"] = round(peak_rss_gb(), 3)
    return report


def study(sizes: list[int], graphs: list[str], out: Path | None, max_rounds: int,
          executors: list[str], twin: str = "auto", append: bool = False) -> None:
    """Each point in its own process; ``append`` adds the rows to ``out``'s
    ``scale.csv`` (a second grid, e.g. the large sizes on one graph)."""
    rows = []
    for graph, executor, n in ((g, e, n) for g in graphs for e in executors for n in sizes):
        cmd = [sys.executable, __file__, "--n-dc", str(n), "--graph", graph,
               "--max-rounds", str(max_rounds), "--executor", executor, "--twin", twin]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode:
            print(f"{graph} {executor} n={n}: failed\n{done.stderr[-2000:]}", flush=True)
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(json.dumps(row), flush=True)
    if out is not None and rows:
        import pandas as pd

        from dcmarket.market.atomic import atomic_path

        out.mkdir(parents=True, exist_ok=True)
        frame = pd.DataFrame(rows)
        if append and (out / "scale.csv").exists():
            frame = pd.concat([pd.read_csv(out / "scale.csv"), frame], ignore_index=True)
        with atomic_path(out / "scale.csv") as tmp:
            frame.to_csv(tmp, index=False)
        plot(out)
    print(json.dumps({"points": len(rows)}))


def plot(out: Path) -> None:
    """``fig_scale.png`` from ``scale.csv`` in ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    frame = pd.read_csv(out / "scale.csv")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    ticks = sorted(set(frame.n_dc * frame.degree))
    if "executor" not in frame:
        frame["executor"] = "inprocess"
    markers = dict(zip(sorted(frame.graph.unique()), "osD", strict=False))
    for (graph, executor), g in frame.groupby(["graph", "executor"]):
        x, style = g.n_dc * g.degree, "-" if executor == "inprocess" else "--"
        label = f"{graph} ({executor})"
        axes[0].loglog(x, g.per_round_ms, style, marker=markers[graph], label=label)
        axes[1].semilogx(x, g.rounds, style, marker=markers[graph], label=label)
    for ax in axes:
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.minorticks_off()
        ax.set_xlabel("agents × degree")
    axes[0].set(ylabel="ms per round", title="cost of a round (2 cores)")
    axes[1].set(ylabel="rounds to tolerance", title="rounds")
    axes[0].legend(fontsize=8)
    from dcmarket.market.atomic import atomic_path

    with atomic_path(out / "fig_scale.png", suffix=".png") as tmp:
        fig.savefig(tmp, dpi=120, format="png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-dc", type=int, default=16)
    parser.add_argument("--graph", choices=sorted(GRAPHS), default="random-regular")
    parser.add_argument("--executor", choices=["inprocess", "ray"], default="inprocess")
    parser.add_argument("--shards", type=int, default=None,
                        help="Ray actors hosting the DCs (default: one per CPU)")
    parser.add_argument("--local-shard", action="store_true",
                        help="ray: this process hosts one of the shards")
    parser.add_argument("--executors", default="inprocess",
                        help="the study's executors, e.g. inprocess,ray")
    parser.add_argument("--twin", choices=["auto", "yes", "no"], default="auto")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-rounds", type=int, default=3000)
    parser.add_argument("--study", action="store_true")
    parser.add_argument("--sizes", default="4,16,64,256,1000")
    parser.add_argument("--graphs", default=",".join(GRAPHS))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--append", action="store_true",
                        help="with --study: add the points to --out/scale.csv")
    parser.add_argument("--replot", action="store_true",
                        help="draw fig_scale.png again from --out/scale.csv")
    args = parser.parse_args()
    if args.replot:
        plot(args.out)
        return
    if args.study:
        study([int(n) for n in args.sizes.split(",")], args.graphs.split(","), args.out,
              args.max_rounds, args.executors.split(","), args.twin, args.append)
        return
    print(json.dumps(one_point(args.n_dc, args.graph, args.executor, args.twin, args.seed,
                               args.max_rounds, args.shards, args.local_shard)))


if __name__ == "__main__":
    main()
