"""Every P2P mechanism ends in one Outcome whose welfare means one thing: at
fixed LMPs the DCs' profits (the centralised optimum (36) is the oracle),
with the grid the DCs' net value minus generation and lost-load cost (the
competitive equilibrium's own objective is the oracle)."""

from __future__ import annotations

import numpy as np
import pytest

from dcmarket.agents.p2p.dc_physics import revenue
from dcmarket.market.mechanism import IterativeMechanism, OneShotMechanism, run_mechanism
from dcmarket.market.outcome import Outcome, OutcomeError
from dcmarket.sim.p2p.mechanisms import mechanisms
from dcmarket.sim.p2p.model import centralised_twin
from dcmarket.sim.studies import load_any


@pytest.fixture(scope="module")
def fixed():
    scenario = load_any("p2p_4dc_fixed_lmp")[1]
    return scenario, {name: run_mechanism(make()) for name, make in mechanisms(scenario).items()}


def test_at_fixed_lmps_every_mechanism_applies_and_returns_an_outcome(fixed):
    _, outcomes = fixed
    assert set(outcomes) == {"no_trade", "centralised", "admm_local", "admm_global", "vcg",
                             "sealed_uniform", "sealed_pay_as_bid"}
    for name, outcome in outcomes.items():
        assert isinstance(outcome, Outcome) and outcome.mechanism == name
        assert outcome.currency == "USD" and "profit_usd" in outcome.agents.columns
        assert outcome.converged


def test_welfare_is_the_centralised_optimum_and_payments_balance(fixed):
    scenario, outcomes = fixed
    twin, total_revenue = centralised_twin(scenario)
    optimum = total_revenue - twin.total_cost
    central = outcomes["centralised"]
    assert central.welfare == pytest.approx(optimum, rel=1e-9)
    for name in ("admm_local", "admm_global"):
        assert outcomes[name].efficiency(central) == pytest.approx(1.0, abs=1e-3), name
        scale = sum(abs(p) for p in outcomes[name].payments.values())
        assert abs(outcomes[name].budget_balance) <= 1e-9 * scale
    assert outcomes["no_trade"].welfare < central.welfare
    assert outcomes["no_trade"].messages == 0 and outcomes["admm_local"].messages > 0
    # individual rationality: nobody is worse off in the market than alone
    assert not outcomes["admm_local"].individual_rationality(outcomes["no_trade"], 1e-3)


def test_an_iterative_mechanism_steps_like_the_model():
    scenario = load_any("p2p_4dc_fixed_lmp")[1]
    mechanism = mechanisms(scenario)["admm_local"]()
    assert isinstance(mechanism, IterativeMechanism)
    mechanism.start()
    mechanism.step()
    early = mechanism.outcome()
    assert not early.converged and early.rounds == 1
    final = mechanism.run()
    assert final.converged and final.rounds > 1


def test_with_the_grid_welfare_is_net_value_minus_generation_and_lost_load():
    scenario = load_any("p2p_ieee30")[1]
    made = mechanisms(scenario)
    assert set(made) == {"no_trade", "competitive_equilibrium", "bilevel_bisection",
                         "bilevel_plain"}
    equilibrium = run_mechanism(made["competitive_equilibrium"]())
    assert isinstance(made["competitive_equilibrium"](), OneShotMechanism)
    net_value = sum(revenue(spec, scenario.dt_h) for spec in scenario.datacenters)
    assert equilibrium.welfare == pytest.approx(
        net_value - equilibrium.notes["social_cost_usd"], rel=1e-9)
    assert {"dc_profit", "generator_surplus", "operator_surplus", "fixed_load_bill",
            "shed_load_cost"} == set(equilibrium.welfare_parts)
    loop = run_mechanism(made["bilevel_bisection"]())
    assert loop.converged
    assert loop.efficiency(equilibrium) == pytest.approx(1.0, abs=1e-3)


def test_an_outcome_with_a_number_that_is_not_finite_is_refused(fixed):
    _, outcomes = fixed
    good = outcomes["centralised"]
    agents = good.agents.copy()
    agents.loc[agents.index[0], "profit_usd"] = np.inf
    bad = Outcome("x", "p2p", "USD", agents, good.welfare_parts, True)
    with pytest.raises(OutcomeError, match="not finite: profit_usd"):
        bad.check()
    with pytest.raises(OutcomeError, match="currency"):
        Outcome("x", "p2p", "$", agents, {}, True)
