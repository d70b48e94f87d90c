"""The energy community's mechanisms (paper 001), each ending in one
:class:`~market.outcome.Outcome` in euros:

- ``centralised_milp``: the community MILP of one Table I case (the EOA
  schedules every asset and household at once);
- ``exchange_admm``: the decentralised twin, exchange ADMM between the
  households and the EOA, one step = one round, then the commitment.

Each agent's profit is minus its own cost in the schedule (its program's
objective at its values); the community settles no money between agents
(``payment_eur`` 0), so welfare is minus the community's operating cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from dcmarket.market.mechanism import IterativeMechanism, Mechanism, OneShotMechanism
from dcmarket.market.outcome import Outcome, agents_table
from dcmarket.market.program import LinearProgram
from dcmarket.sim.lec.config import LECScenario
from dcmarket.sim.lec.data import BlockInputs, block_inputs
from dcmarket.sim.lec.model import EOA, LECModel

CURRENCY = "EUR"


def _cost(lp: LinearProgram, values: dict[str, np.ndarray]) -> float:
    x = np.zeros(lp.n_cols)
    for block, where in lp.blocks.items():
        if block in values:
            x[where] = values[block]
    return float(lp.cost @ x)


def outcome_of_schedule(name: str, model: LECModel, values: dict[str, dict[str, np.ndarray]],
                        objective: float, converged: bool, rounds: int, wall_s: float
                        ) -> Outcome:
    households, _, _ = model.programs()
    costs = {h: _cost(lp, values[h]) for h, lp in households.items()}
    costs[EOA] = objective - sum(costs.values())  # the EOA's assets and the grid exchange
    roles = {**dict.fromkeys(households, "household"), EOA: "community_operator"}
    agents = agents_table({n: -c for n, c in costs.items()}, {}, CURRENCY, roles,
                          cost_eur=costs)
    return Outcome(name, "lec", CURRENCY, agents,
                   {"households": -sum(costs[h] for h in households), "community": -costs[EOA]},
                   converged, rounds, model.bus.sent_messages, model.bus.sent_values, wall_s,
                   notes={"option": model.option, "operating_cost_eur": objective})


class CentralisedMILP(OneShotMechanism):
    name, description = "centralised_milp", "the community MILP (Table I), solved at once"

    def __init__(self, scenario: LECScenario, inputs: BlockInputs, option: str) -> None:
        self.model = LECModel(scenario, inputs, option)

    def clear(self) -> Outcome:
        tic = time.perf_counter()
        solution = self.model.solve_centralised()
        return outcome_of_schedule(self.name, self.model, solution.values, solution.objective,
                                   True, 0, time.perf_counter() - tic)


class ExchangeADMM(IterativeMechanism):
    name, description = "exchange_admm", "exchange ADMM between households and the EOA"

    def __init__(self, scenario: LECScenario, inputs: BlockInputs, option: str) -> None:
        self.model = LECModel(scenario, inputs, option)
        self.settings = scenario.twin
        self._result = None
        self._clock = 0.0

    def start(self) -> None:
        """The model is built at once (its agents hold their private data)."""

    def step(self) -> None:
        tic = time.perf_counter()
        self.model.step()
        self._clock += time.perf_counter() - tic

    @property
    def converged(self) -> bool:
        history = self.model.history
        return bool(history) and history[-1].primal_kw <= self.settings.tol_kw \
            and history[-1].dual_kw <= self.settings.tol_kw

    @property
    def done(self) -> bool:
        return self.converged or self.model.round >= self.settings.max_iterations

    def outcome(self) -> Outcome:
        """The households commit (once) and the EOA schedules the rest."""
        if self._result is None:
            tic = time.perf_counter()
            self._result = self.model._commit()
            self._clock += time.perf_counter() - tic
        values, objective = self._result
        return outcome_of_schedule(self.name, self.model, values, objective, self.converged,
                                   self.model.round, self._clock)


def mechanisms(scenario: LECScenario, option: str | None = None, days: int = 1
               ) -> dict[str, Callable[[], Mechanism]]:
    """The community's mechanisms for one Table I case (default: the scenario's
    last) on the first ``days`` days of the scenario; its decentralised
    protocol first."""
    option = option or scenario.scenarios[-1]
    inputs = block_inputs(scenario, 0, days)
    return {"exchange_admm": lambda: ExchangeADMM(scenario, inputs, option),
            "centralised_milp": lambda: CentralisedMILP(scenario, inputs, option)}
