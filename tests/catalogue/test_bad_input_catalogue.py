"""The catalogue of bad input: every case ends in exit code 2 and one line
that names the file, the field (or agent and hour) and the value — never a
traceback, never a run that silently goes on.

Each case changes a shipped scenario (by ``--set`` or by rewriting its YAML)
or a command-line flag, runs the command a user would run, and checks the
one line on standard error.  API cases hand the Python API what the files
would refuse.
"""

from __future__ import annotations

import copy
import os
import time
from pathlib import Path

import pytest
import yaml

from dcmarket.sim.cli import main
from dcmarket.sim.scenario import read_yaml, scenario_path

P2P, CASE, DR, LEC = "p2p_4dc_fixed_lmp", "p2p_ieee30", "dr_2000hosts", "lec_10households"

#: (id, scenario, settings, words the one line must contain)
SETTINGS = [
    # ------------------------------------------------------------- paper 000
    ("hours-word", P2P, ["hours=twenty"], ["hours", "twenty"]),
    ("hours-zero", P2P, ["hours=0"], ["hours", "0"]),
    ("hours-negative", P2P, ["hours=-5"], ["hours", "-5"]),
    ("dt-zero", P2P, ["dt_h=0"], ["dt_h", "0"]),
    ("dc-servers-negative", P2P, ["datacenters.DC1.servers=-1"], ["DC1.servers", "-1"]),
    ("dc-servers-zero", P2P, ["datacenters.DC1.servers=0"], ["DC1.servers", "0"]),
    ("dc-cop-zero", P2P, ["datacenters.DC1.cop=0"], ["DC1.cop", "0"]),
    ("dc-cop-nan", P2P, ["datacenters.DC1.cop=.nan"], ["DC1.cop", "nan"]),
    ("dc-cop-huge", P2P, ["datacenters.DC1.cop=100"], ["DC1.cop", "100"]),
    ("dc-idle-above-peak", P2P, ["datacenters.DC1.idle_w=400"], ["DC1", "idle_w", "400"]),
    ("dc-peak-inf", P2P, ["datacenters.DC1.peak_w=.inf"], ["DC1.peak_w", "inf"]),
    ("dc-service-rate-zero", P2P, ["datacenters.DC1.service_rate=0"],
     ["DC1.service_rate", "0"]),
    ("dc-dmax-zero", P2P, ["datacenters.DC1.d_max_ms=0"], ["DC1.d_max_ms", "0"]),
    ("dc-aux-share-5", P2P, ["datacenters.DC1.aux_share=5"], ["DC1.aux_share", "5"]),
    ("dc-outdoor-nan", P2P, ["datacenters.DC1.outdoor_c.3=.nan"], ["DC1.outdoor_c", "nan"]),
    ("dc-outdoor-1000", P2P, ["datacenters.DC1.outdoor_c.3=1000"], ["DC1.outdoor_c", "1000"]),
    ("dc-outdoor-short", P2P, ["datacenters.DC1.outdoor_c=[20, 21]"], ["DC1", "outdoor_c", "2"]),
    ("dc-interactive-negative", P2P, ["datacenters.DC1.interactive.0=-3"],
     ["DC1.interactive", "-3"]),
    ("dc-interactive-word", P2P, ["datacenters.DC1.interactive={peak: big}"],
     ["DC1.interactive"]),
    ("dc-batch-short", P2P, ["datacenters.DC1.batch=[1, 2, 3]"], ["DC1", "batch", "3"]),
    ("dc-indoor-500", P2P, ["datacenters.DC1.indoor_max_c=500"], ["DC1.indoor_max_c", "500"]),
    ("dc-indoor-minus-500", P2P, ["datacenters.DC1.indoor_min_c=-500"],
     ["DC1.indoor_min_c", "-500"]),
    ("dc-indoor-band-inverted", P2P, ["datacenters.DC1.indoor_min_c=30"],
     ["DC1", "indoor_min_c", "30"]),
    ("dc-fee-negative", P2P, ["datacenters.DC1.fee=-1"], ["DC1.fee", "-1"]),
    ("dc-depreciation-nan", P2P, ["datacenters.DC1.depreciation=.nan"],
     ["DC1.depreciation", "nan"]),
    ("dc-switch-count-negative", P2P, ["datacenters.DC1.switches.0.count=-2"],
     ["DC1.switches.0.count", "-2"]),
    ("dc-duplicate-name", P2P, ["datacenters.DC2.name=DC1"], ["DC1", "unique"]),
    ("dc-empty-name", P2P, ["datacenters.DC1.name="], ["name"]),
    ("dc-unknown-field", P2P, ["datacenters.DC1.colour=red"], ["DC1.colour"]),
    # money and prices have physical ranges (a fee of 1e308 $ ran "converged" to inf)
    ("hours-million", P2P, ["hours=1000000"], ["hours", "8784"]),
    ("dc-fee-huge", P2P, ["datacenters.DC1.fee=1e308"], ["DC1.fee", "1000000000"]),
    ("dc-depreciation-huge", P2P, ["datacenters.DC2.depreciation=1e12"],
     ["DC2.depreciation"]),
    ("lmp-huge", P2P, ["lmp.DC1.3=1e308"], ["lmp.DC1", "1e+308", "1e+06"]),
    ("dr-revenue-huge", DR, ["dc.revenue_per_task_eur=1e308"], ["revenue_per_task_eur"]),
    ("dr-theta-huge", DR, ["program.theta0_eur_per_mwh=1e308"], ["theta0_eur_per_mwh"]),
    ("lec-adder-huge", LEC, ["retailer.buy_adder_eur_per_kwh=1e308"],
     ["buy_adder_eur_per_kwh"]),
    ("lec-afrr-huge", LEC, ["afrr.base_eur_per_mw_h=1e308"], ["afrr.base_eur_per_mw_h"]),
    # names travel into --set paths, link keys, logs, CSV files and terminals
    ("dc-name-newline", P2P, ['datacenters.DC1.name="DC1\\nDC9"'],
     ["datacenters.0.name", "not an agent name"]),
    ("dc-name-nul", P2P, ['datacenters.DC1.name="DC\\x00x"'], ["not an agent name"]),
    ("dc-name-ansi", P2P, ['datacenters.DC1.name="\\e[31mDC1"'], ["not an agent name"]),
    ("dc-name-formula", P2P, ["datacenters.DC1.name='=HYPERLINK(1)'"], ["not an agent name"]),
    ("dc-name-dash", P2P, ["datacenters.DC1.name=DC-1"], ["'DC-1' is not an agent name"]),
    ("dc-name-dot", P2P, ["datacenters.DC1.name=a.b"], ["'a.b' is not an agent name"]),
    ("dc-name-long", P2P, ["datacenters.DC1.name=" + "D" * 65], ["not an agent name"]),
    ("dc-name-monitor", P2P, ["datacenters.DC1.name=market", "lmp.market=[1]"],
     ["market is reserved by the protocol"]),
    ("dc-name-operator", CASE, ["datacenters.DC1.name=GridOperator"],
     ["GridOperator is reserved by the protocol"]),
    ("lmp-unknown-dc", P2P, ["lmp.DC9=[30, 30]"], ["lmp", "DC9"]),
    ("lmp-nan", P2P, ["lmp.DC1.5=.nan"], ["lmp.DC1", "nan"]),
    ("lmp-inf", P2P, ["lmp.DC2.0=.inf"], ["lmp.DC2", "inf"]),
    ("lmp-short", P2P, ["lmp.DC1=[30, 31]"], ["lmp", "DC1", "2"]),
    ("penalty-zero", P2P, ["market.penalty=0"], ["market.penalty", "0"]),
    ("penalty-negative", P2P, ["market.penalty=-3"], ["market.penalty", "-3"]),
    ("penalty-nan", P2P, ["market.penalty=.nan"], ["market.penalty", "nan"]),
    ("tol-primal-huge", P2P, ["market.tol_primal=1e6"], ["market.tol_primal", "1e+06"]),
    ("tol-dual-huge", P2P, ["market.tol_dual=1e6"], ["market.tol_dual", "1e+06"]),
    ("tol-primal-zero", P2P, ["market.tol_primal=0"], ["market.tol_primal", "0"]),
    ("max-rounds-zero", P2P, ["market.max_rounds=0"], ["market.max_rounds", "0"]),
    ("max-rounds-fraction", P2P, ["market.max_rounds=1.5"], ["market.max_rounds", "1.5"]),
    ("backend-unknown", P2P, ["market.backend=gurobi"], ["market.backend", "gurobi"]),
    ("workers-zero", P2P, ["market.workers=0"], ["market.workers", "0"]),
    ("estimates-unknown", P2P, ["market.estimates=psychic"], ["market.estimates", "psychic"]),
    ("graph-self-loop", P2P, ["market.communication={topology: edges, edges: [[DC1, DC1], "
                              "[DC1, DC2], [DC2, DC3], [DC3, DC4]]}"], ["DC1", "self-loop"]),
    ("graph-unknown-dc", P2P, ["market.communication={topology: edges, edges: [[DC1, DC9]]}"],
     ["DC9"]),
    ("graph-disconnected", P2P, ["market.communication={topology: edges, edges: "
                                "[[DC1, DC2], [DC3, DC4]]}"], ["communication", "connected"]),
    ("graph-degree-zero", P2P, ["market.communication={topology: random_regular, degree: 0}"],
     ["degree", "0"]),
    ("trading-self-loop", P2P, ["market.trading={topology: edges, edges: [[DC2, DC2]]}"],
     ["DC2", "self-loop"]),
    ("trade-share-negative", P2P, ["market.trade_limit_share=-1"],
     ["market.trade_limit_share", "-1"]),
    ("trade-limit-unknown-link", P2P, ["market.trade_limits={DC1-DC9: 5}"], ["DC1-DC9"]),
    ("study-unknown", P2P, ["study=xyz"], ["study", "xyz"]),
    ("top-unknown-field", P2P, ["colour=red"], ["colour"]),
    ("line-rating-unknown-line", CASE, ["grid.line_ratings_mw={10-99: 5}"],
     ["grid.line_ratings_mw", "10-99"]),
    ("line-rating-zero", CASE, ["grid.line_ratings_mw.10-17=0"],
     ["grid.line_ratings_mw.10-17", "0"]),
    ("thermal-unit-unknown-bus", CASE, ["grid.thermal_units.0.bus=99"],
     ["thermal_units", "bus", "99"]),
    ("thermal-unit-pmax-nan", CASE, ["grid.thermal_units.0.p_max_mw=.nan"],
     ["p_max_mw", "nan"]),
    # no thermal units listed: the case's own generators (docs/p2p.md); a network file
    # that is not one is named
    ("network-file-missing", CASE, ["grid.network=/nonexistent/grid.m"],
     ["grid.network", "no such network file"]),
    ("network-not-a-case", CASE, ["grid.network=pandapower:case2"], ["grid.network", "case2"]),
    ("voll-negative", CASE, ["grid.value_of_lost_load=-1"], ["value_of_lost_load", "-1"]),
    ("cost-factor-zero", CASE, ["grid.cost_factor=0"], ["grid.cost_factor", "0"]),
    ("network-unknown", CASE, ["grid.network=matpower:case9"], ["grid.network", "case9"]),
    ("dc-bus-unknown", CASE, ["datacenters.DC1.bus=99"], ["DC1", "bus", "99"]),
    ("bilevel-tol-zero", CASE, ["bilevel.tol_mw=0"], ["bilevel.tol_mw", "0"]),
    ("bilevel-max-outer-zero", CASE, ["bilevel.max_outer=0"], ["bilevel.max_outer", "0"]),
    ("bilevel-tol-huge", CASE, ["bilevel.tol_mw=1e6"], ["bilevel.tol_mw", "1e+06"]),
    ("weather-file-missing", CASE, ["weather.file=nope.csv"], ["weather", "nope.csv"]),
    ("weather-month-13", CASE, ["weather.month=13"], ["weather", "13"]),
    ("workload-peak-word", CASE, ["datacenters.DC1.interactive={peak: big}"],
     ["DC1.interactive", "big"]),
    ("lmp-initial-nan", CASE, ["lmp.initial=.nan"], ["lmp", "nan"]),
    # ------------------------------------------------------------- paper 002
    ("dr-users-zero", DR, ["users.count=0"], ["users.count", "0"]),
    ("dr-day-too-early", DR, ["day=2018-01-05"], ["forecast.training_days"]),
    ("dr-day-invalid", DR, ["day=2018-13-01"], ["day", "2018-13-01"]),
    ("dr-day-other-year", DR, ["day=2019-02-01"], ["day", "2019"]),
    ("dr-theta-inf", DR, ["program.theta0_eur_per_mwh=.inf"], ["theta0_eur_per_mwh", "inf"]),
    ("dr-share-2", DR, ["program.requested_share=2"], ["requested_share", "2"]),
    ("dr-events-zero", DR, ["program.n_events=0"], ["n_events", "0"]),
    ("dr-events-25", DR, ["program.n_events=25"], ["n_events", "25"]),
    ("dr-reference-days-zero", DR, ["program.reference_days=0"], ["reference_days", "0"]),
    ("dr-hosts-zero", DR, ["dc.hosts=0"], ["dc.hosts", "0"]),
    ("dr-penalty-inf", DR, ["dc.penalty_eur_per_task_slot=.inf"],
     ["penalty_eur_per_task_slot", "inf"]),
    ("dr-static-share-2", DR, ["dc.static_share=2"], ["static_share", "2"]),
    ("dr-delay-cost-inverted", DR, ["users.delay_cost_eur_per_task_slot={low: 1, high: 0.1}"],
     ["delay_cost_eur_per_task_slot", "0.1"]),
    ("dr-willingness-2", DR, ["users.willingness={low: 0.5, high: 2}"], ["willingness", "2"]),
    ("dr-forecast-unknown", DR, ["forecast.method=crystal_ball"],
     ["forecast.method", "crystal_ball"]),
    ("dr-one-step-holt-winters", DR, ["forecast.method=holt_winters", "forecast.horizon=one_step"],
     ["forecast.horizon", "holt_winters"]),
    ("dr-training-days-zero", DR, ["forecast.training_days=0"], ["training_days", "0"]),
    ("dr-selector-unknown", DR, ["auction.selector=magic"], ["auction.selector", "magic"]),
    ("dr-ga-population-1", DR, ["auction.ga.population=1"], ["population", "1"]),
    ("dr-strategy-unknown", DR, ["strategies=[XX]"], ["strategies", "XX"]),
    ("dr-zone-unknown", DR, ["prices.zone=XX"], ["prices.zone", "XX"]),
    ("dr-revenue-nan", DR, ["dc.revenue_per_task_eur=.nan"], ["revenue_per_task_eur", "nan"]),
    # ------------------------------------------------------------- paper 001
    ("lec-households-zero", LEC, ["households.count=0"], ["households.count", "0"]),
    ("lec-eta-heat-5", LEC, ["heat.eta_heat=5"], ["heat.eta_heat", "5"]),
    ("lec-comfort-500", LEC, ["households.thermal.comfort_max_c=500"],
     ["comfort_max_c", "500"]),
    ("lec-comfort-inverted", LEC, ["households.thermal.comfort_min_c=30"],
     ["comfort_min_c", "30"]),
    ("lec-battery-negative", LEC, ["battery.capacity_kwh=-5"], ["battery.capacity_kwh", "-5"]),
    ("lec-battery-soc-inverted", LEC, ["battery.soc_min_share=0.99"], ["battery", "soc"]),
    ("lec-day-invalid", LEC, ["day=2018-02-30"], ["day", "2018-02-30"]),
    ("lec-scenario-unknown", LEC, ["scenarios=[XX]"], ["scenarios", "XX"]),
    ("lec-twin-tol-zero", LEC, ["twin.tol_kw=0"], ["twin.tol_kw", "0"]),
    ("lec-twin-tol-huge", LEC, ["twin.tol_kw=1e6"], ["twin.tol_kw", "1e+06"]),
    ("lec-twin-iterations-zero", LEC, ["twin.max_iterations=0"], ["max_iterations", "0"]),
    ("lec-turbine-unknown", LEC, ["wind.turbine=XYZ-1"], ["wind.turbine", "XYZ-1"]),
    ("lec-weather-missing", LEC, ["weather_file=nope.csv"], ["weather_file", "nope.csv"]),
    ("lec-dc-rated-nan", LEC, ["dc.rated_kw=.nan"], ["dc.rated_kw", "nan"]),
    ("lec-afrr-peak-hour-24", LEC, ["afrr.peak_hours=[24]"], ["peak_hours", "24"]),
    ("lec-ev-eta-2", LEC, ["households.ev.eta_charge=2"], ["eta_charge", "2"]),
    ("lec-pv-inverted", LEC, ["households.pv_kwp={low: 10, high: 3}"], ["pv_kwp", "3"]),
    ("lec-connection-zero", LEC, ["retailer.connection_kw=0"], ["connection_kw", "0"]),
]


