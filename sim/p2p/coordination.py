"""Computation–electricity coordination: grid operator + DC market, bi-level.

:class:`CoordinationModel` adds a :class:`~agents.grid_operator.GridOperatorAgent`
to the P2P market model.  One :meth:`outer_step` is one outer iteration of
MODEL.md (49)–(54): DCs send demand bids, the operator answers with LMPs, the
DCs clear their market (dual-consensus ADMM, or each alone when
``trading=False``) and the new demands are compared with the last ones.  The
message log carries both levels: ``outer`` (iteration) and ``round`` (ADMM
round inside it; bids and LMPs travel in round 0).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from agents.p2p.datacenter import DEMAND_BID, LMP
from agents.p2p.grid_operator import GridOperatorAgent
from grid.dcopf import DCOPF, Unit
from grid.network import GridNetwork, load_pandapower_ieee30
from market.bilevel import BisectionBoxes, OuterRecord, oscillating, power_residual
from sim.p2p.config import GridSpec, P2PScenario
from sim.p2p.model import MarketResult, P2PMarketModel

OPERATOR = "GridOperator"


@dataclass(frozen=True)
class GridCase:
    network: GridNetwork
    units: list[Unit]
    fixed_load_mw: np.ndarray  # hours × buses
    available_mw: np.ndarray  # hours × units


def build_grid_case(spec: GridSpec, hours: int) -> GridCase:
    """The operator's data from the scenario and the field library's network."""
    if spec.network != "pandapower:case_ieee30":
        raise ValueError(f"grid.network: unknown network {spec.network!r}")
    base, _ = load_pandapower_ieee30()
    network = base.with_ratings(spec.line_ratings_mw)
    units = [Unit(u.name, u.bus, u.p_max_mw, u.p_min_mw, u.a * spec.cost_factor,
                  u.b * spec.cost_factor) for u in spec.thermal_units]
    units += [Unit(r.name, r.bus, max(r.available_mw), renewable=True) for r in spec.renewables]
    available = np.column_stack(
        [np.full(hours, u.p_max_mw) for u in spec.thermal_units]
        + [np.asarray(r.available_mw) for r in spec.renewables]
    )
    load = np.asarray(spec.load_scaling)[:, None] * network.base_load_mw[None, :]
    return GridCase(network, units, load, available)


class CoordinationModel(P2PMarketModel):
    """DC agents, their market and the grid operator in one Mesa model."""

    def __init__(self, scenario: P2PScenario, trading: bool = True,
                 bisection: bool | None = None, initial_demand: np.ndarray | None = None,
                 **kwargs) -> None:
        if scenario.grid is None:
            raise ValueError(f"scenario {scenario.name}: no grid section")
        super().__init__(scenario, **kwargs)
        self._adaptive_penalty = (kwargs.get("penalty") is None
                                  and scenario.market.penalty == "auto")
        self.trading = trading
        self.bisection = scenario.bilevel.bisection if bisection is None else bisection
        case = build_grid_case(scenario.grid, scenario.hours)
        voll = scenario.grid.value_of_lost_load
        opf = DCOPF(case.network, case.units, scenario.hours,
                    None if voll is None else voll * scenario.grid.cost_factor)
        self.case = case
        self.bus.declare(DEMAND_BID, LMP)
        self.operator = GridOperatorAgent(
            self, OPERATOR, self.bus, opf, case.fixed_load_mw, case.available_mw,
            {dc.name: dc.bus for dc in scenario.datacenters},
        )
        n_dc, T = len(self.dcs), scenario.hours
        # starting point: each DC alone at the scenario's LMP guess, unless given
        # (e.g. the no-market equilibrium, when the market opens on a settled grid)
        self.demand = (np.array([dc.solve_alone().grid_mw for dc in self.dcs.values()])
                       if initial_demand is None else np.array(initial_demand, float))
        self.demand_history = [self.demand.copy()]
        self.boxes = BisectionBoxes.empty(n_dc, T)
        self.outer: list[OuterRecord] = []
        self.inner_histories: list[pd.DataFrame] = []
        self.oscillation_seen = False
        self.bilevel_converged = False
        self.last_market: MarketResult | None = None
        self.market_s = 0.0  # time spent clearing the DC level

    def _bus_graph(self) -> nx.Graph:
        graph = self.communication.copy()
        graph.add_edges_from((OPERATOR, dc) for dc in self.scenario.names)
        return graph

    def outer_step(self) -> OuterRecord:
        """One outer iteration: bids → OPF → LMPs → market → new demand."""
        k = len(self.outer) + 1
        self.bus.tags["outer"] = k
        self.restart_rounds()
        names = list(self.dcs)
        boxed = self.boxes.boxed
        tentative = np.where(boxed, self.boxes.midpoints(), self.demand)
        for i, name in enumerate(names):
            self.dcs[name].send_demand_bid(OPERATOR, tentative[i])
        self.operator.clear()
        if self.trading and self._adaptive_penalty:
            self._rescale_penalty()
        for i, name in enumerate(names):
            box = (self.boxes.lo[i], self.boxes.hi[i]) if boxed[i].any() else None
            self.dcs[name].receive_lmp(box, self.penalty)
        tic = time.perf_counter()
        new, rounds, converged = self._clear_market()
        self.market_s += time.perf_counter() - tic
        if boxed.any():
            self.boxes.narrow(tentative, new)
        residual = power_residual(new, self.demand)
        self.demand_history.append(new.copy())
        oscillation = oscillating(self.demand_history, self.scenario.bilevel.tol_mw)
        self.oscillation_seen |= bool(oscillation.any())
        if self.bisection:
            self.boxes.open(oscillation, new, self.demand, k)
            if self._stalled(residual):
                moving = np.abs(new - self.demand) > self.scenario.bilevel.tol_mw
                self.boxes.open(moving, new, self.demand, k)
        self.demand = new
        record = OuterRecord(k, residual, int(self.boxes.boxed.sum()), self.boxes.widest(),
                             rounds, converged)
        self.outer.append(record)
        self.bilevel_converged = residual <= self.scenario.bilevel.tol_mw
        return record

    def dc_lmps(self) -> dict[str, np.ndarray]:
        """The LMP series just posted at each DC's bus (public prices)."""
        lmp, net = self.operator.last.lmp, self.case.network
        return {n: lmp[:, net.position(self.scenario.spec(n).bus)] for n in self.dcs}

    def _rescale_penalty(self) -> None:
        """Re-derive ``c`` from the LMPs just posted (public prices) before each
        clearing; the DCs take it up with the LMPs.  ``c`` stays fixed within a
        clearing; the estimates ``y`` and sums ``p`` carry over, which is valid
        because the ADMM's fixed-point conditions do not involve ``c``.  With
        ``c`` tuned once at 35 $/MWh the clearings at load-shedding prices
        (10,000 $/MWh) took ~1,600 rounds; re-derived, they took ≤ 420.
        """
        self.penalty = self._auto_penalty(self.dc_lmps(), self.scenario.trade_limits())

    def _clear_market(self) -> tuple[np.ndarray, int, bool]:
        if not self.trading:
            demand = np.array([dc.solve_alone().grid_mw for dc in self.dcs.values()])
            return demand, 0, True
        result = self.run()
        self.last_market = result
        self.inner_histories.append(result.history.assign(outer=len(self.outer) + 1))
        demand = np.array([result.schedules[n].grid_mw for n in self.dcs])
        return demand, result.rounds, result.converged

    def _stalled(self, residual: float) -> bool:
        stall = self.scenario.bilevel.stall
        past = [r.power_residual for r in self.outer]
        return len(past) >= 2 * stall and residual >= min(past[:-stall])

    def run_bilevel(self, max_outer: int | None = None) -> pd.DataFrame:
        """Outer iterations until (49) holds or the cap; returns the history."""
        cap = max_outer or self.scenario.bilevel.max_outer
        while not self.bilevel_converged and len(self.outer) < cap:
            self.outer_step()
        return pd.DataFrame([r.__dict__ for r in self.outer])

    def bisected_pairs(self) -> pd.DataFrame:
        """Which (DC, hour) pairs were boxed, from which iteration, final box."""
        names = list(self.dcs)
        rows = [{"dc": names[i], "hour": t, "opened_at": k,
                 "lo_mw": self.boxes.lo[i, t], "hi_mw": self.boxes.hi[i, t]}
                for (i, t), k in sorted(self.boxes.opened_at.items())]
        return pd.DataFrame(rows, columns=["dc", "hour", "opened_at", "lo_mw", "hi_mw"])
