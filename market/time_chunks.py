"""A time-indexed MILP solved in chunks of hours, certified by its own bound.

The community MILP of paper 001 over a 15-day block couples its hours only
through a few rows: the storage and temperature states from one hour to the
next, the DC's pause pairs ``x_{t,t'}`` (``t' ≤ t + δ^max``, (1e)) and its
resume room (``afrr_resume_room``).  Its gap, though, lives in many small
pause decisions spread over the block (docs/scenarios/lec_10households.md):
a branch and bound over the whole block has to close each of them inside
one tree, which is why HiGHS took 700–1,000 s on the worst block.

Lagrangian decomposition over time (the "better decomposition of the 15
days"):

1. Solve the LP relaxation; keep its row duals ``y`` and the integer
   columns' values.
2. Cut the hours into chunks of about ``hours_per_chunk``, each cut placed
   within a quarter chunk of its nominal hour where the relaxation is
   quietest: least integer activity in the six hours around it (few pauses
   cross it).
3. Price every row that spans two chunks at ``y`` and solve each chunk's
   MILP alone (the whole community over its hours).  For any ``y`` of the
   right sign the sum of the chunks' *dual* bounds plus ``Σ y·b`` is a lower
   bound on the block's optimum: a row at its lower bound (``y ≥ 0``) adds
   ``y(l − a·x) ≤ 0`` for every feasible ``x``, one at its upper bound
   (``y ≤ 0``) adds ``y(u − a·x) ≤ 0``.
4. Fix the integer columns at the chunks' values and solve the block's LP:
   a feasible schedule, an upper bound.
5. If ``(upper − lower) / |upper|`` is within the gap asked for, the schedule
   is certified to that gap exactly as HiGHS's own would be; otherwise the
   whole MILP is solved by HiGHS from that schedule.

The certificate never depends on how the hours were guessed or where the
cuts fall: those only decide how tight the bound is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import highspy
import numpy as np

from dcmarket.market.program import LinearProgram
from dcmarket.market.solvers import LPSolution, SolveError, highs_model, solve_lp

#: hours on each side of a candidate cut whose integer activity counts
QUIET_HALF_WINDOW_H = 3
#: HiGHS's primal heuristics left out in a chunk: its tree finds the chunk's
#: schedule anyway, and these took most of a chunk's time (block 9: 52 → 30 s)
CHUNK_HEURISTICS_OFF = ("mip_heuristic_run_rins", "mip_heuristic_run_rens",
                        "mip_heuristic_run_root_reduced_cost",
                        "mip_heuristic_run_feasibility_jump")


@dataclass(frozen=True)
class PricedSplit:
    """The Lagrangian bound of a split, the sum of the parts' incumbents (the
    most that bound could reach at these prices) and the parts' solutions."""

    lower: float
    upper: float
    x: np.ndarray


@dataclass(frozen=True)
class ChunkedSolve:
    """How a MILP was solved: ``chunks`` parts (0: whole), the bound found,
    and whether the chunks' schedule was certified or the whole MILP followed."""

    chunks: int
    lower: float
    certified: bool

    def describe(self) -> str:
        if self.chunks == 0:
            return "whole MILP"
        outcome = "certified" if self.certified else "not certified, then the whole MILP"
        return f"{self.chunks} chunks, {outcome}"


