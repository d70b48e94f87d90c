"""The energy community + DC as a Mesa model (paper 001; docs/lec.md).

Agents: one :class:`~agents.lec.household.HouseholdAgent` per household and the
:class:`~agents.lec.community.CommunityAgent` (EOA module with the DC), on a star
graph around the EOA, plus the model's own port (``monitor``) linked to the
EOA. Two ways to run a block of days:

- :meth:`LECModel.solve_centralised` — the community MILP (2a)–(2q) with
  HiGHS, the oracle that sees everything: the model builds it from the
  scenario's data, not from the agents;
- :meth:`LECModel.step` / :meth:`LECModel.run_twin` — the decentralised twin:
  one ``step()`` is one exchange-ADMM round of real messages
  (:data:`market.protocols.COMMUNITY_EXCHANGE`): the EOA sends the community
  signal, every household solves its own step and bids, the EOA takes its own
  step and updates the signal, and reports the round's residuals to the
  monitor (the only numbers the model sees).  When they are below
  ``twin.tol_kw`` (or at ``twin.max_iterations``) the households commit their
  own integer-feasible profiles and the EOA schedules around them.

``model.steps`` (Mesa) counts exchange rounds; ``run_model()`` runs the twin;
``step()`` after the twin has committed does nothing and warns.  A
:class:`mesa.DataCollector` records each round's residuals and mean price.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import mesa
import networkx as nx
import numpy as np

from dcmarket.agents.lec.community import (
    CommunityAgent,
    CommunityAssets,
    Options,
    community_program,
)
from dcmarket.agents.lec.household import HouseholdAgent, household_program
from dcmarket.market.community_admm import ExchangeRound
from dcmarket.market.community_milp import EOA, CommunitySolution, ProgramSize, solve_community
from dcmarket.market.messages import MessageBus
from dcmarket.market.program import LinearProgram
from dcmarket.market.protocols import COMMUNITY_EXCHANGE, TWIN_REPORT
from dcmarket.market.solvers import SolveError
from dcmarket.sim.executors import BUS, MODEL, Executor, InProcess
from dcmarket.sim.executors import default as default_executor
from dcmarket.sim.lec.config import SCENARIOS, LECScenario
from dcmarket.sim.lec.data import BlockInputs
from dcmarket.sim.scenario import ScenarioError

MONITOR = "monitor"


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

    def __init__(self, scenario: LECScenario, inputs: BlockInputs, option: str,
                 executor: Executor | None = None) -> None:
        super().__init__(rng=scenario.seed)
        self.scenario = scenario
        self.inputs = inputs
        if option not in SCENARIOS:
            raise ScenarioError(f"option {option!r}: Table I's cases are {', '.join(SCENARIOS)}")
        self.option = option
        self.options = Options.of(option)
        names = [spec.name for spec in inputs.households]
        if len(set(names)) != len(names):
            raise ValueError(f"household names must be unique, got {names}")
        graph = nx.star_graph([EOA, *names])
        graph.add_edge(EOA, MONITOR)
        self.bus = MessageBus(graph, (COMMUNITY_EXCHANGE,))
        self._port = self.bus.port(MONITOR)
        self._assets = CommunityAssets(scenario.battery, scenario.heat, scenario.dc,
                                       scenario.retailer)
        rho, s = scenario.twin.rho, scenario.solver
        #: where the agents run (in process, or in Ray actors): see sim.executors;
        #: the EOA (the hub) is built through it too
        self.host = (executor or default_executor()).host(self, self.bus)
        self.eoa = self.host.add(EOA, CommunityAgent, MODEL, EOA, BUS, self._assets,
                                 inputs.community, self.options, names, rho, MONITOR,
                                 (s.mip_gap, s.time_limit_s, s.threads))
        chosen = scenario.agent_strategies()
        self.households = [self.host.add(spec.name, HouseholdAgent, MODEL, spec.name, BUS, spec,
                                         profiles, EOA, rho, chosen.get(spec.name))
                           for spec, profiles in zip(inputs.households,
                                                     inputs.household_profiles, strict=True)]
        self.round = 0
        self.history: list[ExchangeRound] = []
        self.committed = False
        self._oracle: tuple[dict[str, LinearProgram], LinearProgram, np.ndarray] | None = None
        self.datacollector = mesa.DataCollector(model_reporters={
            "round": "round",
            "primal_kw": lambda m: m.history[-1].primal_kw,
            "dual_kw": lambda m: m.history[-1].dual_kw,
            "mean_price_eur_per_kwh": lambda m: m.history[-1].mean_price_eur_per_kwh,
        })

    @property
    def T(self) -> int:  # noqa: N802 - the horizon, as in the papers
        return self.inputs.hours

    # ----------------------------------------------------------- centralised
    def programs(self) -> tuple[dict[str, LinearProgram], LinearProgram, np.ndarray]:
        """The oracle's view: every program, built from the scenario's data."""
        if self._oracle is None:
            households = {spec.name: household_program(spec, profiles)
                          for spec, profiles in zip(self.inputs.households,
                                                    self.inputs.household_profiles, strict=True)}
            eoa, pairs = community_program(self._assets, self.inputs.community, self.options)
            self._oracle = (households, eoa, pairs)
        return self._oracle

    @property
    def pairs(self) -> np.ndarray:
        """The DC's pause pairs ``(t, t')`` of this block (the program's structure)."""
        return self.programs()[2]

    def size(self) -> ProgramSize:
        from dcmarket.market.community_milp import community_milp

        households, eoa, _ = self.programs()
        return ProgramSize.of(community_milp(households, eoa)[0])

    def solve_centralised(self) -> CommunitySolution:
        s = self.scenario.solver
        households, eoa, _ = self.programs()
        who = (f"community MILP {self.option}, {self.inputs.start.date()} "
               f"+{self.inputs.n_days} d")
        try:
            return solve_community(households, eoa, who, mip_gap=s.mip_gap,
                                   time_limit_s=s.time_limit_s, modes=s.storage_modes,
                                   threads=s.threads, chunk_hours=s.time_chunks_h)
        except SolveError as exc:
            if "nfeasible" not in exc.status:
                raise
            reason = self._name_the_bound()
            if reason is None:
                raise
            raise ScenarioError(f"{self.scenario.name}, {who}: {reason}") from exc

    #: bounds lifted one at a time when the day is infeasible: (section, field)
    DIAGNOSIS = (("retailer", "connection_kw"), ("heat", "hvac_max_kw"),
                 ("battery", "converter_kw"), ("dc", "rated_kw"))

    def _name_the_bound(self) -> str | None:
        """The first community bound whose lifting makes the day feasible, named
        with its value (households' own bounds are checked when they are read)."""
        for section, name in self.DIAGNOSIS:
            part = getattr(self.scenario, section)
            value = getattr(part, name)
            lifted = self.scenario.model_copy(update={
                section: part.model_copy(update={name: value * 1000.0})})
            try:
                LECModel(lifted, self.inputs, self.option, InProcess())._solve_quietly()
            except SolveError:
                continue
            return (f"{section}.{name} = {value:g} makes the day infeasible (it solves "
                    "with that bound lifted)")
        return None

    def _solve_quietly(self) -> CommunitySolution:
        s = self.scenario.solver
        households, eoa, _ = self.programs()
        return solve_community(households, eoa, "diagnosis", mip_gap=s.mip_gap,
                               time_limit_s=s.time_limit_s)

    # ----------------------------------------------------------- decentralised

    def step(self) -> None:
        """One exchange-ADMM round: signal out, households' steps and bids in, the
        EOA's own step and update, residuals to the monitor."""
        if self.committed:
            warnings.warn("the twin has committed; step() does nothing", stacklevel=2)
            return
        self.bus.round = self.round
        self.eoa.send_prices()
        self.host.shuffle_do(self.households, "bid")
        self.eoa.update()
        (report,) = self._port.receive(TWIN_REPORT)
        r = report.payload
        self.history.append(ExchangeRound(self.round, float(r["primal_kw"]), float(r["dual_kw"]),
                                          float(r["mean_price_eur_per_kwh"])))
        self.datacollector.collect(self)
        self.round += 1

    def run_twin(self) -> TwinResult:
        """Rounds until both residuals are below ``twin.tol_kw`` (or the cap), then commit."""
        start = time.perf_counter()
        settings = self.scenario.twin
        converged = False
        while self.round < settings.max_iterations:
            self.step()
            last = self.history[-1]
            if last.primal_kw <= settings.tol_kw and last.dual_kw <= settings.tol_kw:
                converged = True
                break
        values, objective = self._commit()
        return TwinResult(values, objective, self.round, converged, list(self.history),
                          time.perf_counter() - start)

    def run_model(self) -> None:
        """Mesa's entry point: run the twin to its stopping rule and commit."""
        self.run_twin()

    def _commit(self) -> tuple[dict[str, dict[str, np.ndarray]], float]:
        """Households commit their integer-feasible profiles; the EOA schedules the rest."""
        self.bus.round = self.round
        self.eoa.send_prices()
        self.host.do(self.households, "commit")
        self.eoa.schedule()
        self.committed = True
        values = dict(zip([h.name for h in self.households],
                          self.host.do(self.households, "report"), strict=True))
        values[EOA] = self.eoa.report()
        return values, float(self.eoa.objective)
