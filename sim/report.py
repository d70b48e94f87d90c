"""``dcmarket report``: a self-contained HTML page from a run folder, without
solving anything again.

The page opens with the run's verdict (converged or NOT CONVERGED), then its
summary table, the paper's numbers beside ours where the paper states them,
the convergence record, the message traffic (who sent what kind, how often)
and every figure of the folder, embedded as PNG so the one file can be
mailed or archived.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

import pandas as pd

from dcmarket.market.atomic import atomic_write_text
from dcmarket.sim.papers import (
    DR_PAPER_EVENT_HOURS,
    DR_PAPER_MAPE_BOUND,
    DR_PAPER_ORDERING,
    LEC_PAPER_COST,
    LEC_PAPER_RENEWABLE_SHARE,
    P2P_ENERGY_CHANGE_PCT,
    P2P_OUTER_ITERATIONS,
)


class ReportError(ValueError):
    """A folder that is not a finished run folder."""


def _table(frame: pd.DataFrame, float_format: str = "{:,.2f}") -> str:
    return frame.to_html(index=False, border=0, classes="t", na_rep="—",
                         float_format=lambda v: float_format.format(v))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: cannot read: {exc}") from exc


def _kind_of(summary: dict[str, Any], folder: Path) -> str:
    if "kind" in summary:
        return str(summary["kind"])
    if "unit" in summary:  # a run folder of `dcmarket step`
        return "steps"
    if (folder / "admm_residuals.csv").exists():
        return "market"
    if (folder / "bilevel_residuals_with.csv").exists():
        return "case_study"
    if (folder / "slots.parquet").exists():
        return "dr_day"
    return "block" if (folder / "table_I.csv").exists() else "unknown"


def _market(summary: dict[str, Any], folder: Path) -> list[str]:
    without, with_ = summary["profit_without"], summary["profit_with"]
    frame = pd.DataFrame({"DC": list(without), "profit alone $": list(without.values()),
                          "with market $": [with_[n] for n in without]})
    frame["change %"] = 100 * (frame["with market $"] / frame["profit alone $"] - 1)
    parts = [f"<p>{summary['rounds']} ADMM rounds, clearing {summary['clearing_s']:.2f} s.</p>"]
    if summary.get("converged") and summary.get("welfare_gap_rel") is not None:
        parts.append(f"<p>Welfare gap to the centralised twin: "
                     f"{100 * summary['welfare_gap_rel']:.4f} %.</p>")
    parts.append(_table(frame))
    parts.append("<p>Paper 000 reports its market on the IEEE 30-bus case with LMP feedback "
                 "(run the <code>p2p_ieee30</code> scenario for Table I); at fixed LMPs it "
                 "states no numbers.</p>")
    return parts


def _case_study(summary: dict[str, Any], folder: Path) -> list[str]:
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
        parts.append(_table(frame))
    return parts


def _dr(summary: dict[str, Any], folder: Path) -> list[str]:
    frame = pd.DataFrame(summary["summary"])
    frame["paper (Figs. 9–11)"] = frame["strategy"].map(DR_PAPER_ORDERING)
    parts = [f"<p>Actual DR event hours: {summary['event_hours']}; the paper's: "
             f"{summary.get('paper_event_hours', DR_PAPER_EVENT_HOURS)}.</p>", _table(frame)]
    seeds = pd.DataFrame(summary.get("lstm_seeds", []))
    if len(seeds):
        spread = seeds.groupby("horizon", sort=False).agg(
            mape_mean_pct=("mape_pct", "mean"), mape_sd_pct=("mape_pct", "std"),
            events_found_min=("events_found", "min"), events_found_max=("events_found", "max"),
            op_saving_mean_pct=("op_reduction_vs_st_pct", "mean"),
            op_saving_sd_pct=("op_reduction_vs_st_pct", "std")).reset_index()
        parts += [f"<h3>The paper's LSTM over {seeds.seed.nunique()} seeds</h3>",
                  _table(spread)]
    forecasts = pd.DataFrame(summary.get("forecasts", []))
    if len(forecasts):
        parts += ["<h3>Forecasters</h3>", _table(forecasts),
                  "<p>Paper 002: MAPE within "
                  + ", ".join(f"{b:g} % with k = {k}" for k, b in DR_PAPER_MAPE_BOUND.items())
                  + " training days.</p>"]
    return parts


def _block(summary: dict[str, Any], folder: Path) -> list[str]:
    table = pd.DataFrame(summary["table_I"])
    parts = [f"<p>{summary.get('days', '?')} day(s) from the scenario's first day.</p>",
             _table(table.reset_index(names="row"), "{:,.3f}")]
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
                  _table(compare),
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
        parts += ["<h3>Centralised MILP and decentralised twin</h3>", _table(frame)]
    return parts


def _steps(summary: dict[str, Any], folder: Path) -> list[str]:
    return [f"<p>A step-through run: {summary['steps']} {summary['unit']}(s) of the "
            f"{summary['study']} protocol; finished: {summary['finished']}.</p>"]


SECTIONS = {"market": _market, "case_study": _case_study, "dr_day": _dr, "block": _block,
            "steps": _steps}


def _convergence(folder: Path) -> list[str]:
    parts = []
    for name in ("admm_residuals.csv", "bilevel_residuals_without.csv",
                 "bilevel_residuals_with.csv", "steps.csv"):
        path = folder / name
        if path.exists():
            frame = pd.read_csv(path)
            parts.append(f"<h3>{html.escape(name)}: last rows of {len(frame)}</h3>")
            parts.append(_table(frame.tail(5), "{:.4g}"))
    return parts


def _traffic(folder: Path) -> list[str]:
    import pyarrow.parquet as pq

    parts = []
    for path in sorted(folder.glob("messages*.parquet")):
        heads = pq.read_table(path, columns=["msg", "sender", "receiver", "kind"]) \
            .to_pandas().drop_duplicates("msg")
        heads["from → to"] = heads.sender.str.replace(r"\d+$", "…", regex=True) + " → " + \
            heads.receiver.str.replace(r"\d+$", "…", regex=True)
        counts = heads.groupby(["kind", "from → to"]).size().reset_index(name="messages")
        parts.append(f"<h3>{html.escape(path.name)}: {len(heads):,} messages</h3>")
        parts.append(_table(counts))
    if parts:
        parts.append("<p>Read any log as a conversation: <code>dcmarket messages "
                     f"{html.escape(str(folder))}</code>.</p>")
    return parts


def _figures(folder: Path) -> list[str]:
    parts = []
    for path in sorted(folder.glob("*.png")):
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        caption = path.stem.replace("_", " ")
        parts.append(f'<figure><img alt="{html.escape(caption)}" '
                     f'src="data:image/png;base64,{data}"><figcaption>{html.escape(caption)}'
                     "</figcaption></figure>")
    return parts


STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}
.ok{background:#e6f4ea;border-left:6px solid #1e8e3e;padding:.6em 1em}
.bad{background:#fce8e6;border-left:6px solid #d93025;padding:.6em 1em;font-weight:bold}
table.t{border-collapse:collapse;margin:.5em 0;font-size:.9em}
table.t td,table.t th{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:right}
figure{margin:1em 0}img{max-width:100%}code{background:#f4f4f4;padding:0 .2em}"""


