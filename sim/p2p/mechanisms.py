"""The P2P fleet's mechanisms (paper 000), each ending in one
:class:`~market.outcome.Outcome` in US dollars.

At fixed LMPs (a scenario without ``grid``):

- ``no_trade``: every DC alone (q = 0), eq. (13);
- ``centralised``: the social-welfare optimum (36), links priced by its duals;
- ``admm_local`` / ``admm_global``: dual-consensus ADMM with local or global
  estimates, settled from the confirmations (docs/p2p.md);
- ``vcg``: the twin on what the DCs report, VCG payments (``sim/p2p/vcg.py``);
- ``sealed_uniform`` / ``sealed_pay_as_bid``: the twin cleared once on the
  DCs' sealed bids, one price per link and hour or each at its own bid
  (``sim/p2p/sealed_bid.py``).

With the grid in the loop (a scenario with ``grid``):

- ``no_trade``: the bi-level loop without the market;
- ``bilevel_bisection`` / ``bilevel_plain``: the loop with the market, with
  and without bisection (49)–(54);
- ``competitive_equilibrium``: the joint optimum of DCs and grid, LMPs and
  link prices from its duals.

Welfare is :class:`~market.outcome.Outcome`'s: with the grid, the DCs'
profits, the generators' surplus, the operator's merchandising surplus,
minus the fixed loads' bill and the cost of shed load.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from dcmarket.agents.p2p.dc_physics import build_local_program, revenue
from dcmarket.grid.dcopf import Unit
from dcmarket.grid.network import GridNetwork
from dcmarket.market.links import LinkIndex
from dcmarket.market.mechanism import IterativeMechanism, Mechanism, OneShotMechanism
from dcmarket.market.outcome import Outcome, agents_table
from dcmarket.market.solvers import solve_lp
from dcmarket.market.welfare import solve_centralised
from dcmarket.sim.p2p.config import P2PScenario
from dcmarket.sim.p2p.model import MarketResult, P2PMarketModel, lmp_series, market_programs
from dcmarket.sim.p2p.outcome_frames import allocation_frame, link_price_frame, lmp_frame

CURRENCY = "USD"
ROLE = "p2p_datacentre"


# ------------------------------------------------------------------ reading results
def outcome_of_market(name: str, result: MarketResult, messages: int, values: int,
                      extra_parts: dict[str, float] | None = None) -> Outcome:
    """An ADMM clearing's :class:`Outcome`: profits as settled by the monitor."""
    s = result.schedules
    agents = agents_table({n: x.profit for n, x in s.items()},
                          {n: x.trade_payments for n, x in s.items()}, CURRENCY, ROLE,
                          revenue_usd={n: x.revenue for n, x in s.items()},
                          electricity_usd={n: x.electricity for n, x in s.items()},
                          energy_mwh={n: x.energy_mwh for n, x in s.items()})
    parts = {"dc_profit": float(sum(x.profit for x in s.values())), **(extra_parts or {})}
    return Outcome(name, "p2p", CURRENCY, agents, parts, result.converged, result.rounds,
                   messages, values, result.clearing_s,
                   link_price_frame(result.links, result.link_prices),
                   allocation_frame({n: x.grid_mw for n, x in s.items()}),
                   {"inconsistent": dict(result.inconsistent),
                    "disputed": dict(result.disputed)})


def _profits_of(scenario: P2PScenario, programs: dict, x: dict[str, np.ndarray],
                links: LinkIndex, prices: np.ndarray | None) -> tuple[dict, dict, dict]:
    """(profit, payment, grid MW) per DC of solution vectors of their programs."""
    profit, payment, grid = {}, {}, {}
    for spec in scenario.datacenters:
        lp, xi = programs[spec.name], x[spec.name]
        paid = 0.0
        if prices is not None and links.partners(spec.name):
            paid = float(prices[links.rows_of(spec.name)] @ lp.block(xi, "trades")) * scenario.dt_h
        payment[spec.name] = paid
        profit[spec.name] = revenue(spec, scenario.dt_h) - float(lp.cost @ xi) - paid
        grid[spec.name] = lp.block(xi, "grid")
    return profit, payment, grid


