"""The community MILP (paper 001, (2a)–(2q)): the centralised optimum, solved by HiGHS.

The households' programs and the EOA's program are stacked block-diagonally
and tied by the community's two coupling rows per hour:

- electricity: ``supply_e_t = Σ_h (imp_h,t − exp_h,t)`` — with (2b) inside the
  EOA program and (2c) inside each household, this is the community balance;
- heat (2p): ``supply_heat_t = Σ_h heat_h,t``.

This is the oracle: it sees every household's data, which the decentralised
twin (:mod:`market.community_admm`) never does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from market.program import LinearProgram, append_rows, stack_programs
from market.solvers import solve_lp

EOA = "EOA"


@dataclass
class ProgramSize:
    constraints: int
    variables: int
    binaries: int

    @classmethod
    def of(cls, lp: LinearProgram) -> ProgramSize:
        return cls(lp.n_rows, lp.n_cols, int(lp.integer.sum()) if lp.integer is not None else 0)


@dataclass
class CommunitySolution:
    """Values per agent and block, the objective (€) and how the solve went."""

    values: dict[str, dict[str, np.ndarray]]
    objective: float
    mip_gap: float
    solve_s: float
    size: ProgramSize


def coupling_matrices(programs: dict[str, LinearProgram], offsets: dict[str, slice],
                      n_cols: int, T: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Rows ``supply_e − Σ(imp − exp)`` and ``supply_heat − Σ heat`` over the stacked columns."""
    def pick(agent: str, block: str, sign: float) -> sp.coo_matrix:
        cols = np.arange(n_cols)[offsets[agent]][programs[agent].blocks[block]]
        return sp.coo_matrix((np.full(T, sign), (np.arange(T), cols)), shape=(T, n_cols))

    households = [a for a in programs if a != EOA]
    electric = pick(EOA, "supply_e", 1.0)
    heat = pick(EOA, "supply_heat", 1.0)
    for h in households:
        electric = electric + pick(h, "imp", -1.0) + pick(h, "exp", 1.0)
        heat = heat + pick(h, "heat", -1.0)
    return electric.tocsr(), heat.tocsr()


def community_milp(households: dict[str, LinearProgram], eoa: LinearProgram
                   ) -> tuple[LinearProgram, dict[str, slice]]:
    """The whole community as one program (the EOA under key ``"EOA"``)."""
    programs = {**households, EOA: eoa}
    union, offsets = stack_programs(programs)
    T = eoa.blocks["supply_e"].stop - eoa.blocks["supply_e"].start
    electric, heat = coupling_matrices(programs, offsets, union.n_cols, T)
    union = append_rows(union, "community_electricity_2b", electric, np.zeros(T), np.zeros(T))
    union = append_rows(union, "community_heat_2p", heat, np.zeros(T), np.zeros(T))
    return union, offsets


def solve_community(households: dict[str, LinearProgram], eoa: LinearProgram, who: str,
                    mip_gap: float = 1e-4, time_limit_s: float = 600.0,
                    ) -> CommunitySolution:
    """Solve the community MILP; a non-optimal end names ``who`` and the conflicting rows."""
    lp, offsets = community_milp(households, eoa)
    programs = {**households, EOA: eoa}
    start = time.perf_counter()
    solution = solve_lp(lp, who, time_limit_s, mip_gap=mip_gap)
    seconds = time.perf_counter() - start
    values = {name: {block: solution.x[offsets[name]][s].copy()
                     for block, s in programs[name].blocks.items()}
              for name in programs}
    return CommunitySolution(values, solution.objective, solution.mip_gap, seconds,
                             ProgramSize.of(lp))
