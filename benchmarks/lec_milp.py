"""Size and solve time of the community MILP (paper 001) with HiGHS on this machine.

For the shipped 10-household scenario, each Table I scenario is solved to a
relative gap of 0.01 % for one day and (unless ``--days 1``) for a 15-day
block. Prints a table and, on its last line, JSON: ``constraints``,
``variables``, ``binaries`` per day (full model, TC+JP+aFRR), ``day_s`` and
``block15_s`` (the slowest of the four scenarios), ``mip_gap`` (the worst
gap reached), per-scenario times, and the paper's figures (Gurobi, Apple M1:
9.92 s a day, 288.9 s per 15 days) for the ratio.

    python benchmarks/lec_milp.py [--days 1]
    python benchmarks/lec_milp.py --worst-block [--block K] [--threads N] [--formulation annex_a]
        [--no-resume-headroom] [--set KEY=VALUE ...]

``--worst-block`` solves the four scenarios on a 15-day block of the year —
13–27 Sep (block 17 of the year run), the slowest before the lazy storage
modes, or block ``--block K`` (0–23; 9 = 16–30 May is the slowest now) — and
prints ``block_s`` (the slowest scenario), the time and cost of each, and the
ratio to the paper's 288.9 s. ``--no-resume-headroom`` drops the
deliverable-reserve row (``dc.reserve_resume_headroom: false``: the reserve
bounded by the workload alone, as the paper states it). ``--formulation`` picks
the DC's pause formulation (``dc.pause_formulation``), ``--threads`` HiGHS's
threads (``solver.threads``; more than 1: its parallel tree search); the
scenario's own by default. Each flag is a ``--set`` of the shipped scenario,
validated as ``dcmarket``'s are.
"""

from __future__ import annotations

import argparse
import json

import pandas as pd

from dcmarket.sim.lec.study import PAPER_SIZE_PER_DAY, run_block
from dcmarket.sim.lec.year import block_first_day, block_start
from dcmarket.sim.studies import load_any

PAPER_DAY_S, PAPER_BLOCK15_S = 9.92, 288.9
#: 13 Sep: block 17 of the year run (24 blocks of 15 days from 1 Jan)
WORST_BLOCK = 17


def worst_block(scenario, block: int = WORST_BLOCK) -> None:
    """The four scenarios on a 15-day block; JSON with ``block_s`` on the last line."""
    runs = run_block(scenario, block_first_day(scenario, block), 15)
    start = block_start(scenario, block)
    name = f"{start:%d %b}-{start + pd.Timedelta(days=14):%d %b}"
    for label, run in runs.items():
        print(f"{name} {label:<11} {run.size['binaries']:>6,} binaries  "
              f"{run.solve_s:7.2f} s  cost {run.objective:10.2f}  gap {run.mip_gap:.1e}  "
              f"{run.decomposition}")
    block_s = max(run.solve_s for run in runs.values())
    print(f"slowest scenario: {block_s:.1f} s (paper {PAPER_BLOCK15_S} s for a block, "
          f"ratio {block_s / PAPER_BLOCK15_S:.3f})")
    print(json.dumps({
        "block": name, "block_index": block,
        "pause_formulation": scenario.dc.pause_formulation,
        "reserve_resume_headroom": scenario.dc.reserve_resume_headroom,
        "threads": scenario.solver.threads,
        "time_chunks_h": scenario.solver.time_chunks_h,
        "block_s": block_s,
        "block_s_by_scenario": {label: run.solve_s for label, run in runs.items()},
        "cost_by_scenario": {label: run.objective for label, run in runs.items()},
        "binaries_by_scenario": {label: run.size["binaries"] for label, run in runs.items()},
        "storage_modes_by_scenario": {label: run.modes for label, run in runs.items()},
        "decomposition_by_scenario": {label: run.decomposition for label, run in runs.items()},
        "mip_gap": max(run.mip_gap for run in runs.values()),
        "paper_block15_s": PAPER_BLOCK15_S,
        "ratio": block_s / PAPER_BLOCK15_S,
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, choices=[1, 15], default=15,
                        help="1: the one-day part only")
    parser.add_argument("--worst-block", action="store_true",
                        help="the four scenarios on 13-27 Sep (key block_s)")
    parser.add_argument("--block", type=int, choices=range(24), default=WORST_BLOCK,
                        metavar="K", help="--worst-block: the year's block K (0-23; "
                        "default 17, 13-27 Sep)")
    parser.add_argument("--threads", type=int, help="HiGHS's threads (default: the scenario's)")
    parser.add_argument("--no-resume-headroom", action="store_true",
                        help="without the deliverable-reserve row (dc.reserve_resume_headroom)")
    parser.add_argument("--formulation", choices=["aggregated", "annex_a"],
                        help="the DC's pause formulation (default: the scenario's)")
    parser.add_argument("--set", dest="settings", action="append", default=[],
                        metavar="KEY=VALUE", help="a scenario setting, as dcmarket's --set")
    args = parser.parse_args()
    settings = ["solver.mip_gap=1e-4", *args.settings]
    if args.formulation:
        settings.append(f"dc.pause_formulation={args.formulation}")
    if args.no_resume_headroom:
        settings.append("dc.reserve_resume_headroom=false")
    if args.threads:
        settings.append(f"solver.threads={args.threads}")
    _, scenario, _ = load_any(None, settings, "lec_10households", "lec")
    if args.worst_block:
        worst_block(scenario, args.block)
        return
    out: dict[str, object] = {}
    worst_gap = 0.0
    for days in sorted({1, args.days}):
        runs = run_block(scenario, 0, days)
        times = {label: run.solve_s for label, run in runs.items()}
        worst_gap = max(worst_gap, *(run.mip_gap for run in runs.values()))
        for label, run in runs.items():
            print(f"{days:>2} day(s) {label:<11} {run.size['constraints']:>7,} rows "
                  f"{run.size['variables']:>7,} cols {run.size['binaries']:>6,} binaries  "
                  f"{run.solve_s:7.2f} s  gap {run.mip_gap:.1e}")
        key = "day_s" if days == 1 else "block15_s"
        out[key] = max(times.values())
        out[f"{key}_by_scenario"] = times
        if days == 1:
            full = runs["TC+JP+aFRR"].size
            out.update(full)
    out["mip_gap"] = worst_gap
    out["paper"] = {**PAPER_SIZE_PER_DAY, "day_s": PAPER_DAY_S, "block15_s": PAPER_BLOCK15_S}
    print(f"day: {out['day_s']:.2f} s (paper {PAPER_DAY_S} s, ratio "
          f"{out['day_s'] / PAPER_DAY_S:.3f})")
    if "block15_s" in out:
        print(f"15-day block: {out['block15_s']:.2f} s (paper {PAPER_BLOCK15_S} s, ratio "
              f"{out['block15_s'] / PAPER_BLOCK15_S:.3f})")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
