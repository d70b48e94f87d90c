"""Where the LEC block's MILP gap lives: lower bounds on one 15-day block (paper 001).

HiGHS spends its time on a 15-day TC+JP+aFRR block proving the bound, not
finding the schedule (docs/scenarios/lec_10households.md). This script
measures, on block ``--block K`` (default 17, 13–27 Sep) with the storage
modes relaxed (the default solve's first attempt), how far each relaxation
gets:

- ``lp``: the LP relaxation;
- ``dc_hull_lagrangian``: the rows that tie the DC to the community (the
  electricity and heat balances) priced at the LP's duals, so that the bound
  is the community's LP plus the DC's own MILP at those prices; the DC MILP
  is solved with a time limit and its *dual* bound is used, so the figure is
  a valid bound (``dc_hull_lagrangian_upper`` is what its incumbent would
  give). It convexifies the DC alone: if it is near the optimum, the gap
  lives in the DC's pause/reserve combinatorics, not in the community;
- ``window_hull_L``: the LP with, for every window of L consecutive hours,
  the disjunctive (Balas) extended formulation of the DC's rows over the 2^L
  pause patterns of those hours, i.e. the convex hull of the DC's rows near
  each window;
- ``chunk_lagrangian_H``: the 15 days cut into chunks of about H hours at the
  relaxation's quietest hours, each the whole community's MILP over its
  hours, with the rows that span two chunks (storage and temperature states,
  pause pairs and resume room across the cut) priced at the LP's duals: the
  bound the default solve certifies with (market/time_chunks.py). Each
  chunk's dual bound is used.

    python benchmarks/lec_bounds.py [--block K] [--windows 3 4] [--chunks 72]
        [--dc-time-limit 120] [--optimum] [--cut-milp L [--warm-start-s S]]

``--optimum`` also solves the MILP to the scenario's gap (about 13 minutes
on block 17) and prints each bound's gap to it. ``--cut-milp L`` turns the
L-window hull into one cut per window (from the hull LP's duals) and solves
the MILP with them (``cut_milp_L_s`` includes making the cuts), optionally
from the incumbent of a first plain run of ``--warm-start-s`` seconds. The
last line is JSON.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from dataclasses import replace

import highspy
import numpy as np
import scipy.sparse as sp

from dcmarket.agents.lec.community import CommunityAssets, Options, community_program
from dcmarket.agents.lec.household import household_program
from dcmarket.market.community_milp import EOA, community_milp, mode_columns
from dcmarket.market.program import LinearProgram
from dcmarket.market.solvers import SolveError, highs_model, highs_start, solve_lp
from dcmarket.market.time_chunks import chunk_lagrangian, chunk_parts
from dcmarket.sim.lec.config import load_lec_scenario
from dcmarket.sim.lec.data import block_inputs
from dcmarket.sim.lec.year import block_first_day
from dcmarket.sim.scenario import scenario_path

#: the DC's blocks in the community program (agents/lec/dc_pausing.py)
DC_BLOCKS = ("p_dc", "h_dc", "x", "z", "r")


def block_program(block: int) -> tuple[LinearProgram, np.ndarray, np.ndarray, np.ndarray]:
    """Block ``block``'s TC+JP+aFRR program with the storage modes relaxed; the DC's
    columns, the pause binaries' columns (by hour) and each DC column's hours."""
    scenario = load_lec_scenario(str(scenario_path("lec_10households")))
    inputs = block_inputs(scenario, block_first_day(scenario, block), 15)
    assets = CommunityAssets(scenario.battery, scenario.heat, scenario.dc, scenario.retailer)
    households = {spec.name: household_program(spec, profiles)
                  for spec, profiles in zip(inputs.households, inputs.household_profiles,
                                            strict=True)}
    eoa, pairs = community_program(assets, inputs.community, Options.of("TC+JP+aFRR"))
    lp, offsets = community_milp(households, eoa)
    relax = mode_columns({**households, EOA: eoa}, offsets, lp.n_cols)
    lp = replace(lp, integer=lp.integer & ~relax)
    T = inputs.hours
    start = offsets[EOA].start
    cols, hours = [], []
    for name in DC_BLOCKS:
        s = eoa.blocks[name]
        cols.append(np.arange(start + s.start, start + s.stop))
        hours += ([(t, t) for t in range(T)] if name != "x" else [tuple(p) for p in pairs])
    z = np.arange(start + eoa.blocks["z"].start, start + eoa.blocks["z"].stop)
    return lp, np.concatenate(cols), z, np.array(hours)


def lp_bound(lp: LinearProgram) -> tuple[float, np.ndarray, np.ndarray]:
    """The LP relaxation's value, row duals (HiGHS's sign convention) and point."""
    solution = solve_lp(replace(lp, integer=None), "LP relaxation")
    return solution.objective, solution.row_dual, solution.x


def dc_rows(lp: LinearProgram, dc_cols: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks over the rows: those tying the DC to the community, the DC's own and
    the community's own."""
    A = lp.A.tocsr()
    dc = np.zeros(lp.n_cols, bool)
    dc[dc_cols] = True
    touches_dc = np.asarray(abs(A[:, dc]).sum(axis=1)).ravel() > 0
    touches_rest = np.asarray(abs(A[:, ~dc]).sum(axis=1)).ravel() > 0
    return touches_dc & touches_rest, touches_dc & ~touches_rest, touches_rest & ~touches_dc


