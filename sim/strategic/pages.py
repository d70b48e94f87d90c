"""The grade's and the tournament's pages: plain text for the terminal, one
self-contained HTML page for the run folder (every value escaped)."""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from dcmarket.sim.html_table import table_html

STYLE = ("body{font-family:sans-serif;max-width:60em;margin:2em auto;font-size:16px}"
         "table.t{border-collapse:collapse}table.t td,table.t th{padding:.2em .6em;"
         "border-bottom:1px solid #ddd;text-align:right}h1{font-size:1.5em}")


def _money(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{value:,.2f} {unit}"


def _pct(value: float | None, sign: str = "+") -> str:
    return "% n/a: truthful profit 0" if value is None else f"{value:{sign}.2f} %"


def grade_lines(g: dict[str, Any]) -> list[str]:
    """The grade for a terminal (the JSON line follows it)."""
    u, cur = g["currency"].lower(), g["currency"]
    lines = [
        f"{g['agent']} ({g['role']}) plays {g['strategy']} in {g['protocol']} "
        f"on {g['scenario']}; {g['seeds']} seed(s): {g['seeds_vary']}",
        f"  profit           {_money(g[f'profit_strategic_{u}'], cur)} against "
        f"{_money(g[f'profit_truthful_{u}'], cur)} truthful: "
        f"{g[f'gain_{u}']:+,.2f} {cur} ({_pct(g['gain_pct'])})",
        "  others           " + ", ".join(f"{n} {v:+,.2f}"
                                           for n, v in g[f"others_change_{u}"].items()),
        f"  welfare W        {_money(g[f'welfare_{u}'], cur)}; "
        f"W* {_money(g[f'welfare_optimum_{u}'], cur)} ({g['optimum']}); "
        f"efficiency W/W* {g['efficiency']:.4f} (truthful "
        f"{g['efficiency_truthful']:.4f})",
        f"  converged        {'yes' if g['converged'] else 'NO'}; flagged by the protocol: "
        + (g["detection"] or "no"),
        f"  ε                {g[f'epsilon_{u}']:,.2f} {cur} ({_pct(g['epsilon_pct'], '')})"
        + (f" by {g['epsilon_deviation']}" if g["epsilon_deviation"] else
           ": no deviation of the family gains"),
        "  deviation family (gain over truthful; a deviation that breaks convergence "
        "has no outcome and counts as detected):"]
    for d in g["deviations"]:
        gain = "not converged" if not d["converged"] else \
            f"{d['gain']:+,.2f} {cur} ({_pct(d['gain_pct'])})"
        lines.append(f"    {d['deviation']:<30} {gain:<28} "
                     + (f"flagged: {d['detection']}" if d["detected"] else "not flagged"))
    return lines


def grade_html(g: dict[str, Any]) -> str:
    """The grade as one HTML page."""
    e = html.escape
    u, cur = g["currency"].lower(), g["currency"]
    head = pd.DataFrame([
        ("strategy", g["strategy"]), ("protocol", g["protocol"]),
        (f"profit, truthful ({cur})", f"{g[f'profit_truthful_{u}']:,.2f}"),
        (f"profit, strategy ({cur})", f"{g[f'profit_strategic_{u}']:,.2f}"),
        ("gain", f"{g[f'gain_{u}']:+,.2f} {cur} ({_pct(g['gain_pct'])})"),
        (f"welfare W ({cur})", f"{g[f'welfare_{u}']:,.2f}"),
        (f"optimum W* ({cur})", f"{g[f'welfare_optimum_{u}']:,.2f} ({g['optimum']}: "
                                f"{g['optimum_note']})"),
        ("efficiency W/W*", f"{g['efficiency']:.4f}"),
        ("converged", "yes" if g["converged"] else "no"),
        ("flagged by the protocol", g["detection"] or "no"),
        (f"ε ({cur})", f"{g[f'epsilon_{u}']:,.2f} ({_pct(g['epsilon_pct'], '')}) "
                       f"{g['epsilon_deviation'] or ''}"),
        ("seeds", f"{g['seeds']}: {g['seeds_vary']}"),
    ], columns=["", "value"])
    others = pd.DataFrame([{"agent": n, f"change ({cur})": v}
                           for n, v in g[f"others_change_{u}"].items()])
    family = pd.DataFrame(g["deviations"])
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>grade: "
            f"{e(g['agent'])}</title><style>{STYLE}</style></head><body>"
            f"<h1>{e(g['agent'])} plays {e(g['strategy'])} on {e(g['scenario'])}</h1>"
            + table_html(head) + "<h2>Every other agent</h2>" + table_html(others)
            + "<h2>The deviation family</h2><p>Gain over truthful play; a deviation after "
              "which the protocol does not converge has no outcome and counts as "
              "detected.</p>" + table_html(family) + "</body></html>")


def leaderboard_lines(result: Any) -> list[str]:
    """The tournament's leaderboard for a terminal."""
    cur = result.currency
    lines = [f"{len(result.leaderboard)} entrants · seats {', '.join(result.seats)} · "
             f"{result.seeds} seed(s): {result.seeds_vary}",
             f"{'rank':>4}  {'entrant':<22}{'score':>8}  {'profit (' + cur + ') ± 95 %':>26}"
             f"{'gain':>12}{'W/W*':>8}{'faults':>8}"]
    for row in result.leaderboard.itertuples():
        ci = "" if row.profit_ci95 != row.profit_ci95 else f" ± {row.profit_ci95:,.2f}"
        lines.append(f"{row.rank:>4}  {row.entrant:<22}{row.score:>8.2f}  "
                     f"{row.profit_mean:>14,.2f}{ci:<12}{row.gain_mean:>+12,.2f}"
                     f"{row.efficiency_mean:>8.4f}{row.faults:>8}")
    for seat, eps in result.epsilon.items():
        lines.append(f"ε at {seat}: {eps['epsilon']:,.2f} {cur}"
                     + (f" ({eps['deviation']})" if eps["deviation"] else
                        " (no deviation of the family gains)"))
    for fault in result.faults.itertuples():
        lines.append(f"fault: {fault.entrant} at {fault.run}, {fault.hook}: {fault.reason} "
                     "(truthful for the rest of that run)")
    return lines


def leaderboard_html(result: Any) -> str:
    e = html.escape
    eps = pd.DataFrame([{"seat": s, f"ε ({result.currency})": v["epsilon"],
                         "by": v["deviation"] or "—"} for s, v in result.epsilon.items()])
    entrants = pd.DataFrame([{"entrant": n, **v} for n, v in result.entrants.items()])
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>tournament</title>"
            f"<style>{STYLE}</style></head><body><h1>Tournament: "
            f"{e(', '.join(result.seats))}</h1><p>Ranked by the sum over runs of each "
            f"entrant's z-score of profit in that run (as Power TAC ranks brokers); "
            f"{result.seeds} seed(s): {e(result.seeds_vary)}. Profits in "
            f"{e(result.currency)}; ± is the 95 % confidence half-width over runs.</p>"
            + table_html(result.leaderboard) + "<h2>ε of each seat</h2>" + table_html(eps)
            + "<h2>Faults</h2><p>After a fault the entrant's agent plays truthfully for the "
              "rest of that run.</p>" + table_html(result.faults)
            + "<h2>Entrants</h2>" + table_html(entrants) + "</body></html>")
