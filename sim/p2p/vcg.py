"""VCG for the P2P fleet at fixed LMPs (paper 000's centralised twin (36) as
the allocation rule, Clarke pivot; the rule itself: ``market/vcg.py``).

Each DC reports what its strategy says — the cost vector it optimises with
and the link capacity it offers; the twin maximises the *reported* welfare
Σ_i (R_i − ĉ_iᵀx_i) over the links.  DC ``i`` pays the others' best reported
welfare when it does not trade (its links removed, it runs alone) minus
their reported welfare at the chosen allocation:

    p_i = Σ_{j≠i} v̂_j(x*_{−i}) − Σ_{j≠i} v̂_j(x*),

so its profit, R_i − c_iᵀx*_i − p_i, counts its *true* cost.  A DC's
trade with itself cannot be priced, so VCG is no mechanism among the DCs
alone: an operator pays in (``budget_balance`` < 0; with two DCs, the whole
gain from trade).
"""

from __future__ import annotations

import time
from dataclasses import replace

import networkx as nx
import numpy as np

from dcmarket.agents.p2p.dc_physics import build_local_program, revenue
from dcmarket.market.links import LinkIndex
from dcmarket.market.mechanism import OneShotMechanism
from dcmarket.market.outcome import Outcome, agents_table
from dcmarket.market.program import LinearProgram
from dcmarket.market.welfare import solve_centralised
from dcmarket.sim.p2p.config import P2PScenario
from dcmarket.sim.p2p.model import lmp_series, partner_limits
from dcmarket.sim.p2p.outcome_frames import allocation_frame


def reported_programs(scenario: P2PScenario, graph: nx.Graph
                      ) -> tuple[LinkIndex, dict[str, LinearProgram], dict[str, LinearProgram]]:
    """The links of ``graph`` and each DC's local program (1)–(23), (31), (33)
    as its strategy reports it (cost, link capacity), and as it truly is."""
    links = LinkIndex.of(graph, scenario.hours)
    limits = scenario.trade_limits()
    strategies = scenario.agent_strategies()
    reported, true = {}, {}
    for spec in scenario.datacenters:
        own = partner_limits(limits, links, spec.name)
        strategy = strategies.get(spec.name)
        lmp = lmp_series(scenario, None, spec.name)
        lp = build_local_program(spec, lmp, own, scenario.dt_h)
        true[spec.name] = lp
        if strategy is None or strategy.truthful:
            reported[spec.name] = lp
            continue
        offered = strategy.trade_limits(own) if own else {}
        told = build_local_program(spec, lmp, offered, scenario.dt_h)
        reported[spec.name] = replace(told, cost=np.asarray(strategy.cost(told.cost), float))
    return links, reported, true


def _without(graph: nx.Graph, name: str) -> nx.Graph:
    reduced = graph.copy()
    reduced.remove_edges_from(list(reduced.edges(name)))
    return reduced


class VCG(OneShotMechanism):
    """The twin's allocation on the reported programs, VCG payments."""

    name = "vcg"
    description = "VCG: the centralised twin on what DCs report, Clarke-pivot payments"

    def __init__(self, scenario: P2PScenario) -> None:
        self.scenario = scenario

    def _solve(self, graph: nx.Graph) -> tuple[dict[str, float], dict[str, np.ndarray],
                                               dict[str, LinearProgram]]:
        """Each DC's reported value R − ĉᵀx at the twin's optimum on ``graph``,
        its solution vector, and its true program."""
        links, reported, true = reported_programs(self.scenario, graph)
        solution = solve_centralised(reported, links)
        dt = self.scenario.dt_h
        values = {spec.name: revenue(spec, dt) - float(reported[spec.name].cost
                                                       @ solution.x[spec.name])
                  for spec in self.scenario.datacenters}
        return values, solution.x, true

    def clear(self) -> Outcome:
        tic = time.perf_counter()
        sc = self.scenario
        graph = sc.trading_graph()
        values, x, true = self._solve(graph)
        dt = sc.dt_h
        payments, profits, grid = {}, {}, {}
        for spec in sc.datacenters:
            i = spec.name
            pivot, _, _ = self._solve(_without(graph, i)) if graph.degree(i) else (values, x, true)
            payments[i] = sum(pivot[j] - values[j] for j in values if j != i)
            profits[i] = revenue(spec, dt) - float(true[i].cost @ x[i]) - payments[i]
            grid[i] = true[i].block(x[i], "grid")
        agents = agents_table(profits, payments, "USD", "p2p_datacentre",
                              reported_value_usd=values)
        # the operator pays what the DCs do not: welfare counts its deficit
        return Outcome(self.name, "p2p", "USD", agents,
                       {"dc_profit": float(sum(profits.values())),
                        "operator_surplus": float(sum(payments.values()))}, True,
                       wall_s=time.perf_counter() - tic, allocation=allocation_frame(grid),
                       notes={"budget_deficit_usd": -float(sum(payments.values()))})
