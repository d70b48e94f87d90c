"""Paper 001's year: 24 blocks of 15 days, each block's four scenarios as one MILP each.

A block is independent of the others (each starts from the scenario's initial
states and closes its own books), so the blocks can be solved at once:
``jobs`` worker processes of this machine each solve whole blocks.  A
scenario's parallel search (``solver.threads`` > 1) gets at most its share of
the CPUs in each process; with ``jobs = 1`` the blocks are solved here, one
after another.

Finished blocks are written to ``out/blocks/block_NN.json`` atomically, in
the order they finish, with the scenario's digest; a rerun keeps a block only
if its file parses and was made from the same scenario and block length, so a
stopped run resumes where it stopped and never mixes scenarios.  The digest
leaves out how long and on how many threads the solver may search
(:data:`EFFORT_FIELDS`): a block that hit its time limit can be resumed with
a longer one without solving the finished blocks again.  If a block fails,
the blocks already being solved are finished and kept before the error is
raised.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import pandas as pd

from dcmarket.market.atomic import atomic_write_text
from dcmarket.sim.lec.config import LECScenario
from dcmarket.sim.lec.study import TABLE_ROWS, renewable_share, run_block
from dcmarket.sim.manifest import scenario_digest

#: solver settings that change how hard the search tries, not what it solves
EFFORT_FIELDS = ("time_limit_s", "threads", "time_chunks_h")


def block_digest(scenario: LECScenario) -> str:
    """The scenario's digest without :data:`EFFORT_FIELDS` (what a block is made of)."""
    from dcmarket.sim.lec.series_files import file_digests

    raw = scenario.model_dump(mode="json")
    for field in EFFORT_FIELDS:
        raw["solver"].pop(field, None)
    if scenario.series.given():  # what the files held, not only where they are
        raw["series_sha256"] = file_digests(scenario.series)
    return scenario_digest(raw)


def block_start(scenario: LECScenario, k: int, block_days: int = 15) -> pd.Timestamp:
    """The first day of the year's block ``k`` (blocks count from 1 January)."""
    year = pd.Timestamp(scenario.day).year
    return pd.Timestamp(f"{year}-01-01") + pd.Timedelta(days=k * block_days)


def block_first_day(scenario: LECScenario, k: int, block_days: int = 15) -> int:
    """Block ``k``'s first day in days after the scenario's day (what
    :func:`~sim.lec.study.run_block` takes)."""
    return (block_start(scenario, k, block_days) - pd.Timestamp(scenario.day)).days


def block_cases(scenario: LECScenario, first_day: int, block_days: int) -> dict[str, dict]:
    """One block's four scenarios: Table I's rows, solve time, gap and how the
    storage modes were settled (what a block file records)."""
    runs = run_block(scenario, first_day, block_days)
    return {label: {**run.rows, "solve_s": run.solve_s, "mip_gap": run.mip_gap,
                    "storage_modes": run.modes, "decomposition": run.decomposition,
                    "threads": scenario.solver.threads} for label, run in runs.items()}


def _timed_block_cases(scenario: LECScenario, first_day: int, block_days: int
                       ) -> tuple[dict[str, dict], float]:
    tic = time.perf_counter()
    cases = block_cases(scenario, first_day, block_days)
    return cases, time.perf_counter() - tic


def run_year(scenario: LECScenario, out: Path, blocks: int = 24, block_days: int = 15,
             progress: Callable[[str], None] = print, jobs: int = 1) -> pd.DataFrame:
    """The year as ``blocks`` blocks of ``block_days`` days (module notes); the summed Table I."""
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    folder = out / "blocks"
    folder.mkdir(parents=True, exist_ok=True)
    digest = block_digest(scenario)
    todo = []
    for k in range(blocks):
        path = folder / f"block_{k:02d}.json"
        reason = stale_block(path, digest, block_days)
        if reason is None:
            progress(f"block {k + 1}/{blocks}: done earlier, kept")
        else:
            if path.exists():
                progress(f"block {k + 1}/{blocks}: {reason}; computed again")
            todo.append(k)

    def keep(k: int, cases: dict[str, dict], seconds: float) -> None:
        record = {"scenario_sha256": digest, "block_days": block_days, "cases": cases}
        atomic_write_text(folder / f"block_{k:02d}.json", json.dumps(record, indent=1))
        progress(f"block {k + 1}/{blocks} ({block_days} days from "
                 f"{block_start(scenario, k, block_days).date()}): {seconds:.1f} s")

    first_days = {k: block_first_day(scenario, k, block_days) for k in todo}
    if jobs == 1 or len(todo) <= 1:
        for k, first in first_days.items():
            keep(k, *_timed_block_cases(scenario, first, block_days))
    else:
        _solve_in_processes(scenario, first_days, block_days, jobs, keep)
    return long_run_table(folder, blocks)


