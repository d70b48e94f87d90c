"""The Python API refuses what the files would refuse: overrides, penalties,
bids, prices and copies of a validated scenario are checked, with the thing
and the value named."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from dcmarket.market.auction import Bid, BidError, WinnerSelection
from dcmarket.sim.scenario import ScenarioError, scenario_path
from dcmarket.sim.studies import load_any


@pytest.fixture(scope="module")
def p2p():
    return load_any("p2p_4dc_fixed_lmp")[1]


@pytest.fixture(scope="module")
def dr():
    return load_any("dr_2000hosts")[1]


@pytest.mark.parametrize("kwargs, words", [
    ({"lmp": {"DC9": np.full(24, 30.0)}}, ["unknown DC", "DC9"]),
    ({"lmp": {"DC1": np.full(23, 30.0)}}, ["DC1", "23"]),
    ({"lmp": {"DC1": np.r_[np.full(5, 30.0), np.nan, np.full(18, 30.0)]}}, ["DC1", "hour 5"]),
    ({"lmp": {"DC2": np.r_[np.inf, np.full(23, 30.0)]}}, ["DC2", "hour 0", "inf"]),
    ({"penalty": 0.0}, ["penalty = 0.0"]),
    ({"penalty": -2.0}, ["penalty = -2.0"]),
    ({"penalty": float("nan")}, ["penalty = nan"]),
], ids=["lmp-unknown-dc", "lmp-short", "lmp-nan", "lmp-inf", "penalty-0", "penalty-neg",
        "penalty-nan"])
def test_market_overrides_are_checked(p2p, kwargs, words):
    from dcmarket.sim.p2p.model import P2PMarketModel

    with pytest.raises(ScenarioError) as caught:
        P2PMarketModel(p2p, **kwargs)
    for word in words:
        assert word in str(caught.value)


@pytest.mark.parametrize("update, field", [
    ({"hours": -1}, "hours"), ({"dt_h": float("nan")}, "dt_h"),
    ({"name": 7}, "name"),
], ids=["hours", "dt", "name"])
def test_a_copy_with_changes_is_validated_again(p2p, update, field):
    with pytest.raises(ValidationError, match=field):
        p2p.model_copy(update=update)


def test_a_copy_of_a_section_is_validated_again(p2p):
    with pytest.raises(ValidationError, match="tol_primal"):
        p2p.market.model_copy(update={"tol_primal": -1.0})
    with pytest.raises(ValidationError, match="cop"):
        p2p.datacenters[0].model_copy(update={"cop": float("inf")})


def test_a_validated_scenario_cannot_be_changed(p2p):
    with pytest.raises(ValidationError):
        p2p.hours = 12
    with pytest.raises(ValidationError):
        p2p.datacenters[0].servers = 1.0


@pytest.mark.parametrize("bid, words", [
    (Bid("user01", 3, 1, 1, -0.5), ["user01", "fee_eur", "-0.5"]),
    (Bid("user02", 3, 1, 1, float("inf")), ["user02", "fee_eur", "inf"]),
    (Bid("user03", 3, -1, 1, 0.1), ["user03", "task counts"]),
], ids=["fee-negative", "fee-inf", "tasks-negative"])
def test_the_auction_checks_bids_it_is_handed(bid, words):
    with pytest.raises(BidError) as caught:
        WinnerSelection(None, [bid])  # the context is not needed to refuse a bid
    for word in words:
        assert word in str(caught.value)


@pytest.mark.parametrize("prices, words", [
    (np.full(23, 40.0), ["prices", "24"]), (np.r_[np.full(23, 40.0), np.nan], ["slot 23"]),
], ids=["short", "nan"])
def test_dr_day_prices_are_checked(dr, prices, words):
    from dcmarket.sim.dr.model import DRModel

    with pytest.raises(ScenarioError) as caught:
        DRModel(dr, "OP", prices, None)
    for word in words:
        assert word in str(caught.value)
    with pytest.raises(ScenarioError, match="XX"):
        DRModel(dr, "XX", np.full(24, 40.0), None)


def test_lec_model_checks_its_case():
    from dcmarket.sim.lec.data import block_inputs
    from dcmarket.sim.lec.model import LECModel

    scenario = load_any("lec_10households")[1]
    with pytest.raises(ScenarioError, match="NCX"):
        LECModel(scenario, block_inputs(scenario, 0, 1), "NCX")


def test_scenario_path_names_what_ships():
    with pytest.raises(ScenarioError, match="p2p_ieee30"):
        scenario_path("p2p_ieee31")
