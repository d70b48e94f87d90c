"""Strategic play at speed: one grade, a tournament, and the incentive checks
of VCG against pay-as-bid (docs/strategies.md).

- ``grade_4dc_s``: one strategy graded on the 4-DC market, its deviation
  family included (target ≤ 60 s on 2 cores);
- ``tournament_10x3_s``: 10 entrants × 3 seeds on the 4-DC market, each
  entrant in its own process (target ≤ 10 min);
- ``vcg_max_misreport_gain``: the largest gain of any markup of the family
  under VCG, relative to the bidder's true cost, over the shipped DR day's
  auctions (brute-force winners), and on the 4-DC fleet relative to the DC's
  truthful profit (must be ≤ 1e-6);
- ``payasbid_best_markup_gain_rel``: the best markup's gain under pay-as-bid
  on the same auctions, relative to the bidder's true cost.

    python benchmarks/strategies.py

The last line is JSON.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import dcmarket
from dcmarket.market.vcg import markup_gains
from dcmarket.sim.dr.model import DRModel
from dcmarket.sim.dr.study import day_prices
from dcmarket.sim.strategic.tournament import tournament

MARKUPS = (0.5, 0.8, 0.9, 0.95, 1.05, 1.1, 1.2, 1.5, 2.0, 3.0)
P2P_FAMILY = ([{"name": "misreport_cost", "factor": f} for f in (0.8, 0.9, 1.1, 1.25)]
              + [{"name": "withhold", "share": s} for s in (0.25, 0.5, 0.75)])
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "strategies" / "p2p"

ENTRANT = '''
import numpy as np
from dcmarket import DataCentreStrategy


class Entrant(DataCentreStrategy):
    name = "{name}"

    def trade_limits(self, limits):
        return {{j: q * (1 - {withhold}) for j, q in limits.items()}}

    def estimate(self, partner, y, trades):
        return y * {scale}
'''


def entrants(folder: Path) -> None:
    """Ten entrants: the three examples and seven variations of withholding and scaling."""
    for path in EXAMPLES.glob("*.py"):
        (folder / path.name).write_text(path.read_text())
    for i, (withhold, scale) in enumerate([(0.1, 1.0), (0.2, 1.0), (0.3, 1.0), (0.4, 1.0),
                                           (0.6, 1.0), (0.0, 1.01), (0.25, 1.001)]):
        (folder / f"variant{i}.py").write_text(ENTRANT.format(name=f"variant{i}",
                                                              withhold=withhold, scale=scale))


def main() -> None:
    figures = {}
    tic = time.perf_counter()
    scenario = dcmarket.load("p2p_4dc_fixed_lmp", strategies={"DC2": {"name": "withhold",
                                                                      "share": 0.25}})
    dcmarket.grade(scenario, "DC2")
    figures["grade_4dc_s"] = time.perf_counter() - tic

    with tempfile.TemporaryDirectory() as folder:
        entrants(Path(folder))
        tic = time.perf_counter()
        result = tournament(Path(folder), dcmarket.load("p2p_4dc_fixed_lmp"), seeds=3,
                            seats="DC2")
        figures["tournament_10x3_s"] = time.perf_counter() - tic
        figures["tournament_entrants"] = len(result.leaderboard)
        figures["tournament_winner"] = str(result.leaderboard.entrant.iloc[0])

    dr = dcmarket.load("dr_2000hosts")
    _, actual = day_prices(dr)
    problems = DRModel(dr, "OP", actual, actual).run_day().dc.disclose().problems
    rel = {"vcg": [], "pay_as_bid": []}
    for problem in problems:
        for rule in rel:
            rel[rule] += [gain / cost for _, _, gain, cost in
                          markup_gains(problem, MARKUPS, rule) if cost > 0]
    fleet = dcmarket.run(dcmarket.load("p2p_4dc_fixed_lmp"), "vcg")
    p2p = [(dcmarket.run(dcmarket.load("p2p_4dc_fixed_lmp", strategies={dc: spec}), "vcg")
            .profits[dc] - fleet.profits[dc]) / abs(fleet.profits[dc])
           for dc in fleet.profits for spec in P2P_FAMILY]
    figures["vcg_max_misreport_gain"] = max(max(rel["vcg"]), max(p2p))
    figures["vcg_max_misreport_gain_dr"] = max(rel["vcg"])
    figures["vcg_max_misreport_gain_p2p"] = max(p2p)
    figures["payasbid_best_markup_gain_rel"] = max(rel["pay_as_bid"])
    figures["auctions"] = len(problems)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
