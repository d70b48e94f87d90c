"""The P2P-CSM case study of paper ``000`` end to end (§VI, Table I).

Runs the reference scenario through the bi-level loop twice — DCs alone
(no market) and with the P2P market — plus the plain loop without bisection to
show that it oscillates, then collects Table I, the LMP spread and the tidy
results, and writes a run folder.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dcmarket.agents.p2p.datacenter import DCSchedule
from dcmarket.market.outcome import Outcome
from dcmarket.sim.p2p.config import P2PScenario
from dcmarket.sim.p2p.coordination import CoordinationModel
from dcmarket.sim.p2p.equilibrium import Equilibrium, equilibrium_gain
from dcmarket.sim.p2p.mechanisms import outcome_of_loop
from dcmarket.sim.p2p.results import schedules_frame
from dcmarket.sim.papers import P2P_PAPER_SCENARIOS, P2P_TABLE_I
from dcmarket.sim.run_folder import RunFolder

PEAK_HOURS = slice(11, 19)  # hours 11–18, where the paper's grid congests


@dataclass
class RunOutcome:
    label: str
    model: CoordinationModel
    schedules: dict[str, DCSchedule]
    outer: pd.DataFrame
    wall_s: float
    timings: dict[str, float] = field(default_factory=dict)
    _outcome: Outcome | None = field(default=None, repr=False)

    @property
    def outcome(self) -> Outcome:
        """This run as its mechanism's :class:`Outcome` (the tables read from it)."""
        if self._outcome is None:
            trading = self.label == "with market"
            name = ("bilevel_bisection" if self.model.bisection else "bilevel_plain") \
                if trading else "no_trade"
            self._outcome = outcome_of_loop(name, self.model, trading,
                                            self.model.bilevel_converged, self.schedules)
        return self._outcome

    @property
    def profit(self) -> dict[str, float]:
        return self.outcome.profits

    @property
    def energy_mwh(self) -> float:
        return sum(s.energy_mwh for s in self.schedules.values())

    def dc_lmp(self) -> pd.DataFrame:
        """LMP ($/MWh) at each DC's bus per hour at the converged point."""
        return pd.DataFrame(self.model.dc_lmps())

    def peak_spread(self) -> float:
        """Mean over hours 11–18 of max − min LMP across the DC buses."""
        frame = self.dc_lmp().iloc[PEAK_HOURS]
        return float((frame.max(axis=1) - frame.min(axis=1)).mean())


def run_one(scenario: P2PScenario, trading: bool, bisection: bool = True,
            max_outer: int | None = None) -> RunOutcome:
    tic = time.perf_counter()
    from dcmarket.sim.progress import bar

    model = CoordinationModel(scenario, trading=trading, bisection=bisection)
    cap = max_outer or scenario.bilevel.max_outer
    desc = f"{'bisection' if bisection else 'plain'} {'with' if trading else 'without'} market"
    with bar(total=cap, desc=desc, unit="outer") as progress:
        while not model.bilevel_converged and len(model.outer) < cap:
            record = model.outer_step()
            lmps = np.array(list(model.dc_lmps().values()))
            progress.update()
            progress.set_postfix_str(
                f"ΔPg {record.power_residual:.2g} MW, LMP spread "
                f"{np.max(lmps.max(axis=0) - lmps.min(axis=0)):.1f} $/MWh, "
                f"{record.inner_rounds} ADMM rounds")
    outer = pd.DataFrame([r.__dict__ for r in model.outer])
    if trading and model.last_market is not None:
        schedules = model.last_market.schedules
    else:
        schedules = {n: dc.solve_alone() for n, dc in model.dcs.items()}
    return RunOutcome("with market" if trading else "without market", model, schedules, outer,
                      time.perf_counter() - tic)


