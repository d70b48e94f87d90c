"""The P2P study's sections of ``dcmarket report``: the market at fixed LMPs and
the case study with its grid (Table I beside the paper's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from dcmarket.sim.papers import P2P_ENERGY_CHANGE_PCT, P2P_OUTER_ITERATIONS
from dcmarket.sim.report import table_html


def market_section(summary: dict[str, Any], folder: Path) -> list[str]:
    without, with_ = summary["profit_without"], summary["profit_with"]
    frame = pd.DataFrame({"DC": list(without), "profit alone $": list(without.values()),
                          "with market $": [with_[n] for n in without]})
    frame["change %"] = 100 * (frame["with market $"] / frame["profit alone $"] - 1)
    parts = [f"<p>{summary['rounds']} ADMM rounds, clearing {summary['clearing_s']:.2f} s.</p>"]
    if summary.get("converged") and summary.get("welfare_gap_rel") is not None:
        parts.append(f"<p>Welfare gap to the centralised twin: "
                     f"{100 * summary['welfare_gap_rel']:.4f} %.</p>")
    parts.append(table_html(frame))
    parts.append("<p>Paper 000 reports its market on the IEEE 30-bus case with LMP feedback "
                 "(run the <code>p2p_ieee30</code> scenario for Table I); at fixed LMPs it "
                 "states no numbers.</p>")
    return parts


def case_study_section(summary: dict[str, Any], folder: Path) -> list[str]:
    rows = summary.get("table_I")
    parts = []
    if rows:
        frame = pd.DataFrame(rows)
        formatters = {c: ("{:.1f}" if "pct" in c else "{:,.0f}").format
                      for c in frame.columns if c != "dc"}
        parts.append("<h3>Table I, ours beside the paper's (profit $, change %)</h3>")
        parts.append(frame.to_html(index=False, border=0, classes="t", na_rep="—",
                                   formatters=formatters))
    before, after = summary["energy_mwh_without"], summary["energy_mwh_with"]
    parts.append(f"<p>Outer iterations: without the market {summary['outer_iterations']['without']}"
                 f", with it {summary['outer_iterations']['with']} (paper: "
                 f"{P2P_OUTER_ITERATIONS}). Plain loop oscillated: "
                 f"{summary['plain_loop_oscillated']}. DC energy {before:,.1f} → {after:,.1f} MWh "
                 f"({100 * (after / before - 1):+.1f} %; paper {P2P_ENERGY_CHANGE_PCT:+.1f} %)."
                 "</p>")
    eq = summary.get("equilibrium")
    if eq and rows:
        total = pd.DataFrame(rows).set_index("dc").loc["total"]
        parts.append(f"<p>The market's gain: {total['change_pct']:+.2f} % measured from the "
                     "bisection loop's no-market point, which its boxes hold (below: what each "
                     f"DC gives up inside its box); {eq['gain_pct']:+.2f} % measured from the "
                     "competitive equilibrium of the same inputs (one joint problem of "
                     "generators, network and DCs; no boxes); paper "
                     f"{total['paper_change_pct']:+.1f} %.</p>")
    given = summary.get("profit_given_up_in_box")
    if given:
        frame = pd.DataFrame(given).reset_index(names="DC")
        parts.append("<h3>Profit each DC gives up inside its bisection box ($)</h3>")
        parts.append(table_html(frame))
    return parts
