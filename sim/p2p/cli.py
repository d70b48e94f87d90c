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

from dcmarket.market.outcome import Outcome, agents_table
from dcmarket.sim.p2p.config import P2PScenario
from dcmarket.sim.p2p.mechanisms import CURRENCY, ROLE, Centralised, outcome_of_market
from dcmarket.sim.p2p.model import MarketResult, P2PMarketModel, standalone_schedules
from dcmarket.sim.p2p.results import schedules_frame
from dcmarket.sim.run_folder import RunFolder


def profit_table(scenario: P2PScenario, alone: Outcome, market: Outcome) -> str:
    """Each DC's profit and energy alone and in the market, from the two Outcomes."""
    lines = [f"{'DC':<6}{'profit alone $':>16}{'with market $':>16}{'change':>9}"
             f"{'energy alone MWh':>18}{'with MWh':>10}"]
    a_profit, w_profit = alone.profits, market.profits
    a_energy, w_energy = alone.agents["energy_mwh"], market.agents["energy_mwh"]
    totals = [0.0, 0.0, 0.0, 0.0]
    for name in scenario.names:
        if name not in w_profit:  # offline at the end (the fault model's dropout)
            lines.append(f"{name:<6}{a_profit[name]:>16,.0f}{'offline':>16}{'':>9}"
                         f"{float(a_energy[name]):>18,.1f}{'—':>10}")
            continue
        row = (a_profit[name], w_profit[name], float(a_energy[name]), float(w_energy[name]))
        lines.append(f"{name:<6}{row[0]:>16,.0f}{row[1]:>16,.0f}"
                     f"{100 * (row[1] / row[0] - 1):>8.1f}%{row[2]:>18,.1f}{row[3]:>10,.1f}")
        totals = [x + v for x, v in zip(totals, row, strict=True)]
    label = "total" if len(w_profit) == len(scenario.names) else "online"
    lines.append(f"{label:<6}{totals[0]:>16,.0f}{totals[1]:>16,.0f}"
                 f"{100 * (totals[1] / totals[0] - 1):>8.1f}%"
                 f"{totals[2]:>18,.1f}{totals[3]:>10,.1f}")
    return "\n".join(lines)


def run_market(scenario: P2PScenario, source: Path, out: Path | None, backend: str | None,
               max_rounds: int | None, command: str = "dcmarket run") -> int:
    """``dcmarket run`` on a P2P scenario without a grid: the market at fixed LMPs,
    beside no trade and the centralised optimum, every number from their Outcomes."""
    tic = time.perf_counter()
    model = P2PMarketModel(scenario, backend=backend)
    result = run_with_progress(model, max_rounds)
    market = outcome_of_market(f"admm_{scenario.market.estimates}", result,
                               model.bus.sent_messages, model.bus.sent_values).check()
    alone_schedules = standalone_schedules(model)
    alone = _alone_outcome(alone_schedules)
    optimum = Centralised(scenario).clear().check()
    wall = time.perf_counter() - tic
    gap = 1.0 - market.efficiency(optimum)
    last = result.history.iloc[-1]
    residuals = (f"primal {last.primal_residual:.3g} M req/h (tol {scenario.market.tol_primal:g}), "
                 f"disagreement {last.dual_disagreement:.3g} $/M req, change "
                 f"{last.dual_change:.3g} (tol {scenario.market.tol_dual:g})")
    if not result.converged:
        cut = (f"; {', '.join(result.cut_off)} cut off from every neighbour"
               if result.cut_off else "")
        print(f"NOT CONVERGED: the ADMM stopped at its cap of {result.rounds} rounds with "
              f"residuals {residuals}{cut}.\nThe numbers below are its last iterate, not a "
              "market equilibrium; no welfare gap to the optimum is reported.\n")
    print(f"scenario {scenario.name} ({source.name}): {len(scenario.names)} DCs x "
          f"{scenario.hours} h at fixed LMPs")
    status = "converged" if result.converged else "NOT CONVERGED (round cap)"
    print(f"dual-consensus ADMM: {status} in {result.rounds} rounds, "
          f"{result.clearing_s:.2f} s, c = {model.penalty:.1f}, backend {model.backend}")
    print(f"residuals: {residuals}")
    if result.converged:
        print(f"welfare {market.welfare:,.0f} $ vs centralised twin {optimum.welfare:,.0f} $ "
              f"(gap {100 * gap:.4f} %)\n")
    for name, since in result.cut_off.items():
        print(f"{name} was cut off from every neighbour from round {since} (lost or offline "
              "messages beyond its patience): it ran alone and waited for one to speak again")
    if result.inconsistent or result.disputed:
        for name, why in result.inconsistent.items():
            print(f"settlement: {name} named inconsistent: {why}")
        for name, why in result.disputed.items():
            print(f"settlement: {name} disputed: {why}"
                  + ("" if result.converged else " (estimates still moving: not converged)"))
        print()
    title = "profit by DC" if result.converged else \
        "profit by DC — NOT CONVERGED, last iterate"
    print(title)
    print(profit_table(scenario, alone, market))
    if out:
        write_run(out, source, scenario, alone_schedules, result, model, gap, wall, command,
                  (market, alone, optimum))
        print(f"\nrun folder: {out}")
    return 0 if result.converged else 3


def _alone_outcome(schedules: dict) -> Outcome:
    """The DCs' stand-alone schedules (the agents' own solves) as an Outcome."""
    return Outcome("no_trade", "p2p", CURRENCY,
                   agents_table({n: s.profit for n, s in schedules.items()}, {}, CURRENCY,
                                ROLE, energy_mwh={n: s.energy_mwh for n, s in schedules.items()}),
                   {"dc_profit": float(sum(s.profit for s in schedules.values()))},
                   True).check()


def run_with_progress(model: P2PMarketModel, max_rounds: int | None) -> MarketResult:
    """``model.run`` with a progress bar of rounds and residuals (on a terminal)."""
    from dcmarket.sim.progress import bar

    cap = max_rounds or model.scenario.round_cap
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
              command: str, outcomes: tuple[Outcome, ...] = ()) -> None:
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
        "inconsistent": dict(result.inconsistent),
        "disputed": dict(result.disputed),
        "outcomes": [o.summary() for o in outcomes],
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
        for m in summary.get("admm_not_converged", []):
            print(f"  the market of outer iteration {m['outer']} stopped at its cap of "
                  f"{m['cap']} ADMM rounds: primal residual {m['primal_residual']:.3g} M req/h "
                  f"(tol {m['tol_primal']:g}), dual change {m['dual_change']:.3g} "
                  f"(tol {m['tol_dual']:g}); raise market.max_rounds")
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
