"""PNG figures of the case study (paper ``000`` Figs. 6–12), written atomically."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from market.atomic import atomic_path


def _save(fig, path: Path) -> None:
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)


def case_study_figures(out: Path, without, with_, plain) -> None:
    # Fig. 9/10: LMPs at the DC buses without / with the market
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
    for ax, run in zip(axes, (without, with_), strict=True):
        run.dc_lmp().plot(ax=ax, drawstyle="steps-post")
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
    import numpy as np

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

    # Fig. 8: ADMM residuals of the final outer iteration
    if with_.model.inner_histories:
        last = with_.model.inner_histories[-1]
        fig, ax = plt.subplots(figsize=(6, 3.6))
        ax.semilogy(last["round"], last.primal_residual, label="primal (M req/h)")
        ax.semilogy(last["round"], last.dual_disagreement, label="disagreement ($/M req)")
        ax.set_xlabel("ADMM round")
        ax.legend()
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