def dc_hull_lagrangian(lp: LinearProgram, dc_cols: np.ndarray, duals: np.ndarray,
                       time_limit_s: float) -> tuple[float, float]:
    """Lower bound (and the value the DC MILP's incumbent gives) with the
    DC–community rows priced at ``duals``: the community's LP plus the DC's MILP."""
    part = np.zeros(lp.n_cols, int)
    part[dc_cols] = 1
    split = chunk_lagrangian(lp, part, duals, "DC hull", time_limit_s, 1e-7)
    return split.lower, split.upper


def highs_of(lp: LinearProgram, mip_gap: float, time_limit_s: float) -> highspy.Highs:
    """A serial HiGHS instance holding the MILP ``lp`` (not yet run)."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.passModel(highs_model(lp))
    return h


def window_hull(lp: LinearProgram, dc_cols: np.ndarray, z_cols: np.ndarray,
                hours: np.ndarray, rows_ok: np.ndarray, L: int, windows: list | None = None
                ) -> LinearProgram:
    """``lp`` with Balas's extended formulation of the DC's rows near every window
    of ``L`` hours, disjoint over the window's ``2^L`` pause patterns."""
    A, Acsc = lp.A.tocsr(), lp.A.tocsc()
    T = z_cols.size
    patterns = np.array(list(itertools.product([0.0, 1.0], repeat=L)))
    K = len(patterns)
    blocks, lower, upper, n_new = [], [], [], 0
    copy_lower: list[np.ndarray] = []  # a copy of a non-negative column is non-negative
    links = []
    for a in range(T - L + 1):
        inside = dc_cols[(hours[:, 0] >= a) & (hours[:, 1] < a + L)]
        rows = np.unique(Acsc[:, inside].indices)
        rows = rows[rows_ok[rows]]
        cols = np.unique(A[rows].indices)
        m, sub = cols.size, A[rows][:, cols]
        rl, ru = lp.row_lower[rows], lp.row_upper[rows]
        cl, cu = lp.col_lower[cols].copy(), lp.col_upper[cols].copy()
        fixed = np.searchsorted(cols, z_cols[a:a + L])
        up, lo = np.isfinite(ru), np.isfinite(rl)
        eye = sp.eye(m, format="csr")
        for k in range(K):
            cl[fixed] = cu[fixed] = patterns[k]
            bu, bl = np.isfinite(cu), np.isfinite(cl) & (cl != 0.0)
            copy_lower += [np.where(lp.col_lower[cols] >= 0.0, 0.0, -np.inf), [0.0]]
            # A v ≤ u λ, A v ≥ l λ, v ≤ ub λ, v ≥ lb λ: columns [v (m), λ (1)]
            M = sp.vstack([
                sp.hstack([sub[up], -ru[up][:, None]]),
                sp.hstack([sub[lo], -rl[lo][:, None]]),
                sp.hstack([eye[bu], -cu[bu][:, None]]),
                sp.hstack([eye[bl], -cl[bl][:, None]]),
            ]).tocsr()
            blocks.append((n_new, M))
            ceiling = [up.sum(), lo.sum(), bu.sum(), bl.sum()]
            upper += np.repeat([0.0, np.inf, 0.0, np.inf], ceiling).tolist()
            lower += np.repeat([-np.inf, 0.0, -np.inf, 0.0], ceiling).tolist()
            n_new += m + 1
        links.append((cols, n_new - K * (m + 1), m))
        if windows is not None:
            windows.append((a, rows, cols))
    n = lp.n_cols + n_new
    copies = sp.block_diag([M for _, M in blocks], format="csr")
    copy_rows = sp.hstack([sp.csr_matrix((copies.shape[0], lp.n_cols)), copies]).tocsr()
    link_parts, link_lower = [], []
    for cols, first, m in links:
        # x_C − Σ_k v^k = 0 and Σ_k λ_k = 1
        r, c, v = [], [], []
        for i, col in enumerate(cols):
            r += [i] * (K + 1)
            c += [col] + [lp.n_cols + first + k * (m + 1) + i for k in range(K)]
            v += [1.0] + [-1.0] * K
        r += [m] * K
        c += [lp.n_cols + first + k * (m + 1) + m for k in range(K)]
        v += [1.0] * K
        link_parts.append(sp.csr_matrix((v, (r, c)), shape=(m + 1, n)))
        link_lower += [0.0] * m + [1.0]
    A_new = sp.vstack([sp.hstack([lp.A, sp.csr_matrix((lp.n_rows, n_new))]), copy_rows,
                       *link_parts]).tocsr()
    is_lambda = np.zeros(n_new, bool)
    for first, M in blocks:
        is_lambda[first + M.shape[1] - 1] = True
    return LinearProgram(
        np.r_[lp.cost, np.zeros(n_new)], A_new,
        np.r_[lp.row_lower, lower, link_lower], np.r_[lp.row_upper, upper, link_lower],
        np.r_[lp.col_lower, np.concatenate(copy_lower)],
        np.r_[lp.col_upper, np.where(is_lambda, 1.0, np.inf)], {}, {}, None)


