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

    def plot(self, ax: Any) -> str:
        """Draw the history on the matplotlib axes ``ax`` (the dashboard's
        residual panel; a study may draw something else); returns the title."""
        history = self.history()
        x = np.arange(1, len(history) + 1)
        for column in self.residual_columns:
            if column in history:
                ax.semilogy(x, np.maximum(history[column], 1e-9), "o-", ms=3, label=column)
        ax.set_xlabel(self.unit)
        return "residuals"

    def outcome(self) -> Any:
        """The run's :class:`~market.outcome.Outcome` as it stands, where the
        study can say it step by step (None: use ``dcmarket play``)."""
        return None

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