def table_one(without: RunOutcome, with_: RunOutcome,
              equilibria: tuple[Equilibrium, Equilibrium]) -> pd.DataFrame:
    """Table I from the bisection loop and from the competitive equilibrium,
    beside the paper's."""
    rows = []
    eq_without, eq_with = (e.profits for e in equilibria)
    papers = P2P_TABLE_I if without.model.scenario.name in P2P_PAPER_SCENARIOS else {}
    for name in without.profit:
        a, b = without.profit[name], with_.profit[name]
        paper = papers.get(name, (np.nan, np.nan))
        rows.append({"dc": name, "profit_without": a, "profit_with": b,
                     "change_pct": 100 * (b / a - 1),
                     "equilibrium_without": eq_without[name], "equilibrium_with": eq_with[name],
                     "equilibrium_change_pct": 100 * (eq_with[name] / eq_without[name] - 1),
                     "paper_without": paper[0], "paper_with": paper[1],
                     "paper_change_pct": 100 * (paper[1] / paper[0] - 1)})
    keys = ("profit_without", "profit_with", "equilibrium_without", "equilibrium_with",
            "paper_without", "paper_with")
    total = {k: sum(r[k] for r in rows) for k in keys}
    rows.append({"dc": "total", **total,
                 "change_pct": 100 * (total["profit_with"] / total["profit_without"] - 1),
                 "equilibrium_change_pct": 100 * (total["equilibrium_with"]
                                                  / total["equilibrium_without"] - 1),
                 "paper_change_pct": 100 * (total["paper_with"] / total["paper_without"] - 1)})
    return pd.DataFrame(rows)


def format_table(table: pd.DataFrame, without: RunOutcome, with_: RunOutcome,
                 equilibria: tuple[Equilibrium, Equilibrium]) -> str:
    paper = bool(table.paper_change_pct.notna().any())  # the paper's own scenario only
    lines = ["          bisection loop (boxes held)       competitive equilibrium"
             + ("        paper" if paper else ""),
             f"{'DC':<6}{'without $':>12}{'with $':>12}{'change':>9}"
             f"{'without $':>12}{'with $':>12}{'change':>9}" + (f"{'change':>13}" if paper else "")]
    for r in table.itertuples():
        lines.append(f"{r.dc:<6}{r.profit_without:>12,.0f}{r.profit_with:>12,.0f}"
                     f"{r.change_pct:>8.1f}%{r.equilibrium_without:>12,.0f}"
                     f"{r.equilibrium_with:>12,.0f}{r.equilibrium_change_pct:>8.1f}%"
                     + (f"{r.paper_change_pct:>12.1f}%" if paper else ""))
    e0, e1 = without.energy_mwh, with_.energy_mwh
    q0, q1 = (e.energy_mwh for e in equilibria)
    lines.append(f"DC energy: {e0:,.1f} → {e1:,.1f} MWh ({100 * (e1 / e0 - 1):+.1f} %; "
                 f"equilibrium {q0:,.1f} → {q1:,.1f}, {100 * (q1 / q0 - 1):+.1f} %"
                 + ("; paper −3.2 %)" if paper else ")"))
    lines.append(f"LMP spread across DC buses, hours 11–18: {without.peak_spread():.2f} → "
                 f"{with_.peak_spread():.2f} $/MWh")
    return "\n".join(lines)


def format_boxes(given_up: dict[str, dict[str, float]]) -> str:
    """Per DC, the profit it gives up by staying inside its bisection box."""
    parts = [f"{run}: " + ", ".join(f"{n} {v:,.0f} $" for n, v in values.items())
             for run, values in given_up.items()]
    return "profit given up inside the bisection boxes — " + "; ".join(parts)


def format_gains(table: pd.DataFrame, summary: dict) -> str:
    """The market's gain measured from both starting points, and why they differ."""
    total = table.set_index("dc").loc["total"]
    given = summary["profit_given_up_in_box"]["without"]
    worst = max(given, key=given.get)
    return (f"market gain: {total.change_pct:+.2f} % from the bisection loop's no-market point "
            f"(boxes narrower than {max(summary['widest_box_mw'].values()):.3f} MW hold it; "
            f"{worst} gives up {given[worst]:,.0f} $ inside its box), "
            f"{total.equilibrium_change_pct:+.2f} % from the competitive equilibrium "
            "(no boxes)" + (f"; paper {total.paper_change_pct:+.1f} %"
                            if np.isfinite(total.paper_change_pct) else ""))


