"""The ``dcmarket`` command.

``dcmarket run`` clears the P2P cloud-service market of the shipped 4-DC
scenario (or ``--scenario FILE``) at fixed LMPs, prints each DC's profit
without and with trading beside the centralised twin, and with ``--out DIR``
writes a run folder (resolved scenario, tidy results, message log, summary).
``dcmarket case-study`` runs paper 000's grid + market case study;
``dcmarket dr`` paper 002's demand-response day (OP / BS / ST, forecasts);
``dcmarket lec`` paper 001's energy community + DC (a day, a 15-day block, the
year in resumable blocks, the households sweep).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from importlib import resources
from pathlib import Path

from grid.dcopf import OPFError
from grid.forecast import ForecastError
from grid.prices import PriceDataError
from market.auction import BidError
from market.messages import write_frame
from market.solvers import SolveError
from sim.config import P2PScenario, ScenarioError, load_scenario
from sim.manifest import write_manifest
from sim.p2p_market import MarketResult, P2PMarketModel, centralised_twin, standalone_schedules
from sim.results import atomic_write_text, schedules_frame

DEFAULT_SCENARIO = "p2p_4dc_fixed_lmp.yaml"


def scenario_path(given: str | None, default: str = DEFAULT_SCENARIO) -> Path:
    """The ``--scenario`` file, or a shipped one from ``sim/scenarios``."""
    return Path(given) if given else Path(str(resources.files("sim.scenarios") / default))


def profit_table(scenario: P2PScenario, alone: dict, result: MarketResult) -> str:
    lines = [f"{'DC':<6}{'profit alone $':>16}{'with market $':>16}{'change':>9}"
             f"{'energy alone MWh':>18}{'with MWh':>10}"]
    totals = [0.0, 0.0, 0.0, 0.0]
    for name in scenario.names:
        a, w = alone[name], result.schedules[name]
        lines.append(f"{name:<6}{a.profit:>16,.0f}{w.profit:>16,.0f}"
                     f"{100 * (w.profit / a.profit - 1):>8.1f}%"
                     f"{a.energy_mwh:>18,.1f}{w.energy_mwh:>10,.1f}")
        for i, v in enumerate((a.profit, w.profit, a.energy_mwh, w.energy_mwh)):
            totals[i] += v
    lines.append(f"{'total':<6}{totals[0]:>16,.0f}{totals[1]:>16,.0f}"
                 f"{100 * (totals[1] / totals[0] - 1):>8.1f}%"
                 f"{totals[2]:>18,.1f}{totals[3]:>10,.1f}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    path = scenario_path(args.scenario)
    scenario = load_scenario(path)
    tic = time.perf_counter()
    model = P2PMarketModel(scenario, backend=args.backend)
    result = model.run(max_rounds=args.max_rounds)
    alone = standalone_schedules(model)
    twin, total_revenue = centralised_twin(scenario)
    wall = time.perf_counter() - tic
    welfare_twin = total_revenue - twin.total_cost
    gap = (welfare_twin - result.welfare) / abs(welfare_twin)
    status = "converged" if result.converged else "NOT CONVERGED (round cap)"
    print(f"scenario {scenario.name} ({path.name}): {len(scenario.names)} DCs x "
          f"{scenario.hours} h at fixed LMPs")
    print(f"dual-consensus ADMM: {status} in {result.rounds} rounds, "
          f"{result.clearing_s:.2f} s, c = {model.penalty:.1f}, backend {model.backend}")
    last = result.history.iloc[-1]
    print(f"residuals: primal {last.primal_residual:.3g} M req/h, "
          f"disagreement {last.dual_disagreement:.3g} $/M req, change {last.dual_change:.3g}")
    print(f"welfare {result.welfare:,.0f} $ vs centralised twin {welfare_twin:,.0f} $ "
          f"(gap {100 * gap:.4f} %)\n")
    print(profit_table(scenario, alone, result))
    if args.out:
        write_run(Path(args.out), path, scenario, alone, result, gap, wall)
        print(f"\nrun folder: {args.out}")
    return 0 if result.converged else 3


def write_run(out: Path, source: Path, scenario: P2PScenario, alone: dict,
              result: MarketResult, gap: float, wall: float) -> None:
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "scenario.json", scenario.model_dump_json(indent=1))
    write_frame(schedules_frame(result.schedules), out / "schedules_with_market.csv")
    write_frame(schedules_frame(alone), out / "schedules_alone.csv")
    write_frame(result.trades_frame(), out / "trades.csv")
    write_frame(result.history, out / "admm_residuals.csv")
    summary = {
        "scenario": str(source),
        "converged": result.converged,
        "rounds": result.rounds,
        "clearing_s": result.clearing_s,
        "wall_s": wall,
        "welfare_gap_rel": gap,
        "profit_without": {n: s.profit for n, s in alone.items()},
        "profit_with": {n: s.profit for n, s in result.schedules.items()},
        "energy_mwh_without": sum(s.energy_mwh for s in alone.values()),
        "energy_mwh_with": sum(s.energy_mwh for s in result.schedules.values()),
    }
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=1))
    write_manifest(out, "dcmarket run", scenario,
                   {"wall_s": wall, "clearing_s": result.clearing_s})


def _messages(args: argparse.Namespace) -> int:
    path = scenario_path(args.scenario)
    model = P2PMarketModel(load_scenario(path))
    model.run(max_rounds=args.max_rounds)
    write_frame(model.bus.log_frame(), Path(args.out))
    print(f"{len(model.bus)} messages written to {args.out}")
    return 0


def _case_study(args: argparse.Namespace) -> int:
    from sim.case_study import run_case_study

    path = scenario_path(args.scenario, "p2p_ieee30.yaml")
    scenario = load_scenario(path)
    out = Path(args.out) if args.out else None
    print(f"case study {scenario.name}: {len(scenario.names)} DCs on {scenario.grid.network}, "
          "bi-level loop without and with the P2P market ...", flush=True)
    text, summary = run_case_study(scenario, out)
    print(text)
    print(f"outer iterations: without {summary['outer_iterations']['without']}, with "
          f"{summary['outer_iterations']['with']}; bi-level converged: "
          f"{summary['bilevel_converged']}; plain loop oscillated: "
          f"{summary['plain_loop_oscillated']}; ADMM converged in every outer iteration: "
          f"{summary['admm_converged_all']}; wall {summary['wall_s']:.1f} s")
    if out:
        print(f"run folder: {out}")
    return 0 if summary["bilevel_converged"] else 3


def _dr(args: argparse.Namespace) -> int:
    from sim.dr_config import load_dr_scenario
    from sim.dr_study import run_dr_study, study_text, write_dr_run

    path = scenario_path(args.scenario, "dr_2000hosts.yaml")
    scenario = load_dr_scenario(path)
    if args.selector:
        scenario = scenario.model_copy(update={"auction": scenario.auction.model_copy(
            update={"selector": args.selector})})
    print(f"DR study {scenario.name}: day {scenario.day}, {scenario.dc.hosts} hosts, "
          f"{scenario.users.count} users, forecaster {scenario.forecast.method} "
          f"(k = {scenario.forecast.training_days}) ...", flush=True)
    study = run_dr_study(scenario, quality=not args.no_quality)
    print(study_text(study))
    if args.out:
        write_dr_run(study, scenario, Path(args.out))
        print(f"run folder: {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dcmarket", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="clear the P2P market and print profits")
    p_run.add_argument("--scenario", help=f"scenario YAML (default: shipped {DEFAULT_SCENARIO})")
    p_run.add_argument("--out", help="write a run folder here")
    p_run.add_argument("--backend", choices=["clarabel", "osqp", "cvxpy"], default=None)
    p_run.add_argument("--max-rounds", type=int, default=None)
    p_run.set_defaults(func=run)
    p_msg = sub.add_parser("messages", help="clear the market and write its message log")
    p_msg.add_argument("--scenario")
    p_msg.add_argument("--out", required=True, help=".parquet or .csv")
    p_msg.add_argument("--max-rounds", type=int, default=None)
    p_msg.set_defaults(func=_messages)
    p_case = sub.add_parser("case-study", help="paper 000 case study: grid + market, Table I")
    p_case.add_argument("--scenario", help="scenario YAML (default: shipped p2p_ieee30.yaml)")
    p_case.add_argument("--out", help="write a run folder here")
    p_case.set_defaults(func=_case_study)
    p_dr = sub.add_parser("dr", help="paper 002: DC demand response, OP / BS / ST on one day")
    p_dr.add_argument("--scenario", help="scenario YAML (default: shipped dr_2000hosts.yaml)")
    p_dr.add_argument("--out", help="write a run folder (frames, messages, figures) here")
    p_dr.add_argument("--selector", choices=["ga", "exact"], default=None,
                      help="winner selection (default: the scenario's)")
    p_dr.add_argument("--no-quality", action="store_true",
                      help="skip the forecast-quality runs (only the scenario's forecaster)")
    p_dr.set_defaults(func=_dr)
    from sim import lec_cli

    lec_cli.add_parser(sub)
    sub.choices["lec"].set_defaults(func=lambda a: lec_cli.run(a, scenario_path))
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ScenarioError, SolveError, OPFError, ForecastError, PriceDataError,
            BidError) as exc:
        print(f"dcmarket: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
