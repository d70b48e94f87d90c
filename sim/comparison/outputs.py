"""What ``dcmarket compare`` writes and prints: the table (Markdown, CSV,
Parquet), the figure (efficiency against messages; profit per agent per
mechanism), every Outcome's prices and allocation (the equilibrium's LMPs and
schedules among them), a summary for the report, and the manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dcmarket.sim.comparison.engine import Comparison

#: the columns the Markdown table shows (the CSV has them all)
SHOWN = ("variant", "mechanism", "welfare", "efficiency", "budget_balance", "ir_violations",
         "best_misreport_gain", "rounds", "messages", "values_sent", "wall_s", "converged")


def _fmt(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "**no**"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, float):
        if np.isnan(value):
            return "—"
        if abs(value) < 5e-5:  # a rounding residue prints as 0, not −0.0000
            return "0"
        return f"{value:.4f}" if abs(value) < 10 else f"{value:,.2f}"
    return str(value)


def markdown(comparison: Comparison) -> str:
    """The table a teacher shows: one row per mechanism and variant."""
    table = comparison.table()
    u = comparison.currency.lower()
    columns = [c for c in table.columns if c in SHOWN or c.rsplit(f"_{u}", 1)[0] in SHOWN]
    if not table["variant"].astype(bool).any():
        columns.remove("variant")
    head = "| " + " | ".join(c.replace("_", " ") for c in columns) + " |"
    lines = [head, "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |"
              for row in table[columns].itertuples(index=False)]
    notes = [f"W* is `{comparison.optimum}`'s welfare; efficiency is W/W* (for a cost, W*/W). "
             f"Money in {comparison.currency}; budget balance is what the operator keeps "
             "(negative: it pays in)."]
    if comparison.fallback:
        notes.append(f"IR violations: agents worse off than under `{comparison.fallback}`.")
    notes.append(f"Best misreport gain: {comparison.incentives_agent}'s best single deviation "
                 "of its family over truthful play (docs/strategies.md)"
                 if comparison.incentives_agent else "Best misreport gain: not measured.")
    return "\n".join(lines) + "\n\n" + " ".join(notes) + "\n"


def figure(comparison: Comparison, path: Path) -> Path:
    """Efficiency against messages (one point per mechanism and variant) and
    each agent's profit per mechanism."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    table, profits = comparison.table(), comparison.profits()
    u = comparison.currency.lower()
    fig = Figure(figsize=(12, 4.4), layout="constrained")
    left, right = fig.subplots(1, 2)
    table = table.assign(x=table.messages.clip(lower=1))
    for k, ((x, y), same) in enumerate(table.groupby(["x", table.efficiency.round(5)])):
        left.scatter(x, y, s=40)
        names = [m + (f" ({v})" if v else "") for m, v in zip(same.mechanism, same.variant,
                                                               strict=True)]
        below = k % 2 == 0  # neighbours' labels alternate below and above their points
        left.annotate("\n".join(names), (x, y), fontsize=8, xytext=(5, -4 if below else 4),
                      textcoords="offset points", va="top" if below else "bottom")
    left.set_xscale("log")
    left.set_xlabel("messages sent (1: a one-shot clearing of sealed bids)")
    left.set_ylabel(f"efficiency W / W* ({comparison.optimum})")
    left.grid(alpha=0.3)
    first = table.variant.iloc[0]
    shown = profits[profits.variant == first]
    wide = shown.pivot(index="agent", columns="mechanism", values=f"profit_{u}")
    label = f"profit, {comparison.currency}"
    if comparison.fallback in wide.columns:  # against each agent's outside option
        wide = wide.sub(wide[comparison.fallback], axis=0).drop(columns=comparison.fallback)
        label = f"profit over {comparison.fallback}, {comparison.currency}"
    if comparison.participants:
        wide = wide.loc[[a for a in wide.index if a in comparison.participants]]
    if len(wide) > 12:  # many agents: the twelve with the largest spread
        wide = wide.loc[(wide.max(axis=1) - wide.min(axis=1)).nlargest(12).index]
    wide.plot.bar(ax=right, width=0.8)
    right.axhline(0, color="k", lw=0.6)
    right.set_ylabel(label)
    right.set_title("each agent, each mechanism" + (f" ({first})" if first else ""))
    right.legend(fontsize=7, ncol=2)
    from dcmarket.sim.output_formats import save_figure

    return save_figure(fig, path, tight=False)


def long_frames(comparison: Comparison) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every Outcome's prices and allocation, with its variant and mechanism."""
    prices, allocation = [], []
    for variant, found in comparison.outcomes.items():
        for name, o in found.items():
            if not o.prices.empty:
                prices.append(o.prices.assign(variant=variant, mechanism=name))
            if not o.allocation.empty:
                allocation.append(o.allocation.assign(variant=variant, mechanism=name))
    return (pd.concat(prices, ignore_index=True) if prices else pd.DataFrame(),
            pd.concat(allocation, ignore_index=True) if allocation else pd.DataFrame())


def summary(comparison: Comparison) -> dict[str, Any]:
    table = comparison.table()
    return {"kind": "comparison", "scenario_name": comparison.scenario,
            "study": comparison.study, "currency": comparison.currency,
            "optimum": comparison.optimum, "fallback": comparison.fallback,
            "incentives_agent": comparison.incentives_agent,
            "converged": bool(table.converged.all()),
            "rows": table.to_dict("records"), "wall_s": comparison.wall_s}