def render(folder: Path) -> str:
    """The report of ``folder`` as one HTML page."""
    if not folder.is_dir():
        raise ReportError(f"{folder}: no such run folder")
    from dcmarket.sim.manifest import RUNNING

    if (folder / RUNNING).exists():
        raise ReportError(f"{folder}: the run did not finish ({RUNNING} marker); no report "
                          "of a partial run")
    summary_path = folder / "summary.json"
    if not summary_path.exists():
        raise ReportError(f"{folder}: not a finished run folder (no summary.json)")
    summary = _read_json(summary_path)
    manifest_path = folder / "manifest.json"
    manifest = _read_json(manifest_path) if manifest_path.exists() else {}
    kind = _kind_of(summary, folder)
    converged = summary.get("converged")
    name = summary.get("scenario_name") or manifest.get("scenario", {}).get("name", folder.name)
    verdict = ('<p class="ok">Converged.</p>' if converged else
               '<p class="bad">NOT CONVERGED: the numbers below are the last iterate, not an '
               "equilibrium.</p>" if converged is False else
               '<p class="bad">This run does not say whether it converged.</p>')
    body = [f"<h1>{html.escape(str(name))}: {html.escape(kind.replace('_', ' '))}</h1>", verdict]
    if manifest:
        body.append(f"<p><code>{html.escape(manifest.get('command', ''))}</code> · finished "
                    f"{html.escape(manifest.get('finished_utc', '?'))} · source "
                    f"{html.escape(str(manifest.get('source_commit', '?')))}</p>")
    section = SECTIONS.get(kind)
    body.append("<h2>Summary</h2>")
    body += section(summary, folder) if section else [
        f"<pre>{html.escape(json.dumps(summary, indent=1)[:4000])}</pre>"]
    convergence = _convergence(folder)
    if convergence:
        body += ["<h2>Convergence</h2>", *convergence]
    traffic = _traffic(folder)
    if traffic:
        body += ["<h2>Messages</h2>", *traffic]
    figures = _figures(folder)
    if figures:
        body += ["<h2>Figures</h2>", *figures]
    return ("<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>dcmarket report: {html.escape(str(name))}</title><style>{STYLE}</style>"
            "</head><body>" + "\n".join(body) + "</body></html>")


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the report (default ``RUN_DIR/report.html``) atomically."""
    folder = Path(run_dir)
    path = Path(out) if out is not None else folder / "report.html"
    return atomic_write_text(path, render(folder))
