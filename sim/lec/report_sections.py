"""The energy community's section of ``dcmarket report``: Table I beside the paper's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from dcmarket.sim.papers import LEC_PAPER_COST, LEC_PAPER_RENEWABLE_SHARE
from dcmarket.sim.report import table_html


def block_section(summary: dict[str, Any], folder: Path) -> list[str]:
    table = pd.DataFrame(summary["table_I"])
    parts = [f"<p>{summary.get('days', '?')} day(s) from the scenario's first day.</p>",
             table_html(table.reset_index(names="row"), "{:,.3f}")]
    cost = table.loc["operating_cost_eur"] if "operating_cost_eur" in table.index else None
    if cost is not None and "NC" in cost:
        compare = pd.DataFrame({
            "case": list(cost.index),
            "ours: cost change vs NC %": [100 * (cost[c] / cost["NC"] - 1) for c in cost.index],
            "paper (year): cost change vs NC %": [
                100 * (LEC_PAPER_COST[c] / LEC_PAPER_COST["NC"] - 1) if c in LEC_PAPER_COST
                else float("nan") for c in cost.index]})
        if "renewable_share_paper" in table.index:
            compare["ours: renewables/(renewables+retailer) %"] = [
                100 * table.loc["renewable_share_paper", c] for c in cost.index]
            compare["paper (year) %"] = [100 * LEC_PAPER_RENEWABLE_SHARE.get(c, float("nan"))
                                         for c in cost.index]
        parts += ["<h3>Operating cost against NC and the paper's self-consumption, ours "
                  "beside the paper's Table I</h3>",
                  table_html(compare),
                  "<p>The paper's figure is for a year (24 blocks of 15 days); this run's "
                  "days are not the year, so only the relative change is compared.</p>"]
    runs = summary.get("runs", {})
    if runs:
        frame = pd.DataFrame([{"case": k, "MILP €": v["objective_eur"],
                               "twin €": v.get("twin_objective_eur"),
                               "twin gap %": None if v.get("twin_gap") is None
                               else 100 * v["twin_gap"],
                               "twin rounds": v.get("twin_rounds"),
                               "twin converged": v.get("twin_converged")}
                              for k, v in runs.items()])
        parts += ["<h3>Centralised MILP and decentralised twin</h3>", table_html(frame)]
    return parts
