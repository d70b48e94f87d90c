"""Grid operator and DC market in one model: the bi-level loop end to end."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from dcmarket.agents.p2p.datacenter import MONITOR
from dcmarket.market.protocols import (
    BISECTION_BOX,
    DEMAND_BID,
    LMP,
    MARKET_OFFER,
    OUTER_REPORT,
    PRICE_ESTIMATE,
    ROUND_REPORT,
    TRADE_ACCEPTANCE,
    TRADE_CONFIRMATION,
)
from dcmarket.sim.p2p.config import parse_scenario
from dcmarket.sim.p2p.coordination import OPERATOR, CoordinationModel
from dcmarket.sim.p2p.instances import ieee30_scenario
from dcmarket.sim.scenario import ScenarioError


@pytest.fixture(scope="module")
def grid_raw() -> dict:
    return ieee30_scenario()


def test_plain_loop_oscillates_and_bisection_converges_without_market(grid_raw):
    scenario = parse_scenario(grid_raw)
    plain = CoordinationModel(scenario, trading=False, bisection=False)
    history = plain.run_bilevel(max_outer=12)
    assert plain.oscillation_seen and not plain.bilevel_converged
    assert history.power_residual.iloc[-1] > scenario.bilevel.tol_mw
    assisted = CoordinationModel(scenario, trading=False, bisection=True)
    assisted.run_bilevel()
    assert assisted.bilevel_converged
    assert len(assisted.outer) < scenario.bilevel.max_outer
    assert len(assisted.bisected_pairs()) > 0
    # at the converged point no load is shed
    assert assisted.operator.last.shed.sum() < 1e-6


def test_levels_exchange_only_bids_and_lmps(grid_raw):
    scenario = parse_scenario(grid_raw)
    model = CoordinationModel(scenario, trading=True, bisection=True)
    model.outer_step()
    model.outer_step()
    log = model.bus.header_frame()
    dcs = set(scenario.names)
    across = log[((log.sender == OPERATOR) & log.receiver.isin(dcs))
                 | ((log.receiver == OPERATOR) & log.sender.isin(dcs))]
    assert set(across.kind) <= {DEMAND_BID, LMP, BISECTION_BOX} and {DEMAND_BID, LMP} <= set(
        across.kind)
    between_dcs = log[log.sender.isin(dcs) & log.receiver.isin(dcs)]
    assert set(between_dcs.kind) == {PRICE_ESTIMATE, TRADE_CONFIRMATION}
    to_monitor = log[log.receiver == MONITOR]
    assert set(to_monitor.kind) <= {MARKET_OFFER, ROUND_REPORT, OUTER_REPORT, TRADE_ACCEPTANCE}
    assert {"outer", "round"} <= set(log.columns)
    # LMPs travel before the ADMM rounds; bids before them (opening) or after them
    assert set(across.loc[across.kind == LMP, "round"]) == {0}
    assert set(log.loc[log.kind == PRICE_ESTIMATE, "outer"].dropna()) >= {1, 2}
    assert [rec.iteration for rec in model.outer] == [1, 2]
    # each DC got the LMPs at its own bus, the operator got every DC's bid
    bids = across[across.kind == DEMAND_BID]
    assert sorted(bids.sender) == sorted(scenario.names * 3)  # opening + 2 iterations


def test_grid_input_errors_are_named(grid_raw):
    raw = copy.deepcopy(grid_raw)
    raw["datacenters"][0]["bus"] = 31
    with pytest.raises(ScenarioError, match=r"datacenters\.DC1\.bus: bus 31 does not exist"):
        parse_scenario(raw)
    raw = copy.deepcopy(grid_raw)
    raw["grid"]["load_scaling"] = raw["grid"]["load_scaling"][:-1]
    with pytest.raises(ScenarioError, match="load_scaling: 23 values"):
        parse_scenario(raw)
    raw = copy.deepcopy(grid_raw)
    raw["grid"]["line_ratings_mw"] = {"10-17": 0}
    with pytest.raises(ScenarioError, match="line_ratings_mw"):
        parse_scenario(raw)
    raw = copy.deepcopy(grid_raw)
    raw["grid"]["renewables"][0]["available_mw"] = [1.0] * 5
    with pytest.raises(ScenarioError, match=r"W11\.available_mw: 5 values"):
        parse_scenario(raw)


def test_lmps_reach_the_dc_that_is_at_that_bus(grid_raw):
    scenario = parse_scenario(grid_raw)
    model = CoordinationModel(scenario, trading=False, bisection=False)
    model.outer_step()
    lmp = model.operator.last.lmp
    received = [m for m in model.bus.log if m.kind == LMP]
    for name in model.dcs:
        position = model.case.network.position(scenario.spec(name).bus)
        sent = [m.payload["lmp"] for m in received if m.receiver == name]
        assert np.allclose(sent[-1], lmp[:, position])