def congestion_sensitivity(run: RunOutcome) -> dict[str, dict[str, float]]:
    """Each DC's PTDF on each line the scenario rates: how its load moves the
    line's flow (none named: none)."""
    net = run.model.case.network
    ptdf = net.ptdf()
    out = {}
    for line in run.model.scenario.grid.line_ratings_mw:
        row = ptdf[net.branch_index(line)]
        out[line] = {n: float(row[net.position(run.model.scenario.spec(n).bus)])
                     for n in run.model.dcs}
    return out


def markets_not_converged(run: RunOutcome) -> list[dict[str, float]]:
    """Each outer iteration whose market stopped at ADMM's round cap, with how far
    it was from the stopping rule (its last residuals against their tolerances)."""
    market = run.model.scenario.market
    out = []
    for record, history in zip(run.model.outer, run.model.inner_histories, strict=False):
        if record.inner_converged or history.empty:
            continue
        last = history.iloc[-1]
        out.append({"outer": int(record.iteration), "rounds": int(record.inner_rounds),
                    "cap": int(run.model.scenario.round_cap),
                    "primal_residual": float(last.primal_residual),
                    "tol_primal": float(market.tol_primal),
                    "dual_change": float(last.dual_change), "tol_dual": float(market.tol_dual)})
    return out


def write_run_folder(out: Path, scenario: P2PScenario, runs: dict[str, RunOutcome],
                     plain: RunOutcome, summary: dict) -> RunFolder:
    """Inputs, LMPs, schedules, residuals, boxes and message logs; sealed by the caller."""
    folder = RunFolder(out)
    folder.text("scenario_resolved.json", scenario.model_dump_json(indent=1))
    case = runs["with"].model.case
    inputs = pd.DataFrame(case.fixed_load_mw, columns=[f"bus{b}" for b in case.network.bus_labels])
    folder.frame("input_fixed_load_mw.csv", inputs.assign(hour=range(len(inputs))))
    avail = pd.DataFrame(case.available_mw, columns=[u.name for u in case.units])
    folder.frame("input_available_mw.csv", avail.assign(hour=range(len(avail))))
    for key, run in runs.items():
        opf = run.model.operator.last
        hours, buses = np.meshgrid(range(opf.lmp.shape[0]), case.network.bus_labels,
                                   indexing="ij")
        long = pd.DataFrame({
            "hour": hours.ravel(), "bus": buses.ravel(),
            "lmp_usd_per_mwh": opf.lmp.ravel(),
            "energy_usd_per_mwh": np.repeat(opf.energy_price, opf.lmp.shape[1]),
            "congestion_usd_per_mwh": opf.congestion.ravel(),
        })
        folder.frame(f"lmp_{key}.csv", long)
        folder.frame(f"dc_schedules_{key}.csv", schedules_frame(run.schedules))
        folder.frame(f"bilevel_residuals_{key}.csv", run.outer)
        folder.frame(f"bisected_pairs_{key}.csv", run.model.bisected_pairs())
        folder.messages(run.model.bus, f"messages_{key}.parquet")
    folder.frame("bilevel_residuals_plain_without.csv", plain.outer)
    market = runs["with"].model.last_market
    if market is not None:
        folder.frame("trades_with.csv", market.trades_frame())
        inner = pd.concat(runs["with"].model.inner_histories, ignore_index=True)
        folder.frame("admm_residuals_with.csv", inner)
    folder.json("summary.json", summary)
    return folder