def _solve_in_processes(scenario: LECScenario, first_days: dict[int, int], block_days: int,
                        jobs: int, keep: Callable[[int, dict, float], None]) -> None:
    """Blocks in ``jobs`` fresh processes ("spawn": no HiGHS scheduler or thread is
    inherited); each block is kept as it finishes.  After a failure no new block
    starts, the blocks being solved are finished and kept, and the first error
    is raised."""
    share = max(1, (os.cpu_count() or 1) // jobs)  # the processes share the CPUs
    if scenario.solver.threads > share:
        scenario = scenario.model_copy(update={"solver": scenario.solver.model_copy(
            update={"threads": share})})
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(min(jobs, len(first_days)), mp_context=context) as pool:
        collect({pool.submit(_timed_block_cases, scenario, first, block_days): k
                 for k, first in first_days.items()}, keep)


def collect(pending: dict[Future, int], keep: Callable[[int, dict, float], None]) -> None:
    """Keep each block's result as it arrives.  After a failure the blocks not yet
    started are cancelled, those being solved are still kept, and the first
    error is raised; Ctrl-C cancels what has not started and stops at once."""
    failure: Exception | None = None
    try:
        for future in as_completed(pending):
            if future.cancelled():
                continue
            try:
                cases, seconds = future.result()
            except Exception as exc:  # the others already running are still kept
                if failure is None:
                    failure = exc
                    for other in pending:
                        other.cancel()
                continue
            keep(pending[future], cases, seconds)
    except BaseException:
        for future in pending:
            future.cancel()
        raise
    if failure is not None:
        raise failure


def stale_block(path: Path, digest: str, block_days: int) -> str | None:
    """Why a block file cannot be kept (``None``: it can): missing, unreadable,
    or made from another scenario or block length."""
    if not path.exists():
        return "missing"
    try:
        record = json.loads(path.read_text())
        cases = record["cases"]
        if not isinstance(cases, dict) or not cases:
            return "no cases in it"
    except (OSError, ValueError, KeyError, TypeError):
        return "unreadable"
    if record.get("scenario_sha256") != digest:
        return "made from another scenario"
    if record.get("block_days") != block_days:
        return f"made with {record.get('block_days')}-day blocks"
    return None


def long_run_table(folder: Path, blocks: int) -> pd.DataFrame:
    """Sum energies and costs over the blocks; ratios from the sums of their parts."""
    records = [json.loads((folder / f"block_{k:02d}.json").read_text())["cases"]
               for k in range(blocks)]
    labels = list(records[0])
    totals = {}
    for label in labels:
        rows = [r[label] for r in records]
        summed = {key: sum(r[key] for r in rows) for key in
                  ("operating_cost_eur", "renewable_mwh", "retailer_mwh", "heating_mwh",
                   "additional_heating_mwh")}
        weight = [r["renewable_mwh"] for r in rows]
        heat_w = [r["heating_mwh"] for r in rows]
        summed["renewable_share_paper"] = renewable_share(summed["renewable_mwh"],
                                                           summed["retailer_mwh"])
        summed["self_consumption"] = np.average([r["self_consumption"] for r in rows],
                                                weights=weight)
        summed["dc_from_surplus"] = float(np.mean([r["dc_from_surplus"] for r in rows]))
        work = [r.get("dc_workload_mwh", 1.0) for r in rows]  # older blocks: unweighted
        for key in ("dc_paused", "dc_deferred_net"):
            summed[key] = float(np.average([r.get(key, np.nan) for r in rows], weights=work))
        summed["heat_reuse"] = np.average([r["heat_reuse"] for r in rows], weights=heat_w) \
            if sum(heat_w) > 0 else 0.0
        totals[label] = summed
    return pd.DataFrame(totals).loc[list(TABLE_ROWS)]


