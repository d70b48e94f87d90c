"""A chain of calls (``host.chain``): each call's results as a ``do`` of its
own, and a call before the last that sends a message refused (in process;
the Ray host's chain is tested in test_ray_executor.py)."""

from __future__ import annotations

import numpy as np
import pytest

from dcmarket.sim.executors import Call, ChainError, InProcess
from dcmarket.sim.p2p.model import P2PMarketModel
from dcmarket.sim.studies import load_any


@pytest.fixture(scope="module")
def market():
    return load_any("p2p_4dc_fixed_lmp")[1]


def test_a_chain_gives_each_call_s_results(market):
    model = P2PMarketModel(market, executor=InProcess())
    dcs = list(model.dcs.values())
    chained = model.host.chain([Call(dcs, "marginal_cost_of_work"),
                                Call(dcs[::-1], "marginal_cost_of_work")])
    alone = model.host.do(dcs, "marginal_cost_of_work")
    assert len(chained) == 2
    for got, want in zip(chained[0], alone, strict=True):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(chained[1], alone[::-1], strict=True):
        np.testing.assert_array_equal(got, want)


def test_a_call_that_sends_before_the_last_is_refused(market):
    model = P2PMarketModel(market, executor=InProcess())
    dcs = list(model.dcs.values())
    with pytest.raises(ChainError, match="announce_estimate"):
        model.host.chain([Call(dcs, "announce_estimate"), Call(dcs, "receive_start")])


def test_the_last_call_of_a_chain_may_send(market):
    model = P2PMarketModel(market, executor=InProcess())
    dcs = list(model.dcs.values())
    before = model.bus.sent_messages
    model.host.chain([Call(dcs, "admm_local_solve"), Call(dcs, "admm_send_estimate")])
    assert model.bus.sent_messages > before
