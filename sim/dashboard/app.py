"""The dashboard page: ``solara run sim/dashboard/app.py`` (``make dashboard``).

A Solara page on the Mesa model of :mod:`sim.dashboard.model`, laid out for
a projector (docs/cli.md, "The dashboard"): a sidebar with the scenario (a
shipped one or the teacher's own, dropped or pasted and checked as the
command line checks it), the options that scenario takes, Load, Step and
Play; beside it the step counter and the outcome, the residuals and the
study's own panels.  Load builds the model in a thread: while it builds the
page says so and Step and Play wait.  Play steps without stopping and draws
every k-th step.  Each browser tab has its own model.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import solara

from dcmarket.sim.dashboard.choices import DR_STRATEGIES, choices_for, take_in
from dcmarket.sim.dashboard.model import DEFAULT, DashboardModel
from dcmarket.sim.dashboard.panels import Residuals, Status, study_panels
from dcmarket.sim.dashboard.seat_panel import SeatPanel
from dcmarket.sim.scenario import ScenarioError, shipped_scenarios

#: readable from the back of a room: at least 16 px for text, 14 px for the small print
CSS = """
.v-application, .v-application .v-label, .v-application .v-input { font-size: 16px !important; }
.solara-markdown, .solara-markdown p, .solara-markdown li, .solara-markdown td,
.solara-markdown th { font-size: 17px !important; line-height: 1.45; }
.solara-markdown code, .solara-markdown pre { font-size: 15px !important; }
.solara-file-drop { min-height: 56px; padding: 10px; border: 2px dashed #789;
                    font-size: 15px; border-radius: 6px; }
