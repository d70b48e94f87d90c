"""Community + DC MILP (paper 001): balances, QoS, storage, monotone cost, twin, runs, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import yaml

from dcmarket.agents.lec.community import Options
from dcmarket.market.community_milp import EOA, both_ways
from dcmarket.market.messages import read_frame
from dcmarket.market.solvers import SolveError
from dcmarket.sim.cli import main
from dcmarket.sim.lec.config import parse_lec_scenario
from dcmarket.sim.lec.data import block_inputs
from dcmarket.sim.lec.model import LECModel
from dcmarket.sim.lec.study import balance_residuals, households_sweep, run_block
from dcmarket.sim.manifest import verify_manifest
from dcmarket.sim.scenario import ScenarioError


@pytest.fixture(scope="module")
def inputs(scenario):
    return block_inputs(scenario, 0, 1)


@pytest.fixture(scope="module")
def solved(scenario, inputs):
    """Each Table I scenario on the reference day: (model, centralised solution)."""
    out = {}
    for label in ("NC", "TC", "TC+JP", "TC+JP+aFRR"):
        model = LECModel(scenario, inputs, label)
        out[label] = (model, model.solve_centralised())
    return out


@pytest.fixture(scope="module")
def runs(scenario):
    return run_block(scenario, 0, 1)


def test_energy_and_heat_balances_hold_every_hour(runs):
    for run in runs.values():
        for name, worst in balance_residuals(run.hourly).items():
            assert worst <= 1e-6, (run.label, name)


def test_objective_is_the_retail_bill_minus_reserve_revenue(runs):
    for run in runs.values():
        f = run.hourly
        bill = (f.buy_price_eur_per_kwh * f.buy_kw - f.sell_price_eur_per_kwh * f.sell_kw
                - f.reserve_price_eur_per_kw * f.dc_reserve_kw).sum()
        assert bill == pytest.approx(run.objective, rel=1e-9, abs=1e-6)


def test_cost_does_not_rise_as_options_are_added(runs, scenario):
    costs = [runs[label].objective for label in ("NC", "TC", "TC+JP", "TC+JP+aFRR")]
    slack = scenario.solver.mip_gap * max(abs(c) for c in costs)
    assert all(b <= a + slack for a, b in itertools.pairwise(costs)), costs
    assert costs[-1] < costs[0]


def test_dc_pausing_respects_qos_and_loses_no_work(solved, scenario, inputs):
    model, solution = solved["TC+JP"]
    dc = solution.values[EOA]
    pairs = model.pairs
    x = dc["x"]
    delay_max = scenario.dc.delay_max_h
    assert delay_max == int(scenario.dc.qos_share * scenario.dc.mean_job_hours)
    span = pairs[:, 1] - pairs[:, 0]
    assert x.sum() > 0, "job pausing is used on the reference day"
    assert (span[x > 1e-6] <= delay_max).all() and (span >= 1).all()
    assert (pairs[:, 1] < inputs.hours).all()           # resumed inside the horizon (1h)
    z = dc["z"]
    workload = inputs.community.dc_workload_kw
    # (1a) summed over the horizon: the DC runs all its work plus the pause overheads
    assert dc["p_dc"].sum() == pytest.approx(workload.sum() + scenario.dc.kappa_kw * z.sum())
    pause = np.zeros(inputs.hours)
    np.add.at(pause, pairs[:, 0], x)
    assert (pause <= workload * np.round(z) + 1e-6).all()  # pause only with a pause action
    assert (dc["p_dc"] <= scenario.dc.rated_kw + 1e-6).all()
    if "delta" in dc:  # Annex A's delay variables (dc.pause_formulation: annex_a)
        assert (dc["delta"] <= delay_max + 1e-9).all()


def test_storage_within_limits_and_never_both_ways(solved, scenario, inputs):
    for label, (_model, solution) in solved.items():
        for spec in inputs.households:
            v, ev = solution.values[spec.name], spec.ev
            both = np.minimum(v["ev_ch"], v["ev_dis"])
            assert both.max() <= 1e-6, (label, spec.name)
            soc = ev.soc_initial_share * ev.capacity_kwh
            for t in range(inputs.hours):   # (2g) by explicit loop
                if t % 24 == ev.arrival_h:
                    soc -= ev.driving_kwh
                soc += ev.eta_charge * v["ev_ch"][t] - v["ev_dis"][t] / ev.eta_discharge
                assert soc == pytest.approx(v["ev_soc"][t], abs=1e-6)
                assert ev.soc_min_share * ev.capacity_kwh - 1e-6 <= soc \
                    <= ev.soc_max_share * ev.capacity_kwh + 1e-6
                if not ev.home(t % 24):
                    assert v["ev_ch"][t] == 0 and v["ev_dis"][t] == 0
        e, bat = solution.values[EOA], scenario.battery
        assert np.minimum(e["b_ch"], e["b_dis"]).max() <= 1e-6, label
        assert e["b_soc"].min() >= bat.soc_min_share * bat.capacity_kwh - 1e-6
        assert e["b_soc"].max() <= bat.soc_max_share * bat.capacity_kwh + 1e-6


def test_indoor_temperature_follows_the_rc_model_inside_the_band(solved, inputs):
    _, solution = solved["TC"]
    for spec in inputs.households:
        v, th = solution.values[spec.name], spec.thermal
        theta = th.initial_c
        for t in range(inputs.hours):   # (2k) by explicit loop
            theta += ((inputs.outdoor_c[t] - theta) / th.resistance_k_per_kw + v["heat"][t]
                      - th.cooling_cop * v["cool"][t]) / th.capacitance_kwh_per_k
            assert theta == pytest.approx(v["theta"][t], abs=1e-6)
            assert th.comfort_min_c - 1e-6 <= theta <= th.comfort_max_c + 1e-6


def test_daily_demand_total_is_kept(solved, inputs):
    _, solution = solved["TC+JP+aFRR"]
    for spec, profile in zip(inputs.households, inputs.household_profiles, strict=True):
        assert solution.values[spec.name]["d"].sum() == pytest.approx(
            profile.base_demand_kw.sum(), abs=1e-6)


def test_no_coupling_vents_the_heat_and_coupling_reuses_it(runs):
    assert runs["NC"].rows["heat_reuse"] == 0.0
    assert runs["NC"].rows["additional_heating_mwh"] == pytest.approx(
        runs["NC"].rows["heating_mwh"])
    assert runs["TC"].rows["heat_reuse"] > 0.5
    assert runs["NC"].rows["dc_paused"] == 0.0 == runs["TC"].rows["dc_paused"]


def test_decentralised_twin_within_one_percent_of_the_milp(scenario, inputs, solved):
    for label in ("NC", "TC+JP+aFRR"):
        model = LECModel(scenario, inputs, label)
        result = model.run_twin()
        optimum = solved[label][1].objective
        assert result.converged, label
        assert optimum - 1e-6 <= result.objective <= optimum + 0.01 * abs(optimum), label
        log = model.bus.header_frame()
        from_houses = log[log.sender != EOA]
        assert set(from_houses.kind) == {"exchange_bid", "commitment"}
        assert set(from_houses.receiver) == {EOA}
        to_houses = log[(log.sender == EOA) & (log.receiver != "monitor")]
        assert set(to_houses.kind) == {"community_price"}
        assert set(log[log.receiver == "monitor"].kind) == {"twin_report"}


def test_households_sweep_reports_fig6_quantities(scenario):
    sweep = households_sweep(scenario, [3, 6], 1, progress=lambda s: None)
    assert list(sweep.households) == [3, 6]
    assert (sweep.cost_per_household_eur > 0).all()
    assert ((sweep.heat_reuse >= 0) & (sweep.heat_reuse <= 1 + 1e-9)).all()


def test_cli_block_and_year(tmp_path, capsys):
    out = tmp_path / "block"
    assert main(["lec", "--mode", "block", "--days", "2", "--no-twin", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "operating_cost_eur" in printed and "paper / day" in printed
    for name in ("hourly.parquet", "table_I.csv", "summary.json", "fig04_balance_NC.png",
                 "fig05_dc_TC_JP_aFRR.png"):
        assert (out / name).exists(), name
    assert verify_manifest(out) == []


def test_a_day_with_the_twin_writes_its_message_log(scenario, tmp_path):
    """The twin's exchanges land in the run folder: every household's bids and its
    commitment to the EOA, the EOA's prices back, the residual reports."""
    raw = {**scenario.model_dump(mode="json"), "scenarios": ["TC"]}
    path = tmp_path / "tc.yaml"
    path.write_text(yaml.safe_dump(raw))
    out = tmp_path / "day"
    assert main(["lec", "--scenario", str(path), "--out", str(out)]) == 0
    log = read_frame(out / "messages_TC.parquet")
    houses = {spec.name for spec in scenario.household_specs()}
    assert set(log.kind) == {"community_price", "exchange_bid", "commitment", "twin_report"}
    assert set(log.loc[log.kind == "commitment", "sender"]) == houses
    bids = log[log.kind == "exchange_bid"]
    assert set(bids.sender) == houses and set(bids.receiver) == {EOA}
    assert verify_manifest(out) == []
    assert main(["report", str(out), "--out", str(tmp_path / "report.html")]) == 0
    page = (tmp_path / "report.html").read_text()
    assert "Centralised MILP and decentralised twin" in page and "Converged." in page
    assert "data:image/png;base64," in page


