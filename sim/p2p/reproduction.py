"""Paper 000 beside ours: Table I's gains, the DCs' energy, the outer iterations."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dcmarket.sim.papers import P2P_ENERGY_CHANGE_PCT, P2P_OUTER_ITERATIONS, P2P_TABLE_I
from dcmarket.sim.reproduce import Comparison, Reproduction

TOLERANCES = {"equilibrium_gain_pct": 0.05, "loop_gain_pct": 0.2, "profit_with_total": 50.0,
              "energy_change_pct": 0.1}


def compare_000(summary: dict, tornado: pd.DataFrame | None = None) -> list[Comparison]:
    table = {r["dc"]: r for r in summary["table_I"]}
    total = table["total"]
    given = summary["profit_given_up_in_box"]["without"]
    worst = max(given, key=given.get)
    spread = ""
    if tornado is not None:
        swing = tornado[tornado.side != "base"].gain_pct
        spread = f" (tornado: {swing.min():.1f}–{swing.max():.1f} % as one assumption moves)"
    rows = [
        Comparison("total profit gain, competitive equilibrium", total["paper_change_pct"],
                   total["equilibrium_change_pct"], "%",
                   "the paper's case data are not published; ours follow its calibration "
                   "notes, and the gain hangs on inputs it does not state" + spread),
        Comparison("total profit gain, bisection loop", total["paper_change_pct"],
                   total["change_pct"], "%",
                   f"measured from the loop's no-market point, which its boxes hold ({worst} "
                   f"gives up {given[worst]:,.0f} $ inside its box)"),
    ]
    for name in P2P_TABLE_I:
        r = table[name]
        reason = ("congestion binds in fewer hours of our day than the paper's 11–18, so less "
                  "is at stake (the tornado shows what moves it)")
        if r["equilibrium_change_pct"] < 0 or r["change_pct"] < 0:
            reason = ("its load relieves the congested line 10–17 (see its PTDF), so clearing "
                      "the congestion removes its discount")
        rows.append(Comparison(f"{name} profit gain, equilibrium", r["paper_change_pct"],
                               r["equilibrium_change_pct"], "%", reason))
    e0, e1 = summary["energy_mwh_without"], summary["energy_mwh_with"]
    rows += [
        Comparison("DC energy change with the market", P2P_ENERGY_CHANGE_PCT,
                   100 * (e1 / e0 - 1), "%",
                   "work moves to the high-COP DCs; older servers at DC2/DC3 as in the notes"),
        Comparison("outer iterations with the market", P2P_OUTER_ITERATIONS,
                   summary["outer_iterations"]["with"], "",
                   "boxes open per (DC, hour) pair and on a stalled residual, so the loop "
                   "settles sooner"),
    ]
    return rows


def headline_000(summary: dict) -> dict[str, float]:
    total = {r["dc"]: r for r in summary["table_I"]}["total"]
    e0, e1 = summary["energy_mwh_without"], summary["energy_mwh_with"]
    return {"equilibrium_gain_pct": total["equilibrium_change_pct"],
            "loop_gain_pct": total["change_pct"],
            "profit_with_total": total["profit_with"],
            "energy_change_pct": 100 * (e1 / e0 - 1)}


def reproduce(full: bool = False, days: int = 1, year_run: Path | None = None) -> Reproduction:
    """The case study on IEEE 30 with its tornado of unstated inputs."""
    from dcmarket.sim.p2p.case_study import run_case_study
    from dcmarket.sim.p2p.plots import tornado_figure
    from dcmarket.sim.p2p.sensitivity import tornado
    from dcmarket.sim.studies import load_any

    _, scenario, path = load_any("p2p_ieee30", [], study="p2p")
    _, summary = run_case_study(scenario)
    swept = tornado(path)
    return Reproduction("000", compare_000(summary, swept), headline_000(summary), scenario,
                        {"fig_sensitivity_tornado.png": (tornado_figure, swept),
                         "sensitivity.csv": swept}, TOLERANCES)
