"""Centralised twin of the P2P market: social welfare (36) in one solve.

``max Σ_i profit_i`` over all DCs' feasible sets with reciprocity (30), which
is ``min Σ_i c_iᵀx_i`` s.t. ``Σ_i E_i x_i = 0`` (37), solved as one LP with
HiGHS.  Trade payments cancel in the sum, so they do not appear.  The duals
of the reciprocity rows are link prices (32); an LP's duals need not be
unique, so the tests check them by letting each DC re-optimise against them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from dcmarket.market.links import LinkIndex
from dcmarket.market.program import LinearProgram, append_rows, stack_programs
from dcmarket.market.solvers import solve_lp


@dataclass(frozen=True)
class WelfareSolution:
    x: dict[str, np.ndarray]  # each DC's solution vector of its own program
    link_prices: np.ndarray  # π per coupling row ($ per M requests), sign: buyer pays
    total_cost: float  # Σ_i c_iᵀx_i (welfare = Σ revenue − total_cost)


def coupling_matrix(
    programs: dict[str, LinearProgram], offsets: dict[str, slice], links: LinkIndex
) -> sp.csr_matrix:
    """[E_1 … E_n] over the stacked columns: one row per link and hour."""
    n_cols = max(s.stop for s in offsets.values())
    rows, cols = [], []
    for name, lp in programs.items():
        trade_cols = np.arange(lp.n_cols)[lp.blocks["trades"]] + offsets[name].start
        rows.append(links.rows_of(name))
        cols.append(trade_cols)
    r, c = np.concatenate(rows), np.concatenate(cols)
    return sp.csr_matrix((np.ones(r.size), (r, c)), shape=(links.n_rows, n_cols))


def solve_centralised(programs: dict[str, LinearProgram], links: LinkIndex) -> WelfareSolution:
    union, offsets = stack_programs(programs)
    E = coupling_matrix(programs, offsets, links)
    zeros = np.zeros(links.n_rows)
    lp = append_rows(union, "reciprocity_30", E, zeros, zeros)
    solution = solve_lp(lp, "centralised social-welfare twin (36)")
    coupling = lp.row_groups["reciprocity_30"]
    # HiGHS: c − Aᵀ·dual = reduced cost, i.e. L = cᵀx − dualᵀ(Ex).  The market's
    # Lagrangian is cᵀx + πᵀ(Ex) (the buyer pays π), so π = −dual.
    return WelfareSolution(
        x={name: solution.x[s] for name, s in offsets.items()},
        link_prices=-solution.row_dual[coupling],
        total_cost=solution.objective,
    )
