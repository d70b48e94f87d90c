"""The DR day (paper 002): QoS, award and payment invariants, conservation, repeatability."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dcmarket.agents.dr.task_streams import TASK_TYPES, TOLERANCE_SLOTS
from dcmarket.grid.dr_program import DRProgram
from dcmarket.market.auction import BidError
from dcmarket.market.messages import messages_of
from dcmarket.sim.dr.config import load_dr_scenario, parse_dr_scenario
from dcmarket.sim.dr.model import DRModel, fleet_of, history_load, program_of
from dcmarket.sim.dr.study import day_prices
from dcmarket.sim.scenario import ScenarioError, scenario_path

SHIPPED = scenario_path("dr_2000hosts")


@pytest.fixture(scope="module")
def scenario():
    return load_dr_scenario(SHIPPED)


@pytest.fixture(scope="module")
def prices(scenario):
    history, actual = day_prices(scenario)
    return history, actual


@pytest.fixture(scope="module")
def days(scenario, prices):
    """OP / BS / ST with a seasonal-naive forecast (last January day repeated)."""
    history, actual = prices
    forecast = history[-1]
    return {s: DRModel(scenario, s, actual, forecast).run_day() for s in ("OP", "BS", "ST")}


def submitted_by_type(model: DRModel) -> np.ndarray:
    return sum(model.dc.disclose().submitted[u] for u in model.dc.user_names)


def test_every_interactive_task_runs_in_its_slot_under_op(days):
    op = days["OP"]
    slots = op.slots_frame()
    assert np.array_equal(slots["run_interactive_new"].to_numpy(), submitted_by_type(op)[0])
    assert all(p.kind != "interactive" for p in op.dc.disclose().postponements)


def test_only_winners_are_postponed_each_within_its_limit(days):
    op = days["OP"]
    bids = op.bids_frame()
    assert len(bids) > 0 and bids["won"].any() and (~bids["won"]).any()
    moved = op.postponements_frame()
    assert moved["agreed"].all()
    per_user = moved.groupby(["submitted", "user", "kind"])["count"].sum()
    for row in bids.itertuples():
        for kind in ("sensitive", "insensitive"):
            offered = getattr(row, f"n_{kind}")
            got = per_user.get((row.slot, row.user, kind), 0)
            assert got == (offered if row.won else 0)
    assert (moved["delay"] <= moved["kind"].map(TOLERANCE_SLOTS)).all()
    assert (moved["executed"] <= 23).all() and (moved["delay"] >= 1).all()


def test_payments_are_the_winners_fees_and_every_payment_has_a_payer(days):
    op = days["OP"]
    bids = op.bids_frame()
    assert np.allclose(bids["payment_eur"], np.where(bids["won"], bids["fee_eur"], 0.0))
    received = sum(u.fees_received_eur for u in op.users)
    paid = op.slots_frame()["fees_eur"].sum()
    assert received == pytest.approx(paid) == pytest.approx(bids["payment_eur"].sum())
    for slot, group in bids.groupby("slot"):
        won = group[group["won"]]
        tasks = won["n_sensitive"].sum() + won["n_insensitive"].sum()
        assert won["fee_eur"].sum() <= op.scenario.dc.revenue_per_task_eur * tasks + 1e-12, slot


def test_work_is_conserved_and_energy_moves_by_at_most_one_host_per_slot(days):
    st = days["ST"]
    total = int(submitted_by_type(st).sum())
    fleet = st.fleet
    one_host_mwh = fleet.static_share * fleet.p_max_mw
    e_st = st.slots_frame()["power_mw"].sum()
    for model in days.values():
        slots = model.slots_frame()
        assert int(slots["load_tasks"].sum()) == total
        assert abs(slots["power_mw"].sum() - e_st) <= 24 * one_host_mwh + 1e-12


def test_bs_pays_penalties_for_interactive_and_late_tasks(days):
    bs = days["BS"]
    moved = bs.postponements_frame()
    assert (moved["kind"] == "interactive").any() and not moved["agreed"].any()
    phi = bs.scenario.dc.penalty_eur_per_task_slot
    late = moved[moved["beyond_tolerance"]]
    expected = (phi * late["delay"] * late["count"]).sum()
    assert bs.slots_frame()["penalties_eur"].sum() == pytest.approx(expected)
    assert expected > 0


def test_st_ignores_dr_and_costs_energy_minus_revenue(days):
    st = days["ST"]
    slots = st.slots_frame()
    assert st.postponements_frame().empty and slots["fees_eur"].sum() == 0
    assert np.allclose(slots["cost_eur"],
                       slots["energy_cost_eur"] - slots["revenue_eur"] - slots["reward_eur"])


def test_grid_rewards_follow_the_program(days, scenario, prices):
    _, actual = prices
    program: DRProgram = program_of(scenario)
    events = set(np.argsort(-actual)[: program.n_events].tolist())
    for model in days.values():
        slots = model.slots_frame().set_index("slot")
        assert set(slots.index[slots["dr_event"] > 0]) == events
        for t in events:
            reduction = model.dc.disclose().reference_mw[t] - slots.loc[t, "power_mw"]
            requested = program.requested_share * model.dc.disclose().reference_mw[t]
            paid = min(reduction, 1.2 * requested) if reduction >= 0.5 * requested else 0.0
            assert slots.loc[t, "reward_eur"] == pytest.approx(
                program.theta0_eur_per_mwh * paid, abs=1e-9)
        assert np.allclose(slots["energy_cost_eur"], actual * slots["power_mw"])


def test_op_lowers_the_peak_share_below_static(days):
    pta = {s: m.slots_frame() for s, m in days.items()}
    events = pta["ST"]["dr_event"] > 0
    ratio = {s: f.loc[events, "load_tasks"].mean() / f["load_tasks"].mean()
             for s, f in pta.items()}
    assert ratio["OP"] < ratio["ST"] and ratio["BS"] < ratio["ST"]


def test_same_seed_same_day(scenario, prices):
    history, actual = prices
    a = DRModel(scenario, "OP", actual, history[-1]).run_day()
    b = DRModel(scenario, "OP", actual, history[-1]).run_day()
    pd.testing.assert_frame_equal(a.slots_frame(), b.slots_frame())
    pd.testing.assert_frame_equal(a.bids_frame(), b.bids_frame())
    assert len(a.bus) == len(b.bus)


def test_users_send_only_submissions_and_bids(days):
    log = days["OP"].bus.header_frame()
    from_users = log[log["sender"].str.startswith("user")]
    assert set(from_users["kind"]) == {"submit_tasks", "bid"}
    assert set(from_users["receiver"]) == {"DC"}
    to_grid = log[log["receiver"] == "grid"]
    assert set(to_grid["kind"]) == {"metered_power", "meter_history"}


def test_the_grid_derives_the_reference_from_meter_messages(days, scenario):
    """P^ref_t = mean over the reference days of the metered power, recomputed here
    from the task history and the host power model, not read from the DC."""
    model = days["OP"]
    history = fleet_of(scenario).power_mw(history_load(scenario))
    expected = np.asarray(history, float)[-scenario.program.reference_days:].mean(axis=0)
    np.testing.assert_allclose(model.grid.reference_mw, expected, rtol=1e-12)
    log = messages_of(model.bus.log_frame())
    meters = log[log["kind"] == "meter_history"]
    assert len(meters) == scenario.program.reference_days
    events = log[log["kind"] == "dr_event"]
    for _, event in events.iterrows():
        assert event["reference_mw"] == pytest.approx(expected[int(event["round"])])


def test_a_bid_above_the_submitted_tasks_is_refused(scenario, prices):
    history, actual = prices
    model = DRModel(scenario, "OP", actual, history[-1])
    user = model.users[0]
    original = user.answer_calls

    def inflated() -> None:
        for call in user.receive("dr_call"):
            slot = int(call.payload["slot"])
            user.send("DC", "bid", {"slot": slot, "n_sensitive": 10**6,
                                          "n_insensitive": 0, "fee_eur": 1.0})
    user.answer_calls = inflated
    with pytest.raises(BidError, match=r"user 'user01' at slot \d+: n_sensitive = 1000000"):
        model.run_day()
    user.answer_calls = original


def test_bad_scenarios_name_the_field(scenario):
    raw = scenario.model_dump(mode="json")
    with pytest.raises(ScenarioError, match=r"forecast\.training_days"):
        parse_dr_scenario({**raw, "day": "2018-01-10"})
    with pytest.raises(ScenarioError, match="outside the price history"):
        parse_dr_scenario({**raw, "day": "2019-02-01"})
    bad_users = {**raw["users"], "willingness": {"low": 0.8, "high": 0.2}}
    with pytest.raises(ScenarioError, match=r"users\.willingness"):
        parse_dr_scenario({**raw, "users": bad_users})
    with pytest.raises(ScenarioError, match=r"dc\.hosts"):
        parse_dr_scenario({**raw, "dc": {**raw["dc"], "hosts": 0}})
    assert len(TASK_TYPES) == 3


def test_lstm_spread_reports_both_horizons_over_seeds():
    """The LSTM's spread: one row per horizon and seed, OP's saving derived from
    the same day's ST cost, events found counted against the actual peaks."""
    pytest.importorskip("torch")
    from dcmarket.sim.dr.study import DRModel, day_prices, lstm_spread, summarise
    from dcmarket.sim.studies import load_any

    _, scenario, _ = load_any("dr_2000hosts", ["forecast.seeds=2", "forecast.lstm_epochs=2"],
                              study="dr")
    history, actual = day_prices(scenario)
    from dcmarket.grid.forecast import peak_hours

    events = peak_hours(actual, scenario.program.n_events).tolist()
    st = DRModel(scenario, "ST", actual, None).run_day()
    frame = lstm_spread(scenario, history, actual, events, st)
    assert sorted(frame.horizon.unique()) == ["day_ahead", "one_step"]
    assert len(frame) == 4 and frame.seed.nunique() == 2
    st_cost = float(summarise({"ST": st}, events).operating_cost_eur.iloc[0])
    for r in frame.itertuples():
        assert r.events_found == len(set(r.dr_hours) & set(events))
        assert r.op_reduction_vs_st_pct == pytest.approx(
            100 * (st_cost - r.op_operating_cost_eur) / st_cost)