def test_bad_households_are_named_before_solving(scenario):
    raw = scenario.model_dump(mode="json")
    house = {"name": "house007", "ev": {"arrival_h": 18, "departure_h": 7}}
    with pytest.raises(ScenarioError, match=r"household_list\.house007\.ev.*departs before"):
        parse_lec_scenario({**raw, "household_list": [house]})
    house = {"name": "house008", "thermal": {"comfort_min_c": 22, "comfort_max_c": 21}}
    with pytest.raises(ScenarioError, match=r"house008\.thermal.*empty"):
        parse_lec_scenario({**raw, "household_list": [house]})
    battery = {**raw["battery"], "soc_min_share": 0.6, "soc_initial_share": 0.5}
    with pytest.raises(ScenarioError, match=r"battery.*outside the SOC limits"):
        parse_lec_scenario({**raw, "battery": battery})


def test_infeasible_day_names_the_violated_group(scenario):
    cold = scenario.model_copy(update={"household_list": [
        scenario.household_specs()[0].model_copy(update={
            "thermal": scenario.household_specs()[0].thermal.model_copy(
                update={"heat_max_kw": 0.0})})]})
    model = LECModel(cold, block_inputs(cold, 0, 1), "NC")
    with pytest.raises(SolveError, match=r"Infeasible.*house001/indoor_temperature_2k"):
        model.solve_centralised()
    assert Options.of("TC+JP").job_pausing and not Options.of("TC").job_pausing


