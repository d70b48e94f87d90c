"""Step any study's protocol one unit at a time (``dcmarket step``).

A :class:`Stepper` wraps a study's Mesa model and advances it by the unit a
teacher would point at (an ADMM round, an outer iteration, an hour slot);
each study provides its own (``sim/<study>/stepping.py``), found through
the study registry (:mod:`sim.registry`).
After each step it says what the step's messages were (from the bus's log,
the only thing agents exchange) and how the residuals stand against the
stopping rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel

from dcmarket.market.messages import MessageBus


@dataclass
class Stepper:
    """The common shape: a model, its bus, a step, a stopping rule, a status."""

    study: str
    unit: str
    scenario: BaseModel
    bus: MessageBus = field(init=False)
    steps: int = 0
    #: message kinds of an inner protocol, counted rather than printed per step
    summarised: frozenset[str] = frozenset()

    def step(self) -> None:
        raise NotImplementedError

    @property
    def done(self) -> bool:
        raise NotImplementedError

    @property
    def converged(self) -> bool:
        raise NotImplementedError

    def status(self) -> str:
        """One line: where the protocol stands against its stopping rule."""
        raise NotImplementedError

    def history(self) -> pd.DataFrame:
        """The residuals of every step so far."""
        raise NotImplementedError

    #: the history's columns the dashboard plots against the step, log scale
    residual_columns: ClassVar[tuple[str, ...]] = ()
    #: what each of those columns is, with its unit, for a legend
    residual_labels: ClassVar[dict[str, str]] = {}

    def plot(self, ax: Any) -> str:
        """Draw the history on the matplotlib axes ``ax`` (the dashboard's
        residual panel; a study may draw something else); returns the title."""
        history = self.history()
        x = np.arange(1, len(history) + 1)
        for column in self.residual_columns:
            if column in history:
                ax.semilogy(x, np.maximum(history[column], 1e-9), "o-", ms=3,
                            label=self.residual_labels.get(column, column.replace("_", " ")))
        ax.set_xlabel(self.unit)
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        return "residuals"

    def outcome(self) -> Any:
        """The run's :class:`~market.outcome.Outcome` as it stands, where the
        study can say it step by step (None: use ``dcmarket play``)."""
        return None

    def grading_hints(self) -> dict[str, Any]:
        """What the study's grading terms may reuse from this run (a trained forecast)."""
        return {}

    def trade_lines(self) -> list[str]:
        """What the study says of who traded with whom at the end (none by default)."""
        return []

    def summary(self) -> dict[str, Any]:
        return {"study": self.study, "unit": self.unit, "steps": self.steps,
                "converged": self.converged, "finished": self.done}


def stepper_for(study: str, scenario: BaseModel, **options: Any) -> Stepper:
    """The stepper of a scenario's protocol, from its study's registration
    (options such as ``max_rounds``, ``bisection``, ``strategy``, ``option``
    are the study's to read)."""
    from dcmarket.sim.registry import study as study_named

    return study_named(study).load("stepper")(scenario, options)


def write_steps(stepper: Stepper, out: Path, command: str) -> None:
    """What ran, as a run folder: the log, the residual history, a summary."""
    from dcmarket.sim.run_folder import RunFolder

    folder = RunFolder(out)
    folder.messages(stepper.bus)
    folder.frame("steps.csv", stepper.history())
    folder.json("summary.json", stepper.summary())
    folder.finish(command, stepper.scenario)


def outcome_lines(stepper: Stepper, optimum: bool = True) -> list[str]:
    """The outcome a run ends with, for the terminal and the dashboard: each
    agent's profit (the sign convention stated), welfare against the study's
    optimum on the same data, and the study's own lines (directed trades,
    binding links).  Empty where the study does not say its outcome step by step."""
    outcome = stepper.outcome()
    if outcome is None:
        return []
    cur = outcome.currency
    profits = outcome.profits
    width = max(len(n) for n in profits)
    lines = [f"outcome ({'converged' if outcome.converged else 'as it stands, NOT converged'}); "
             f"profit = what each agent ends with, {cur} (a payment made counts against it; "
             f"signs: docs/conventions.md):"]
    lines += [f"  {name:<{width}}  {value if abs(value) >= 5e-3 else 0.0:>14,.2f}"
              for name, value in profits.items()]
    line = f"welfare W {outcome.welfare:,.2f} {cur}"
    if optimum:
        from dcmarket.sim.strategic.grading import grading_terms, run_protocol

        try:
            terms = grading_terms(stepper.scenario, **stepper.grading_hints())
            best = run_protocol(stepper.scenario, terms.optimum, terms.options)
            line += (f"; the optimum W* ({terms.optimum}) {best.welfare:,.2f} {cur}; "
                     f"W/W* {outcome.efficiency(best):.4f}")
        except Exception as exc:  # the optimum is a comparison, never the run's failure
            line += f" (the optimum could not be computed: {type(exc).__name__})"
    return [*lines, line, *stepper.trade_lines()]