# ---------------------------------------------------------------- at fixed LMPs
class NoTrade(OneShotMechanism):
    name, description = "no_trade", "every DC alone at its LMPs (q = 0), eq. (13)"

    def __init__(self, scenario: P2PScenario) -> None:
        self.scenario = scenario

    def clear(self) -> Outcome:
        tic = time.perf_counter()
        sc = self.scenario
        links = LinkIndex.of(sc.trading_graph(), sc.hours)
        programs, x = {}, {}
        for spec in sc.datacenters:
            lp = build_local_program(spec, lmp_series(sc, None, spec.name),
                                     dict.fromkeys(links.partners(spec.name), 0.0), sc.dt_h)
            programs[spec.name] = lp
            x[spec.name] = solve_lp(lp, f"DC {spec.name} (stand-alone)").x
        profit, payment, grid = _profits_of(sc, programs, x, links, None)
        return Outcome(self.name, "p2p", CURRENCY,
                       agents_table(profit, payment, CURRENCY, ROLE),
                       {"dc_profit": sum(profit.values())}, True,
                       wall_s=time.perf_counter() - tic, allocation=allocation_frame(grid))


class Centralised(OneShotMechanism):
    name, description = "centralised", "the social-welfare optimum (36), priced by its duals"

    def __init__(self, scenario: P2PScenario) -> None:
        self.scenario = scenario

    def clear(self) -> Outcome:
        tic = time.perf_counter()
        sc = self.scenario
        links, programs = market_programs(sc)  # the twin (36) stacks these, solved once
        solution = solve_centralised(programs, links)
        profit, payment, grid = _profits_of(sc, programs, solution.x, links,
                                            solution.link_prices)
        return Outcome(self.name, "p2p", CURRENCY,
                       agents_table(profit, payment, CURRENCY, ROLE),
                       {"dc_profit": sum(profit.values())}, True,
                       wall_s=time.perf_counter() - tic,
                       prices=link_price_frame(links, solution.link_prices),
                       allocation=allocation_frame(grid))


class ADMMClearing(IterativeMechanism):
    """Dual-consensus ADMM among the DCs, one step = one round."""

    def __init__(self, scenario: P2PScenario, estimates: str = "local", **model_options) -> None:
        if scenario.market.estimates != estimates:
            scenario = scenario.model_copy(update={"market": scenario.market.model_copy(
                update={"estimates": estimates})})
        self.scenario = scenario
        self.name = f"admm_{estimates}"
        self.description = f"dual-consensus ADMM, {estimates} estimates (41)–(48)"
        self._options = model_options
        self.model: P2PMarketModel | None = None

    def start(self) -> None:
        if self.model is None:
            self.model = P2PMarketModel(self.scenario, **self._options)

    def step(self) -> None:
        self.start()
        self.model.step()

    @property
    def converged(self) -> bool:
        return self.model is not None and self.model.converged

    @property
    def done(self) -> bool:
        return self.converged or (self.model is not None
                                  and self.model.round >= self.scenario.round_cap)

    def outcome(self) -> Outcome:
        self.start()
        result = self.model.result()
        return outcome_of_market(self.name, result, self.model.bus.sent_messages,
                                 self.model.bus.sent_values)


