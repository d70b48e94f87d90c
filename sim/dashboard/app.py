"""The dashboard page: ``solara run sim/dashboard/app.py`` (``make dashboard``).

Step / play / reset come from Mesa's SolaraViz; the scenario picker, the
bi-level loop's bisection switch and the human's seat are its model
parameters (the seat's panel: sim/dashboard/seat_panel.py).
"""

from __future__ import annotations

import solara
from mesa.visualization import SolaraViz

from dcmarket.sim.dashboard.model import DEFAULT, DashboardModel
from dcmarket.sim.dashboard.panels import Residuals, Status, StudyPanels
from dcmarket.sim.dashboard.seat_panel import SeatPanel
from dcmarket.sim.scenario import shipped_scenarios

MODEL_PARAMS = {
    "scenario": {"type": "Select", "value": DEFAULT, "values": list(shipped_scenarios()),
                 "label": "Scenario (Reset to load)"},
    "bisection": {"type": "Checkbox", "value": True,
                  "label": "bi-level loop: bisection boxes (off = plain loop)"},
    "strategy": {"type": "Select", "value": "OP", "values": ["OP", "BS", "ST"],
                 "label": "DR day: the DC's strategy"},
    "seat": {"type": "InputText", "value": "",
             "label": "Your seat: an agent you play (e.g. DC2, user04; Reset)"},
    "seat_withhold": {"type": "SliderFloat", "value": 0.0, "min": 0.0, "max": 1.0,
                      "step": 0.05, "label": "your seat (a P2P DC): withhold share of links"},
    "seat_cost": {"type": "SliderFloat", "value": 1.0, "min": 0.5, "max": 2.0, "step": 0.05,
                  "label": "your seat (a P2P DC): stated cost factor"},
}



@solara.component
def Page():  # noqa: N802 - Solara's page component
    """One model per browser session (sessions never share a market)."""
    model = solara.use_memo(DashboardModel, dependencies=[])
    SolaraViz(
        model,
        components=[Status, SeatPanel, Residuals, StudyPanels],
        model_params=MODEL_PARAMS,
        name="dcmarket: markets as messages",
        play_interval=300,
    )
