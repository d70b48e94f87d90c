"""The community's mechanisms: the MILP's outcome is its objective, the
exchange-ADMM twin comes within a percent of it."""

from __future__ import annotations

import pytest

from dcmarket.market.mechanism import run_mechanism
from dcmarket.sim.lec.data import block_inputs
from dcmarket.sim.lec.mechanisms import mechanisms
from dcmarket.sim.lec.model import LECModel
from dcmarket.sim.studies import load_any


def test_the_milp_and_its_twin_as_outcomes():
    scenario = load_any("lec_10households")[1]
    option = scenario.scenarios[-1]
    found = {n: run_mechanism(m()) for n, m in mechanisms(scenario, option).items()}
    oracle = LECModel(scenario, block_inputs(scenario, 0, 1), option).solve_centralised()
    milp, twin = found["centralised_milp"], found["exchange_admm"]
    assert milp.welfare == pytest.approx(-oracle.objective, rel=1e-9)
    assert milp.currency == "EUR" and milp.budget_balance == 0.0
    assert twin.converged and twin.rounds > 0 and twin.messages > 0
    assert 0.99 <= twin.efficiency(milp) <= 1.0 + 1e-9
