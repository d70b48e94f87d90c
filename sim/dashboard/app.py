"""The dashboard page: ``solara run sim/dashboard/app.py`` (``make dashboard``).

Step / play / reset come from Mesa's SolaraViz; the scenario picker and the
bi-level loop's bisection switch are its model parameters.
"""

from __future__ import annotations

import solara
from mesa.visualization import SolaraViz

from dcmarket.sim.dashboard.model import DEFAULT, DashboardModel
from dcmarket.sim.dashboard.panels import Residuals, Status, StudyPanels
from dcmarket.sim.scenario import shipped_scenarios

MODEL_PARAMS = {
    "scenario": {"type": "Select", "value": DEFAULT, "values": list(shipped_scenarios()),
                 "label": "Scenario (Reset to load)"},
    "bisection": {"type": "Checkbox", "value": True,
                  "label": "bi-level loop: bisection boxes (off = plain loop)"},
    "strategy": {"type": "Select", "value": "OP", "values": ["OP", "BS", "ST"],
                 "label": "DR day: the DC's strategy"},
}



@solara.component
def Page():  # noqa: N802 - Solara's page component
    """One model per browser session (sessions never share a market)."""
    model = solara.use_memo(DashboardModel, dependencies=[])
    SolaraViz(
        model,
        components=[Status, Residuals, StudyPanels],
        model_params=MODEL_PARAMS,
        name="dcmarket: markets as messages",
        play_interval=300,
    )
