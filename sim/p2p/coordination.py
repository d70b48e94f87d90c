"""Computation–electricity coordination: grid operator + DC market, bi-level.

:class:`CoordinationModel` adds a :class:`~agents.p2p.grid_operator.GridOperatorAgent`
to the P2P market model.  One :meth:`outer_step` is one outer iteration of
docs/p2p.md (49)–(54): DCs send demand bids, the operator answers with LMPs, the
DCs clear their market (dual-consensus ADMM, or each alone when
``trading=False``) and the new demands are compared with the last ones.  The
message log carries both levels: ``outer`` (iteration) and ``round`` (ADMM
round inside it; bids and LMPs travel in round 0).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import mesa
import networkx as nx
import numpy as np
import pandas as pd

from dcmarket.agents.p2p.datacenter import MONITOR
from dcmarket.agents.p2p.grid_operator import GridOperatorAgent
from dcmarket.grid.dcopf import DCOPF, Unit
from dcmarket.grid.network import GridNetwork, case_units, load_network
from dcmarket.market.bilevel import OuterRecord
from dcmarket.market.messages import Protocol
from dcmarket.market.protocols import BILEVEL, DEMAND_BID, OUTER_REPORT, P2P_MARKET
from dcmarket.sim.executors import BUS, MODEL
from dcmarket.sim.p2p.config import GridSpec, P2PScenario
from dcmarket.sim.p2p.model import MarketResult, P2PMarketModel

OPERATOR = "GridOperator"


@dataclass(frozen=True)
class GridCase:
    network: GridNetwork
    units: list[Unit]
    fixed_load_mw: np.ndarray  # hours × buses
    available_mw: np.ndarray  # hours × units


def build_grid_case(spec: GridSpec, hours: int) -> GridCase:
    """The operator's data from the scenario and the field library's network:
    the scenario's thermal units, or the case's own generators and costs."""
    base, net = load_network(spec.network)
    network = base.with_ratings(spec.line_ratings_mw)
    thermal = spec.thermal_units or case_units(net, base, spec.network)
    units = [Unit(u.name, u.bus, u.p_max_mw, u.p_min_mw, u.a * spec.cost_factor,
                  u.b * spec.cost_factor) for u in thermal]
    units += [Unit(r.name, r.bus, max(r.available_mw), renewable=True) for r in spec.renewables]
    available = np.column_stack(
        [np.full(hours, u.p_max_mw) for u in thermal]
        + [np.asarray(r.available_mw) for r in spec.renewables]
    )
    scaling = np.asarray(spec.load_scaling) if spec.load_scaling else np.ones(hours)
    load = scaling[:, None] * network.base_load_mw[None, :]
    return GridCase(network, units, load, available)


class CoordinationModel(P2PMarketModel):
    """DC agents, their market and the grid operator in one Mesa model."""

    def __init__(self, scenario: P2PScenario, trading: bool = True,
                 bisection: bool | None = None, **kwargs) -> None:
        if scenario.grid is None:
            raise ValueError(f"scenario {scenario.name}: no grid section")
        self.trading = trading
        self.bisection = scenario.bilevel.bisection if bisection is None else bisection
        super().__init__(scenario, **kwargs)
        self._adaptive_penalty = self._fixed_penalty is None
        # opening bids: each DC alone at the scenario's LMP guess; a DC whose bid
        # was lost is asked again (up to 20 times) before the loop starts
        waiting = [dc.name for dc in self._dcs()]
        for _ in range(20):
            self.host.do([dc for dc in self._dcs() if dc.name in waiting], "send_demand_bid",
                         OPERATOR)
            waiting = self.operator.take_first_bids()
            if not waiting:
                break
        else:
            raise RuntimeError(f"no opening demand bid arrived from {waiting} in 20 tries")
        self.outer: list[OuterRecord] = []
        self.inner_histories: list[pd.DataFrame] = []
        self.oscillation_seen = False
        self.bilevel_converged = False
        self.last_market: MarketResult | None = None
        self.market_s = 0.0  # time spent clearing the DC level
        self.outer_collector = mesa.DataCollector(model_reporters={
            "outer": lambda m: len(m.outer),
            "power_residual": lambda m: m.outer[-1].power_residual,
            "boxed_pairs": lambda m: m.outer[-1].boxed_pairs,
            "widest_box_mw": lambda m: m.outer[-1].widest_box_mw,
            "inner_rounds": lambda m: m.outer[-1].inner_rounds,
        })

    def _add_hub_agents(self) -> None:
        """The grid operator, built through the host as the DCs are (under Ray in
        an actor of its own shard), before the market opens."""
        scenario = self.scenario
        case = build_grid_case(scenario.grid, scenario.hours)
        voll = scenario.grid.value_of_lost_load
        opf = DCOPF(case.network, case.units, scenario.hours,
                    None if voll is None else voll * scenario.grid.cost_factor)
        self.case = case
        self.operator = self.host.add(
            OPERATOR, GridOperatorAgent, MODEL, OPERATOR, BUS, opf, case.fixed_load_mw,
            case.available_mw, {dc.name: dc.bus for dc in scenario.datacenters}, MONITOR,
            scenario.bilevel.tol_mw, scenario.bilevel.stall, self.bisection)

    def _protocols(self) -> tuple[Protocol, ...]:
        return (P2P_MARKET, BILEVEL)

    def _opening_tags(self) -> dict[str, int]:
        return {"outer": 0}

    def _bus_graph(self) -> nx.Graph:
        graph = super()._bus_graph()
        graph.add_edges_from((OPERATOR, dc) for dc in self.scenario.names)
        graph.add_edge(OPERATOR, MONITOR)
        return graph

    def outer_step(self) -> OuterRecord | None:
        """One outer iteration: LMPs (and boxes) → market → new bids → assessment."""
        if self.bilevel_converged:
            warnings.warn(f"the bi-level loop converged after {len(self.outer)} outer "
                          "iterations; outer_step() does nothing", stacklevel=2)
            return None
        k = len(self.outer) + 1
        self.bus.tags["outer"] = k
        self.restart_rounds()
        self.operator.post_prices()
        self.host.do(self._dcs(), "receive_prices")
        if self.trading and self._adaptive_penalty:
            self.agree_penalty()
        tic = time.perf_counter()
        rounds, converged = self._clear_market()
        self.market_s += time.perf_counter() - tic
        self.host.do(self._dcs(), "send_demand_bid", OPERATOR)
        self.operator.assess()
        (report,) = self._port.receive(OUTER_REPORT)
        r = report.payload
        self.oscillation_seen |= r["oscillating"] > 0
        record = OuterRecord(k, float(r["power_residual"]), int(r["boxed"]),
                             float(r["widest_box_mw"]), rounds, converged)
        self.outer.append(record)
        rule = self.scenario.bilevel  # (49) and, with boxes, every box narrower than ε
        self.bilevel_converged = (record.power_residual <= rule.tol_mw
                                  and record.widest_box_mw < rule.box_tolerance
                                  and int(r["missing_bids"]) == 0)
        self.outer_collector.collect(self)
        return record

    def dc_lmps(self) -> dict[str, np.ndarray]:
        """The LMP series just posted at each DC's bus (public prices)."""
        lmp, net = self.operator.last.lmp, self.case.network
        return {n: lmp[:, net.position(self.scenario.spec(n).bus)] for n in self.dcs}

    @property
    def demand_history(self) -> list[np.ndarray]:
        """The DCs' demand bids per outer iteration (DCs × hours), from the public log."""
        names = list(self.dcs)
        by_outer: dict[int, dict[str, np.ndarray]] = {}
        for m in self.bus.log:
            if m.kind == DEMAND_BID and not m.fault.startswith(("lost", "offline")):
                by_outer.setdefault(int(m.tags.get("outer", 0)), {})[m.sender] = m.payload["pg"]
        history, last = [], {}
        for _, bids in sorted(by_outer.items()):
            last.update(bids)  # a lost bid counts as the DC's previous one, as for the operator
            history.append(np.array([last[n] for n in names]))
        return history

    def _clear_market(self) -> tuple[int, bool]:
        if not self.trading:
            self.host.do(self._dcs(), "solve_alone")
            return 0, True
        result = self.run()
        self.last_market = result
        self.inner_histories.append(result.history.assign(outer=len(self.outer) + 1))
        return result.rounds, result.converged

    def run_bilevel(self, max_outer: int | None = None) -> pd.DataFrame:
        """Outer iterations until (49) holds with every box narrower than ε, or
        the cap; returns the history."""
        cap = max_outer or self.scenario.bilevel.max_outer
        while not self.bilevel_converged and len(self.outer) < cap:
            self.outer_step()
        return pd.DataFrame([r.__dict__ for r in self.outer])

    def run_model(self) -> None:
        """Mesa's entry point: outer iterations to the stopping rule (49) or the cap."""
        self.run_bilevel()

    def bisected_pairs(self) -> pd.DataFrame:
        """Which (DC, hour) pairs were boxed, from which iteration, final box."""
        return self.operator.bisected_pairs()