def test_the_papers_self_consumption_is_renewables_over_renewables_plus_retailer(
        scenario, inputs, solved):
    from dcmarket.sim.lec.study import hourly_frame, renewable_share, table_rows

    # paper 001, Table I, NC: 300.62 MWh renewables, 576.52 MWh from the retailer
    assert renewable_share(300.62, 576.52) == pytest.approx(0.3427, abs=5e-5)
    for label, (model, solution) in solved.items():
        rows = table_rows(hourly_frame(solution.values, inputs, scenario, model.pairs, label),
                          solution.objective)
        assert rows["renewable_share_paper"] == pytest.approx(
            rows["renewable_mwh"] / (rows["renewable_mwh"] + rows["retailer_mwh"]))
        assert 0.0 < rows["renewable_share_paper"] < 1.0


def test_reserve_offered_can_be_delivered(solved, scenario, inputs):
    """A called reserve pauses R_t more; that work fits under the rating within
    δ^max afterwards (the offer is deliverable), checked hour by hour."""
    _, solution = solved["TC+JP+aFRR"]
    dc = solution.values[EOA]
    r, p = dc["r"], dc["p_dc"]
    assert r.sum() > 1.0, "the reserve is used on the reference day"
    rated, d, T = scenario.dc.rated_kw, scenario.dc.delay_max_h, inputs.hours
    for t in range(T):
        room = sum(rated - p[s] for s in range(t + 1, min(t + d, T - 1) + 1))
        assert r[t] <= room + 1e-6, t
    # without the rule the same day offers a reserve that could not be resumed
    loose = scenario.model_copy(update={"dc": scenario.dc.model_copy(
        update={"reserve_resume_headroom": False})})
    free = LECModel(loose, inputs, "TC+JP+aFRR").solve_centralised().values[EOA]
    short = [t for t in range(T) if free["r"][t] > 1e-6 + sum(
        rated - free["p_dc"][s] for s in range(t + 1, min(t + d, T - 1) + 1))]
    assert short, "the headroom rule should bind somewhere on this day"


def test_net_deferred_share_counts_each_kwh_once(runs):
    rows = runs["TC+JP"].rows
    hourly = runs["TC+JP"].hourly
    net = np.clip(hourly.dc_pause_kw - hourly.dc_resume_kw, 0, None).sum()
    assert rows["dc_deferred_net"] == pytest.approx(net / hourly.dc_workload_kw.sum())
    assert 0 < rows["dc_deferred_net"] <= rows["dc_paused"]


