"""Stepping the DR day (paper 002): one hour slot (``dcmarket step``, the dashboard)."""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel

from dcmarket.sim.stepping import Stepper


class DRStepper(Stepper):
    """The DR day under one strategy: one step = one hour slot (paper 002)."""

    def __init__(self, scenario: BaseModel, strategy: str | None = None) -> None:
        """``strategy``: the DC's (OP, BS, ST or any DR data-centre strategy);
        ``None``: the scenario's ``strategy.DC``, else OP."""
        from dcmarket.agents.strategy_registry import strategy_of
        from dcmarket.sim.dr.config import DC_NAME
        from dcmarket.sim.dr.model import SLOTS, DRModel
        from dcmarket.sim.dr.study import day_prices, train_forecast

        super().__init__("dr", "slot", scenario)
        if strategy is None:
            strategy = scenario.strategy.get(DC_NAME, "OP")
        strategy = strategy_of(strategy, "dr_datacentre", f"strategy.{DC_NAME}")
        history, actual = day_prices(scenario)
        forecast = None
        if strategy.predicts_events() and scenario.forecast.method != "none":
            import sys

            print(f"{scenario.name}: training the {scenario.forecast.method} price forecast on "
                  f"{scenario.forecast.training_days} days before the first slot (a bar shows "
                  "its epochs in a terminal) ...", file=sys.stderr, flush=True)
            forecast = train_forecast(scenario, scenario.forecast.method,
                                      scenario.forecast.training_days, history, actual).forecast
        self.model = DRModel(scenario, strategy, actual, forecast)
        self.forecast = forecast  # the optimum at the end uses the same (sim.stepping)
        self.bus = self.model.bus
        self.slots = SLOTS
        self.strategy = strategy.name

    def step(self) -> None:
        self.model.step()
        self.steps += 1

    def grading_hints(self) -> dict:
        return {"forecast": self.forecast}

    def outcome(self):
        """The day's Outcome so far (``converged`` once the day is over)."""
        from dcmarket.sim.dr.mechanisms import mechanism_name, outcome_of_day

        return outcome_of_day(mechanism_name(self.strategy, self.scenario.auction.selector),
                              self.model, self.done)

    @property
    def done(self) -> bool:
        return not self.model.running

    @property
    def converged(self) -> bool:
        return self.done  # a day has no residual: it is complete when every slot ran

    def status(self) -> str:
        r = self.model.dc.last_record()
        event = " · DR EVENT" if r["dr_event"] else ""
        return (f"slot {self.model.slot - 1} ({self.strategy}): power {r['power_mw']:.3f} MW "
                f"(reference {r['reference_mw']:.3f}) · price {r['price_eur_per_mwh']:.1f} €/MWh · "
                f"bidders {r['bidders']}, winners {r['winners']} · reward {r['reward_eur']:.2f} € "
                f"· slot cost {r['cost_eur']:.2f} €{event}")

    def history(self) -> pd.DataFrame:
        return self.model.slots_frame()

    def plot(self, ax) -> str:
        """The DC's power against its reference, the DR events shaded."""
        history = self.history()
        ax.step(history.slot, history.power_mw, where="post", label="DC power (MW)")
        ax.step(history.slot, history.reference_mw, where="post", ls="--",
                label="reference (MW)")
        share = self.scenario.program.requested_share
        events = history[history.dr_event > 0]
        ax.hlines(events.reference_mw * (1 - share), events.slot, events.slot + 1,
                  colors="red", label="requested in an event (MW)")
        for t in history.slot[history.dr_event > 0]:
            ax.axvspan(t, t + 1, color="orange", alpha=0.25)
        ax.set_xlabel("slot (orange: DR event)")
        ax.set_xlim(0, 24)
        return "power vs reference"


def make_stepper(scenario: BaseModel, options: dict) -> Stepper:
    """The DR day under the DC's strategy (``strategy`` option, else the scenario's)."""
    return DRStepper(scenario, options.get("strategy"))
