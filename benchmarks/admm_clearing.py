"""Time the dual-consensus ADMM market clearing against its centralised twin.

    python benchmarks/admm_clearing.py                 # 4 DCs, full mesh, 24 h
    python benchmarks/admm_clearing.py --n-dc 64       # random 4-regular graph
    python benchmarks/admm_clearing.py --compare-backends
    python benchmarks/admm_clearing.py --n-dc 64 --executor ray --no-log
    python benchmarks/admm_clearing.py --n-dc 64 --executor ray --no-log --local-shard

The last line is one JSON object: n_dc, hours, rounds, converged, clearing_s,
per_round_ms, central_s (medians of ``--repeat`` runs, each side alternately),
clearing_over_central, welfare_gap_rel, messages and settlement_messages
(clearing_s includes the settlement), executor, log (and, with
--compare-backends, per-round times of each local-solver back-end measured on
the same rounds).  ``--executor ray`` clears in Ray actors (a local Ray with
this machine's CPUs, a shard per CPU; started before the timings), with
``--local-shard`` one of the shards in the benchmark's own process; ``--no-log``
keeps only the message counts, as a large run would.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from dcmarket.market.admm import BACKENDS
from dcmarket.sim.executors import executor_of
from dcmarket.sim.p2p.config import parse_scenario
from dcmarket.sim.p2p.instances import random_scenario, reference_scenario
from dcmarket.sim.p2p.model import P2PMarketModel, centralised_twin


def build(n_dc: int, hours: int, seed: int, dual_relaxation: float = 1.0):
    raw = reference_scenario(hours=hours) if n_dc == 4 else random_scenario(
        n_dc, seed=seed, hours=hours, topology="random_regular", degree=4)
    raw["market"]["max_rounds"] = 3000
    raw["market"]["dual_relaxation"] = dual_relaxation
    return parse_scenario(raw)


def per_round_ms(scenario, backend: str, rounds: int) -> float:
    model = P2PMarketModel(scenario, backend=backend)
    tic = time.perf_counter()
    for _ in range(rounds):
        model.step()
    return (time.perf_counter() - tic) / rounds * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-dc", type=int, default=4)
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backend", default=None)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--compare-backends", action="store_true")
    parser.add_argument("--dual-relaxation", type=float, default=1.0,
                        help="α of the dual step (market.dual_relaxation)")
    parser.add_argument("--executor", choices=["inprocess", "ray"], default="inprocess")
    parser.add_argument("--local-shard", action="store_true",
                        help="ray: this process hosts one of the shards")
    parser.add_argument("--no-log", action="store_true",
                        help="keep no message log (only the counts)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="measure each side this many times; medians are reported")
    args = parser.parse_args()

    scenario = build(args.n_dc, args.hours, args.seed, args.dual_relaxation)
    if args.local_shard and args.executor != "ray":
        parser.error("--local-shard needs --executor ray")
    executor = executor_of(args.executor, local_shard=args.local_shard)
    if args.executor == "ray":
        from dcmarket.sim.executors.ray_pool import ensure_ray

        ensure_ray()
    # timings on a shared 2-core machine are noisy: each side is measured
    # ``--repeat`` times, alternating, and the medians are compared
    central, clearing = [], []
    for _ in range(args.repeat):
        tic = time.perf_counter()
        twin, total_revenue = centralised_twin(scenario)
        central.append(time.perf_counter() - tic)
        model = P2PMarketModel(scenario, backend=args.backend, workers=args.workers,
                               keep_log=not args.no_log, executor=executor)
        tic = time.perf_counter()
        result = model.run()
        clearing.append(time.perf_counter() - tic)
    central_s, clearing_s = statistics.median(central), statistics.median(clearing)
    welfare_twin = total_revenue - twin.total_cost
    report = {
        "n_dc": args.n_dc,
        "hours": args.hours,
        "links": len(model.links.links),
        "backend": model.backend,
        "executor": args.executor,
        "local_shard": args.local_shard,
        "log": not args.no_log,
        "penalty": model.penalty,
        "dual_relaxation": args.dual_relaxation,
        "rounds": result.rounds,
        "converged": result.converged,
        "clearing_s": round(clearing_s, 4),
        "per_round_ms": round(clearing_s / max(result.rounds, 1) * 1e3, 3),
        "central_s": round(central_s, 4),
        "clearing_over_central": round(clearing_s / central_s, 2),
        "repeats": args.repeat,
        "clearing_s_all": [round(t, 4) for t in clearing],
        "central_s_all": [round(t, 4) for t in central],
        "welfare_gap_rel": (welfare_twin - result.welfare) / abs(welfare_twin),
        # every message of the clearing, and those of its settlement from messages
        # (a confirmation per direction of each trading link, an acceptance from
        # and a settlement to each DC; docs/p2p.md), in clearing_s too
        "messages": model.bus.sent_messages,
        "settlement_messages": 2 * len(model.links.links) + 2 * len(model.dcs),
        "reciprocity_gap": result.reciprocity_gap(),
    }
    if args.compare_backends:
        for backend in BACKENDS:
            try:
                report[f"per_round_ms_{backend}"] = round(per_round_ms(scenario, backend, 20), 3)
            except Exception as exc:  # a back-end failing is a result worth printing
                report[f"per_round_ms_{backend}"] = f"failed: {exc}"
    print(json.dumps(report))


if __name__ == "__main__":
    main()
