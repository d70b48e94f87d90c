"""The 4-DC market under message faults: rounds and welfare gap to the
centralised twin against the loss rate and the delay, plus a DC dropping out.

Prints a table and, on its last line, JSON with ``gap_loss10_delay1`` and
``rounds_loss10_delay1`` (10 % of the price estimates lost, every one a round
late), ``converged`` (every run of the grid converged), the whole grid
(``runs``) and the dropout run; draws ``faults.png`` (``--plot PATH``).

    python benchmarks/faults.py [--seeds 3] [--plot benchmarks/faults.png]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from dcmarket.market.faults import Dropout, FaultModel
from dcmarket.sim.p2p.config import parse_scenario
from dcmarket.sim.p2p.model import P2PMarketModel, centralised_twin
from dcmarket.sim.scenario import read_yaml, scenario_path

LOSSES = (0.0, 0.05, 0.1, 0.2, 0.3)
DELAYS = (0, 1, 2)


def _run(scenario, welfare: float, faults: FaultModel) -> dict:
    tic = time.perf_counter()
    result = P2PMarketModel(scenario, faults=faults).run(max_rounds=3000)
    return {"converged": result.converged, "rounds": result.rounds,
            "gap_rel": (welfare - result.welfare) / abs(welfare),
            "seconds": time.perf_counter() - tic}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="fault seeds per grid point")
    parser.add_argument("--plot", default=None, help="write the figure here (PNG)")
    args = parser.parse_args()
    raw = read_yaml(scenario_path("p2p_4dc_fixed_lmp"))
    scenario = parse_scenario(raw)
    twin, revenue = centralised_twin(scenario)
    welfare = revenue - twin.total_cost
    runs = []
    for delay in DELAYS:
        for loss in LOSSES:
            outs = [_run(scenario, welfare, FaultModel(loss=loss, delay=delay, seed=s))
                    for s in range(args.seeds)]
            row = {"loss": loss, "delay": delay,
                   "converged": all(o["converged"] for o in outs),
                   "rounds_mean": float(np.mean([o["rounds"] for o in outs])),
                   "rounds_max": max(o["rounds"] for o in outs),
                   "gap_rel_max": max(abs(o["gap_rel"]) for o in outs),
                   "seconds_mean": float(np.mean([o["seconds"] for o in outs]))}
            runs.append(row)
            print(f"loss {loss:4.2f} delay {delay}: converged {row['converged']}, rounds "
                  f"{row['rounds_mean']:6.1f} (max {row['rounds_max']}), |gap| ≤ "
                  f"{100 * row['gap_rel_max']:.4f} %, {row['seconds_mean']:.2f} s")
    rest = parse_scenario({**raw, "datacenters": [d for d in raw["datacenters"]
                                                  if d["name"] != "DC3"],
                           "lmp": {k: v for k, v in raw["lmp"].items() if k != "DC3"}})
    twin3, revenue3 = centralised_twin(rest)
    dropout = _run(scenario, revenue3 - twin3.total_cost,
                   FaultModel(loss=0.1, delay=1, dropouts=(Dropout("DC3", 30),), seed=0))
    print(f"DC3 drops out at round 30 (10 % loss, 1-round delay): converged "
          f"{dropout['converged']} in {dropout['rounds']} rounds, gap to the 3-DC twin "
          f"{100 * dropout['gap_rel']:.4f} %")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
        for k, delay in enumerate(DELAYS):
            rows = [r for r in runs if r["delay"] == delay]
            loss = [100 * r["loss"] for r in rows]
            axes[0].plot(loss, [r["rounds_mean"] for r in rows], marker="osD"[k],
                         label=f"delay {delay} round(s)")
            axes[1].semilogy(loss, [max(r["gap_rel_max"], 1e-8) * 100 for r in rows],
                             marker="osD"[k], label=f"delay {delay}")
        axes[0].set_xlabel("price estimates lost, %")
        axes[0].set_ylabel(f"ADMM rounds (mean of {args.seeds} seeds)")
        axes[0].legend()
        axes[1].axhline(0.1, color="grey", ls="--", label="0.1 % target")
        axes[1].set_xlabel("price estimates lost, %")
        axes[1].set_ylabel("|welfare gap| to the twin, % (worst seed)")
        axes[1].legend()
        fig.suptitle("4-DC market under message faults")
        fig.savefig(args.plot, dpi=110)
        print(f"figure: {args.plot}")
    point = next(r for r in runs if r["loss"] == 0.1 and r["delay"] == 1)
    print(json.dumps({"gap_loss10_delay1": point["gap_rel_max"],
                      "rounds_loss10_delay1": point["rounds_mean"],
                      "converged": all(r["converged"] for r in runs) and dropout["converged"],
                      "runs": runs, "dropout_dc3_round30": dropout}))


if __name__ == "__main__":
    main()