"""
#: steps a frame of Play runs before it draws, by default
STEPS_PER_FRAME = 10
BUSY = (solara.ResultState.STARTING, solara.ResultState.WAITING,
        solara.ResultState.RUNNING)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


@solara.component
def Controls(choice, uploads, problem, settings, request, building):  # noqa: N802
    """The sidebar: the scenario, its options, the seat, Load."""
    choices = choices_for(uploads.value.get(choice.value, choice.value))
    folder = solara.use_memo(lambda: Path(tempfile.mkdtemp(prefix="dcmarket-dashboard-")), [])
    pasted = solara.use_reactive("")

    def taken(name: str, data: bytes) -> None:
        try:
            label, path = take_in(name, data, folder)
        except ScenarioError as exc:
            problem.set(_one_line(exc))
            return
        uploads.set({**uploads.value, label: str(path)})
        choice.set(label)
        problem.set("")

    def default_case() -> None:  # the community's case: its last, as dcmarket step takes
        if choices.cases and settings["option"].value not in choices.cases:
            settings["option"].set(choices.cases[-1])

    solara.use_effect(default_case, [choices])
    solara.Markdown("## dcmarket\nMarkets as messages: pick a scenario, **Load**, then "
                    "**Step** or **Play**.")
    solara.Select("Scenario", values=[*shipped_scenarios(), *uploads.value], value=choice)
    solara.FileDrop(label="Drop your own scenario (.yaml) here",
                    on_file=lambda f: taken(f["name"], f["data"]), lazy=False)
    solara.InputTextArea("…or paste one", value=pasted, rows=3, continuous_update=False)
    solara.Button("Use the pasted scenario", text=True, disabled=not pasted.value.strip(),
                  on_click=lambda: taken("pasted.yaml", pasted.value.encode()))
    with solara.Column():  # one container: Load keeps its place whatever the options
        if problem.value:
            solara.Error(problem.value)
        if choices.grid:
            solara.Checkbox(label="bisection boxes (off: the plain loop, which swings)",
                            value=settings["bisection"])
        if choices.study == "dr":
            solara.Select("The DC's strategy", values=list(DR_STRATEGIES),
                          value=settings["strategy"])
            solara.Markdown(" · ".join(DR_STRATEGIES.values()))
        if choices.cases:
            solara.Select("Table I case", values=list(choices.cases), value=settings["option"])
        solara.InputText("Your seat: an agent you play (empty: watch)", value=settings["seat"],
                         continuous_update=False)
        if choices.study == "p2p" and settings["seat"].value.strip():
            solara.SliderFloat("your DC withholds this share of its links", min=0.0, max=1.0,
                               step=0.05, value=settings["seat_withhold"], thumb_label=True)
            solara.SliderFloat("your DC states its costs ×", min=0.5, max=2.0, step=0.05,
                               value=settings["seat_cost"], thumb_label=True)
    solara.Button("Load", color="primary", disabled=building, block=True,
                  on_click=lambda: request.set(request.value + 1))


@solara.component
def Page():  # noqa: N802 - Solara's page component
    """One model per browser tab (tabs never share a market)."""
    solara.Title("dcmarket")
    solara.Style(CSS)
    choice = solara.use_reactive(DEFAULT)
    uploads = solara.use_reactive({})  # label → the saved file's path
    problem = solara.use_reactive("")
    settings = {"bisection": solara.use_reactive(True), "strategy": solara.use_reactive("OP"),
                "option": solara.use_reactive(""), "seat": solara.use_reactive(""),
                "seat_withhold": solara.use_reactive(0.0), "seat_cost": solara.use_reactive(1.0)}
    per_frame = solara.use_reactive(STEPS_PER_FRAME)
    request = solara.use_reactive(0)  # Load pressed: build a model
    model = solara.use_reactive(None)
    playing = solara.use_reactive(False)
    frame = solara.use_reactive(0)  # a new frame to draw
    loading = solara.use_reactive(DEFAULT)

    def build() -> None:
        playing.set(False)
        name = uploads.value.get(choice.value, choice.value)
        loading.set(choice.value)
        try:
            built = DashboardModel(name, bool(settings["bisection"].value),
                                   settings["strategy"].value, settings["seat"].value,
                                   float(settings["seat_withhold"].value),
                                   float(settings["seat_cost"].value),
                                   settings["option"].value or None)
        except (ScenarioError, ValueError) as exc:
            problem.set(_one_line(exc))
            return
        except Exception as exc:  # said on the page, never a silent old model
            problem.set(f"building {choice.value} failed: {type(exc).__name__}: "
                        f"{_one_line(exc)}")
            return
        problem.set("")
        model.set(built)
        frame.set(frame.value + 1)

    built = solara.use_thread(build, dependencies=[request.value])
    building = built.state in BUSY

    def play(cancel: threading.Event) -> None:
        while playing.value and not cancel.is_set():
            current = model.value
            if current is None or current.stepper.done:
                break
            for _ in range(max(1, int(per_frame.value))):
                if current.stepper.done:
                    break
                current.step()
            frame.set(frame.value + 1)  # the page draws this frame before the next
        playing.set(False)

    solara.use_thread(play, dependencies=[playing.value])

    def one_step() -> None:
        if model.value is not None and not model.value.stepper.done:
            model.value.step()
            frame.set(frame.value + 1)

    _ = frame.value  # every frame redraws what follows
    current = model.value
    idle = current is not None and not building and not current.stepper.done
    with solara.Sidebar():
        Controls(choice, uploads, problem, settings, request, building)
        solara.Markdown("**Load** builds the agents (the DR day first trains its price "
                        "forecast). **Step** runs one step of the protocol; **Play** steps "
                        "on, drawing every k-th step (k: steps per frame).")
    with solara.Column(style={"max-width": "940px"}):
        with solara.Row(style={"align-items": "center"}):
            solara.Button("Step", on_click=one_step, color="primary",
                          disabled=not idle or playing.value)
            solara.Button("Pause" if playing.value else "Play",
                          on_click=lambda: playing.set(not playing.value),
                          disabled=not idle and not playing.value)
            solara.SliderInt("Play: steps per frame", min=1, max=50, value=per_frame,
                             thumb_label=True)
        if building or current is None:
            solara.ProgressLinear(True)
            solara.Markdown(f"### Building {loading.value} …\n\nLoading its agents and "
                            "their private data; Step and Play wait until it is ready.")
        else:
            Status(current)
            SeatPanel(current, frame.value)
            Residuals(current)
            for panel in study_panels(current):
                panel(current)