# ------------------------------------------------------------ with the grid
def grid_parts(network: GridNetwork, units: list[Unit], lmp: np.ndarray,
               dispatch: np.ndarray, fixed_load: np.ndarray, dc_draw: np.ndarray,
               shed: np.ndarray, value_of_lost_load: float | None, dt: float
               ) -> dict[str, float]:
    """The grid's parts of welfare, $ (hours × units / buses arrays): the
    generators' surplus, the operator's merchandising surplus, the fixed loads'
    bill (negative) and the cost of shed load (negative)."""
    positions = [network.position(u.bus) for u in units]
    revenue_gen = float(np.sum(lmp[:, positions] * dispatch)) * dt
    cost_gen = float(sum(np.sum(u.b * dispatch[:, k] + u.a * dispatch[:, k] ** 2)
                         for k, u in enumerate(units))) * dt
    fixed_bill = float(np.sum(lmp * (fixed_load - shed))) * dt
    dc_bill = float(np.sum(lmp * dc_draw)) * dt
    lost = float(value_of_lost_load or 0.0) * float(shed.sum()) * dt
    return {"generator_surplus": revenue_gen - cost_gen,
            "operator_surplus": fixed_bill + dc_bill - revenue_gen,
            "fixed_load_bill": -fixed_bill, "shed_load_cost": -lost}


def _dc_draw(scenario: P2PScenario, network: GridNetwork, grid_mw: dict[str, np.ndarray]
             ) -> np.ndarray:
    draw = np.zeros((scenario.hours, network.n_buses))
    for spec in scenario.datacenters:
        draw[:, network.position(spec.bus)] += np.asarray(grid_mw[spec.name], float)
    return draw


def _voll(scenario: P2PScenario) -> float | None:
    voll = scenario.grid.value_of_lost_load
    return None if voll is None else voll * scenario.grid.cost_factor


class BilevelLoop(IterativeMechanism):
    """The DCs and the grid operator, one step = one outer iteration."""

    def __init__(self, scenario: P2PScenario, trading: bool = True, bisection: bool = True,
                 **model_options) -> None:
        self.scenario, self.trading, self.bisection = scenario, trading, bisection
        self.name = ("bilevel_bisection" if bisection else "bilevel_plain") if trading \
            else "no_trade"
        self.description = ("the bi-level loop " + ("with bisection (49)–(54)" if bisection
                            else "without bisection")) if trading else \
            "the bi-level loop without the market (every DC alone at the LMPs)"
        self._options = model_options
        self.model = None

    def start(self) -> None:
        if self.model is None:
            from dcmarket.sim.p2p.coordination import CoordinationModel

            self.model = CoordinationModel(self.scenario, trading=self.trading,
                                           bisection=self.bisection, **self._options)

    def step(self) -> None:
        self.start()
        self.model.outer_step()

    @property
    def converged(self) -> bool:
        return self.model is not None and self.model.bilevel_converged

    @property
    def done(self) -> bool:
        return self.converged or (self.model is not None and len(self.model.outer)
                                  >= self.scenario.bilevel.max_outer)

    def outcome(self) -> Outcome:
        self.start()
        return outcome_of_loop(self.name, self.model, self.trading, self.converged)


def outcome_of_loop(name: str, model, trading: bool, converged: bool,
                    schedules: dict | None = None) -> Outcome:
    """A bi-level loop's :class:`Outcome` (the DCs' settled profits at the last
    posted LMPs and the grid's parts of welfare); ``schedules``: the DCs'
    schedules if already taken (else the last market's, or each DC alone)."""
    m, sc = model, model.scenario
    opf = m.operator.last
    if schedules is None:
        if trading and m.last_market is not None:
            schedules = m.last_market.schedules
        else:
            schedules = {n: dc.solve_alone() for n, dc in m.dcs.items()}
    grid_mw = {n: s.grid_mw for n, s in schedules.items()}
    parts = {}
    if opf is not None:
        dispatch = np.column_stack([opf.dispatch[u.name] for u in m.case.units])
        parts = grid_parts(m.case.network, m.case.units, opf.lmp, dispatch,
                           m.case.fixed_load_mw, _dc_draw(sc, m.case.network, grid_mw),
                           opf.shed, _voll(sc), sc.dt_h)
    s = schedules
    agents = agents_table({n: x.profit for n, x in s.items()},
                          {n: x.trade_payments for n, x in s.items()}, CURRENCY, ROLE,
                          energy_mwh={n: x.energy_mwh for n, x in s.items()})
    market = m.last_market if trading else None
    prices = link_price_frame(m.links, market.link_prices if market is not None else None)
    return Outcome(name, "p2p", CURRENCY, agents,
                   {"dc_profit": float(sum(x.profit for x in s.values())), **parts},
                   converged, len(m.outer), m.bus.sent_messages, m.bus.sent_values,
                   0.0, prices, allocation_frame(grid_mw),
                   {"inconsistent": dict(market.inconsistent) if market is not None else {}})


