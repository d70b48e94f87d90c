"""VCG in the reverse auction (paper 002's winner selection, Clarke pivot):
checked against brute force on the shipped day's ten-user auctions — no
markup in the family gains under VCG, the best markup gains under pay-as-bid,
and the buyer's extra outlay (VCG's price of truthfulness) is reported."""

from __future__ import annotations

import numpy as np
import pytest

from dcmarket.market.auction import WinnerSelection, select_exact
from dcmarket.market.vcg import auction_vcg_payments, markup_gains, select_brute, without
from dcmarket.sim.dr.config import load_dr_scenario
from dcmarket.sim.dr.model import DRModel
from dcmarket.sim.dr.study import day_prices
from dcmarket.sim.scenario import scenario_path

#: the markup family a DR user may deviate in (factor × its true cost)
MARKUPS = (0.5, 0.8, 0.9, 0.95, 1.05, 1.1, 1.2, 1.5, 2.0, 3.0)


@pytest.fixture(scope="module")
def auctions() -> list[WinnerSelection]:
    """The auctions OP runs on the shipped day (truthful users: fee = true cost)."""
    scenario = load_dr_scenario(str(scenario_path("dr_2000hosts")))
    _, actual = day_prices(scenario)
    problems = DRModel(scenario, "OP", actual, actual).run_day().dc.disclose().problems
    assert len(problems) >= 4
    return list(problems)


def best_gain(problem: WinnerSelection, rule: str) -> tuple[float, float]:
    """The largest gain of one user's markup over its truthful bid (all users,
    all markups; winners by brute force), and the true cost it is measured against."""
    return max((gain, cost) for _, _, gain, cost in
               markup_gains(problem, MARKUPS, rule, select_brute))


def test_vcg_payments_from_the_milp_equal_brute_forces(auctions):
    for problem in auctions:
        exact, brute = select_exact(problem), select_brute(problem)
        assert exact.value_eur == pytest.approx(brute.value_eur, rel=1e-6, abs=1e-9)
        np.testing.assert_allclose(auction_vcg_payments(problem, exact, select_exact),
                                   auction_vcg_payments(problem, brute, select_brute),
                                   rtol=1e-4, atol=1e-6)


def test_vcg_pays_every_winner_at_least_its_bid_and_the_pivot_is_the_market_without_it(
        auctions):
    for problem in auctions:
        chosen = select_brute(problem)
        paid = auction_vcg_payments(problem, chosen, select_brute)
        assert np.all(paid[chosen.winners] >= problem.fee[chosen.winners] - 1e-9)
        assert np.all(paid[~chosen.winners] == 0.0)
        for u in np.flatnonzero(chosen.winners):  # p_u − c_u = S* − S*_{−u}, by its definition
            marginal = chosen.value_eur - select_brute(without(problem, int(u))).value_eur
            assert paid[u] - problem.fee[u] == pytest.approx(marginal, abs=1e-9)


def test_no_markup_gains_under_vcg_and_the_best_one_gains_under_pay_as_bid(auctions):
    vcg = [best_gain(p, "vcg") for p in auctions]
    pay_as_bid = [best_gain(p, "pay_as_bid") for p in auctions]
    assert all(gain <= 1e-6 * max(1.0, cost) for gain, cost in vcg)
    assert max(g for g, _ in pay_as_bid) > 1e-3  # shading up pays, in some auction


def test_vcg_costs_the_buyer_more_than_pay_as_bid(auctions):
    """The deficit VCG runs for the buyer has the sign theory says: Σ payments
    ≥ Σ winning bids (the DC pays for truthfulness)."""
    extra = 0.0
    for problem in auctions:
        chosen = select_brute(problem)
        extra += float(auction_vcg_payments(problem, chosen, select_brute).sum()
                       - problem.fee[chosen.winners].sum())
    assert extra >= 0.0
