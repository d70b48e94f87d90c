"""The markets under faults: dual-consensus ADMM reaches the centralised twin
under lost, late, doubled and reordered messages; a DC that drops out leaves
a market that re-clears among the others; the bi-level loop survives lost
bids by its documented rule."""

from __future__ import annotations

import pytest

from dcmarket.market.faults import Dropout, FaultModel
from dcmarket.market.protocols import DEMAND_BID
from dcmarket.sim.p2p.config import parse_scenario
from dcmarket.sim.p2p.model import P2PMarketModel, centralised_twin
from dcmarket.sim.scenario import read_yaml, scenario_path
from dcmarket.sim.studies import load_any


@pytest.fixture(scope="module")
def reference():
    scenario = load_any("p2p_4dc_fixed_lmp")[1]
    twin, revenue = centralised_twin(scenario)
    return scenario, revenue - twin.total_cost


@pytest.mark.parametrize("faults", [
    FaultModel(loss=0.1, delay=1, seed=1),
    FaultModel(loss=0.3, seed=2),
    FaultModel(delay=2, duplicate=0.2, reorder=True, seed=3),
], ids=["loss10-delay1", "loss30", "delay2-dup-reorder"])
def test_admm_reaches_the_twin_under_faults(reference, faults):
    scenario, welfare = reference
    model = P2PMarketModel(scenario, faults=faults)
    result = model.run(max_rounds=2000)
    assert result.converged
    assert abs(welfare - result.welfare) <= 1e-3 * abs(welfare)
    assert result.reciprocity_gap() <= scenario.market.tol_primal
    log = model.bus.header_frame()
    assert log.fault.notna().any()  # the faults are in the log
    assert set(log.loc[log.fault.notna(), "kind"]) == {"price_estimate"}


def test_faults_from_the_scenario_file(reference):
    scenario, welfare = reference
    faulty = scenario.model_copy(update={"market": scenario.market.model_copy(
        update={"faults": {"loss": 0.1, "delay": 1, "seed": 4}})})
    result = P2PMarketModel(faulty).run(max_rounds=2000)
    assert result.converged and abs(welfare - result.welfare) <= 1e-3 * abs(welfare)


def test_a_dc_that_drops_out_leaves_a_market_that_re_clears():
    raw = read_yaml(scenario_path("p2p_4dc_fixed_lmp"))
    scenario = parse_scenario(raw)
    rest = parse_scenario({**raw, "datacenters": [d for d in raw["datacenters"]
                                                  if d["name"] != "DC3"],
                           "lmp": {k: v for k, v in raw["lmp"].items() if k != "DC3"}})
    twin, revenue = centralised_twin(rest)
    model = P2PMarketModel(scenario, faults=FaultModel(dropouts=(Dropout("DC3", 20),)))
    result = model.run(max_rounds=2000)
    assert result.converged and model.departed == ["DC3"]
    assert sorted(result.schedules) == ["DC1", "DC2", "DC4"]
    assert all(model.dcs[n].departed == {"DC3"} for n in ("DC1", "DC2", "DC4"))
    welfare = revenue - twin.total_cost
    assert abs(welfare - result.welfare) <= 1e-3 * abs(welfare)
    for name in ("DC1", "DC2", "DC4"):
        assert (abs(result.schedules[name].trades["DC3"]) < 1e-9).all()


def test_the_bilevel_loop_survives_lost_bids():
    from dcmarket.sim.p2p.coordination import CoordinationModel

    scenario = load_any("p2p_ieee30")[1]
    model = CoordinationModel(scenario, trading=False,
                              faults=FaultModel(loss=0.2, kinds=frozenset({DEMAND_BID}), seed=2))
    model.run_bilevel()
    lost = [m for m in model.bus.log if m.kind == DEMAND_BID and m.fault == "lost"]
    assert lost and model.bilevel_converged
    reports = [m.payload for m in model.bus.log if m.kind == "outer_report"]
    assert reports[-1]["missing_bids"] == 0  # it stops only in a round with every bid


def test_a_dc_that_rejoins_is_traded_with_again(reference):
    scenario, welfare = reference
    model = P2PMarketModel(scenario, faults=FaultModel(dropouts=(Dropout("DC3", 20, 60),)))
    result = model.run(max_rounds=2000)
    assert result.converged and model.departed == []
    assert all(not dc.departed for dc in model.dcs.values())
    assert sorted(result.schedules) == ["DC1", "DC2", "DC3", "DC4"]
    assert abs(welfare - result.welfare) <= 1e-3 * abs(welfare)