def cut_milp(lp: LinearProgram, dc_cols: np.ndarray, z_cols: np.ndarray, hours: np.ndarray,
             rows_ok: np.ndarray, L: int, warm_start_s: float) -> dict[str, object]:
    """The MILP (gap 1e-4, serial HiGHS) with :func:`window_cuts` added, timed."""
    start = time.perf_counter()
    _, cuts, lower = window_cuts(lp, dc_cols, z_cols, hours, rows_ok, L)
    cut_s = time.perf_counter() - start
    with_cuts = replace(lp, A=sp.vstack([lp.A, cuts]).tocsr(),
                        row_lower=np.r_[lp.row_lower, lower],
                        row_upper=np.r_[lp.row_upper, np.full(lower.size, np.inf)])
    h = highs_of(with_cuts, 1e-4, 3600.0)
    if warm_start_s > 0:
        first = highs_of(lp, 1e-4, warm_start_s)
        first.run()
        highs_start(h, np.asarray(first.getSolution().col_value))
    h.run()
    info = h.getInfo()
    return {f"cut_milp_{L}_cuts": int(lower.size), f"cut_milp_{L}_cut_s": cut_s,
            f"cut_milp_{L}_s": time.perf_counter() - start,
            f"cut_milp_{L}": float(info.objective_function_value),
            f"cut_milp_{L}_gap": float(info.mip_gap), "warm_start_s": warm_start_s}


