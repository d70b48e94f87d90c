"""Stepping the energy community's twin (paper 001): one exchange-ADMM round,
then the commitment (``dcmarket step``, the dashboard)."""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from pydantic import BaseModel

from dcmarket.sim.scenario import ScenarioError
from dcmarket.sim.stepping import Stepper


class TwinStepper(Stepper):
    """The energy community's decentralised twin: one step = one exchange-ADMM
    round; the step after the stopping rule is the households' commitment."""

    residual_columns = ("primal_kw", "dual_kw")
    residual_labels: ClassVar[dict[str, str]] = {"primal_kw": "imbalance (primal), kW",
                                                 "dual_kw": "change (dual), kW"}

    def __init__(self, scenario: BaseModel, option: str | None = None) -> None:
        from dcmarket.sim.lec.data import block_inputs
        from dcmarket.sim.lec.model import LECModel

        super().__init__("lec", "twin round", scenario)
        self.option = option or scenario.scenarios[-1]
        if self.option not in scenario.scenarios:
            raise ScenarioError(f"--option {self.option!r}: the scenario runs "
                             f"{', '.join(scenario.scenarios)}")
        self.model = LECModel(scenario, block_inputs(scenario, 0, 1), self.option)
        self.bus = self.model.bus
        self._rule_met = False
        self.objective: float | None = None
        self._values: dict | None = None

    def step(self) -> None:
        if self._rule_met or self.model.round >= self.scenario.twin.max_iterations:
            self._values, self.objective = self.model._commit()
        else:
            self.model.step()
            last = self.model.history[-1]
            tol = self.scenario.twin.tol_kw
            self._rule_met = last.primal_kw <= tol and last.dual_kw <= tol
        self.steps += 1

    @property
    def done(self) -> bool:
        return self.model.committed

    @property
    def converged(self) -> bool:
        return self._rule_met

    def status(self) -> str:
        if self.model.committed:
            rule = "residuals below tolerance" if self._rule_met else \
                "round cap reached, NOT CONVERGED"
            return (f"committed after {self.model.round} rounds ({rule}): community cost "
                    f"{self.objective:,.2f} €")
        r = self.model.history[-1]
        state = "stopping rule met: next step commits" if self._rule_met else "running"
        return (f"round {r.iteration}: primal {r.primal_kw:.3g} kW · dual {r.dual_kw:.3g} kW "
                f"(tol {self.scenario.twin.tol_kw:g}) · mean price "
                f"{r.mean_price_eur_per_kwh:.4f} €/kWh · {state}")

    def history(self) -> pd.DataFrame:
        return pd.DataFrame([r.__dict__ for r in self.model.history])

    def outcome(self):
        """Once committed: each household's and the EOA's cost as profit (minus
        the cost), the community's operating cost as minus the welfare."""
        if self._values is None:
            return None
        from dcmarket.sim.lec.mechanisms import outcome_of_schedule

        return outcome_of_schedule("exchange_admm", self.model, self._values, self.objective,
                                   self._rule_met, self.model.round, 0.0)

    def grading_hints(self) -> dict:
        return {"option": self.option}

    def trade_lines(self) -> list[str]:
        """The community's price by hour and what it bought and sold outside."""
        if self._values is None:
            return []
        history = self.model.history
        lines = ["no money changes hands inside the community: each agent's profit is minus "
                 "its own cost; the EOA's holds the battery, the DC, the wind and the grid "
                 "exchange (paper 001, (1a))"]
        if history:
            lines.append(f"the last community price: mean "
                         f"{history[-1].mean_price_eur_per_kwh:.4f} €/kWh")
        return lines


def make_stepper(scenario: BaseModel, options: dict) -> Stepper:
    """The twin of one Table I case (``option``, default the scenario's last)."""
    return TwinStepper(scenario, options.get("option"))
