"""``dcmarket lec``: paper 001's community + DC — a day, a block, the year, the households sweep."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from sim.lec.config import LECScenario, load_lec_scenario
from sim.lec.study import (
    PAPER_SIZE_PER_DAY,
    balance_residuals,
    households_sweep,
    run_block,
    run_long,
    table,
    table_text,
)
from sim.run_folder import RunFolder
from sim.scenario import scenario_path

DEFAULT = "lec_10households"


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lec", help="paper 001: energy community + DC MILP (Table I, Figs. 4-6)")
    p.add_argument("--scenario", help=f"scenario name or YAML (default: {DEFAULT})")
    p.add_argument("--mode", choices=["day", "block", "year", "sweep"], default="day")
    p.add_argument("--days", type=int, default=None,
                   help="days of the block (block: 15) or of each sweep run (sweep: 10)")
    p.add_argument("--blocks", type=int, default=24, help="year: number of blocks")
    p.add_argument("--block-days", type=int, default=15, help="year: days per block")
    p.add_argument("--counts", default="5,10,20,50,100", help="sweep: numbers of households")
    p.add_argument("--twin", action=argparse.BooleanOptionalAction, default=None,
                   help="also run the decentralised twin (default: on for a day)")
    p.add_argument("--out", help="write a run folder here (year: required, resumable)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """``dcmarket lec``: a day (with the twin), a block, the year or the sweep."""
    scenario = load_lec_scenario(scenario_path(args.scenario, DEFAULT))
    out = Path(args.out) if args.out else None
    if args.mode == "year":
        if out is None:
            raise SystemExit("dcmarket lec --mode year needs --out DIR (finished blocks are kept "
                             "there, so a stopped run resumes)")
        frame = run_long(scenario, out, args.blocks, args.block_days,
                         progress=lambda s: print(s, flush=True))
        print(table_text(frame))
        folder = RunFolder(out)
        folder.text("table_I.csv", frame.to_csv())
        folder.finish("dcmarket lec --mode year", scenario)
        return 0
    if args.mode == "sweep":
        counts = [int(c) for c in args.counts.split(",")]
        sweep = households_sweep(scenario, counts, args.days or 10,
                                 progress=lambda s: print(s, flush=True))
        print(sweep.to_string(index=False, float_format="%.3f"))
        if out:
            from sim.lec.plots import households_sensitivity

            folder = RunFolder(out)
            folder.frame("households_sweep.parquet", sweep)
            households_sensitivity(sweep, folder.path("fig06_households.png"))
            folder.finish("dcmarket lec --mode sweep", scenario)
        return 0
    days = 1 if args.mode == "day" else (args.days or 15)
    twin = args.twin if args.twin is not None else args.mode == "day"
    return _block(scenario, days, twin, out)


def _block(scenario: LECScenario, days: int, twin: bool, out: Path | None) -> int:
    print(f"{scenario.name}: {len(scenario.household_specs())} households, {days} day(s) from "
          f"{scenario.day}, scenarios {', '.join(scenario.scenarios)}"
          f"{' + decentralised twin' if twin else ''} ...", flush=True)
    tic = time.perf_counter()
    runs = run_block(scenario, 0, days, twin=twin)
    frame = table(runs)
    print(table_text(frame))
    print()
    print(f"{'scenario':<12}{'constraints':>12}{'variables':>11}{'binaries':>10}"
          f"{'solve s':>9}{'gap':>9}{'max imbalance kW':>18}" + (
              f"{'twin €':>11}{'twin gap':>10}{'rounds':>8}" if twin else ""))
    for label, r in runs.items():
        worst = max(balance_residuals(r.hourly).values())
        line = (f"{label:<12}{r.size['constraints']:>12,}{r.size['variables']:>11,}"
                f"{r.size['binaries']:>10,}{r.solve_s:>9.2f}{r.mip_gap:>9.1e}{worst:>18.1e}")
        if twin:
            line += f"{r.twin_objective:>11,.2f}{100 * r.twin_gap:>9.2f}%{r.twin_rounds:>8}"
        print(line)
    p = PAPER_SIZE_PER_DAY
    print(f"{'paper / day':<12}{p['constraints']:>12,}{p['variables']:>11,}{p['binaries']:>10,}"
          "  (Pyomo + Gurobi; here bounds are not counted as constraints)")
    print(f"wall {time.perf_counter() - tic:.1f} s")
    if out:
        _write(runs, frame, scenario, out, days)
        print(f"run folder: {out}")
    return 0


def _write(runs, frame: pd.DataFrame, scenario: LECScenario, out: Path, days: int) -> None:
    from sim.lec.plots import dc_operation, energy_and_heat_balance

    folder = RunFolder(out)
    folder.frame("hourly.parquet", pd.concat([r.hourly for r in runs.values()], ignore_index=True))
    delays = [r.delays for r in runs.values() if len(r.delays)]
    if delays:
        folder.frame("delays.parquet", pd.concat(delays, ignore_index=True))
    folder.text("table_I.csv", frame.to_csv())
    for label, r in runs.items():
        if r.messages is not None:  # the MILP alone exchanges no message
            folder.frame(f"messages_{label.replace('+', '_')}.parquet", r.messages)
    summary = {"scenario": scenario.model_dump(mode="json"), "days": days,
               "table_I": frame.to_dict(),
               "runs": {label: {"objective_eur": r.objective, "solve_s": r.solve_s,
                                "mip_gap": r.mip_gap, "size": r.size,
                                "twin_objective_eur": r.twin_objective,
                                "twin_gap": r.twin_gap, "twin_rounds": r.twin_rounds,
                                "balances_kw": balance_residuals(r.hourly)}
                        for label, r in runs.items()}}
    folder.json("summary.json", summary)
    for label, r in runs.items():
        slug = label.replace("+", "_")
        energy_and_heat_balance(r.hourly, folder.path(f"fig04_balance_{slug}.png"))
        if len(r.delays) or label == "TC+JP+aFRR":
            dc_operation(r.hourly, r.delays, folder.path(f"fig05_dc_{slug}.png"))
    folder.finish(f"dcmarket lec ({days} day(s))", scenario,
                  {f"solve_s_{label}": r.solve_s for label, r in runs.items()})