def window_cuts(lp: LinearProgram, dc_cols: np.ndarray, z_cols: np.ndarray,
                hours: np.ndarray, rows_ok: np.ndarray, L: int
                ) -> tuple[float, sp.csr_matrix, np.ndarray]:
    """One valid cut ``yᵀx_C ≥ h`` per window from the window hull LP's duals ``y``
    on its linking rows, ``h`` the least of ``yᵀx_C`` over the window's pause
    patterns (each a small LP): together they give the LP the hull's bound."""
    windows: list = []
    hull = window_hull(lp, dc_cols, z_cols, hours, rows_ok, L, windows)
    solution = solve_lp(hull, f"window hull L={L}")
    A = lp.A.tocsr()
    n_link = sum(cols.size + 1 for _, _, cols in windows)
    y_all = solution.row_dual[hull.n_rows - n_link:]
    patterns = np.array(list(itertools.product([0.0, 1.0], repeat=L)))
    cuts, lower, i = [], [], 0
    for a, rows, cols in windows:
        y, i = y_all[i:i + cols.size], i + cols.size + 1
        if np.abs(y).max() < 1e-9:
            continue
        least = np.inf
        sub = A[rows][:, cols].tocsr()
        fixed = np.searchsorted(cols, z_cols[a:a + L])
        for pattern in patterns:
            cl, cu = lp.col_lower[cols].copy(), lp.col_upper[cols].copy()
            cl[fixed] = cu[fixed] = pattern
            window = LinearProgram(y, sub, lp.row_lower[rows], lp.row_upper[rows], cl, cu,
                                   {}, {}, None)
            try:
                least = min(least, solve_lp(window, "window pattern").objective)
            except SolveError as exc:
                if "nfeasible" not in exc.status:
                    raise
        cuts.append(sp.csr_matrix((y, (np.zeros(cols.size, int), cols)), shape=(1, lp.n_cols)))
        lower.append(least - 1e-6 * (1.0 + abs(least)))  # a margin for the LPs' tolerance
    return solution.objective, sp.vstack(cuts).tocsr(), np.array(lower)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--block", type=int, choices=range(24), default=17, metavar="K")
    parser.add_argument("--windows", type=int, nargs="*", default=[3, 4], metavar="L")
    parser.add_argument("--chunks", type=int, nargs="*", default=[72], metavar="H",
                        help="time-chunk Lagrangians with chunks of H hours")
    parser.add_argument("--dc-time-limit", type=float, default=120.0,
                        help="time limit of each part's MILP in the Lagrangians")
    parser.add_argument("--optimum", action="store_true",
                        help="also solve the MILP to the scenario's gap (minutes)")
    parser.add_argument("--cut-milp", type=int, metavar="L",
                        help="also solve the MILP with one cut per L-hour window added")
    parser.add_argument("--warm-start-s", type=float, default=0.0,
                        help="--cut-milp: first run the plain MILP this long and start from "
                        "its incumbent")
    args = parser.parse_args()
    lp, dc_cols, z_cols, hours = block_program(args.block)
    out: dict[str, object] = {"block": args.block, "binaries": int(lp.integer.sum())}
    start = time.perf_counter()
    out["lp"], duals, relaxed_x = lp_bound(lp)
    out["lp_s"] = time.perf_counter() - start
    start = time.perf_counter()
    out["dc_hull_lagrangian"], out["dc_hull_lagrangian_upper"] = dc_hull_lagrangian(
        lp, dc_cols, duals, args.dc_time_limit)
    out["dc_hull_lagrangian_s"] = time.perf_counter() - start
    for H in args.chunks:
        start = time.perf_counter()
        part, cuts = chunk_parts(lp, z_cols.size, H, relaxed_x)
        split = chunk_lagrangian(lp, part, duals, f"chunks of {H} h", args.dc_time_limit, 1e-7)
        out[f"chunk_lagrangian_{H}"], out[f"chunk_lagrangian_{H}_upper"] = split.lower, split.upper
        out[f"chunk_lagrangian_{H}_cuts"] = cuts.tolist()
        out[f"chunk_lagrangian_{H}_s"] = time.perf_counter() - start
    _, dc_only, _ = dc_rows(lp, dc_cols)
    for L in args.windows:
        start = time.perf_counter()
        hull = window_hull(lp, dc_cols, z_cols, hours, dc_only, L)
        out[f"window_hull_{L}"] = solve_lp(hull, f"window hull L={L}").objective
        out[f"window_hull_{L}_s"] = time.perf_counter() - start
        out[f"window_hull_{L}_size"] = [hull.n_rows, hull.n_cols]
    if args.cut_milp:
        out.update(cut_milp(lp, dc_cols, z_cols, hours, dc_only, args.cut_milp,
                            args.warm_start_s))
    if args.optimum:
        start = time.perf_counter()
        solution = solve_lp(lp, "MILP", time_limit_s=3600.0)
        out["milp"], out["milp_gap"] = solution.objective, solution.mip_gap
        out["milp_s"] = time.perf_counter() - start
        for key in ["lp", "dc_hull_lagrangian", *(f"window_hull_{L}" for L in args.windows),
                    *(f"chunk_lagrangian_{H}" for H in args.chunks)]:
            out[f"{key}_gap_rel"] = (solution.objective - out[key]) / abs(solution.objective)
    for key, value in out.items():
        print(f"{key:<28} {value}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