def _one_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("name, scenario, settings, words", SETTINGS,
                         ids=[case[0] for case in SETTINGS])
def test_a_bad_field_is_named_before_solving(name, scenario, settings, words, capsys):
    assert main(["validate", scenario, *[f"--set={s}" for s in settings]]) == 2
    line = _one_line(capsys)
    assert f"{scenario}.yaml" in line, line
    for word in words:
        assert word in line, (word, line)


def _write(tmp_path: Path, raw: object, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw))
    return path


def _raw(name: str) -> dict:
    return copy.deepcopy(read_yaml(scenario_path(name)))


FILES = [
    ("yaml-list", lambda p: p.write_text("- a\n- b\n"), ["a scenario is a mapping"]),
    ("yaml-empty", lambda p: p.write_text(""), ["empty"]),
    ("yaml-binary", lambda p: p.write_bytes(bytes(range(256)) * 4), ["not UTF-8"]),
    ("yaml-latin1", lambda p: p.write_bytes("name: caf\xe9\n".encode("latin-1")),
     ["UTF-8"]),
    ("yaml-syntax", lambda p: p.write_text("name: [unclosed\n"), ["cannot read"]),
    ("datacenters-mapping", lambda p: p.write_text(yaml.safe_dump(
        {**_raw(P2P), "datacenters": {d["name"]: d for d in _raw(P2P)["datacenters"]}})),
     ["datacenters"]),
    ("datacenters-empty", lambda p: p.write_text(yaml.safe_dump(
        {**_raw(P2P), "datacenters": []})), ["datacenters"]),
    ("lmp-missing-dc", lambda p: p.write_text(yaml.safe_dump(
        {**_raw(P2P), "lmp": {k: v for k, v in _raw(P2P)["lmp"].items() if k != "DC3"}})),
     ["lmp", "DC3"]),
    ("lec-duplicate-households", lambda p: p.write_text(yaml.safe_dump(_duplicate_houses())),
     ["house001", "unique"]),
    ("lec-ev-departs-before-arrival", lambda p: p.write_text(yaml.safe_dump(_bad_ev())),
     ["house007", "ev"]),
    # inputs with limits, refused at once (the alias bomb took 2 min and 3.2 GB)
    ("yaml-alias-bomb", lambda p: p.write_text(_alias_bomb()), ["expands to more than"]),
    ("yaml-deep-list", lambda p: p.write_text("x: " + "[" * 100_000 + "]" * 100_000),
     ["nested deeper"]),
    ("yaml-nested-40", lambda p: p.write_text("x: " + "[" * 40 + "]" * 40),
     ["nested deeper than 32"]),
    ("yaml-fifo", lambda p: os.mkfifo(p), ["not a regular file"]),
]


