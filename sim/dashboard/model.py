"""The Mesa model the dashboard drives: one shipped scenario's protocol,
stepped by the same :mod:`sim.stepping` steppers as ``dcmarket step``.

The page (app.py) builds a model from keyword parameters on Load, so the
scenario is picked by name (a shipped one, or a YAML file's path, of any
registered study); everything the panels draw comes from the
stepper's public record (residual history, the message log, the grid
operator's posted prices), never from an agent's private state.
"""

from __future__ import annotations

from pathlib import Path

import mesa

from dcmarket.sim.scenario import shipped_scenarios
from dcmarket.sim.stepping import Stepper, stepper_for
from dcmarket.sim.strategic.play import take_seat
from dcmarket.sim.strategic.seat import SeatState
from dcmarket.sim.studies import load_any

DEFAULT = "p2p_4dc_fixed_lmp"


class DashboardModel(mesa.Model):
    """One scenario's protocol; ``step()`` = one step of its stepper."""

    def __init__(self, scenario: str = DEFAULT, bisection: bool = True, strategy: str = "OP",
                 seat: str = "", seat_withhold: float = 0.0, seat_cost: float = 1.0,
                 option: str | None = None, seed: int | None = None) -> None:
        super().__init__(seed=seed)
        if scenario not in shipped_scenarios() and not Path(scenario).is_file():
            raise ValueError(f"unknown scenario {scenario!r} (shipped: "
                             f"{', '.join(shipped_scenarios())}; or a YAML file's path)")
        study, parsed, _ = load_any(scenario)
        self.scenario_name = scenario
        self.study = study
        #: the agent a human plays here (sim.strategic.seat), if any
        self.seat: SeatState | None = None
        self.seat_error = ""
        if seat.strip():
            try:
                parsed, self.seat = take_seat(parsed, seat.strip(), seat_withhold, seat_cost)
            except ValueError as exc:  # a name no seat fits: said on the page, not fatal
                self.seat_error = str(exc)
        self.stepper: Stepper = stepper_for(study, parsed, strategy=strategy,
                                            bisection=bisection, option=option or None)
        #: where the last step's messages start in the log (the seat's inbox)
        self.last_step_start = 0
        #: the outcome's text once the run is over (sim.stepping.outcome_lines)
        self.outcome_text: str | None = None
        self.status = f"ready: Step runs the first {self.stepper.unit}"

    def step(self) -> None:
        if self.stepper.done:
            self.running = False
            return
        self.last_step_start = len(self.stepper.bus)
        self.stepper.step()
        self.status = self.stepper.status()
        self.running = not self.stepper.done
