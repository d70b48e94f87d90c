"""Figures of paper 001: energy and heat balance (Fig. 4), the DC (Fig. 5), households (Fig. 6)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from dcmarket.sim.output_formats import save_figure as _save

COLOURS = {
    "retailer": "#1f77b4", "PV": "#ffbf00", "wind": "#2ca02c", "battery out": "#d62728",
    "vehicle-to-house": "#9467bd", "households": "#8c564b", "DC": "#e377c2",
    "EV charging": "#7f7f7f", "battery in": "#bcbd22", "shared HVAC": "#17becf",
    "cooling": "#aec7e8", "sold": "#ff7f0e", "DC waste heat (upgraded)": "#e377c2",
}


def _stack(ax: plt.Axes, hours: np.ndarray, parts: dict[str, np.ndarray], sign: float) -> None:
    bottom = np.zeros(hours.size)
    for label, values in parts.items():
        ax.bar(hours, sign * values, bottom=bottom, label=label, width=0.85,
               color=COLOURS.get(label))
        bottom = bottom + sign * values


def energy_and_heat_balance(hourly: pd.DataFrame, path: Path) -> Path:
    """Fig. 4: (a) sources above zero, uses below; (b) heat delivered by source vs heating."""
    h = hourly.hour.to_numpy()
    fig, (a, b) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    _stack(a, h, {"retailer": hourly.buy_kw, "PV": hourly.pv_kw - hourly.pv_curtailed_kw,
                  "wind": hourly.wind_kw, "battery out": hourly.battery_discharge_kw,
                  "vehicle-to-house": hourly.ev_discharge_kw}, 1.0)
    _stack(a, h, {"households": hourly.household_demand_kw, "DC": hourly.dc_kw,
                  "EV charging": hourly.ev_charge_kw, "battery in": hourly.battery_charge_kw,
                  "shared HVAC": hourly.hvac_kw, "cooling": hourly.cooling_kw,
                  "sold": hourly.sell_kw}, -1.0)
    a.axhline(0, color="k", lw=0.5)
    a.set(ylabel="kW", title=f"Fig. 4a: energy balance ({hourly.scenario.iloc[0]})")
    a.legend(ncol=4, fontsize=7)
    _stack(b, h, {"DC waste heat (upgraded)": hourly.heat_from_dc_kw,
                  "shared HVAC": hourly.heat_from_hvac_kw}, 1.0)
    b.plot(h, hourly.heating_kw, "k.-", label="households' heating")
    b.set(xlabel="hour", ylabel="kW heat", title="Fig. 4b: heat balance")
    b.legend(fontsize=7)
    return _save(fig, path)


def dc_operation(hourly: pd.DataFrame, delays: pd.DataFrame, path: Path) -> Path:
    """Fig. 5: (a) workload, DC power, pausing, resuming and heat; (b) the delay matrix."""
    h = hourly.hour.to_numpy()
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4), gridspec_kw={"width_ratios": [3, 2]})
    a.plot(h, hourly.dc_workload_kw, "k--", label="workload $P^{wl}$")
    a.plot(h, hourly.dc_kw, "C0-", label="DC power $P_{DC}$")
    a.bar(h, hourly.dc_pause_kw, color="C3", alpha=0.6, label="paused")
    a.bar(h, -hourly.dc_resume_kw, color="C2", alpha=0.6, label="resumed (−)")
    a.plot(h, hourly.dc_heat_kw, "C1:", label="heat $H^{DC}$")
    a.set(xlabel="hour", ylabel="kW", title=f"Fig. 5a: DC ({hourly.scenario.iloc[0]})")
    a.legend(fontsize=7)
    T = h.size
    matrix = np.full((T, T), np.nan)
    for row in delays.itertuples():
        matrix[row.paused_at, row.resumed_at] = row.delay_h
    image = b.imshow(matrix, origin="lower", cmap="viridis", aspect="auto")
    fig.colorbar(image, ax=b, label="delay δ (h)")
    b.set(xlabel="resumed at t'", ylabel="paused at t", title="Fig. 5b: delay matrix")
    return _save(fig, path)


def households_sensitivity(sweep: pd.DataFrame, path: Path) -> Path:
    """Fig. 6: average job delay, DC demand from surplus, heat recovered, cost per household."""
    fig, axes = plt.subplots(1, 4, figsize=(14, 3))
    n = sweep.households
    panels = [("average_job_delay_h", "average job delay (h)", 1.0),
              ("dc_from_surplus", "DC demand from surplus (%)", 100.0),
              ("heat_reuse", "heat demand met by DC heat (%)", 100.0),
              ("cost_per_household_eur", "cost per household (€)", 1.0)]
    for ax, (column, label, scale) in zip(axes, panels, strict=True):
        ax.plot(n, sweep[column] * scale, "o-")
        ax.set(xlabel="households", title=label)
    fig.suptitle("Fig. 6: impact of the number of households")
    return _save(fig, path)


def afrr_sweep_figure(frame: pd.DataFrame, path: Path) -> Path:
    """Cost reduction NC → TC+JP+aFRR against the aFRR price, the paper's line."""
    from dcmarket.sim.lec.sensitivity import PAPER_REDUCTION_PCT, factor_reaching

    fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    ax.plot(frame.base_eur_per_mw_h, frame.reduction_pct, marker="o",
            label=f"ours ({int(frame.days.iloc[0])} day(s))")
    ax.axhline(PAPER_REDUCTION_PCT, color="tab:red", ls="--",
               label=f"paper, the year: {PAPER_REDUCTION_PCT:.2f} %")
    factor = factor_reaching(frame)
    if factor is not None and len(frame) > 1:
        base = frame.base_eur_per_mw_h.iloc[1] / max(frame.factor.iloc[1], 1e-12)
        ax.axvline(base * factor, color="grey", lw=0.8)
    ax.set_xlabel("aFRR base price (€/MW/h; peak hours scaled alike)")
    ax.set_ylabel("operating cost vs NC (%)")
    ax.legend(fontsize=8)
    return _save(fig, path)
