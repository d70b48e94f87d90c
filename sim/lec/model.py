"""The energy community + DC as a Mesa model (paper 001; MODEL.md part D).

Agents: one :class:`~agents.household.HouseholdAgent` per household and the
:class:`~agents.community.CommunityAgent` (EOA module with the DC), on a star
graph around the EOA. Two ways to run a block of days:

- :meth:`LECModel.solve_centralised` — the community MILP (2a)–(2q) with
  HiGHS, the oracle that sees everything;
- :meth:`LECModel.step` / :meth:`LECModel.run_twin` — the decentralised twin:
  one ``step()`` is one exchange-ADMM round of real messages
  (:mod:`market.community_admm`), then households commit and the EOA
  schedules its own assets.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import mesa
import networkx as nx
import numpy as np

from agents.lec.community import CommunityAgent, CommunityAssets, Options
from agents.lec.household import HouseholdAgent
from market.community_admm import (
    COMMUNITY_PRICE,
    EOA_EXCHANGE,
    EXCHANGE_BID,
    HOUSEHOLD_EXCHANGE,
    ExchangeNode,
    ExchangeRound,
    exchange_map,
    residuals,
)
from market.community_milp import EOA, CommunitySolution, ProgramSize, solve_community
from market.messages import MessageBus
from market.program import LinearProgram
from market.solvers import solve_lp
from sim.lec.config import LECScenario
from sim.lec.data import BlockInputs


@dataclass
class TwinResult:
    """The decentralised twin's committed schedule and how it got there."""

    values: dict[str, dict[str, np.ndarray]]
    objective: float
    rounds: int
    converged: bool
    history: list[ExchangeRound] = field(default_factory=list)
    seconds: float = 0.0


class LECModel(mesa.Model):
    """One block of days of one Table I scenario."""

    def __init__(self, scenario: LECScenario, inputs: BlockInputs, option: str) -> None:
        super().__init__(seed=scenario.seed)
        self.scenario = scenario
        self.inputs = inputs
        self.option = option
        self.options = Options.of(option)
        names = [spec.name for spec in inputs.households]
        graph = nx.star_graph([EOA, *names])
        self.bus = MessageBus(graph, (EXCHANGE_BID, COMMUNITY_PRICE))
        assets = CommunityAssets(scenario.battery, scenario.heat, scenario.dc,
                                 scenario.retailer)
        self.eoa = CommunityAgent(self, EOA, self.bus, assets, inputs.community, self.options)
        self.households = [HouseholdAgent(self, spec.name, self.bus, spec, profiles)
                           for spec, profiles in zip(inputs.households,
                                                     inputs.household_profiles, strict=True)]
        self.round = 0
        self._twin: dict[str, ExchangeNode] | None = None

    @property
    def T(self) -> int:  # noqa: N802 - the horizon, as in the papers
        return self.inputs.hours

    def household_programs(self) -> dict[str, LinearProgram]:
        return {h.name: h.program for h in self.households}

    def size(self) -> ProgramSize:
        from market.community_milp import community_milp

        return ProgramSize.of(community_milp(self.household_programs(), self.eoa.program)[0])

    # ----------------------------------------------------------- centralised
    def solve_centralised(self) -> CommunitySolution:
        s = self.scenario.solver
        who = (f"community MILP {self.option}, {self.inputs.start.date()} "
               f"+{self.inputs.n_days} d")
        return solve_community(self.household_programs(), self.eoa.program, who,
                               mip_gap=s.mip_gap, time_limit_s=s.time_limit_s)

    # ----------------------------------------------------------- decentralised
    def _nodes(self) -> dict[str, ExchangeNode]:
        if self._twin is None:
            rho, T = self.scenario.twin.rho, self.T
            self._twin = {h.name: ExchangeNode(h.name, h.program,
                                               exchange_map(h.program, HOUSEHOLD_EXCHANGE, T),
                                               rho)
                          for h in self.households}
            self._twin[EOA] = ExchangeNode(EOA, self.eoa.program,
                                           exchange_map(self.eoa.program, EOA_EXCHANGE, T), rho)
            c = self.inputs.community
            start_price = np.concatenate([0.5 * (c.buy_eur_per_kwh + c.sell_eur_per_kwh),
                                          np.zeros(T)])
            self._u = start_price / rho
            self._mean = np.zeros(2 * T)
            self.history: list[ExchangeRound] = []
        return self._twin

    def step(self) -> None:
        """One exchange-ADMM round: prices out, bids in, the EOA's own step, dual update."""
        nodes = self._nodes()
        T, rho, k = self.T, self.scenario.twin.rho, self.round
        for h in self.households:
            self.eoa.send(k, h.name, COMMUNITY_PRICE, {
                "mean_electricity_kw": self._mean[:T], "mean_heat_kw": self._mean[T:],
                "u_electricity": self._u[:T], "u_heat": self._u[T:]})
        for h in self.households:
            (msg,) = h.receive(COMMUNITY_PRICE)
            p = msg.payload
            mean = np.concatenate([p["mean_electricity_kw"], p["mean_heat_kw"]])
            u = np.concatenate([p["u_electricity"], p["u_heat"]])
            profile = nodes[h.name].local_step(mean, u)
            h.send(k, EOA, EXCHANGE_BID, {"electricity_kw": profile[:T], "heat_kw": profile[T:]})
        own = nodes[EOA].local_step(self._mean, self._u)
        bids = [np.concatenate([m.payload["electricity_kw"], m.payload["heat_kw"]])
                for m in self.eoa.receive(EXCHANGE_BID)]
        mean, primal, dual = residuals([*bids, own], self._mean, rho)
        self._mean = mean
        self._u = self._u + mean
        self.history.append(ExchangeRound(k, primal, dual, float(rho * self._u[:T].mean())))
        self.round += 1

    def run_twin(self) -> TwinResult:
        """Rounds until both residuals are below ``twin.tol_kw`` (or the cap), then commit."""
        start = time.perf_counter()
        settings = self.scenario.twin
        converged = False
        self._nodes()
        while self.round < settings.max_iterations:
            self.step()
            last = self.history[-1]
            if last.primal_kw <= settings.tol_kw and last.dual_kw <= settings.tol_kw:
                converged = True
                break
        values, objective = self._commit()
        return TwinResult(values, objective, self.round, converged, list(self.history),
                          time.perf_counter() - start)

    def _commit(self) -> tuple[dict[str, dict[str, np.ndarray]], float]:
        """Households project onto their integer-feasible sets; the EOA schedules the rest."""
        nodes, T = self._nodes(), self.T
        prices = self.scenario.twin.rho * self._u
        values = {}
        supply = np.zeros(2 * T)
        for h in self.households:
            x = nodes[h.name].commit(prices)
            values[h.name] = {b: x[s].copy() for b, s in h.program.blocks.items()}
            supply += nodes[h.name].profile
        lp = self.eoa.program
        lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
        for block, part in (("supply_e", 0), ("supply_heat", 1)):
            lower[lp.blocks[block]] = upper[lp.blocks[block]] = supply[part * T:(part + 1) * T]
        from dataclasses import replace

        fixed = replace(lp, col_lower=lower, col_upper=upper)
        s = self.scenario.solver
        solution = solve_lp(fixed, f"EOA schedule after the twin ({self.option})",
                            s.time_limit_s, mip_gap=s.mip_gap)
        values[EOA] = {b: solution.x[sl].copy() for b, sl in lp.blocks.items()}
        return values, solution.objective
