"""The P2P study's commands: ``dcmarket run`` (market at fixed LMPs),
``dcmarket messages`` and ``dcmarket case-study`` (paper 000's grid + market).

``run`` prints each DC's profit without and with trading beside the
centralised twin and, with ``--out DIR``, writes a run folder (resolved
scenario, tidy results, the message log, summary, manifest).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from market.messages import write_frame
from sim.p2p.config import P2PScenario, load_scenario
from sim.p2p.model import MarketResult, P2PMarketModel, centralised_twin, standalone_schedules
from sim.p2p.results import schedules_frame
from sim.run_folder import RunFolder
from sim.scenario import scenario_path

DEFAULT_SCENARIO = "p2p_4dc_fixed_lmp"
CASE_SCENARIO = "p2p_ieee30"


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p_msg = sub.add_parser("messages", help="clear the P2P market and write its message log")
    p_msg.add_argument("--scenario", help=f"scenario name or YAML (default: {DEFAULT_SCENARIO})")
    p_msg.add_argument("--out", required=True, help=".parquet or .csv")
    p_msg.add_argument("--max-rounds", type=int, default=None)
    p_msg.set_defaults(func=run_messages)
    p_case = sub.add_parser("case-study", help="paper 000 case study: grid + market, Table I")
    p_case.add_argument("--scenario", help=f"scenario name or YAML (default: {CASE_SCENARIO})")
    p_case.add_argument("--out", help="write a run folder here")
    p_case.set_defaults(func=run_case_study_cli)


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


def run_market(args: argparse.Namespace) -> int:
    """``dcmarket run`` on a P2P scenario without a grid: the market at fixed LMPs."""
    path = scenario_path(args.scenario, DEFAULT_SCENARIO)
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
        write_run(Path(args.out), path, scenario, alone, result, model, gap, wall)
        print(f"\nrun folder: {args.out}")
    return 0 if result.converged else 3


def write_run(out: Path, source: Path, scenario: P2PScenario, alone: dict,
              result: MarketResult, model: P2PMarketModel, gap: float, wall: float) -> None:
    """Scenario, schedules, trades, residuals, the message log and a summary."""
    folder = RunFolder(out)
    folder.text("scenario.json", scenario.model_dump_json(indent=1))
    folder.frame("schedules_with_market.csv", schedules_frame(result.schedules))
    folder.frame("schedules_alone.csv", schedules_frame(alone))
    folder.frame("trades.csv", result.trades_frame())
    folder.frame("admm_residuals.csv", result.history)
    folder.messages(model.bus)
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
    folder.json("summary.json", summary)
    folder.finish("dcmarket run", scenario, {"wall_s": wall, "clearing_s": result.clearing_s})


def run_messages(args: argparse.Namespace) -> int:
    """``dcmarket messages``: clear the market and write its message log."""
    path = scenario_path(args.scenario, DEFAULT_SCENARIO)
    model = P2PMarketModel(load_scenario(path))
    model.run(max_rounds=args.max_rounds)
    write_frame(model.bus.log_frame(), Path(args.out))
    print(f"{len(model.bus)} messages written to {args.out}")
    return 0


def run_case_study_cli(args: argparse.Namespace) -> int:
    """``dcmarket case-study``: paper 000's grid + market case study."""
    from sim.p2p.case_study import run_case_study

    path = scenario_path(args.scenario, CASE_SCENARIO)
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