def column_hours(lp: LinearProgram, T: int) -> np.ndarray:
    """Each column's hour in a program over ``T`` hours.

    A column of a block of ``T`` columns is that block's hour; any other
    column (a pause pair, a mode binary over the hours an EV is home) takes
    the earliest hour of the hourly row groups (``T`` rows) it appears in, or
    else of the hourly columns its rows hold.  Columns never reached get hour 0.
    """
    A, Acsc = lp.A.tocsr(), lp.A.tocsc()
    col_hour = np.full(lp.n_cols, -1)
    row_hour = np.full(lp.n_rows, -1)
    for s in lp.blocks.values():
        if s.stop - s.start == T:
            col_hour[s] = np.arange(T)
    for s in lp.row_groups.values():
        if s.stop - s.start == T:
            row_hour[s] = np.arange(T)
    for _ in range(3):
        for j in np.flatnonzero(col_hour < 0):
            known = row_hour[Acsc.indices[Acsc.indptr[j]:Acsc.indptr[j + 1]]]
            if (known >= 0).any():
                col_hour[j] = known[known >= 0].min()
        for i in np.flatnonzero(row_hour < 0):
            known = col_hour[A.indices[A.indptr[i]:A.indptr[i + 1]]]
            if (known >= 0).any():
                row_hour[i] = known[known >= 0].min()
    return np.where(col_hour >= 0, col_hour, 0)


