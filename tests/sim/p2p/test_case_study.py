"""The reference case study end to end (paper 000 §VI): the qualitative findings."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from dcmarket.sim.manifest import verify_manifest
from dcmarket.sim.p2p.case_study import run_case_study
from dcmarket.sim.p2p.config import load_scenario


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    scenario = load_scenario(str(resources.files("dcmarket.sim.scenarios") / "p2p_ieee30.yaml"))
    out = tmp_path_factory.mktemp("case")
    text, summary = run_case_study(scenario, out)
    return scenario, text, summary, out


def test_loops_converge_and_plain_loop_oscillates(case):
    _, _, summary, _ = case
    assert summary["bilevel_converged"]
    assert summary["plain_loop_oscillated"]
    assert summary["admm_converged_all"]
    assert summary["load_shed_mwh"]["with"] < 1e-6
    assert summary["load_shed_mwh"]["without"] < 1e-6


def test_market_gains_saves_energy_and_narrows_prices(case):
    _, _, summary, _ = case
    total_without = sum(summary["profit_without"].values())
    total_with = sum(summary["profit_with"].values())
    assert total_with > total_without
    assert summary["energy_mwh_with"] < summary["energy_mwh_without"]
    assert summary["lmp_spread_peak_with"] < summary["lmp_spread_peak_without"]
    # congestion makes the no-market afternoon prices differ across DC buses
    assert summary["lmp_spread_peak_without"] > 1.0


def test_stops_by_the_papers_rule_and_shows_the_equilibrium_gain(case):
    """(49) and every box narrower than ε; with the market the loop's point is the
    competitive equilibrium (two independent methods agree); without it the boxes
    hold a point that is not one, and both gains are reported."""
    scenario, text, summary, _ = case
    for widest in summary["widest_box_mw"].values():
        assert widest < scenario.bilevel.box_tolerance
    eq = summary["equilibrium"]
    loop_with = sum(summary["profit_with"].values())
    assert sum(eq["profit_with"].values()) == pytest.approx(loop_with, rel=1e-3)
    table = {r["dc"]: r for r in summary["table_I"]}
    assert table["total"]["equilibrium_change_pct"] == pytest.approx(eq["gain_pct"])
    assert f"{eq['gain_pct']:+.2f} % from the competitive equilibrium" in text
    assert eq["load_shed_mwh"]["without"] < 1e-6 and eq["load_shed_mwh"]["with"] < 1e-6


def test_with_market_the_boxes_barely_bind(case):
    _, _, summary, _ = case
    for name, given_up in summary["profit_given_up_in_box"]["with"].items():
        assert -1e-6 * abs(summary["profit_with"][name]) <= given_up
        assert given_up <= 1e-2 * abs(summary["profit_with"][name]), name


def test_run_folder_is_complete(case):
    scenario, _, summary, out = case
    assert json.loads((out / "summary.json").read_text())["wall_s"] == summary["wall_s"]
    assert verify_manifest(out) == []
    for name in ("scenario_resolved.json", "lmp_with.csv", "lmp_without.csv",
                 "dc_schedules_with.csv", "trades_with.csv", "admm_residuals_with.csv",
                 "bilevel_residuals_plain_without.csv", "messages_with.parquet",
                 "input_fixed_load_mw.csv", "input_available_mw.csv",
                 "fig_lmp_dc_buses.png", "fig_bilevel_residual.png",
                 "fig_grid_power_trajectory.png", "fig_admm_residual.png"):
        assert (out / name).exists(), name
    resolved = json.loads((out / "scenario_resolved.json").read_text())
    assert "TMY3" in resolved["sources"]["weather"]
    assert len(resolved["grid"]["renewables"][0]["available_mw"]) == scenario.hours


def test_report_shows_table_one_beside_the_papers_without_solving(case, tmp_path):
    from dcmarket.sim.papers import P2P_TABLE_I
    from dcmarket.sim.report import write_report

    _, _, summary, out = case
    page = write_report(out, tmp_path / "report.html").read_text()
    assert "Converged." in page and page.count("data:image/png;base64,") == len(
        list(out.glob("*.png")))
    assert f"{P2P_TABLE_I['DC3'][1]:,}" in page  # the paper's number, beside ours
    assert f"{summary['profit_with']['DC3']:,.0f}" in page
    assert "messages_with.parquet" in page


def test_headline_numbers_hold_their_recorded_baseline(case):
    """Regression pins (sim/reproduction_pins.json, written by `dcmarket reproduce
    000 --update-pins`): a change that moves a headline number fails here, named."""
    from dcmarket.sim.p2p.reproduction import compare_000, headline_000
    from dcmarket.sim.reproduce import check_pins

    _, _, summary, _ = case
    assert check_pins("000", headline_000(summary)) == []
    rows = compare_000(summary)
    assert all(r.reason for r in rows)
    total = next(r for r in rows if r.quantity.startswith("total profit gain, competitive"))
    from dcmarket.sim.papers import P2P_TABLE_I

    paper = sum(v[1] for v in P2P_TABLE_I.values()) / sum(v[0] for v in P2P_TABLE_I.values())
    assert total.paper == pytest.approx(100 * (paper - 1))
