"""``dcmarket grade``: a strategy against truthful play, the optimum and the
best deviation of its family; the numbers hold together as the model says
(the welfare change is the strategic agent's gain plus everyone else's)."""

from __future__ import annotations

import json

import pytest

import dcmarket
from dcmarket.sim.cli import main
from dcmarket.sim.p2p.grading import FAMILY
from dcmarket.sim.scenario import ScenarioError
from dcmarket.sim.strategic.grading import grade

DR_FAST = ("forecast.method=seasonal_naive",)  # no LSTM training in the tests


@pytest.fixture(scope="module")
def withholding():
    scenario = dcmarket.load("p2p_4dc_fixed_lmp", strategies={"DC2": {"name": "withhold",
                                                                      "share": 0.25}})
    return grade(scenario, "DC2")


def test_p2p_grade_adds_up_and_epsilon_is_the_best_converged_deviation(withholding):
    g = withholding.to_dict()
    # at fixed LMPs welfare is Σ profits: its change is the gain plus the others'
    assert g["welfare_usd"] - g["welfare_truthful_usd"] == pytest.approx(
        g["gain_usd"] + sum(g["others_change_usd"].values()), rel=1e-9, abs=1e-6)
    # ADMM's truthful welfare is the centralised optimum (36)
    assert g["efficiency_truthful"] == pytest.approx(1.0, abs=1e-3)
    assert g["efficiency"] < 1.0  # withholding costs welfare
    assert len(g["deviations"]) == len(FAMILY)
    converged = [d for d in g["deviations"] if d["converged"]]
    assert g["epsilon_usd"] == pytest.approx(max(0.0, *(d["gain"] for d in converged)))
    for d in g["deviations"]:  # a deviation that breaks convergence counts as detected
        assert d["converged"] or (d["detected"] and d["gain"] is None)
    # the grade's own strategy is one point of the family: ε reaches at least its gain
    assert g["epsilon_usd"] >= g["gain_usd"] - 1e-6


def test_the_monitor_flags_a_dc_whose_reports_differ_from_what_it_confirmed():
    scenario = dcmarket.load("p2p_4dc_fixed_lmp", strategies={"DC3": "report_shift"})
    g = grade(scenario, "DC3", family=False).to_dict()
    assert g["detected"] and g["detection"].startswith("inconsistent")
    # settled from what DCs said to each other: the lie gains nothing
    assert abs(g["gain_usd"]) <= 1e-6 * abs(g["profit_truthful_usd"])


def test_truthful_play_grades_to_no_gain():
    scenario = dcmarket.load("p2p_4dc_fixed_lmp", strategies={"DC1": "truthful"})
    g = grade(scenario, "DC1", family=False).to_dict()
    assert g["gain_usd"] == 0.0 and not g["detected"]
    assert all(v == 0.0 for v in g["others_change_usd"].values())


def test_pay_as_bid_rewards_a_markup_up_to_a_point_and_vcg_does_not():
    paid_as_bid = grade(dcmarket.load("dr_2000hosts", *DR_FAST,
                                      strategies={"user08": {"name": "markup", "factor": 1.2}}),
                        "user08").to_dict()
    assert paid_as_bid["gain_eur"] > 0 and paid_as_bid["epsilon_eur"] > 0
    gains = {d["deviation"]: d["gain"] for d in paid_as_bid["deviations"]}
    assert gains["markup(factor=3.0)"] < paid_as_bid["epsilon_eur"]  # up to a point
    assert paid_as_bid["gain_pct"] is None  # a truthful bidder paid as bid ends with 0
    vcg = grade(dcmarket.load("dr_2000hosts", *DR_FAST, "auction.selector=exact",
                              "auction.payment=vcg",
                              strategies={"user08": {"name": "markup", "factor": 1.2}}),
                "user08").to_dict()
    assert vcg["protocol"] == "op_vcg" and vcg["profit_truthful_eur"] > 0
    assert vcg["epsilon_eur"] <= 1e-6 * vcg["profit_truthful_eur"]


def test_an_agent_without_a_strategy_seat_is_refused_with_the_agents_named():
    with pytest.raises(ScenarioError, match=r"no agent 'DC9' takes a strategy.*DC1"):
        grade(dcmarket.load("p2p_4dc_fixed_lmp"), "DC9")


def test_the_grade_verb_writes_a_verified_run_folder_and_ends_in_json(tmp_path, capsys):
    out = tmp_path / "grade"
    code = main(["grade", "dr_2000hosts", "--strategy", "user08=markup", "--no-family",
                 *(a for s in DR_FAST for a in ("--set", s)), "--out", str(out)])
    assert code == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    data = json.loads(last)
    assert data["agent"] == "user08" and data["strategy"] == "markup"
    assert {"grade.json", "grade.html", "deviations.csv", "manifest.json"} <= {
        p.name for p in out.iterdir()}
    assert main(["verify", str(out)]) == 0
    assert main(["grade", "dr_2000hosts", "--strategy", "user99=markup"]) == 2