def quiet_cuts(activity: np.ndarray, hours_per_chunk: int) -> np.ndarray:
    """Cut hours near every multiple of ``hours_per_chunk``: within a quarter
    chunk of it, the hour with the least ``activity`` in the six hours around
    it (the nearest on a tie).  No cut leaves a last chunk under half a chunk."""
    T, H = activity.size, hours_per_chunk
    reach, half = H // 4, QUIET_HALF_WINDOW_H
    padded = np.r_[np.zeros(half), activity, np.zeros(half)]
    around = np.convolve(padded, np.ones(2 * half), mode="valid")[:T]  # hours t−3 … t+2
    cuts = []
    for nominal in range(H, T - H // 2 + 1, H):
        candidates = np.arange(max(nominal - reach, 1), min(nominal + reach, T - 1) + 1)
        order = np.lexsort((np.abs(candidates - nominal), np.round(around[candidates], 9)))
        cuts.append(int(candidates[order[0]]))
    return np.unique(cuts)


def spanning_rows(lp: LinearProgram, part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose columns lie in more than one part, and each row's first part."""
    coo = lp.A.tocoo()
    lowest = np.full(lp.n_rows, np.iinfo(np.int64).max)
    highest = np.full(lp.n_rows, -1)
    np.minimum.at(lowest, coo.row, part[coo.col])
    np.maximum.at(highest, coo.row, part[coo.col])
    return lowest != highest, lowest


def chunk_parts(lp: LinearProgram, T: int, hours_per_chunk: int,
                relaxed_x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column's chunk, and the cut hours (:func:`quiet_cuts` on the integer
    columns' values ``relaxed_x`` in the LP relaxation, summed by hour)."""
    hour = column_hours(lp, T)
    integer = lp.integer if lp.integer is not None else np.zeros(lp.n_cols, bool)
    activity = np.bincount(hour[integer], weights=relaxed_x[integer], minlength=T)
    cuts = quiet_cuts(activity, hours_per_chunk)
    return np.searchsorted(cuts, hour, side="right"), cuts


def chunk_lagrangian(lp: LinearProgram, part: np.ndarray, duals: np.ndarray, who: str,
                     time_limit_s: float, mip_gap: float) -> PricedSplit:
    """Lower bound from pricing the rows that span parts at ``duals`` (module
    notes, step 3), and the parts' own solutions side by side."""
    spans, first_part = spanning_rows(lp, part)
    y = np.where(spans, duals, 0.0)
    y = np.where(np.isfinite(lp.row_lower), y, np.minimum(y, 0.0))  # the sign a row allows
    y = np.where(np.isfinite(lp.row_upper), y, np.maximum(y, 0.0))
    priced = y != 0.0
    lower = upper = float(y[priced] @ np.where(y > 0.0, lp.row_lower, lp.row_upper)[priced])
    reduced = lp.cost - lp.A.T @ y
    A = lp.A.tocsr()
    x = np.zeros(lp.n_cols)
    for k in np.unique(part):
        cols = np.flatnonzero(part == k)
        rows = np.flatnonzero(~spans & (first_part == k))
        chunk = LinearProgram(reduced[cols], A[rows][:, cols], lp.row_lower[rows],
                              lp.row_upper[rows], lp.col_lower[cols], lp.col_upper[cols],
                              {}, {}, None if lp.integer is None else lp.integer[cols])
        bound, x[cols] = _solve_for_bound(chunk, f"{who}, chunk {k}", time_limit_s, mip_gap)
        lower += bound
        upper += float(reduced[cols] @ x[cols])
    return PricedSplit(lower, upper, x)


def _solve_for_bound(lp: LinearProgram, who: str, time_limit_s: float, mip_gap: float
                     ) -> tuple[float, np.ndarray]:
    """A part's dual bound (its optimum if an LP) and its best solution."""
    if not lp.is_mip:
        solution = solve_lp(replace(lp, integer=None), who, time_limit_s)
        return solution.objective, solution.x
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    for option in CHUNK_HEURISTICS_OFF:
        h.setOptionValue(option, False)
    h.passModel(highs_model(lp))
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    if info.primal_solution_status != int(highspy.SolutionStatus.kSolutionStatusFeasible):
        # no feasible point: nothing to stitch
        raise SolveError(who, h.modelStatusToString(status))
    return float(info.mip_dual_bound), np.asarray(h.getSolution().col_value)


def solve_in_chunks(lp: LinearProgram, T: int, who: str, hours_per_chunk: int,
                    mip_gap: float = 1e-4, time_limit_s: float = 600.0,
                    threads: int | None = None) -> tuple[LPSolution, ChunkedSolve]:
    """Solve the MILP ``lp`` over ``T`` hours by chunks of ``hours_per_chunk``
    (module notes); the whole MILP when ``hours_per_chunk`` is 0 or the hours
    make fewer than two chunks, or when the chunks' schedule is not certified
    within ``mip_gap``.
    ``threads`` is the whole MILP's (HiGHS's parallel tree search when > 1);
    the chunks are solved one after another, each serially."""
    if not lp.is_mip or hours_per_chunk <= 0 or 2 * hours_per_chunk > T:
        return solve_lp(lp, who, time_limit_s, mip_gap, threads), ChunkedSolve(0, -np.inf, False)
    start = time.perf_counter()
    relaxed = solve_lp(replace(lp, integer=None), f"{who}, relaxation", time_limit_s)
    part, cuts = chunk_parts(lp, T, hours_per_chunk, relaxed.x)
    # the chunks' own gap: a tenth of the block's, so that their sum keeps the room
    try:
        split = chunk_lagrangian(lp, part, relaxed.row_dual, who, _left(time_limit_s, start),
                                 mip_gap / 10.0)
    except SolveError:  # a chunk without a schedule in time: the whole MILP says why
        whole = solve_lp(lp, who, _left(time_limit_s, start), mip_gap, threads)
        return whole, ChunkedSolve(cuts.size + 1, -np.inf, False)
    lower = split.lower
    fixed_lower, fixed_upper = lp.col_lower.copy(), lp.col_upper.copy()
    fixed_lower[lp.integer] = fixed_upper[lp.integer] = np.round(split.x[lp.integer])
    try:
        schedule = solve_lp(replace(lp, integer=None, col_lower=fixed_lower,
                                    col_upper=fixed_upper), f"{who}, chunks' schedule",
                            _left(time_limit_s, start))
    except SolveError:
        schedule = None
    if schedule is not None:
        gap = (schedule.objective - lower) / max(abs(schedule.objective), 1e-9)
        if gap <= mip_gap:
            return (replace(schedule, row_dual=np.zeros(0), mip_gap=max(gap, 0.0)),
                    ChunkedSolve(cuts.size + 1, lower, True))
    whole = solve_lp(lp, who, _left(time_limit_s, start), mip_gap, threads,
                     start=None if schedule is None else schedule.x)
    return whole, ChunkedSolve(cuts.size + 1, lower, False)


def _left(time_limit_s: float, start: float) -> float:
    """What remains of ``time_limit_s`` since ``start`` (at least a second)."""
    return max(time_limit_s - (time.perf_counter() - start), 1.0)
