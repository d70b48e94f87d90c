"""The DR study's section of ``dcmarket report``: OP / BS / ST beside the paper."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from dcmarket.sim.papers import DR_PAPER_EVENT_HOURS, DR_PAPER_MAPE_BOUND, DR_PAPER_ORDERING
from dcmarket.sim.report import table_html


def day_section(summary: dict[str, Any], folder: Path) -> list[str]:
    frame = pd.DataFrame(summary["summary"])
    frame["paper (Figs. 9–11)"] = frame["strategy"].map(DR_PAPER_ORDERING)
    parts = [f"<p>Actual DR event hours: {summary['event_hours']}; the paper's: "
             f"{summary.get('paper_event_hours', DR_PAPER_EVENT_HOURS)}.</p>", table_html(frame)]
    seeds = pd.DataFrame(summary.get("lstm_seeds", []))
    if len(seeds):
        spread = seeds.groupby("horizon", sort=False).agg(
            mape_mean_pct=("mape_pct", "mean"), mape_sd_pct=("mape_pct", "std"),
            events_found_min=("events_found", "min"), events_found_max=("events_found", "max"),
            op_saving_mean_pct=("op_reduction_vs_st_pct", "mean"),
            op_saving_sd_pct=("op_reduction_vs_st_pct", "std")).reset_index()
        parts += [f"<h3>The paper's LSTM over {seeds.seed.nunique()} seeds</h3>",
                  table_html(spread)]
    forecasts = pd.DataFrame(summary.get("forecasts", []))
    if len(forecasts):
        parts += ["<h3>Forecasters</h3>", table_html(forecasts),
                  "<p>Paper 002: MAPE within "
                  + ", ".join(f"{b:g} % with k = {k}" for k, b in DR_PAPER_MAPE_BOUND.items())
                  + " training days.</p>"]
    return parts
