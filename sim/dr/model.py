"""One day of the DC demand-response model as a Mesa model (paper 002; docs/dr.md).

Agents: the grid (:class:`~agents.dr.grid.DRGridAgent`), the DC
(:class:`~agents.dr.datacenter.DRDataCenterAgent`) and the users
(:class:`~agents.dr.dc_user.DCUserAgent`), on a star graph around the DC plus
the DC–grid edge. Before the day, the DC sends its meter history to the grid, which computes
the reference power from it, and the grid announces the DR program.  One
:meth:`DRModel.step` is one slot (``model.steps`` counts slots; ``step()``
after the last slot does nothing and warns; a :class:`mesa.DataCollector`
records each slot's power, cost, bidders and winners):

1. the grid signals a DR event if the slot is one (real time);
2. users submit the slot's tasks;
3. the DC plans: at a slot its forecast marks as an event, OP sends the DR
   call, users bid, the DC selects winners and sends awards; BS postpones;
4. the DC runs the slot on its hosts and sends the meter reading;
5. the grid bills the energy and pays the reward of an event slot; the DC
   books the slot's cost (7).

The DC's metered history (reference power, expected load) is the static
strategy run on the ``reference_days`` days before the simulated day, with
task streams from the same generator (seeded per day).
"""

from __future__ import annotations

import warnings

import mesa
import networkx as nx
import numpy as np
import pandas as pd

from dcmarket.agents.dr.datacenter import DCTerms, DRDataCenterAgent
from dcmarket.agents.dr.dc_user import DCUserAgent
from dcmarket.agents.dr.grid import DRGridAgent
from dcmarket.agents.dr.host_fleet import HostFleet
from dcmarket.agents.dr.task_streams import TaskStream, generate_task_streams
from dcmarket.agents.strategies import DRDataCentreStrategy, StrategyError
from dcmarket.agents.strategy_registry import strategy_of
from dcmarket.grid.dr_program import DRProgram
from dcmarket.market.auction import GASettings
from dcmarket.market.messages import MessageBus
from dcmarket.market.protocols import DEMAND_RESPONSE
from dcmarket.sim.dr.config import DC_NAME, GRID_NAME, DRScenario
from dcmarket.sim.executors import BUS, MODEL, Executor
from dcmarket.sim.executors import default as default_executor
from dcmarket.sim.scenario import ScenarioError, check_series

SLOTS = 24


def fleet_of(scenario: DRScenario) -> HostFleet:
    dc = scenario.dc
    return HostFleet(dc.hosts, dc.cores_per_host, dc.p_max_w, dc.static_share, dc.idle_hosts)


def program_of(scenario: DRScenario) -> DRProgram:
    p = scenario.program
    return DRProgram(theta0_eur_per_mwh=p.theta0_eur_per_mwh, requested_share=p.requested_share,
                     n_events=p.n_events, reference_days=p.reference_days)


def day_streams(scenario: DRScenario, day_offset: int) -> list[TaskStream]:
    """The users' task streams of the day ``day_offset`` days from the simulated day."""
    users, fleet = scenario.users, fleet_of(scenario)
    rng = np.random.default_rng([scenario.seed, 1, day_offset + 1000])
    return generate_task_streams(
        rng, users.count, users.mean_utilisation * fleet.capacity, SLOTS,
        users.interactive_to_batch, users.sensitive_share_of_batch,
        shape=scenario.task_shape(day_offset))


def history_load(scenario: DRScenario) -> np.ndarray:
    """Tasks per slot on each of the ``reference_days`` days before (static operation)."""
    days = range(-scenario.program.reference_days, 0)
    return np.array([sum(s.counts.sum(axis=0) for s in day_streams(scenario, d)) for d in days])


def user_terms(scenario: DRScenario) -> list[tuple[float, float]]:
    """Each user's private ``(delay cost, willingness)``, seeded."""
    users = scenario.users
    rng = np.random.default_rng([scenario.seed, 2])
    cost = rng.uniform(users.delay_cost_eur_per_task_slot.low,
                       users.delay_cost_eur_per_task_slot.high, users.count)
    will = rng.uniform(users.willingness.low, users.willingness.high, users.count)
    return list(zip(cost.tolist(), will.tolist(), strict=True))


