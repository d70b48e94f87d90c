"""``dcmarket play``: scripted keys at a seat.  What the seat does is exactly
what the same strategy does (an independent run with the shipped strategy is
the oracle); Enter everywhere is truthful play; the player sees only its own
inbox; bad moves are answered, not fatal."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import dcmarket
from dcmarket.sim.cli import cli

DR_FAST = ["--set", "forecast.method=seasonal_naive"]


def play(args: list[str], keys: str) -> tuple[dict, str]:
    result = CliRunner().invoke(cli, ["play", *args], input=keys)
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1]), result.output


def test_a_p2p_seat_that_withholds_earns_what_the_withhold_strategy_earns():
    end, output = play(["p2p_4dc_fixed_lmp", "--as", "DC2"],
                       "bogus 3\nwithhold 0.25\n\n\nscale 1.0\nc\n")
    oracle = dcmarket.run(dcmarket.load("p2p_4dc_fixed_lmp", strategies={
        "DC2": {"name": "withhold", "share": 0.25}}))
    assert end["converged"] and end["profit"] == pytest.approx(oracle.profits["DC2"], rel=1e-9)
    assert end["gain"] == pytest.approx(end["profit"] - end["profit_truthful"])
    assert end["efficiency"] < 1.0
    assert "'bogus': this prompt takes withhold, cost" in output
    # the player sees its own inbox, never a message between two other DCs
    inbox = [line for line in output.splitlines() if "→" in line]
    assert inbox and all("→ DC2" in line for line in inbox)
    assert set(end["revealed"]["price_estimate"]["to"]) == {"DC1", "DC3", "DC4"}


def test_enter_everywhere_is_truthful_play_and_the_end_of_input_plays_on():
    end, _ = play(["p2p_4dc_fixed_lmp", "--as", "DC3"], "\n\n\n")
    assert end["converged"] and end["gain"] == 0.0
    assert end["efficiency"] == pytest.approx(1.0, abs=1e-3)


def test_scaling_the_estimates_every_round_is_caught_by_the_protocol():
    end, _ = play(["p2p_4dc_fixed_lmp", "--as", "DC2", "--set", "market.max_rounds=80"],
                  "\nscale 1.05\nkeep\nscale 1.05\nscale 1.05\nc\n")
    # the last move (scale 1.05) stays on to the end: estimates that never agree
    assert not end["converged"] and end["flagged"].startswith("the protocol did not converge")


def test_a_dr_user_who_marks_up_every_bid_earns_what_the_markup_strategy_earns():
    end, output = play(["dr_2000hosts", "--as", "user08", *DR_FAST], "x1.2\n" * 24)
    oracle = dcmarket.run(dcmarket.load("dr_2000hosts", "forecast.method=seasonal_naive",
                                        strategies={"user08": {"name": "markup",
                                                               "factor": 1.2}}))
    assert end["profit"] == pytest.approx(oracle.profits["user08"], rel=1e-9)
    assert end["gain"] > 0 and "DR call: postpone" in output
    assert set(end["revealed"]) == {"bid", "submit_tasks"}


def test_a_seat_no_human_can_take_is_refused():
    result = CliRunner().invoke(cli, ["play", "dr_2000hosts", "--as", "DC", *DR_FAST])
    assert result.exit_code == 2 and "no seat for a human" in result.output
