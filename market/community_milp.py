"""The community MILP (paper 001, (2a)–(2q)): the centralised optimum, solved by HiGHS.

The households' programs and the EOA's program are stacked block-diagonally
and tied by the community's two coupling rows per hour:

- electricity: ``supply_e_t = Σ_h (imp_h,t − exp_h,t)`` — with (2b) inside the
  EOA program and (2c) inside each household, this is the community balance;
- heat (2p): ``supply_heat_t = Σ_h heat_h,t``.

This is the oracle: it sees every household's data, which the decentralised
twin (:mod:`market.community_admm`) never does.

**Storage modes solved lazily** (``modes="lazy"``, the default).  The EV and
battery "never both ways" binaries ((2f), (2o)) are most of the program's
binaries (2,295 of 2,655 on a 15-day block).  They are first relaxed to
``[0, 1]``; if no store then charges and discharges in the same hour, the
relaxed optimum is feasible for the program as stated, and as the relaxation's
bound is at most the program's, it is optimal for it within the same gap.
Only if some store uses both directions at once is the whole MILP solved
again with every binary.  ``modes="binary"`` always solves the MILP as stated.

**In chunks of hours** (``chunk_hours``): a MILP over at least two chunks is
solved by Lagrangian decomposition over time and certified by its own bound
(:mod:`market.time_chunks`); the whole MILP only if that certificate misses
the gap.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from functools import partial
from typing import Literal

import numpy as np
import scipy.sparse as sp

from dcmarket.market.program import LinearProgram, append_rows, stack_programs
from dcmarket.market.time_chunks import solve_in_chunks

EOA = "EOA"
#: (mode binary, charge, discharge) blocks of the stores whose modes may be solved lazily
STORAGE_MODES = (("ev_mode", "ev_ch", "ev_dis"), ("b_mode", "b_ch", "b_dis"))
#: kW: a store counts as using both directions when both flows exceed this
BOTH_WAYS_KW = 1e-6


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
    #: how the storage modes were settled: "binary" (the MILP as stated),
    #: "relaxed" (the relaxation never used both ways), "binary after relaxed"
    modes: str = "binary"
    #: how the MILP was solved: whole, or in chunks of hours (certified or not)
    decomposition: str = "whole MILP"


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


def mode_columns(programs: dict[str, LinearProgram], offsets: dict[str, slice],
                 n_cols: int) -> np.ndarray:
    """The stacked program's storage-mode binaries (see :data:`STORAGE_MODES`)."""
    mask = np.zeros(n_cols, bool)
    for name, program in programs.items():
        for mode, _, _ in STORAGE_MODES:
            if mode in program.blocks:
                mask[np.arange(n_cols)[offsets[name]][program.blocks[mode]]] = True
    return mask


def both_ways(values: dict[str, dict[str, np.ndarray]]) -> list[str]:
    """The stores that charge and discharge in the same hour: ``agent:block``."""
    return [f"{name}:{charge}" for name, blocks in values.items()
            for _, charge, discharge in STORAGE_MODES
            if charge in blocks
            and np.any(np.minimum(blocks[charge], blocks[discharge]) > BOTH_WAYS_KW)]


def solve_community(households: dict[str, LinearProgram], eoa: LinearProgram, who: str,
                    mip_gap: float = 1e-4, time_limit_s: float = 600.0,
                    modes: Literal["lazy", "binary"] = "lazy",
                    threads: int | None = None, chunk_hours: int = 0) -> CommunitySolution:
    """Solve the community MILP; a non-optimal end names ``who`` and the conflicting rows.

    ``modes="lazy"`` relaxes the storage-mode binaries first (module notes);
    ``threads`` > 1 runs HiGHS's parallel tree search (:func:`market.solvers.solve_lp`);
    ``chunk_hours`` > 0 solves a MILP of at least two such chunks by
    :func:`market.time_chunks.solve_in_chunks` (0: whole, by HiGHS)."""
    lp, offsets = community_milp(households, eoa)
    programs = {**households, EOA: eoa}

    def values_of(x: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
        return {name: {block: x[offsets[name]][s].copy()
                       for block, s in programs[name].blocks.items()} for name in programs}

    T = eoa.blocks["supply_e"].stop - eoa.blocks["supply_e"].start
    solve = partial(solve_in_chunks, T=T, who=who, hours_per_chunk=chunk_hours,
                    mip_gap=mip_gap, time_limit_s=time_limit_s, threads=threads)
    start = time.perf_counter()
    settled, solution = "binary", None
    relax = mode_columns(programs, offsets, lp.n_cols)
    if modes == "lazy" and lp.integer is not None and relax.any():
        solution, how = solve(replace(lp, integer=lp.integer & ~relax))
        settled = "relaxed"
        if both_ways(values_of(solution.x)):  # not feasible as stated: the MILP as stated
            settled, solution = "binary after relaxed", None
    if solution is None:
        solution, how = solve(lp)
    values = values_of(solution.x)
    seconds = time.perf_counter() - start
    return CommunitySolution(values, solution.objective, solution.mip_gap, seconds,
                             ProgramSize.of(lp), settled, how.describe())
