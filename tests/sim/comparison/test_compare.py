"""``dcmarket compare``: every registered mechanism on one fleet, one row
each, every number an Outcome's.  The checks theory gives: the centralised
optimum has efficiency 1 and nothing beats it, ADMM reaches it, payments
between DCs cancel, VCG runs the deficit theory says (with two DCs the
gain from trade; here positive and below it), pay-as-bid keeps every
reported gain, no trade is never better than the optimum."""

from __future__ import annotations

import pandas as pd
import pytest

import dcmarket
from dcmarket.sim.cli import main
from dcmarket.sim.comparison.engine import compare
from dcmarket.sim.p2p import mechanisms as p2p_mechanisms


@pytest.fixture(scope="module")
def fleet():
    scenario = dcmarket.load("p2p_4dc_fixed_lmp")
    result = compare(scenario, incentives="DC2")
    return scenario, result, result.table().set_index("mechanism")


def test_every_registered_mechanism_is_one_row_of_its_outcome(fleet):
    scenario, result, table = fleet
    assert set(table.index) == set(p2p_mechanisms.mechanisms(scenario))
    for name, outcome in result.outcomes[""].items():
        assert table.loc[name, "welfare_usd"] == outcome.welfare
        assert table.loc[name, "messages"] == outcome.messages


def test_the_optimum_is_one_nothing_beats_it_and_admm_reaches_it(fleet):
    _, _, table = fleet
    assert table.loc["centralised", "efficiency"] == pytest.approx(1.0, abs=1e-9)
    assert (table.efficiency <= 1.0 + 1e-5).all()  # ADMM's tolerance, no more
    for name in ("admm_local", "admm_global", "vcg", "sealed_uniform", "sealed_pay_as_bid"):
        assert table.loc[name, "efficiency"] >= 0.999, name
    assert table.loc["no_trade", "welfare_usd"] < table.loc["centralised", "welfare_usd"]
    assert table.converged.all()


def test_money_balances_where_dcs_pay_each_other_and_vcg_runs_a_deficit(fleet):
    _, _, table = fleet
    gain = table.loc["centralised", "welfare_usd"] - table.loc["no_trade", "welfare_usd"]
    for name in ("admm_local", "admm_global", "sealed_uniform", "centralised"):
        assert abs(table.loc[name, "budget_balance_usd"]) <= 1e-9 * table.loc[
            name, "payments_usd"], name
    assert -gain < table.loc["vcg", "budget_balance_usd"] < 0  # the operator pays in
    # pay-as-bid: every reported gain is the clearing house's, nobody is worse off
    assert table.loc["sealed_pay_as_bid", "budget_balance_usd"] == pytest.approx(gain, rel=1e-9)
    assert (table.ir_violations == 0).all()


def test_incentives_vcg_is_truthful_and_uniform_pricing_is_not(fleet):
    _, result, table = fleet
    assert result.incentives_agent == "DC2"
    assert table.loc["vcg", "best_misreport_gain_usd"] <= 1e-6
    assert table.loc["sealed_uniform", "best_misreport_gain_usd"] > 1.0
    assert table.loc["admm_local", "best_misreport_gain_usd"] > 1.0  # withholding pays
    assert table.loc["centralised", "best_misreport_gain_usd"] == "n/a: no reports"


def test_a_mechanism_appears_in_the_table_by_registering(monkeypatch):
    registered = p2p_mechanisms.mechanisms

    def with_one_more(scenario, **options):
        found = registered(scenario, **options)
        return {**found, "centralised_again": found["centralised"]}

    monkeypatch.setattr(p2p_mechanisms, "mechanisms", with_one_more)
    result = compare(dcmarket.load("p2p_4dc_fixed_lmp"), ["centralised_again"], "none")
    table = result.table().set_index("mechanism")
    assert "centralised_again" in table.index
    assert table.loc["centralised_again", "efficiency"] == pytest.approx(1.0)


def test_the_dr_day_under_two_forecasts():
    scenario = dcmarket.load("dr_2000hosts", "forecast.method=seasonal_naive")
    result = compare(scenario, incentives="user08")
    table = result.table()
    assert set(table.variant) == {"day-ahead (seasonal_naive)", "one-step (persistence)"}
    for _, rows in table.groupby("variant"):
        rows = rows.set_index("mechanism")
        assert rows.loc["op_exact", "efficiency"] == 1.0
        assert (rows.budget_balance_eur.abs() <= 1e-9).all()  # the DC pays what users get
        assert rows.loc["op_vcg", "best_misreport_gain_eur"] <= 1e-9
        assert rows.loc["op_ga", "best_misreport_gain_eur"] > 0  # pay-as-bid: a markup pays
    profits = result.profits().set_index(["variant", "mechanism", "agent"]).profit_eur
    for variant in table.variant.unique():  # VCG costs the DC what truthfulness is worth
        assert profits[(variant, "op_vcg", "DC")] < profits[(variant, "op_exact", "DC")]


def test_the_community_day_one_case():
    scenario = dcmarket.load("lec_10households", "scenarios=[TC+JP+aFRR]")
    table = compare(scenario, incentives="none").table().set_index("mechanism")
    assert table.loc["centralised_milp", "efficiency"] == 1.0
    assert 0.99 <= table.loc["exchange_admm", "efficiency"] <= 1.0 + 1e-6


def test_the_verb_writes_a_run_folder_a_report_reads(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", "p2p_ieee30", "--mechanisms", "competitive_equilibrium,no_trade",
                 "--incentives", "none", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"compare.md", "compare.csv", "compare.png", "prices.parquet",
            "allocation.parquet", "summary.json", "manifest.json"} <= names
    prices = pd.read_parquet(out / "prices.parquet")
    lmps = prices[(prices.mechanism == "competitive_equilibrium") & (prices.unit == "$/MWh")]
    assert len(lmps) == 24 * 30  # the equilibrium's LMPs, every bus and hour
    assert main(["verify", str(out)]) == 0
    assert main(["report", str(out)]) == 0
    assert "competitive_equilibrium" in (out / "report.html").read_text()
    assert main(["compare", "p2p_4dc_fixed_lmp", "--mechanisms", "bogus"]) == 2
    assert "bogus" in capsys.readouterr().err
