"""Privacy audit, one per protocol: each shipped scenario runs with agents whose
private attributes raise when touched from outside (``privacy_audit``), and every
payload key in its log is one of its protocol's declared public fields."""

from __future__ import annotations

import numpy as np
import pytest

from dcmarket.agents.base import PrivacyError, privacy_audit
from dcmarket.market.messages import MessageBus, Protocol
from dcmarket.market.protocols import ALL
from dcmarket.sim.dr.config import load_dr_scenario
from dcmarket.sim.dr.model import DRModel
from dcmarket.sim.dr.study import day_prices
from dcmarket.sim.lec.config import load_lec_scenario
from dcmarket.sim.lec.data import block_inputs
from dcmarket.sim.lec.model import LECModel
from dcmarket.sim.p2p.config import load_scenario
from dcmarket.sim.p2p.coordination import CoordinationModel
from dcmarket.sim.p2p.model import P2PMarketModel
from dcmarket.sim.scenario import scenario_path


def _assert_public_only(bus: MessageBus) -> None:
    declared = {k.name: set(k.field_names) for p in bus.protocols for k in p.kinds}
    log = bus.log_frame()
    assert len(log), "the run sent no message"
    for kind, rows in log.groupby("kind"):
        used = set(rows["field"])
        assert used <= declared[kind], (kind, used - declared[kind])


def test_every_kind_has_one_declaration():
    names = [k.name for p in ALL for k in p.kinds]
    assert len(names) == len(set(names))
    assert all(isinstance(p, Protocol) and p.kinds for p in ALL)


def test_p2p_market_audit():
    scenario = load_scenario(scenario_path("p2p_4dc_fixed_lmp"))
    with privacy_audit():
        model = P2PMarketModel(scenario, workers=1)
        result = model.run()
    assert result.converged
    _assert_public_only(model.bus)


def test_bilevel_case_study_audit():
    scenario = load_scenario(scenario_path("p2p_ieee30"))
    with privacy_audit():
        model = CoordinationModel(scenario, trading=True)
        model.run_bilevel()
    assert model.bilevel_converged
    _assert_public_only(model.bus)
    assert model.operator.bisected_pairs().shape[0] > 0  # boxes travelled as messages
    log = model.bus.header_frame()
    assert (log.kind == "bisection_box").any()


def test_lec_twin_audit():
    scenario = load_lec_scenario(scenario_path("lec_10households"))
    inputs = block_inputs(scenario, 0, 1)
    with privacy_audit():
        model = LECModel(scenario, inputs, "TC+JP+aFRR")
        result = model.run_twin()
    assert result.converged
    _assert_public_only(model.bus)


def test_dr_day_audit():
    scenario = load_dr_scenario(scenario_path("dr_2000hosts"))
    history, actual = day_prices(scenario)
    with privacy_audit():
        model = DRModel(scenario, "OP", actual, history[-1]).run_day()
    _assert_public_only(model.bus)
    assert (model.bus.log_frame().kind == "bid").any()


def test_a_dc_cannot_read_another_dc_or_the_registry():
    scenario = load_scenario(scenario_path("p2p_4dc_fixed_lmp"))
    model = P2PMarketModel(scenario, workers=1)
    dc1, dc2 = model.dcs["DC1"], model.dcs["DC2"]
    with pytest.raises(PrivacyError, match="public model facts"):
        _ = dc1.model.dcs
    with pytest.raises(PrivacyError, match="public model facts"):
        _ = dc1.model.scenario
    with pytest.raises(PrivacyError, match="public model facts"):
        _ = dc1.model.bus
    assert dc1.model.round == 0  # public facts are readable
    with privacy_audit():
        with pytest.raises(PrivacyError, match="'_spec' is private to agent 'DC2'"):
            _ = dc2._spec
        with pytest.raises(PrivacyError, match="private to agent 'DC2'"):
            _ = dc2._port  # and so its inbox
        with pytest.raises(PrivacyError, match="written from outside"):
            dc2._lmp = np.zeros(24)


def test_a_spoofing_dc_cannot_send_as_another():
    scenario = load_scenario(scenario_path("p2p_4dc_fixed_lmp"))
    model = P2PMarketModel(scenario, workers=1)
    before = len(model.bus)
    model.dcs["DC1"].send("DC2", "price_estimate", {"y": np.zeros(24)},
                             labels={"y": ["DC1–DC2"] * 24})
    last = model.bus.log[-1]
    assert len(model.bus) == before + 1 and last.sender == "DC1"