def test_headline_numbers_hold_their_recorded_baseline():
    pytest.importorskip("torch")
    from dcmarket.sim.dr.reproduction import compare_002, headline_002
    from dcmarket.sim.dr.study import run_dr_study
    from dcmarket.sim.reproduce import check_pins
    from dcmarket.sim.studies import load_any

    _, scenario, _ = load_any("dr_2000hosts", [], study="dr")
    study = run_dr_study(scenario, quality=False)
    assert check_pins("002", headline_002(study)) == []
    assert {r.quantity for r in compare_002(study)} >= {"event hours", "operating cost ordering"}


def test_a_moved_headline_is_named(monkeypatch):
    from dcmarket.sim import reproduce

    monkeypatch.setattr(reproduce, "read_pins", lambda: {"002": {
        "OP_operating_cost_eur": {"value": 100.0, "abs_tol": 1.0}}})
    assert reproduce.check_pins("002", {"OP_operating_cost_eur": 192.08}) == [
        "002.OP_operating_cost_eur: 192.08, recorded 100 ± 1"]
    assert reproduce.check_pins("002", {}) == ["002.OP_operating_cost_eur: no longer computed"]


def test_a_user_strategy_sets_its_bids_and_only_its_bids(scenario, prices):
    """``strategy.user04: {name: markup, factor: 1.2}``: user04 asks 1.2 × its true
    cost of delay in every auction, every other bid is unchanged."""
    history, actual = prices
    marked = scenario.model_copy(update={"strategy": {"user04": {"name": "markup",
                                                                 "factor": 1.2}}})
    honest = DRModel(scenario, "OP", actual, history[-1])
    honest.run_day()
    shaded = DRModel(marked, "OP", actual, history[-1])
    shaded.run_day()
    a, b = honest.bids_frame(), shaded.bids_frame()
    assert len(a) and list(a.user) == list(b.user)
    mine = (a.user == "user04").to_numpy()
    assert mine.any()
    np.testing.assert_allclose(b.fee_eur[mine], 1.2 * a.fee_eur[mine], rtol=1e-12)
    np.testing.assert_array_equal(b.fee_eur[~mine], a.fee_eur[~mine])


def test_the_dcs_strategy_comes_from_the_scenario_or_the_caller(scenario, prices):
    history, actual = prices
    told = scenario.model_copy(update={"strategy": {"DC": "BS"}})
    assert DRModel(told, None, actual, history[-1]).strategy == "BS"
    assert DRModel(scenario, None, actual, history[-1]).strategy == "OP"
    with pytest.raises(ValueError, match=r"strategy\.DC: unknown strategy 'XX'"):
        scenario.model_copy(update={"strategy": {"DC": "XX"}})
    with pytest.raises(ValueError, match=r"strategy\.user04: unknown strategy 'BS' for a dr_user"):
        scenario.model_copy(update={"strategy": {"user04": "BS"}})