class CompetitiveEquilibrium(OneShotMechanism):
    name = "competitive_equilibrium"
    description = "the joint optimum of DCs and grid, LMPs and link prices from its duals"

    def __init__(self, scenario: P2PScenario, trading: bool = True) -> None:
        self.scenario, self.trading = scenario, trading

    def clear(self) -> Outcome:
        from dcmarket.sim.p2p.coordination import build_grid_case
        from dcmarket.sim.p2p.equilibrium import competitive_equilibrium

        sc = self.scenario
        eq = competitive_equilibrium(sc, self.trading)
        case = build_grid_case(sc.grid, sc.hours)
        links = LinkIndex.of(sc.trading_graph(), sc.hours)
        payments = {spec.name: 0.0 for spec in sc.datacenters}
        if eq.link_prices is not None:
            for name in payments:
                if links.partners(name):
                    payments[name] = float(eq.link_prices[links.rows_of(name)]
                                           @ eq.trades[name]) * sc.dt_h
        parts = grid_parts(case.network, case.units, eq.lmp, eq.dispatch_mw,
                           case.fixed_load_mw, _dc_draw(sc, case.network, eq.grid_mw),
                           eq.shed_mw, _voll(sc), sc.dt_h)
        agents = agents_table(dict(eq.profits), payments, CURRENCY, ROLE,
                              energy_mwh={n: float(g.sum()) for n, g in eq.grid_mw.items()})
        return Outcome(self.name, "p2p", CURRENCY, agents,
                       {"dc_profit": eq.total_profit, **parts}, True, wall_s=eq.solve_s,
                       prices=pd.concat([link_price_frame(links, eq.link_prices),
                                         lmp_frame(case.network, eq.lmp)], ignore_index=True),
                       allocation=allocation_frame(eq.grid_mw),
                       notes={"social_cost_usd": eq.social_cost})


def _vcg(scenario: P2PScenario) -> Mechanism:
    from dcmarket.sim.p2p.vcg import VCG

    return VCG(scenario)


def _sealed(scenario: P2PScenario, pricing: str) -> Mechanism:
    from dcmarket.sim.p2p.sealed_bid import SealedBid

    return SealedBid(scenario, pricing)


def mechanisms(scenario: P2PScenario) -> dict[str, Callable[[], Mechanism]]:
    """Name → factory of every mechanism that applies to ``scenario`` (see the
    module docstring), the scenario's own protocol first."""
    if scenario.grid is None:
        own = f"admm_{scenario.market.estimates}"
        found = {"admm_local": lambda: ADMMClearing(scenario, "local"),
                 "admm_global": lambda: ADMMClearing(scenario, "global"),
                 "centralised": lambda: Centralised(scenario),
                 "no_trade": lambda: NoTrade(scenario),
                 "vcg": lambda: _vcg(scenario),
                 "sealed_uniform": lambda: _sealed(scenario, "uniform"),
                 "sealed_pay_as_bid": lambda: _sealed(scenario, "pay_as_bid")}
    else:
        own = "bilevel_bisection" if scenario.bilevel.bisection else "bilevel_plain"
        found = {"bilevel_bisection": lambda: BilevelLoop(scenario, bisection=True),
                 "bilevel_plain": lambda: BilevelLoop(scenario, bisection=False),
                 "competitive_equilibrium": lambda: CompetitiveEquilibrium(scenario),
                 "no_trade": lambda: BilevelLoop(scenario, trading=False)}
    return {own: found.pop(own), **found}  # the scenario's own protocol first