def run_case_study(scenario: P2PScenario, out: Path | None = None,
                   plain_cap: int = 12, command: str = "dcmarket case-study",
                   sensitivity: pd.DataFrame | None = None) -> tuple[str, dict]:
    """Both bi-level loops, the plain loop, the equilibrium twin; ``sensitivity``
    (a tornado of :mod:`sim.p2p.sensitivity`) is written and drawn with them."""
    tic = time.perf_counter()
    plain = run_one(scenario, trading=False, bisection=False, max_outer=plain_cap)
    without = run_one(scenario, trading=False)
    # Both runs start from the DCs alone at the scenario's LMP guess.  (Starting
    # the market from the no-market equilibrium was tried: it took longer, an
    # early outer iteration hit the ADMM round cap.)
    with_ = run_one(scenario, trading=True)
    eq_without, eq_with, eq_gain = equilibrium_gain(scenario)
    equilibria = (eq_without, eq_with)
    wall = time.perf_counter() - tic
    table = table_one(without, with_, equilibria)
    inner_ok = bool(with_.outer.inner_converged.all())
    stopped = markets_not_converged(with_)
    summary = {
        "study": "p2p",
        "kind": "case_study",
        "scenario_name": scenario.name,
        "profit_without": without.profit,
        "profit_with": with_.profit,
        "outcomes": [r.outcome.check().summary() for r in (without, with_)],
        "energy_mwh_without": without.energy_mwh,
        "energy_mwh_with": with_.energy_mwh,
        "outer_iterations": {"without": len(without.outer), "with": len(with_.outer)},
        "bilevel_converged": bool(without.model.bilevel_converged
                                  and with_.model.bilevel_converged),
        "plain_loop_oscillated": bool(plain.model.oscillation_seen
                                      and not plain.model.bilevel_converged),
        "admm_converged_all": inner_ok,
        "admm_not_converged": stopped,
        "converged": bool(without.model.bilevel_converged and with_.model.bilevel_converged
                          and inner_ok),
        "table_I": table.to_dict(orient="records"),
        "lmp_spread_peak_without": without.peak_spread(),
        "lmp_spread_peak_with": with_.peak_spread(),
        "load_shed_mwh": {"without": float(without.model.operator.last.shed.sum()),
                          "with": float(with_.model.operator.last.shed.sum())},
        "ptdf_on_rated_lines": congestion_sensitivity(with_),
        "profit_given_up_in_box": {
            "without": {n: dc.profit_given_up_in_box(without.schedules[n], None)
                        for n, dc in without.model.dcs.items()},
            "with": {n: dc.profit_given_up_in_box(
                with_.schedules[n], with_.model.last_market.link_prices)
                for n, dc in with_.model.dcs.items()},
        },
        "equilibrium": {
            "profit_without": eq_without.profits, "profit_with": eq_with.profits,
            "gain_pct": eq_gain,
            "energy_mwh_without": eq_without.energy_mwh, "energy_mwh_with": eq_with.energy_mwh,
            "load_shed_mwh": {"without": eq_without.shed_mwh, "with": eq_with.shed_mwh},
            "solve_s": eq_without.solve_s + eq_with.solve_s,
        },
        "widest_box_mw": {"without": float(without.outer.widest_box_mw.iloc[-1]),
                          "with": float(with_.outer.widest_box_mw.iloc[-1])},
        "wall_s": wall,
        "grid_s": sum(r.model.operator.solve_s for r in (plain, without, with_)),
        "market_s": sum(r.model.market_s for r in (plain, without, with_)),
    }
    summary["other_s"] = wall - summary["grid_s"] - summary["market_s"]
    text = "\n".join([
        format_table(table, without, with_, equilibria),
        format_boxes(summary["profit_given_up_in_box"]),
        format_gains(table, summary)])
    if out is not None:
        folder = write_run_folder(out, scenario, {"without": without, "with": with_}, plain,
                                  summary)
        from dcmarket.sim.p2p.plots import case_study_figures

        case_study_figures(out, without, with_, plain)
        if sensitivity is not None:
            from dcmarket.sim.p2p.plots import tornado_figure

            folder.frame("sensitivity.csv", sensitivity)
            tornado_figure(sensitivity, out / "fig_sensitivity_tornado.png")
        folder.finish(command, scenario,
                      {key: summary[key] for key in ("wall_s", "grid_s", "market_s", "other_s")})
    return text, summary
