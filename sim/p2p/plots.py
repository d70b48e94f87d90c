"""PNG figures of the P2P market and of the case study (paper ``000`` Figs. 6–12),
written atomically.  Curves that may overlap carry markers and line styles."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from dcmarket.sim.output_formats import save_figure as _save

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
STYLES = ("-", "--", "-.", ":")


def _distinct_lines(ax, frame: pd.DataFrame) -> None:
    """One line per column, each with its own marker and line style, so that
    curves lying on top of each other stay readable."""
    for k, column in enumerate(frame.columns):
        ax.plot(frame.index, frame[column], drawstyle="steps-post",
                marker=MARKERS[k % len(MARKERS)], ls=STYLES[k % len(STYLES)], ms=4,
                markevery=max(1, len(frame) // 12), label=str(column), alpha=0.85)
    ax.legend(fontsize=8)


def admm_residual_axes(ax, history: pd.DataFrame, tol_primal: float, tol_dual: float,
                       outer: pd.Series | None = None) -> None:
    """Primal and dual residuals by round with their tolerance lines; with
    ``outer`` (the outer iteration of each row) every outer iteration is shown
    one after the other, separated by thin lines."""
    x = np.arange(1, len(history) + 1)
    ax.semilogy(x, history.primal_residual, label="primal (M req/h)", lw=1)
    ax.semilogy(x, history.dual_disagreement, label="disagreement ($/M req)", lw=1)
    ax.semilogy(x, history.dual_change, label="estimate change ($/M req)", lw=0.8, alpha=0.7)
    ax.axhline(tol_primal, color="C0", ls="--", lw=0.8, label=f"primal tol {tol_primal:g}")
    ax.axhline(tol_dual, color="C1", ls="--", lw=0.8, label=f"dual tol {tol_dual:g}")
    if outer is not None:
        starts = np.flatnonzero(np.diff(np.asarray(outer))) + 1.5
        for s in starts:
            ax.axvline(s, color="grey", lw=0.4)
        ax.set_xlabel("ADMM round, all outer iterations in turn (grey: next outer iteration)")
    else:
        ax.set_xlabel("ADMM round")
    ax.legend(fontsize=7)


def market_figures(out: Path, scenario, result) -> list[Path]:
    """The market at fixed LMPs: residuals by round, settled link prices and
    trades by hour."""
    paths = []
    fig, ax = plt.subplots(figsize=(7, 3.8))
    admm_residual_axes(ax, result.history, scenario.market.tol_primal, scenario.market.tol_dual)
    ax.set_title(f"{scenario.name}: dual-consensus ADMM "
                 f"({'converged' if result.converged else 'NOT CONVERGED'}, "
                 f"{result.rounds} rounds)")
    paths.append(out / "fig_admm_residual.png")
    _save(fig, paths[-1])

    trades = result.trades_frame()
    if len(trades):
        trades["link"] = trades.dc_a + "–" + trades.dc_b
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
        _distinct_lines(axes[0], trades.pivot(index="hour", columns="link", values="price"))
        axes[0].set_title("settled link prices")
        axes[0].set_xlabel("hour")
        axes[0].set_ylabel("$ per M requests")
        _distinct_lines(axes[1], trades.pivot(index="hour", columns="link", values="q_a"))
        axes[1].axhline(0, color="grey", lw=0.6)
        axes[1].set_title("workload the first DC of a link buys from the second")
        axes[1].set_xlabel("hour")
        axes[1].set_ylabel("M requests/h")
        paths.append(out / "fig_market_prices_trades.png")
        _save(fig, paths[-1])
    return paths


def case_study_figures(out: Path, without, with_, plain) -> None:
    # Fig. 9/10: LMPs at the DC buses without / with the market
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
    for ax, run in zip(axes, (without, with_), strict=True):
        _distinct_lines(ax, run.dc_lmp())
        ax.set_title(f"LMP at DC buses, {run.label}")
        ax.set_xlabel("hour")
    axes[0].set_ylabel("$/MWh")
    _save(fig, out / "fig_lmp_dc_buses.png")

    # Fig. 6: bi-level power residual, plain vs bisection-assisted
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.semilogy(plain.outer.iteration, plain.outer.power_residual, "o-", label="plain, no market")
    ax.semilogy(without.outer.iteration, without.outer.power_residual, "s-",
                label="bisection, no market")
    ax.semilogy(with_.outer.iteration, with_.outer.power_residual, "^-",
                label="bisection, with market")
    ax.axhline(with_.model.scenario.bilevel.tol_mw, color="grey", ls="--", lw=0.8)
    ax.set_xlabel("outer iteration")
    ax.set_ylabel("max |ΔPg| (MW)")
    ax.legend()
    _save(fig, out / "fig_bilevel_residual.png")

    # Fig. 7: grid power of the four DCs over the outer iterations, at the hour
    # whose demand moved most (plain loop and bisection, with market)
    # iterations × DCs × hours, read once per run from its message log
    histories = {id(run): np.array(run.model.demand_history) for run in (plain, with_)}
    history = histories[id(with_)]
    hour = int(np.argmax(np.abs(np.diff(history, axis=0)).sum(axis=(0, 1))))
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
    for ax, run, title in ((axes[0], plain, "plain loop, no market"),
                           (axes[1], with_, "bisection, with market")):
        traj = histories[id(run)][:, :, hour]
        for i, name in enumerate(run.model.dcs):
            ax.plot(range(len(traj)), traj[:, i], "o-", ms=3, label=name)
        ax.set_title(f"{title}: Pg at hour {hour}")
        ax.set_xlabel("outer iteration")
    axes[0].set_ylabel("MW")
    axes[0].legend()
    _save(fig, out / "fig_grid_power_trajectory.png")

    # Fig. 8: ADMM residuals of every outer iteration, with the tolerances
    if with_.model.inner_histories:
        inner = pd.concat(with_.model.inner_histories, ignore_index=True)
        market = with_.model.scenario.market
        fig, ax = plt.subplots(figsize=(9, 3.8))
        admm_residual_axes(ax, inner, market.tol_primal, market.tol_dual, inner["outer"])
        ax.set_title(f"ADMM residuals in each of the {inner['outer'].nunique()} outer "
                     "iterations (bisection, with market)")
        _save(fig, out / "fig_admm_residual.png")

    # Fig. 11/12: workload processed and DC power change
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    processed = pd.DataFrame({n: s.lambda_I for n, s in with_.schedules.items()})
    own = pd.DataFrame({n: s.interactive for n, s in with_.schedules.items()})
    (processed - own).plot(ax=axes[0], kind="bar", stacked=False, width=0.8)
    axes[0].set_title("IW processed − own IW (> 0: serving others)")
    axes[0].set_xlabel("hour")
    delta = pd.DataFrame({n: with_.schedules[n].grid_mw - without.schedules[n].grid_mw
                          for n in with_.schedules})
    delta.plot(ax=axes[1], drawstyle="steps-post")
    axes[1].set_title("DC power, with − without market (MW)")
    axes[1].set_xlabel("hour")
    _save(fig, out / "fig_workload_power.png")


def tornado_figure(frame: pd.DataFrame, path: Path) -> Path:
    """The equilibrium gain with each assumption at its low and high value,
    widest swing on top, a line at the scenario's own gain."""
    base = float(frame[frame.side == "base"].gain_pct.iloc[0])
    levers = frame[frame.side != "base"]
    rows = []
    for name, group in levers.groupby("lever", sort=False):
        low = group[group.side == "low"].iloc[0]
        high = group[group.side == "high"].iloc[0]
        rows.append((name, low, high, abs(high.gain_pct - low.gain_pct)))
    rows.sort(key=lambda r: r[3])
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.4), layout="constrained")
    for y, (_, low, high, _) in enumerate(rows):
        for side, colour in ((low, "tab:blue"), (high, "tab:orange")):
            ax.barh(y, side.gain_pct - base, left=base, color=colour, height=0.6)
            ax.annotate(side.value, (side.gain_pct, y), fontsize=7, va="center",
                        ha="left" if side.gain_pct >= base else "right",
                        xytext=(3 if side.gain_pct >= base else -3, 0),
                        textcoords="offset points")
    ax.axvline(base, color="black", lw=0.8)
    ax.set_yticks(range(len(rows)), [f"{r[0]} ({r[1].base_value})" for r in rows], fontsize=8)
    ax.set_xlabel("market gain in total DC profit at the competitive equilibrium (%)")
    ax.set_title(f"Each assumption moved alone (scenario: {base:+.2f} %); "
                 "blue low, orange high", fontsize=9)
    _save(fig, path)
    return path