def test_households_peak_at_their_drawn_peak(scenario, inputs):
    """With demand_basis peak_kw each household's H0 profile peaks over the year at
    a value inside the stated 3-10 kW range."""
    from dcmarket.sim.lec.load_profiles import h0_profile as _h0_profile

    assert scenario.households.demand_basis == "peak_kw"
    peak = _h0_profile(2018).max()
    low, high = scenario.households.peak_kw.low, scenario.households.peak_kw.high
    for spec in scenario.household_specs():
        kw = peak * spec.annual_demand_kwh / 1000.0
        assert low - 1e-9 <= kw <= high + 1e-9


def test_upgrading_heat_pump_electricity_enters_the_balance(scenario, inputs):
    """With a COP for the upgrading, its electricity is bought and the balances hold."""
    from dcmarket.sim.lec.study import run_scenario

    cop = scenario.model_copy(update={"heat": scenario.heat.model_copy(
        update={"upgrade_cop": 4.0})})
    free = run_scenario(scenario, inputs, "TC")
    paid = run_scenario(cop, inputs, "TC")
    assert max(balance_residuals(paid.hourly).values()) < 1e-6
    drawn = paid.hourly.upgrade_electricity_kw
    assert drawn.sum() == pytest.approx(
        (scenario.heat.eta_upgrade * paid.hourly.heat_upgraded_kw / 4.0).sum())
    assert paid.objective > free.objective


def test_afrr_sweep_recovers_the_scenarios_own_price(scenario):
    """At factor 1 the sweep is the scenario's own TC+JP+aFRR day; the reduction
    cannot shrink as the reserve price rises (more revenue for the same offer)."""
    from dcmarket.sim.lec.sensitivity import afrr_price_sweep, factor_reaching

    frame = afrr_price_sweep(scenario, [0.0, 1.0, 4.0], 1, progress=lambda s: None)
    own = run_block(scenario.model_copy(update={"scenarios": ("NC", "TC+JP+aFRR")}), 0, 1)
    assert frame.cost_afrr_eur.iloc[1] == pytest.approx(own["TC+JP+aFRR"].objective, rel=1e-3)
    assert frame.cost_nc_eur.iloc[0] == pytest.approx(own["NC"].objective, rel=1e-6)
    assert (np.diff(frame.reduction_pct) <= 1e-6).all()
    target = float(frame.reduction_pct.iloc[1] + frame.reduction_pct.iloc[2]) / 2
    factor = factor_reaching(frame, target)
    assert 1.0 < factor < 4.0


def test_headline_numbers_hold_their_recorded_baseline(runs):
    from dcmarket.sim.lec.reproduction import compare_001, headline_001
    from dcmarket.sim.lec.study import table
    from dcmarket.sim.reproduce import check_pins

    frame = table(runs)
    assert check_pins("001", headline_001(frame)) == []
    rows = compare_001(frame, "the day")
    aFRR = next(r for r in rows if r.quantity.startswith("operating cost, TC+JP+aFRR"))
    assert aFRR.paper == pytest.approx(-37.88, abs=0.005)  # from the paper's own Table I


@pytest.mark.parametrize("label", ["TC+JP", "TC+JP+aFRR"])
def test_the_aggregated_pause_formulation_has_annex_a_s_optimum(scenario, inputs, solved, label):
    """Without the pair binaries w and delays δ (Annex A, 3a–3c) the feasible set
    projected on the schedule is the same, so the optimum is: the Annex A solve
    is the oracle, and the aggregated program has fewer binaries."""
    other = "annex_a" if scenario.dc.pause_formulation == "aggregated" else "aggregated"
    alt_scenario = scenario.model_copy(update={"dc": scenario.dc.model_copy(
        update={"pause_formulation": other})})
    alt_model = LECModel(alt_scenario, inputs, label)
    alt = alt_model.solve_centralised()
    model, solution = solved[label]
    gap = scenario.solver.mip_gap
    assert alt.objective == pytest.approx(solution.objective, rel=2 * gap)
    sizes = {scenario.dc.pause_formulation: solution.size.binaries, other: alt.size.binaries}
    n_pairs = len(model.pairs)
    assert sizes["annex_a"] - sizes["aggregated"] == n_pairs


