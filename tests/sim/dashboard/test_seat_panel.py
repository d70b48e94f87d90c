"""The dashboard's seat, without a browser: the model takes the seat's
opening moves, steps with them, and its end screen compares the seat's
profit with the same run played truthfully (the shipped strategy's run is
the oracle)."""

from __future__ import annotations

import pytest

import dcmarket
from dcmarket.sim.dashboard.model import DashboardModel
from dcmarket.sim.dashboard.seat_panel import compare


def test_a_seat_that_withholds_plays_as_the_withhold_strategy_and_is_compared():
    model = DashboardModel(seat="DC2", seat_withhold=0.25)
    while not model.stepper.done:
        model.step()
    oracle = dcmarket.run(dcmarket.load("p2p_4dc_fixed_lmp", strategies={
        "DC2": {"name": "withhold", "share": 0.25}}))
    assert model.stepper.outcome().profits["DC2"] == pytest.approx(oracle.profits["DC2"],
                                                                   rel=1e-9)
    truthful = dcmarket.run(dcmarket.load("p2p_4dc_fixed_lmp")).profits["DC2"]
    text = compare(model)
    assert f"{oracle.profits['DC2'] - truthful:+,.2f} USD" in text and "W/W*" in text


def test_a_name_no_seat_fits_is_said_on_the_page_not_raised():
    model = DashboardModel(seat="nobody")
    assert model.seat is None and "no agent 'nobody'" in model.seat_error
