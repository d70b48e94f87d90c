"""The dashboard's panels, each a function of the model (SolaraViz re-renders
them after every step).  They draw public facts only: residual histories,
the message log and what the grid operator posted."""

from __future__ import annotations

import pandas as pd
import solara
from matplotlib.figure import Figure

from dcmarket.sim.dashboard.model import DashboardModel


def markdown_table(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join("" if pd.isna(v) else str(v) for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def new_figure(width: float = 6.0, height: float = 3.4) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def Status(model: DashboardModel):  # noqa: N802 - a Solara component
    """Where the protocol stands: the step counter and the stopping rule."""
    s = model.stepper
    verdict = ("converged" if s.converged else "finished, NOT CONVERGED") if s.done else "running"
    ending = ""
    if s.done:  # the outcome a teacher points at, computed once per run
        if getattr(model, "outcome_text", None) is None:
            from dcmarket.sim.stepping import outcome_lines

            model.outcome_text = "\n".join(outcome_lines(s))
        if model.outcome_text:
            ending = f"\n\n**Outcome**\n\n```\n{model.outcome_text}\n```"
    return solara.Markdown(
        f"### {model.scenario_name} ({model.study})\n\n"
        f"**Step counter:** {s.steps} {s.unit}(s) · {verdict} · {len(s.bus):,} messages\n\n"
        f"{model.status}{ending}")


def Residuals(model: DashboardModel):  # noqa: N802
    """The stepper's history: residuals by step against their tolerances (log
    scale), or what its study draws instead (Stepper.plot)."""
    s, fig = model.stepper, new_figure()
    ax = fig.subplots()
    history = s.history()
    if history.empty:
        ax.text(0.5, 0.5, "press Step", ha="center", va="center", transform=ax.transAxes)
        title = "residuals"
    else:
        title = s.plot(ax)
    ax.set_title(f"{title} after {s.steps} {s.unit}(s)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    return solara.FigureMatplotlib(fig, format="png")


def StudyPanels(model: DashboardModel):  # noqa: N802
    """The panels the model's study registered (sim.registry), in its order."""
    from dcmarket.sim.registry import study

    panels = study(model.study).dashboard_panels()
    if not panels:
        return solara.Markdown(f"*({model.study}: no panels of its own)*")
    return solara.Column(children=[panel(model) for panel in panels])