@pytest.mark.parametrize("label", ["NC", "TC+JP+aFRR"])
def test_lazy_storage_modes_reach_the_milp_as_stated(scenario, inputs, solved, label):
    """The relaxation of the EV/battery mode binaries is kept only when no store
    charges and discharges in one hour; the MILP as stated is the oracle."""
    assert scenario.solver.storage_modes == "lazy"
    _, lazy = solved[label]
    assert lazy.modes == "relaxed"
    assert both_ways(lazy.values) == []
    stated = scenario.model_copy(update={"solver": scenario.solver.model_copy(
        update={"storage_modes": "binary"})})
    exact = LECModel(stated, inputs, label).solve_centralised()
    assert exact.modes == "binary"
    assert lazy.objective == pytest.approx(exact.objective, rel=2 * scenario.solver.mip_gap)
    assert lazy.objective <= exact.objective + 1e-6 * abs(exact.objective)  # a relaxation


def test_a_relaxation_that_uses_both_ways_falls_back_to_the_binaries(
        scenario, inputs, solved, monkeypatch):
    import dcmarket.market.community_milp as milp

    calls = []

    def flagged(values):
        calls.append(1)
        return ["H01:ev_ch"] if len(calls) == 1 else []

    monkeypatch.setattr(milp, "both_ways", flagged)
    solution = LECModel(scenario, inputs, "TC").solve_centralised()
    assert solution.modes == "binary after relaxed"
    _, reference = solved["TC"]
    assert solution.objective == pytest.approx(reference.objective,
                                               rel=2 * scenario.solver.mip_gap)


def test_both_ways_names_a_store_that_charges_and_discharges_at_once():
    flows = {"H01": {"ev_ch": np.array([0.0, 2.0]), "ev_dis": np.array([1.0, 0.5])},
             EOA: {"b_ch": np.array([3.0, 0.0]), "b_dis": np.array([0.0, 3.0])}}
    assert both_ways(flows) == ["H01:ev_ch"]


def test_parallel_tree_search_reaches_the_serial_optimum(scenario, inputs, solved):
    """HiGHS's parallel tree search (2 threads) against its serial search (the
    oracle), and back: the scheduler is restarted whenever the count changes."""
    label = "TC+JP+aFRR"
    _, reference = solved[label]
    answers = {}
    for threads in (1, 2, 1):
        chosen = scenario.model_copy(update={"solver": scenario.solver.model_copy(
            update={"threads": threads})})
        answers.setdefault(threads, []).append(
            LECModel(chosen, inputs, label).solve_centralised().objective)
    gap = scenario.solver.mip_gap
    for objective in (*answers[1], *answers[2]):
        assert objective == pytest.approx(reference.objective, rel=2 * gap)
    assert answers[1][0] == answers[1][1]  # the serial search is deterministic


def test_a_thread_count_below_one_is_refused_with_its_field_named(scenario):
    raw = scenario.model_dump(mode="json")
    raw["solver"]["threads"] = 0
    with pytest.raises(ScenarioError, match=r"solver\.threads"):
        parse_lec_scenario(raw)


def test_a_block_in_chunks_of_hours_keeps_the_whole_milps_cost_and_balances(scenario):
    """Three days of September solved in chunks of 36 h (solver.time_chunks_h)
    against the same days solved whole: the same cost within the gap, the
    chunks' certificate recorded, every balance held."""
    days = block_inputs(scenario, 241, 3)
    gap = scenario.solver.mip_gap
    costs = {}
    for hours in (0, 36):
        chunked = scenario.model_copy(update={"solver": scenario.solver.model_copy(
            update={"time_chunks_h": hours})})
        solution = LECModel(chunked, days, "TC+JP+aFRR").solve_centralised()
        costs[hours] = solution.objective
        assert solution.mip_gap <= gap
        if hours:
            assert solution.decomposition == "2 chunks, certified"
            eoa = solution.values[EOA]
            assert eoa["x"].sum() > 1.0  # the DC pauses work in these days
        else:
            assert solution.decomposition == "whole MILP"
    assert costs[36] == pytest.approx(costs[0], rel=gap)
    [run] = run_block(scenario.model_copy(update={
        "scenarios": ("TC+JP+aFRR",), "solver": scenario.solver.model_copy(
            update={"time_chunks_h": 36})}), 241, 3).values()
    assert run.decomposition == "2 chunks, certified"
    assert max(balance_residuals(run.hourly).values()) < 1e-6
