"""A run stepped to its end says its outcome: each agent's profit, welfare
against the optimum (the centralised twin, an independent solve) and, for the
P2P market, who serves whom and where links bind."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import dcmarket
from dcmarket.sim.cli import cli
from dcmarket.sim.stepping import outcome_lines, stepper_for


def test_the_p2p_market_ends_with_profits_welfare_against_the_optimum_and_trades():
    scenario = dcmarket.load("p2p_4dc_fixed_lmp")
    stepper = stepper_for("p2p", scenario)
    while not stepper.done:
        stepper.step()
    lines = outcome_lines(stepper)
    optimum = dcmarket.run(scenario, "centralised").welfare
    welfare = next(line for line in lines if line.startswith("welfare W"))
    assert f"{optimum:,.2f} USD" in welfare and "W/W* 1.0000" in welfare
    served = [line for line in lines if " serves " in line]
    assert served and all("paid by" in line for line in served)
    assert any("binds at hour(s)" in line for line in served)


def test_step_prints_the_outcome_at_the_end():
    result = CliRunner().invoke(cli, ["step", "p2p_4dc_fixed_lmp", "--batch",
                                      "--quiet-messages"])
    assert result.exit_code == 0
    tail = result.output.split("converged after", 1)[1]
    assert "outcome (converged)" in tail and "W/W*" in tail and "serves" in tail


@pytest.mark.parametrize("scenario", ["lec_10households"])
def test_a_study_that_cannot_say_it_step_by_step_says_nothing(scenario):
    stepper = stepper_for("lec", dcmarket.load(scenario))
    assert outcome_lines(stepper) == []
