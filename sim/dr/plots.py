"""Figures of the DR study in the spirit of paper 002's Figs. 5–12 (PNG, matplotlib Agg)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from dcmarket.sim.output_formats import save_figure as _save

COLOURS = {"OP": "tab:red", "BS": "tab:blue", "ST": "tab:gray"}




def _shade_events(ax: plt.Axes, hours: list[int]) -> None:
    for h in hours:
        ax.axvspan(h - 0.5, h + 0.5, color="gold", alpha=0.25, lw=0)


def write_figures(study, out: Path) -> list[Path]:
    """Write the figures into ``out``; returns their paths."""
    slots, summary = study.slots(), study.summary()
    strategies = list(study.models)
    paths = []

    fig, ax = plt.subplots(figsize=(8, 3.5))
    _shade_events(ax, study.event_hours)
    for s in strategies:
        d = slots[slots.strategy == s]
        ax.step(d.slot, d.load_tasks, where="mid", label=s, color=COLOURS.get(s))
    ax.set(xlabel="slot (h)", ylabel="tasks run", title="Fig. 5: tasks per slot (DR hours shaded)")
    ax.legend()
    paths.append(out / "fig05_tasks_per_slot.png")
    _save(fig, paths[-1])

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar(summary.strategy, summary.pta, color=[COLOURS.get(s) for s in summary.strategy])
    ax.axhline(1.0, color="k", lw=0.5)
    ax.set(ylabel="PTA", title="Fig. 6: peak-to-average tasks")
    paths.append(out / "fig06_pta.png")
    _save(fig, paths[-1])

    fig, ax = plt.subplots(figsize=(8, 3.5))
    _shade_events(ax, study.event_hours)
    for s in strategies:
        d = slots[slots.strategy == s]
        ax.plot(d.slot, d.power_mw * 1e3, marker=".", label=s, color=COLOURS.get(s))
    ax.set(xlabel="slot (h)", ylabel="DC power (kW)", title="Fig. 7: power per slot and price")
    price_ax = ax.twinx()
    price_ax.plot(range(24), study.prices, "r--", lw=1, label="price")
    price_ax.set_ylabel("price (€/MWh)")
    ax.legend(loc="upper left")
    paths.append(out / "fig07_power_vs_price.png")
    _save(fig, paths[-1])

    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2))
    width = 0.4
    for offset, (s, column) in zip((-width / 2, width / 2),
                                   (("OP", "fees_eur"), ("BS", "penalties_eur")), strict=True):
        d = slots[slots.strategy == s]
        if len(d):
            a.bar(d.slot + offset, d[column], width, label=f"{s} {column[:-4]}",
                  color=COLOURS[s])
    a.set(xlabel="slot", ylabel="€", title="Fig. 8a: fees (OP) vs penalties (BS)")
    a.legend()
    for offset, s in zip((-width / 2, width / 2), ("OP", "BS"), strict=True):
        d = slots[slots.strategy == s]
        if len(d):
            b.bar(d.slot + offset, d.reward_eur, width, label=s, color=COLOURS[s])
    b.set(xlabel="slot", ylabel="€", title="Fig. 8b: DR rewards")
    b.legend()
    paths.append(out / "fig08_fees_penalties_rewards.png")
    _save(fig, paths[-1])

    fig, (a, b) = plt.subplots(1, 2, figsize=(8, 3))
    colours = [COLOURS.get(s) for s in summary.strategy]
    a.bar(summary.strategy, summary.electricity_cost_eur, color=colours)
    a.set(ylabel="€", title="Fig. 9a: electricity cost")
    b.bar(summary.strategy, summary.reward_eur, color=colours)
    b.set(ylabel="€", title="Fig. 9b: rewards from the grid")
    paths.append(out / "fig09_cost_and_rewards.png")
    _save(fig, paths[-1])

    if "reduction_vs_st_pct" in summary:
        fig, ax = plt.subplots(figsize=(4, 3))
        others = summary[summary.strategy != "ST"]
        ax.bar(others.strategy, others.reduction_vs_st_pct,
               color=[COLOURS.get(s) for s in others.strategy])
        ax.set(ylabel="% of ST operating cost", title="Fig. 10: cost reduction vs ST")
        paths.append(out / "fig10_reduction_vs_st.png")
        _save(fig, paths[-1])

    if study.quality_models:
        fig, (a, b) = plt.subplots(1, 2, figsize=(11, 3.5))
        a.plot(range(24), study.prices, "k-", lw=2, label="actual")
        for run in study.forecasts.values():
            if run.method != "oracle":
                a.plot(range(24), run.forecast, lw=1,
                       label=f"{run.method} k={run.training_days} ({run.mape_pct:.0f} %)")
        _shade_events(a, study.event_hours)
        a.set(xlabel="hour", ylabel="€/MWh", title="Fig. 11a/b: forecasts (MAPE)")
        a.legend(fontsize=7)
        quality = study.forecast_quality()
        b.barh(quality.forecast, quality.operating_cost_eur, color="tab:purple")
        b.set(xlabel="operating cost (€)", title="Fig. 11c: OP cost by forecast")
        paths.append(out / "fig11_forecast_quality.png")
        _save(fig, paths[-1])

    op = study.models.get("OP")
    selections = op.dc.disclose().selections if op is not None else ()
    if selections:
        fig, ax = plt.subplots(figsize=(5, 3))
        for selection, slot in zip(selections,
                                   sorted({int(s) for s in study.bids().slot}), strict=False):
            if selection.history:
                ax.plot(np.arange(1, len(selection.history) + 1), selection.history,
                        label=f"slot {slot}")
        ax.set(xlabel="generation", ylabel="best saving S(x) (€)",
               title="Fig. 12: GA convergence")
        ax.legend(fontsize=7)
        paths.append(out / "fig12_ga_convergence.png")
        _save(fig, paths[-1])
    return paths


def sensitivity_figure(frame: pd.DataFrame, path: Path) -> Path:
    """OP's and BS's reduction against ST by θ0, one line per requested share."""
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
    _save(fig, path)
    return path
