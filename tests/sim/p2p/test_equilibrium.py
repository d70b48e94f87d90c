"""The competitive-equilibrium twin: its prices are ones nobody wants to move at.

Checked against independent solves: the operator's DC-OPF (itself checked
against pandapower) at the twin's DC demand gives the twin's LMPs, and each
DC re-optimising alone at the twin's LMPs (and link prices) cannot beat its
share of the joint solution.
"""

from __future__ import annotations

import numpy as np
import pytest

from dcmarket.agents.p2p.dc_physics import build_local_program, revenue
from dcmarket.grid.dcopf import DCOPF
from dcmarket.market.links import LinkIndex
from dcmarket.market.solvers import solve_lp
from dcmarket.sim.p2p.config import parse_scenario
from dcmarket.sim.p2p.coordination import build_grid_case
from dcmarket.sim.p2p.equilibrium import EquilibriumError, competitive_equilibrium
from dcmarket.sim.p2p.instances import ieee30_scenario
from dcmarket.sim.p2p.model import partner_limits


@pytest.fixture(scope="module")
def scenario():
    return parse_scenario(ieee30_scenario())


@pytest.fixture(scope="module", params=[False, True], ids=["without", "with"])
def equilibrium(request, scenario):
    return competitive_equilibrium(scenario, trading=request.param)


def operators_opf(scenario, eq):
    """The grid operator's own DC-OPF at the DCs' demand in ``eq`` (and its network)."""
    case = build_grid_case(scenario.grid, scenario.hours)
    net = case.network
    load = case.fixed_load_mw.copy()
    for spec in scenario.datacenters:
        load[:, net.position(spec.bus)] += eq.grid_mw[spec.name]
    voll = scenario.grid.value_of_lost_load * scenario.grid.cost_factor
    return DCOPF(net, case.units, scenario.hours, voll).solve(load, case.available_mw), net


def test_lmps_are_the_operators_dcopf_at_the_dcs_demand(scenario, equilibrium):
    opf, net = operators_opf(scenario, equilibrium)
    assert float(np.ptp(opf.lmp)) > 1.0, "the check needs a congested day to mean something"
    # where a rated line sits exactly at its limit both problems are degenerate
    # and any congestion price in an interval is right; elsewhere prices are unique
    rated = np.isfinite(net.rating_mw)
    at_limit = (np.abs(np.abs(opf.flows[:, rated]) - net.rating_mw[rated]) < 1e-3).any(axis=1)
    assert (~at_limit).sum() >= scenario.hours // 2
    assert np.allclose(equilibrium.lmp[~at_limit], opf.lmp[~at_limit], atol=2e-3)
    assert equilibrium.shed_mwh < 1e-6


def test_each_dc_is_at_a_best_response(scenario, equilibrium):
    links = LinkIndex.of(scenario.trading_graph(), scenario.hours)
    limits = scenario.trade_limits()
    for spec in scenario.datacenters:
        own = (partner_limits(limits, links, spec.name) if equilibrium.trading
               else dict.fromkeys(links.partners(spec.name), 0.0))
        lp = build_local_program(spec, equilibrium.dc_lmp[spec.name], own, scenario.dt_h)
        if equilibrium.link_prices is not None:
            cost = lp.cost.copy()
            cost[lp.blocks["trades"]] += equilibrium.link_prices[links.rows_of(spec.name)]
            lp = type(lp)(**{**lp.__dict__, "cost": cost})
        best = revenue(spec, scenario.dt_h) - solve_lp(lp, spec.name).objective
        share = equilibrium.profits[spec.name]
        # to the interior point's tolerance on a degenerate LP (see SOLVER)
        assert share <= best + 1e-6 * abs(best), spec.name
        assert best - share <= 1e-4 * abs(best), spec.name


def test_trades_are_reciprocal_and_payments_cancel(scenario):
    eq = competitive_equilibrium(scenario, trading=True)
    links = LinkIndex.of(scenario.trading_graph(), scenario.hours)
    total = np.zeros(links.n_rows)
    paid = 0.0
    for name, traded in eq.trades.items():
        np.add.at(total, links.rows_of(name), traded)
        paid += float(eq.link_prices[links.rows_of(name)] @ traded)
    assert np.abs(total).max() < 1e-5
    assert abs(paid) < 1e-3 * sum(abs(p) for p in eq.profits.values())
    assert np.abs(np.concatenate(list(eq.trades.values()))).max() > 1.0  # it does trade


def test_market_cannot_raise_the_social_cost(scenario):
    """Trading widens the joint feasible set (q = 0 stays feasible), so the joint
    optimum, DC costs plus generation, cannot rise (a derived bound)."""
    without = competitive_equilibrium(scenario, trading=False)
    with_ = competitive_equilibrium(scenario, trading=True)
    assert with_.social_cost <= without.social_cost + 1e-6 * abs(without.social_cost)


def test_a_grid_that_cannot_serve_its_load_names_the_status(scenario):
    starved = scenario.model_copy(update={"grid": scenario.grid.model_copy(
        update={"value_of_lost_load": None, "thermal_units": tuple(
            u.model_copy(update={"p_max_mw": 1.0}) for u in scenario.grid.thermal_units)})})
    with pytest.raises(EquilibriumError, match="status 'infeasible'"):
        competitive_equilibrium(starved, trading=False)


def test_the_papers_day_facts_are_measured_on_the_equilibrium(scenario):
    """Hours whose LMPs differ across the DC buses are hours in which a rated
    line sits at its limit in the operator's own DC-OPF (nothing else splits
    prices in a DC network), and the score is a share."""
    from dcmarket.sim.p2p.paper_day import day_facts

    eq = competitive_equilibrium(scenario, trading=False)
    facts = day_facts(scenario, eq)
    opf, net = operators_opf(scenario, eq)
    rated = np.isfinite(net.rating_mw)
    at_limit = set(np.flatnonzero(
        (np.abs(np.abs(opf.flows[:, rated]) - net.rating_mw[rated]) < 1e-3).any(axis=1)))
    assert facts.congested_hours and facts.congested_hours <= at_limit
    assert 0.0 <= facts.score() <= 1.0
    assert len(facts.peak_workload_hours) == 6


def test_the_calibrated_day_says_what_the_paper_says_about_its_day():
    """p2p_ieee30_paper_day was chosen against the paper's statements (section VI-A):
    its busiest hours and spiking DCs are the paper's, its congested hours overlap
    the paper's 11-18 in at least seven of eight, and it agrees better than the
    reference case."""
    from dcmarket.sim.p2p.paper_day import (
        PAPER_CONGESTED,
        PAPER_PEAK_WORKLOAD,
        PAPER_SPIKING,
        day_facts,
    )
    from dcmarket.sim.studies import load_any

    _, calibrated, _ = load_any("p2p_ieee30_paper_day", [], study="p2p")
    _, reference, _ = load_any("p2p_ieee30", [], study="p2p")
    facts = day_facts(calibrated)
    assert facts.peak_workload_hours == PAPER_PEAK_WORKLOAD
    assert facts.spiking == PAPER_SPIKING
    assert len(facts.congested_hours & PAPER_CONGESTED) >= 7
    assert facts.dc1_full_hours & PAPER_PEAK_WORKLOAD
    assert facts.score() > day_facts(reference).score()
