"""The dashboard's panels, each a function of the model (the page re-renders
them after every frame).  They draw public facts only: residual histories,
the message log and what the grid operator posted.  Which panels a scenario
shows is its study's choice (``panels(model)`` in its registration), so no
panel stands empty for a study it does not fit."""

from __future__ import annotations

import pandas as pd
import solara

from dcmarket.sim.dashboard.model import DashboardModel
from dcmarket.sim.dashboard.style import new_figure, shown


def markdown_table(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join("" if pd.isna(v) else str(v) for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def latest_by_sender(model: DashboardModel, kind: str,
                     senders: list[str] | None = None) -> dict[str, object]:
    """Each sender's latest message of ``kind`` in the log (the search stops once
    every one of ``senders`` is found)."""
    found: dict[str, object] = {}
    for message in reversed(model.stepper.bus.log):
        if message.kind == kind and message.sender not in found:
            found[message.sender] = message
            if senders is not None and len(found) == len(senders):
                break
    return found


def verdict(model: DashboardModel) -> str:
    s = model.stepper
    if not s.done:
        return "running"
    return "converged" if s.converged else "finished, NOT CONVERGED"


def Status(model: DashboardModel):  # noqa: N802 - a Solara component
    """Where the protocol stands: the step counter, the stopping rule, and —
    once the run is over — its outcome (each agent's profit, W against W*,
    who traded with whom)."""
    s = model.stepper
    ending = ""
    if s.done:  # computed once per run: the optimum is a solve of its own
        if model.outcome_text is None:
            from dcmarket.sim.stepping import outcome_lines

            model.outcome_text = "\n".join(outcome_lines(s))
        if model.outcome_text:
            ending = f"\n\n**Outcome**\n\n```\n{model.outcome_text}\n```"
    return solara.Markdown(
        f"### {model.scenario_name} ({model.study})\n\n"
        f"**Step counter: {s.steps} {s.unit}(s)** · {verdict(model)} · "
        f"{len(s.bus):,} messages\n\n{model.status}{ending}")


def Residuals(model: DashboardModel):  # noqa: N802
    """The stepper's history: residuals by step against their tolerances (log
    scale), or what its study draws instead (Stepper.plot)."""
    s = model.stepper
    if s.history().empty:
        return solara.Markdown(f"**Residuals:** drawn from the first {s.unit} on.")
    fig = new_figure(3.3)
    ax = fig.subplots()
    title = s.plot(ax)
    ax.set_title(f"{title} after {s.steps} {s.unit}(s)", loc="left")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best")
    return shown(fig)


def study_panels(model: DashboardModel) -> list:
    """The panels the model's study shows for its scenario (sim.registry), in order."""
    from dcmarket.sim.registry import study

    return study(model.study).dashboard_panels(model)
