"""How the DR headline moves with the assumptions the paper does not state.

Paper 002 gives no reward rate θ0 and no requested share of the reference
power; the scenario's 500 €/MWh and 20 % are assumptions
(``docs/dr.md``). :func:`sensitivity` reruns the day under OP, BS and ST
for a grid of both (the forecast trained once) and reports each strategy's
operating cost, its reduction against ST and its eq. (7) cost.
"""

from __future__ import annotations

import pandas as pd

from dcmarket.grid.forecast import peak_hours
from dcmarket.sim.dr.config import DRScenario
from dcmarket.sim.dr.model import DRModel
from dcmarket.sim.dr.study import day_prices, summarise, train_forecast

THETAS = (40.0, 100.0, 200.0, 500.0)
SHARES = (0.1, 0.2, 0.3)


def sensitivity(scenario: DRScenario, thetas: tuple[float, ...] = THETAS,
                shares: tuple[float, ...] = SHARES) -> pd.DataFrame:
    """One row per (θ0, requested share, strategy)."""
    history, actual = day_prices(scenario)
    forecast = None
    if scenario.forecast.method != "none":
        forecast = train_forecast(scenario, scenario.forecast.method,
                                  scenario.forecast.training_days, history, actual).forecast
    events = peak_hours(actual, scenario.program.n_events).tolist()
    frames = []
    for theta in thetas:
        for share in shares:
            varied = scenario.model_copy(update={"program": scenario.program.model_copy(
                update={"theta0_eur_per_mwh": theta, "requested_share": share})})
            models = {s: DRModel(varied, s, actual, forecast if s != "ST" else None).run_day()
                      for s in ("OP", "BS", "ST")}
            frame = summarise(models, events)
            frames.append(frame.assign(theta0_eur_per_mwh=theta, requested_share=share))
    columns = ["theta0_eur_per_mwh", "requested_share", "strategy", "operating_cost_eur",
               "reduction_vs_st_pct", "reward_eur", "total_cost_eur"]
    return pd.concat(frames, ignore_index=True)[columns]
