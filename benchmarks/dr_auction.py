"""Speed of the DR study (paper 002): a day of OP / BS / ST, the GA against the exact MILP.

Prints a table and, on its last line, JSON with ``day_all_strategies_s`` (the
three strategies on the shipped day, forecaster training excluded),
``ga_10_users_s`` / ``ga_gap_rel_10_users`` (one GA auction of the shipped
10-user case, its relative gap to the exact optimum, worst over the day's
auctions), and the GA and exact values and times for 100 and 1,000 users
(``exact_1000_users_s``). Auctions for N users come from the same day with
the DC's load split among N users. The GA runs the scenario's budget: the
paper's population 30 × 50 generations, grown with the bidders to at least
U/10 × U/5 (100 × 200 for 1,000 users; ``auction.ga.scale_with_bidders``).
On 1,000 users it is also run with the paper's budget held fixed (keys
``ga_paper_budget_*``), to show what the growth buys.

    python benchmarks/dr_auction.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from dcmarket.market.auction import GASettings, select_exact, select_ga
from dcmarket.sim.dr.config import load_dr_scenario
from dcmarket.sim.dr.model import DRModel
from dcmarket.sim.dr.study import day_prices, run_dr_study
from dcmarket.sim.scenario import scenario_path


def auctions_for(scenario, n_users: int, actual: np.ndarray, forecast: np.ndarray):
    sized = scenario.model_copy(update={"users": scenario.users.model_copy(
        update={"count": n_users})})
    model = DRModel(sized, "OP", actual, forecast).run_day()
    return model.dc.disclose().problems, sized




def compare(problems, exacts, ga_settings, seed: int) -> dict[str, float]:
    worst_gap, ga_s, exact_s, ga_v, exact_v = 0.0, [], [], [], []
    for i, (problem, exact) in enumerate(zip(problems, exacts, strict=True)):
        ga = select_ga(problem, np.random.default_rng([seed, i]), ga_settings)
        gap = (exact.value_eur - ga.value_eur) / max(abs(exact.value_eur), 1e-12)
        worst_gap = max(worst_gap, gap)
        ga_s.append(ga.seconds)
        exact_s.append(exact.seconds)
        ga_v.append(ga.value_eur)
        exact_v.append(exact.value_eur)
    return {"auctions": len(problems), "ga_s": float(np.mean(ga_s)),
            "exact_s": float(np.mean(exact_s)), "exact_s_max": float(np.max(exact_s)),
            "ga_value_eur": float(np.sum(ga_v)), "exact_value_eur": float(np.sum(exact_v)),
            "gap_rel_worst": float(worst_gap)}


def _print(label: str, r: dict) -> None:
    print(f"{label}: {r['auctions']} auctions; GA {r['ga_s'] * 1e3:7.1f} ms, "
          f"exact {r['exact_s'] * 1e3:7.1f} ms (max {r['exact_s_max'] * 1e3:.1f}); "
          f"day's saving GA {r['ga_value_eur']:.3f} € vs exact {r['exact_value_eur']:.3f} €;"
          f" worst gap {100 * r['gap_rel_worst']:.2f} %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    scenario = load_dr_scenario(str(scenario_path("dr_2000hosts")))
    study = run_dr_study(scenario, quality=False)
    days = [study.day_s]
    for _ in range(args.repeat - 1):
        days.append(run_dr_study(scenario, quality=False).day_s)
    _, actual = day_prices(scenario)
    forecast = next(iter(study.forecasts.values())).forecast
    ga_settings = GASettings(**scenario.auction.ga.model_dump())
    results = {}
    for n in (10, 100, 1000):
        problems, _ = auctions_for(scenario, n, actual, forecast)
        exacts = [select_exact(problem) for problem in problems]
        results[n] = compare(problems, exacts, ga_settings, scenario.seed)
        _print(f"{n:>5} users", results[n])
    fixed = compare(problems, exacts,  # the 1,000-user auctions, exact solves reused
                    GASettings(**{**scenario.auction.ga.model_dump(),
                                  "scale_with_bidders": False}), scenario.seed)
    _print(" 1000 users, the paper's 30 x 50 held fixed", fixed)
    print(f"day, OP+BS+ST (training excluded): best {min(days):.2f} s of {len(days)}")
    summary = {
        "day_all_strategies_s": min(days),
        "ga_10_users_s": results[10]["ga_s"],
        "ga_gap_rel_10_users": results[10]["gap_rel_worst"],
        "exact_10_users_s": results[10]["exact_s"],
        "ga_100_users_s": results[100]["ga_s"],
        "exact_100_users_s": results[100]["exact_s"],
        "ga_gap_rel_100_users": results[100]["gap_rel_worst"],
        "ga_1000_users_s": results[1000]["ga_s"],
        "exact_1000_users_s": results[1000]["exact_s"],
        "ga_gap_rel_1000_users": results[1000]["gap_rel_worst"],
        "ga_value_1000_users_eur": results[1000]["ga_value_eur"],
        "exact_value_1000_users_eur": results[1000]["exact_value_eur"],
        "ga_paper_budget_1000_users_s": fixed["ga_s"],
        "ga_paper_budget_gap_rel_1000_users": fixed["gap_rel_worst"],
        "ga_paper_budget_value_1000_users_eur": fixed["ga_value_eur"],
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
