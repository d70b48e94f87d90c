"""How the DR headline moves with the assumptions the paper does not state.

Paper 002 gives no reward rate θ0 and no requested share of the reference
power; the scenario's 500 €/MWh and 20 % are assumptions
(``docs/dr.md``). :func:`sensitivity` reruns the day under OP, BS and ST
for a grid of both (the forecast trained once) and reports each strategy's
operating cost, its reduction against ST and its eq. (7) cost.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from grid.forecast import peak_hours
from sim.dr.config import DRScenario
from sim.dr.model import DRModel
from sim.dr.study import day_prices, summarise, train_forecast

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


def sensitivity_figure(frame: pd.DataFrame, path: Path) -> Path:
    """OP's and BS's reduction against ST by θ0, one line per requested share."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from market.atomic import atomic_path

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True, layout="constrained")
    for ax, strategy in zip(axes, ("OP", "BS"), strict=True):
        rows = frame[frame.strategy == strategy]
        for k, (share, group) in enumerate(rows.groupby("requested_share")):
            ax.plot(group.theta0_eur_per_mwh, group.reduction_vs_st_pct, marker="osD^"[k % 4],
                    label=f"requested {100 * share:.0f} % of the reference")
        ax.axhline(0, color="grey", lw=0.6)
        ax.set_xscale("log")
        thetas = sorted(frame.theta0_eur_per_mwh.unique())
        ax.set_xticks(thetas, [f"{t:g}" for t in thetas])
        ax.minorticks_off()
        ax.set_xlabel("θ0, reward per MWh reduced (€/MWh)")
        ax.set_title(f"{strategy}: operating cost below ST")
    axes[0].set_ylabel("%")
    axes[0].legend(fontsize=8)
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    return path
