"""Competitive-equilibrium twin of the bi-level loop (paper ``000``, §V).

The bisection-assisted loop (49)–(54) stops at a point that is an equilibrium
only with its boxes in place.  This twin finds the point the loop is meant to
approach without any box: one joint problem over the generators, the network
(24)–(28) and every DC's local problem (1)–(23), with the market's
reciprocity (30) when the DCs trade,

    min  Σ_i c_i·x_i  +  Σ_t C(p_t)·Δt  +  VOLL·shed
    s.t. each DC's rows, balance (25) and flow limits (26) with the DCs'
         draw Pg_i,t added to the load at their buses, and Σ_i E_i x_i = 0.

Its duals are prices at which nobody wants to move: the balance and flow
duals give LMPs (29), the reciprocity duals link prices (32), and by the KKT
conditions each DC's part of the solution is a best response to them (each
DC's LP at those prices has the same optimum), and the dispatch is the
operator's DC-OPF at the DCs' demand.  The tests check both against the
agents' own solvers.  An LP's best responses need not be unique, so a DC may
be indifferent between its share here and other schedules; the profit is the
same.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from dcmarket.agents.p2p.dc_physics import build_local_program, revenue
from dcmarket.grid.dcopf import opf_parts
from dcmarket.market.links import LinkIndex
from dcmarket.market.program import stack_programs
from dcmarket.market.solvers import cvxpy_constraints
from dcmarket.market.welfare import coupling_matrix
from dcmarket.sim.p2p.config import P2PScenario
from dcmarket.sim.p2p.coordination import build_grid_case
from dcmarket.sim.p2p.model import partner_limits

# Clarabel (interior point).  The DCs' LPs are degenerate (a DC is indifferent
# between many schedules), so prices between such hours are found only to the
# solver's tolerance: a DC re-optimising alone at them beats its share by at most
# ~1e-4 of its profit (measured 0.5-2.4 $ of 7,000-68,000 $).  HiGHS's QP without
# its proximal regularisation gets these to 1e-9 but failed ("claims optimality,
# but with primal infeasibilities") or took 17 s on the trading problem.
SOLVER = "CLARABEL"
FALLBACK = "HIGHS"  # active-set QP, when the interior point reports an inaccurate optimum


class EquilibriumError(RuntimeError):
    """The joint problem could not be solved; the message names the status."""


@dataclass(frozen=True)
class Equilibrium:
    """A competitive equilibrium of grid and DCs (with or without the market)."""

    trading: bool
    lmp: np.ndarray  # hours × buses, $/MWh
    dc_lmp: dict[str, np.ndarray]  # at each DC's bus
    grid_mw: dict[str, np.ndarray]  # each DC's draw per hour
    profits: dict[str, float]  # revenue − depreciation − LMP·Pg − trade payments
    link_prices: np.ndarray | None  # $ per M requests, buyer pays (None without trading)
    trades: dict[str, np.ndarray]  # each DC's trade block (partner-major), M requests/h
    servers_k: dict[str, np.ndarray]  # active kservers (interactive + batch) per hour
    shed_mwh: float
    social_cost: float  # the joint objective: DC costs + generation + lost load, $
    solve_s: float
    dispatch_mw: np.ndarray | None = None  # hours × units, the case's units in order
    shed_mw: np.ndarray | None = None  # hours × buses

    @property
    def total_profit(self) -> float:
        return float(sum(self.profits.values()))

    @property
    def energy_mwh(self) -> float:
        return float(sum(g.sum() for g in self.grid_mw.values()))


def competitive_equilibrium(scenario: P2PScenario, trading: bool) -> Equilibrium:
    """Solve the joint problem; ``trading=False`` is every DC alone (q = 0)."""
    if scenario.grid is None:
        raise ValueError(f"scenario {scenario.name}: the equilibrium twin needs a grid section")
    tic = time.perf_counter()
    T, dt = scenario.hours, scenario.dt_h
    case = build_grid_case(scenario.grid, T)
    net = case.network
    links = LinkIndex.of(scenario.trading_graph(), T)
    limits = scenario.trade_limits()
    own_limits = {
        spec.name: partner_limits(limits, links, spec.name) if trading
        else dict.fromkeys(links.partners(spec.name), 0.0)
        for spec in scenario.datacenters}
    zero = np.zeros(T)
    programs = {spec.name: build_local_program(spec, zero, own_limits[spec.name], dt)
                for spec in scenario.datacenters}
    union, offsets = stack_programs(programs)
    x = cp.Variable(union.n_cols, name="dc")
    constraints = cvxpy_constraints(x, union)
    # the DCs' draw added to the load at their buses: a (hours·buses) × columns map
    rows, cols = [], []
    for spec in scenario.datacenters:
        grid_cols = np.arange(union.n_cols)[offsets[spec.name]][programs[spec.name].blocks["grid"]]
        rows.append(np.arange(T) * net.n_buses + net.position(spec.bus))
        cols.append(grid_cols)
    r, c = np.concatenate(rows), np.concatenate(cols)
    to_bus = sp.csr_matrix((np.ones(r.size), (r, c)), shape=(T * net.n_buses, union.n_cols))
    demand = case.fixed_load_mw + cp.reshape(to_bus @ x, (T, net.n_buses), order="C")
    voll = scenario.grid.value_of_lost_load
    parts = opf_parts(net, case.units, T, demand, np.maximum(case.fixed_load_mw, 0.0),
                      case.available_mw, None if voll is None else voll * scenario.grid.cost_factor)
    constraints += parts.constraints
    reciprocity = None
    if trading and links.n_rows:
        reciprocity = coupling_matrix(programs, offsets, links) @ x == 0  # (30)
        constraints.append(reciprocity)
    problem = cp.Problem(cp.Minimize(union.cost @ x + dt * parts.cost), constraints)
    problem.solve(solver=SOLVER)
    if problem.status == "optimal_inaccurate":  # seen on a few sweep points: try HiGHS
        problem.solve(solver=FALLBACK)
    if problem.status != "optimal":
        raise EquilibriumError(f"competitive-equilibrium twin of {scenario.name} "
                               f"({'with' if trading else 'without'} market): solver status "
                               f"{problem.status!r}")
    lam, congestion = parts.prices()
    lmp = (lam[:, None] + congestion) / dt  # the objective counts energy per Δt
    link_prices = None if reciprocity is None else np.asarray(reciprocity.dual_value, float)
    dc_lmp, grid_mw, profits, trades, servers = {}, {}, {}, {}, {}
    for spec in scenario.datacenters:
        name = spec.name
        xi = np.asarray(x.value)[offsets[name]]
        dc_lmp[name] = lmp[:, net.position(spec.bus)]
        lp = programs[name]  # built at LMP 0: electricity is the grid column at the LMP
        payments = 0.0
        traded = lp.block(xi, "trades")
        if link_prices is not None:
            payments = float(link_prices[links.rows_of(name)] @ traded)
        grid_mw[name] = lp.block(xi, "grid")
        trades[name] = traded
        servers[name] = lp.block(xi, "servers_I") + lp.block(xi, "servers_B")
        cost = float(lp.cost @ xi) + float(dc_lmp[name] @ grid_mw[name]) * dt
        profits[name] = revenue(spec, dt) - cost - payments
    return Equilibrium(trading, lmp, dc_lmp, grid_mw, profits, link_prices, trades, servers,
                       float(np.asarray(parts.shed.value).sum() * dt), float(problem.value),
                       time.perf_counter() - tic, np.asarray(parts.p.value, float),
                       np.asarray(parts.shed.value, float))


def equilibrium_gain(scenario: P2PScenario) -> tuple[Equilibrium, Equilibrium, float]:
    """Both equilibria and the market's gain in total profit (%)."""
    without = competitive_equilibrium(scenario, trading=False)
    with_ = competitive_equilibrium(scenario, trading=True)
    return without, with_, 100 * (with_.total_profit / without.total_profit - 1)