def _alias_bomb() -> str:
    """6 KB of YAML whose aliases expand to 10^12 values."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    return "\n".join(lines) + "\n"


def _duplicate_houses() -> dict:
    from dcmarket.sim.lec.config import load_lec_scenario

    scenario = load_lec_scenario(scenario_path(LEC))
    raw = scenario.model_dump(mode="json")
    houses = raw["households"]
    specs = [h.model_dump(mode="json") for h in scenario.household_specs()[:2]]
    specs[1]["name"] = specs[0]["name"]
    return {**raw, "households": {**houses, "count": 2}, "household_list": specs}


def _bad_ev() -> dict:
    raw = _duplicate_houses()
    raw["household_list"][1]["name"] = "house007"
    raw["household_list"][1]["ev"] = {**raw["household_list"][1]["ev"], "arrival_h": 18,
                                     "departure_h": 7, "hours_home": 30}
    return raw


@pytest.mark.parametrize("name, write, words", FILES, ids=[case[0] for case in FILES])
def test_a_bad_file_is_named(name, write, words, tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    write(path)
    tic = time.perf_counter()
    assert main(["validate", str(path)]) == 2
    assert time.perf_counter() - tic < 5, "a bad file is refused at once"
    line = _one_line(capsys)
    assert "bad.yaml" in line
    for word in words:
        assert word in line, (word, line)


FLAGS = [
    ("run-max-rounds-negative", ["run", "--max-rounds", "-1"], ["--max-rounds", "-1"]),
    ("run-max-rounds-zero", ["run", "--max-rounds", "0"], ["--max-rounds", "0"]),
    ("step-until-zero", ["step", P2P, "--until", "0"], ["--until", "0"]),
    ("lec-days-zero", ["lec", "--mode", "block", "--days", "0"], ["--days", "0"]),
    ("lec-blocks-zero", ["lec", "--mode", "year", "--blocks", "0"], ["--blocks", "0"]),
    ("lec-counts-words", ["lec", "--mode", "sweep", "--counts", "a,b"], ["--counts", "a,b"]),
    ("lec-counts-zero", ["lec", "--mode", "sweep", "--counts", "0,5"], ["--counts", "0,5"]),
    ("lec-year-without-out", ["lec", "--mode", "year"], ["--out"]),
    ("run-unknown-option", ["run", "--bogus"], ["--bogus"]),
    ("run-unknown-scenario", ["run", "no_such_scenario"], ["no_such_scenario"]),
    ("validate-directory", ["validate", "."], ["."]),
    ("dr-selector-unknown", ["dr", "--selector", "magic"], ["--selector", "magic"]),
    ("backend-unknown", ["run", "--backend", "gurobi"], ["--backend", "gurobi"]),
    ("messages-round-word", ["messages", "runs", "--round", "x"], ["x"]),
]


@pytest.mark.parametrize("name, argv, words", FLAGS, ids=[case[0] for case in FLAGS])
def test_a_bad_flag_is_named_before_solving(name, argv, words, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for word in words:
        assert word in err, (word, err)


@pytest.mark.parametrize("where", ["file", "under-file"])
def test_out_into_a_file_is_named_before_solving(where, tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    out = tmp_path / "f" if where == "file" else tmp_path / "f" / "run"
    assert main(["case-study", "--out", str(out)]) == 2
    line = _one_line(capsys)
    assert "--out" in line and str(tmp_path / "f") in line


INFEASIBLE = [
    ("dc-grid-cap-tiny", ["run", P2P, "--set", "datacenters.DC1.grid_max_mw=0.001"],
     ["datacenters.DC1.grid_max_mw", "0.001", "infeasible", "hour"]),
    ("dc-cooling-cap-tiny", ["run", P2P, "--set", "datacenters.DC2.cooling_max_mw=0.5"],
     ["datacenters.DC2.cooling_max_mw", "0.5", "infeasible"]),
    ("lec-connection-tiny", ["lec", "--mode", "block", "--days", "1", "--no-twin",
                             "--set", "retailer.connection_kw=1"],
     ["retailer.connection_kw", "1", "infeasible"]),
]


@pytest.mark.parametrize("name, argv, words", INFEASIBLE, ids=[c[0] for c in INFEASIBLE])
def test_an_infeasible_problem_names_the_input_behind_it(name, argv, words, capsys):
    assert main(argv) == 2
    line = _one_line(capsys)
    for word in words:
        assert word in line, (word, line)
