"""The DR day's mechanisms end in Outcomes whose money balances: the DC pays
the users' fees, the program pays the DC's reward, nothing is left over."""

from __future__ import annotations

import pytest

from dcmarket.market.mechanism import run_mechanism
from dcmarket.sim.dr.mechanisms import mechanisms
from dcmarket.sim.dr.study import day_prices
from dcmarket.sim.studies import load_any


@pytest.fixture(scope="module")
def outcomes():
    scenario = load_any("dr_2000hosts")[1]
    history, _ = day_prices(scenario)
    made = mechanisms(scenario, forecast=history[-1])  # seasonal naive: no LSTM
    return scenario, {name: run_mechanism(make()) for name, make in made.items()}


def test_every_dr_mechanism_balances_its_budget(outcomes):
    scenario, found = outcomes
    assert set(found) == {"op_ga", "op_exact", "op_vcg", "op_uniform", "best_effort", "static"}
    for name, outcome in found.items():
        assert outcome.currency == "EUR" and outcome.rounds == 24 and outcome.converged
        assert abs(outcome.budget_balance) <= 1e-9 * (1 + sum(
            abs(p) for p in outcome.payments.values())), name
        assert set(outcome.agents.index) == {"DC", "grid", *scenario.user_names()}


def test_truthful_users_paid_as_bid_break_even_and_only_op_runs_auctions(outcomes):
    _, found = outcomes
    for name in ("op_ga", "op_exact"):
        assert found[name].notes["auctions"] > 0
        assert found[name].welfare_parts["users_surplus"] == pytest.approx(0.0, abs=1e-9)
    for name in ("best_effort", "static"):
        assert found[name].notes["auctions"] == 0
    assert found["static"].welfare_parts["program_cost"] == 0.0