class DRModel(mesa.Model):
    """One day under one strategy; ``step()`` = one slot."""

    def __init__(self, scenario: DRScenario, strategy: str | DRDataCentreStrategy | None,
                 prices: np.ndarray, forecast: np.ndarray | None,
                 executor: Executor | None = None) -> None:
        """``strategy``: the DC's (a shipped name OP, BS, ST, or a strategy object;
        ``None``: the scenario's ``strategy.DC``, else OP)."""
        super().__init__(rng=scenario.seed)
        self.scenario = scenario
        chosen = scenario.agent_strategies()
        if strategy is None:
            strategy = chosen.pop(DC_NAME, "OP")
        try:
            strategy = strategy_of(strategy, "dr_datacentre", "strategy")
        except StrategyError as exc:
            raise ScenarioError(str(exc)) from None
        self.strategy = strategy.name
        self.slot = 0
        for label, series in (("prices", prices), ("forecast", forecast)):
            if series is None:
                continue
            check_series(series, SLOTS, f"{label} for the day", "slot", "€/MWh")
        prices = np.asarray(prices, float)
        users = scenario.user_names()
        graph = nx.star_graph([DC_NAME, *users])
        graph.add_edge(DC_NAME, GRID_NAME)
        self.bus = MessageBus(graph, (DEMAND_RESPONSE,))
        self.fleet = fleet_of(scenario)
        history = history_load(scenario)
        program = program_of(scenario)
        auction = scenario.auction
        #: where the agents run (in process, or in Ray actors): see sim.executors;
        #: the DC and the grid are built through it too (the hub agents)
        self.host = (executor or default_executor()).host(self, self.bus)
        self.dc = self.host.add(
            DC_NAME, DRDataCenterAgent, MODEL, DC_NAME, BUS, GRID_NAME, users, self.fleet,
            DCTerms(scenario.dc.revenue_per_task_eur, scenario.dc.penalty_eur_per_task_slot),
            strategy, forecast, history, selector=auction.selector,
            ga=GASettings(**auction.ga.model_dump()),
            rng=np.random.default_rng([scenario.seed, 3]), payment=auction.payment)
        self.grid = self.host.add(GRID_NAME, DRGridAgent, MODEL, GRID_NAME, BUS, DC_NAME,
                                  prices, program)
        streams = day_streams(scenario, 0)
        self.users = [self.host.add(name, DCUserAgent, MODEL, name, BUS, DC_NAME, stream, cost,
                                    will, chosen.get(name))
                      for name, stream, (cost, will) in zip(users, streams, user_terms(scenario),
                                                            strict=True)]
        self.dc.send_meter_history()
        self.grid.read_meter_history()
        self.grid.announce_program()
        self.dc.read_program()
        self.datacollector = mesa.DataCollector(model_reporters={
            "slot": lambda m: m.slot - 1,
            "power_mw": lambda m: m.dc.last_record()["power_mw"],
            "cost_eur": lambda m: m.dc.last_record()["cost_eur"],
            "bidders": lambda m: m.dc.last_record()["bidders"],
            "winners": lambda m: m.dc.last_record()["winners"],
        })

    def step(self) -> None:
        t = self.slot
        if t >= SLOTS:
            self.running = False
            warnings.warn(f"the day is over ({SLOTS} slots); step() does nothing", stacklevel=2)
            return
        self.bus.round = t
        self.bus.tags = {"slot": t}
        self.grid.signal(t)
        self.host.do(self.users, "submit", t)
        self.dc.plan(t)
        self.host.do(self.users, "answer_calls")
        self.dc.select_winners(t)
        self.host.do(self.users, "collect_awards")
        self.dc.execute(t)
        self.grid.settle(t)
        self.dc.book(t)
        self.slot += 1
        self.running = self.slot < SLOTS
        self.datacollector.collect(self)

    def run_day(self) -> DRModel:
        while self.running:
            self.step()
        return self

    def run_model(self) -> None:
        """Mesa's entry point: the whole day, slot by slot."""
        self.run_day()

    # ----------------------------------------------------------- results
    def slots_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.dc.disclose().records)
        frame.insert(0, "strategy", self.strategy)
        return frame

    def bids_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.dc.disclose().bids, columns=["slot", "user", "n_sensitive",
                                                    "n_insensitive", "fee_eur", "won",
                                                    "payment_eur"])
        frame.insert(0, "strategy", self.strategy)
        return frame

    def postponements_frame(self) -> pd.DataFrame:
        rows = [{"user": p.user, "kind": p.kind, "submitted": p.submitted,
                 "executed": p.executed, "count": p.count, "agreed": p.agreed,
                 "delay": p.delay, "beyond_tolerance": p.beyond_tolerance}
                for p in self.dc.disclose().postponements if p.count > 0]
        frame = pd.DataFrame(rows, columns=["user", "kind", "submitted", "executed", "count",
                                            "agreed", "delay", "beyond_tolerance"])
        frame.insert(0, "strategy", self.strategy)
        return frame
