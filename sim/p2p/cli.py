"""The P2P study's commands: ``dcmarket run`` on a market at fixed LMPs and
``dcmarket case-study`` (paper 000's grid + market).

``run`` prints each DC's profit without and with trading beside the
centralised twin and, with ``--out DIR``, writes a run folder (resolved
scenario, tidy results, the message log, figures, summary, manifest).
An unconverged market says so first and reports no welfare gap.
"""

from __future__ import annotations

import time
from pathlib import Path

from dcmarket.sim.p2p.config import P2PScenario
from dcmarket.sim.p2p.model import (
    MarketResult,
    P2PMarketModel,
    centralised_twin,
    standalone_schedules,
)
from dcmarket.sim.p2p.results import schedules_frame
from dcmarket.sim.run_folder import RunFolder


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


def run_market(scenario: P2PScenario, source: Path, out: Path | None, backend: str | None,
               max_rounds: int | None, command: str = "dcmarket run") -> int:
    """``dcmarket run`` on a P2P scenario without a grid: the market at fixed LMPs."""
    tic = time.perf_counter()
    model = P2PMarketModel(scenario, backend=backend)
    result = run_with_progress(model, max_rounds)
    alone = standalone_schedules(model)
    twin, total_revenue = centralised_twin(scenario)
    wall = time.perf_counter() - tic
    welfare_twin = total_revenue - twin.total_cost
    gap = (welfare_twin - result.welfare) / abs(welfare_twin)
    last = result.history.iloc[-1]
    residuals = (f"primal {last.primal_residual:.3g} M req/h (tol {scenario.market.tol_primal:g}), "
                 f"disagreement {last.dual_disagreement:.3g} $/M req, change "
                 f"{last.dual_change:.3g} (tol {scenario.market.tol_dual:g})")
    if not result.converged:
        print(f"NOT CONVERGED: the ADMM stopped at its cap of {result.rounds} rounds with "
              f"residuals {residuals}.\nThe numbers below are its last iterate, not a market "
              "equilibrium; no welfare gap to the optimum is reported.\n")
    print(f"scenario {scenario.name} ({source.name}): {len(scenario.names)} DCs x "
          f"{scenario.hours} h at fixed LMPs")
    status = "converged" if result.converged else "NOT CONVERGED (round cap)"
    print(f"dual-consensus ADMM: {status} in {result.rounds} rounds, "
          f"{result.clearing_s:.2f} s, c = {model.penalty:.1f}, backend {model.backend}")
    print(f"residuals: {residuals}")
    if result.converged:
        print(f"welfare {result.welfare:,.0f} $ vs centralised twin {welfare_twin:,.0f} $ "
              f"(gap {100 * gap:.4f} %)\n")
    title = "profit by DC" if result.converged else \
        "profit by DC — NOT CONVERGED, last iterate"
    print(title)
    print(profit_table(scenario, alone, result))
    if out:
        write_run(out, source, scenario, alone, result, model, gap, wall, command)
        print(f"\nrun folder: {out}")
    return 0 if result.converged else 3


def run_with_progress(model: P2PMarketModel, max_rounds: int | None) -> MarketResult:
    """``model.run`` with a progress bar of rounds and residuals (on a terminal)."""
    from dcmarket.sim.progress import bar

    cap = max_rounds or model.scenario.market.max_rounds
    with bar(total=cap, desc="ADMM", unit="round") as progress:
        while model.running and model.round < cap:
            model.step()
            r = model.history[-1]
            progress.update()
            progress.set_postfix_str(f"primal {r.primal_residual:.2g} "
                                     f"dual {max(r.dual_disagreement, r.dual_change):.2g}")
    return model.result()


def write_run(out: Path, source: Path, scenario: P2PScenario, alone: dict,
              result: MarketResult, model: P2PMarketModel, gap: float, wall: float,
              command: str) -> None:
    """Scenario, schedules, trades, residuals, the message log, figures and a summary."""
    folder = RunFolder(out)
    folder.text("scenario.json", scenario.model_dump_json(indent=1))
    folder.frame("schedules_with_market.csv", schedules_frame(result.schedules))
    folder.frame("schedules_alone.csv", schedules_frame(alone))
    folder.frame("trades.csv", result.trades_frame())
    folder.frame("admm_residuals.csv", result.history)
    folder.messages(model.bus)
    summary = {
        "study": "p2p",
        "kind": "market",
        "scenario": str(source),
        "scenario_name": scenario.name,
        "converged": result.converged,
        "rounds": result.rounds,
        "clearing_s": result.clearing_s,
        "wall_s": wall,
        "welfare_gap_rel": gap if result.converged else None,
        "profit_without": {n: s.profit for n, s in alone.items()},
        "profit_with": {n: s.profit for n, s in result.schedules.items()},
        "energy_mwh_without": sum(s.energy_mwh for s in alone.values()),
        "energy_mwh_with": sum(s.energy_mwh for s in result.schedules.values()),
        "tolerances": {"primal": scenario.market.tol_primal, "dual": scenario.market.tol_dual},
    }
    folder.json("summary.json", summary)
    from dcmarket.sim.p2p.plots import market_figures

    market_figures(out, scenario, result)
    folder.finish(command, scenario, {"wall_s": wall, "clearing_s": result.clearing_s})


def run_case_study_cli(scenario: P2PScenario, out: Path | None,
                       command: str = "dcmarket case-study", sensitivity=None) -> int:
    """``dcmarket case-study``: paper 000's grid + market case study."""
    from dcmarket.sim.p2p.case_study import run_case_study

    print(f"case study {scenario.name}: {len(scenario.names)} DCs on {scenario.grid.network}, "
          "bi-level loop without and with the P2P market ...", flush=True)
    text, summary = run_case_study(scenario, out, command=command, sensitivity=sensitivity)
    converged = summary["bilevel_converged"] and summary["admm_converged_all"]
    if not converged:
        print("NOT CONVERGED: " + ("the bi-level loop hit its outer cap" if not
              summary["bilevel_converged"] else "the market did not converge in every outer "
              "iteration") + "; the table below is the last iterate, not an equilibrium.")
    print(text)
    print(f"outer iterations: without {summary['outer_iterations']['without']}, with "
          f"{summary['outer_iterations']['with']}; bi-level converged: "
          f"{summary['bilevel_converged']}; plain loop oscillated: "
          f"{summary['plain_loop_oscillated']}; ADMM converged in every outer iteration: "
          f"{summary['admm_converged_all']}; wall {summary['wall_s']:.1f} s")
    if out:
        print(f"run folder: {out}")
    return 0 if converged else 3


def run_study(scenario: P2PScenario, path: Path, out: Path | None, command: str,
              options: dict) -> int:
    """``dcmarket run`` of a P2P scenario: the market at fixed LMPs, or with a
    grid the bi-level case study (options: ``backend``, ``max_rounds``)."""
    if scenario.grid is None:
        return run_market(scenario, path, out, options.get("backend"),
                          options.get("max_rounds"), command)
    return run_case_study_cli(scenario, out, command)
