"""``dcmarket lec``: paper 001's community + DC — a day, a block, the year, the households sweep."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from dcmarket.sim.lec.config import LECScenario
from dcmarket.sim.lec.study import (
    PAPER_SIZE_PER_DAY,
    balance_residuals,
    households_sweep,
    run_block,
    table,
    table_text,
)
from dcmarket.sim.lec.year import run_year
from dcmarket.sim.progress import bar
from dcmarket.sim.run_folder import RunFolder
from dcmarket.sim.scenario import ScenarioError


def run_lec(scenario: LECScenario, mode: str, days: int | None, blocks: int, block_days: int,
            counts: str, twin: bool | None, out: Path | None,
            command: str = "dcmarket lec", factors: str = "0,1,2,4,8,16", jobs: int = 1) -> int:
    """``dcmarket lec``: a day (with the twin), a block, the year, the households
    sweep or the aFRR price sweep."""
    if mode == "afrr-sweep":
        return _afrr_sweep(scenario, factors, days or 1, out, command)
    if mode == "year":
        if out is None:
            raise ScenarioError("dcmarket lec --mode year needs --out DIR (finished blocks are "
                                "kept there, so a stopped run resumes)")
        folder = RunFolder(out)  # its RUNNING marker stays until the year is complete
        folder.claim("blocks")  # run_year writes every block file there
        with bar(total=blocks, desc="LEC year", unit="block") as progress:
            frame = run_year(scenario, out, blocks, block_days,
                             progress=lambda s: (progress.update(), progress.write(s)),
                             jobs=jobs)
        print(table_text(frame))
        folder.frame("table_I.csv", frame.rename_axis("quantity").reset_index())
        folder.json("summary.json", {"study": "lec", "kind": "year", "converged": True,
                                     "scenario_name": scenario.name,
                                     "table_I": frame.to_dict()})
        folder.finish(command, scenario)
        return 0
    if mode == "sweep":
        try:
            sizes = [int(c) for c in counts.split(",")]
        except ValueError as exc:
            raise ScenarioError(f"--counts {counts!r}: expected numbers like 5,10,20") from exc
        if any(n < 1 for n in sizes):
            raise ScenarioError(f"--counts {counts!r}: every count must be at least 1")
        with bar(total=len(sizes), desc="households sweep", unit="run") as progress:
            sweep = households_sweep(scenario, sizes, days or 10,
                                     progress=lambda s: (progress.update(), progress.write(s)))
        print(sweep.to_string(index=False, float_format="%.3f"))
        if len(sweep) > 1:
            from dcmarket.sim.lec.sensitivity import households_change_pct
            from dcmarket.sim.papers import LEC_PAPER_HOUSEHOLDS_CHANGE_PCT

            print(f"cost per household, {sweep.households.min()} → {sweep.households.max()} "
                  f"households: {households_change_pct(sweep):+.2f} % (paper, 5 → 100 over 10 "
                  f"days: {LEC_PAPER_HOUSEHOLDS_CHANGE_PCT:+.2f} %)")
        if out:
            from dcmarket.sim.lec.plots import households_sensitivity

            folder = RunFolder(out)
            folder.frame("households_sweep.parquet", sweep)
            households_sensitivity(sweep, folder.path("fig06_households.png"))
            folder.json("summary.json", {"study": "lec", "kind": "sweep", "converged": True,
                                         "scenario_name": scenario.name})
            folder.finish(command, scenario)
        return 0
    n_days = 1 if mode == "day" else (days or 15)
    with_twin = twin if twin is not None else mode == "day"
    return _block(scenario, n_days, with_twin, out, command)


def _afrr_sweep(scenario: LECScenario, factors: str, days: int, out: Path | None,
                command: str) -> int:
    from dcmarket.sim.lec.sensitivity import afrr_price_sweep, format_sweep

    try:
        values = [float(f) for f in factors.split(",")]
    except ValueError as exc:
        raise ScenarioError(f"--factors {factors!r}: expected numbers like 0,1,2,4") from exc
    if any(f < 0 for f in values) or values != sorted(values):
        raise ScenarioError(f"--factors {factors!r}: factors must be non-negative and rising")
    if "TC+JP+aFRR" not in scenario.scenarios:
        raise ScenarioError("--mode afrr-sweep: the scenario leaves out TC+JP+aFRR")
    with bar(total=len(values), desc="aFRR price sweep", unit="price") as progress:
        frame = afrr_price_sweep(scenario, values, days,
                                 progress=lambda s: (progress.update(), progress.write(s)))
    print(format_sweep(frame, scenario))
    if out:
        from dcmarket.sim.lec.plots import afrr_sweep_figure

        folder = RunFolder(out)
        folder.frame("afrr_sweep.csv", frame)
        afrr_sweep_figure(frame, folder.path("fig_afrr_price_sweep.png"))
        folder.json("summary.json", {"study": "lec", "kind": "afrr_sweep", "converged": True,
                                     "scenario_name": scenario.name,
                                     "sweep": frame.to_dict(orient="records")})
        folder.finish(command, scenario)
    return 0


def _block(scenario: LECScenario, days: int, twin: bool, out: Path | None, command: str) -> int:
    print(f"{scenario.name}: {len(scenario.household_specs())} households, {days} day(s) from "
          f"{scenario.day}, scenarios {', '.join(scenario.scenarios)}"
          f"{' + decentralised twin' if twin else ''} ...", flush=True)
    tic = time.perf_counter()
    runs = run_block(scenario, 0, days, twin=twin)
    frame = table(runs)
    unconverged = [label for label, r in runs.items() if twin and not r.twin_converged]
    if unconverged:
        print(f"NOT CONVERGED: the decentralised twin of {', '.join(unconverged)} stopped at "
              f"its cap of {scenario.twin.max_iterations} rounds; its cost and gap below are "
              "those of its last iterate, committed.\n")
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
            line += (f"{r.twin_objective:>11,.2f}{100 * r.twin_gap:>9.2f}%{r.twin_rounds:>8}"
                     + ("" if r.twin_converged else "  NOT CONVERGED"))
        print(line)
    chunked = {label: r.decomposition for label, r in runs.items()
               if r.decomposition != "whole MILP"}
    if chunked:
        print("solved in chunks of hours (solver.time_chunks_h): " + "; ".join(
            f"{label} {how}" for label, how in chunked.items()))
    p = PAPER_SIZE_PER_DAY
    print(f"{'paper / day':<12}{p['constraints']:>12,}{p['variables']:>11,}{p['binaries']:>10,}"
          "  (Pyomo + Gurobi; here bounds are not counted as constraints)")
    print(f"wall {time.perf_counter() - tic:.1f} s")
    if out:
        _write(runs, frame, scenario, out, days, command)
        print(f"run folder: {out}")
    return 3 if unconverged else 0


def _write(runs, frame: pd.DataFrame, scenario: LECScenario, out: Path, days: int,
           command: str) -> None:
    from dcmarket.sim.lec.plots import dc_operation, energy_and_heat_balance

    folder = RunFolder(out)
    folder.frame("hourly.parquet", pd.concat([r.hourly for r in runs.values()], ignore_index=True))
    delays = [r.delays for r in runs.values() if len(r.delays)]
    if delays:
        folder.frame("delays.parquet", pd.concat(delays, ignore_index=True))
    folder.frame("table_I.csv", frame.rename_axis("quantity").reset_index())
    for label, r in runs.items():
        if r.messages is not None:  # the MILP alone exchanges no message
            folder.frame(f"messages_{label.replace('+', '_')}.parquet", r.messages)
    summary = {"study": "lec", "kind": "block", "scenario_name": scenario.name,
               "converged": all(r.twin_converged is not False for r in runs.values()),
               "scenario": scenario.model_dump(mode="json"), "days": days,
               "table_I": frame.to_dict(),
               "runs": {label: {"objective_eur": r.objective, "solve_s": r.solve_s,
                                "mip_gap": r.mip_gap, "size": r.size,
                                "decomposition": r.decomposition,
                                "twin_objective_eur": r.twin_objective,
                                "twin_gap": r.twin_gap, "twin_rounds": r.twin_rounds,
                                "twin_converged": r.twin_converged,
                                "balances_kw": balance_residuals(r.hourly)}
                        for label, r in runs.items()}}
    folder.json("summary.json", summary)
    for label, r in runs.items():
        slug = label.replace("+", "_")
        energy_and_heat_balance(r.hourly, folder.path(f"fig04_balance_{slug}.png"))
        if len(r.delays) or label == "TC+JP+aFRR":
            dc_operation(r.hourly, r.delays, folder.path(f"fig05_dc_{slug}.png"))
    folder.finish(command, scenario,
                  {f"solve_s_{label}": r.solve_s for label, r in runs.items()})


def run_study(scenario: LECScenario, path: Path, out: Path | None, command: str,
              options: dict) -> int:
    """``dcmarket run`` of a community scenario: a day of Table I with its twin."""
    return run_lec(scenario, "day", None, 24, 15, "5,10,20,50,100", None, out, command)
