"""PNG figures of the case study (paper ``000`` Figs. 6–12), written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd


def _save(fig, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".png")
    os.close(fd)
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, path)


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
