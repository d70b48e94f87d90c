"""Bad input fails before any solve, naming the DC, the hour or the field."""

from __future__ import annotations

import copy

import pytest

from dcmarket.sim.p2p.config import load_scenario, parse_scenario
from dcmarket.sim.scenario import ScenarioError


def _bad(raw, match):
    with pytest.raises(ScenarioError, match=match):
        parse_scenario(raw)


def test_negative_capacity_names_dc_and_field(reference_raw):
    raw = copy.deepcopy(reference_raw)
    raw["datacenters"][1]["servers"] = -5
    _bad(raw, r"datacenters\.DC2\.servers")


def test_iw_above_capacity_names_dc_and_hour(reference_raw):
    raw = copy.deepcopy(reference_raw)
    raw["datacenters"][2]["interactive"][14] = 5000.0
    _bad(raw, r"DC3\.interactive\[14\].*hour 14")


def test_disconnected_communication_graph(reference_raw):
    raw = copy.deepcopy(reference_raw)
    raw["market"] = {"communication": {"topology": "edges",
                                       "edges": [["DC1", "DC2"], ["DC3", "DC4"]]}}
    _bad(raw, "not connected")


def test_unknown_dc_in_graph(reference_raw):
    raw = copy.deepcopy(reference_raw)
    raw["market"] = {"communication": {"topology": "edges",
                                       "edges": [["DC1", "DC2"], ["DC2", "DC9"]]}}
    _bad(raw, "unknown DC 'DC9'")


def test_trading_outside_communication_graph(reference_raw):
    raw = copy.deepcopy(reference_raw)
    raw["market"] = {"communication": {"topology": "ring"}, "trading": {"topology": "full"}}
    _bad(raw, "not neighbours")


def test_profile_of_wrong_length(reference_raw):
    raw = copy.deepcopy(reference_raw)
    raw["datacenters"][0]["batch"] = raw["datacenters"][0]["batch"][:-1]
    _bad(raw, "DC1")
    raw = copy.deepcopy(reference_raw)
    raw["lmp"]["DC4"] = [30.0] * 23
    _bad(raw, r"lmp\.DC4: 23 values, expected 24")


def test_unknown_field_is_named(reference_raw):
    raw = copy.deepcopy(reference_raw)
    raw["datacenters"][0]["srvers"] = 10
    _bad(raw, r"DC1\.srvers")


def test_unreadable_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("hours: [unclosed")
    with pytest.raises(ScenarioError, match=r"broken\.yaml"):
        load_scenario(path)


def test_named_source_without_weather_section_is_an_error(tmp_path):
    path = tmp_path / "no_weather.yaml"
    path.write_text(
        "hours: 24\nlmp: {initial: 30}\n"
        "datacenters:\n- {name: DC1, outdoor_c: weather, interactive: [1], batch: [1]}\n"
        "- {name: DC2, outdoor_c: weather, interactive: [1], batch: [1]}\n"
    )
    with pytest.raises(ScenarioError, match="no weather section"):
        load_scenario(path)


@pytest.mark.parametrize("initial", ["[]", "[30.0]", "true"])
def test_a_flat_lmp_guess_that_is_not_a_positive_number_is_named(initial):
    """``lmp: {initial: X}`` is also a mapping of DC names to series (a DC called
    ``initial``), so the schema lets a list through: it was read as the flat
    guess and failed in float() with a traceback."""
    from dcmarket.sim.studies import load_any

    with pytest.raises(ScenarioError, match=r"lmp\.initial: a positive number .*got"):
        load_any("p2p_ieee30", [f"lmp.initial={initial}"])


def test_unknown_weather_source(tmp_path):
    path = tmp_path / "bad_weather.yaml"
    path.write_text("hours: 24\nweather: {source: satellite, month: 7, day: 15}\n"
                    "datacenters: []\nlmp: {}\n")
    with pytest.raises(ScenarioError, match=r"weather\.source: .*'satellite'"):
        load_scenario(path)


def test_any_pandapower_case_by_name_with_its_own_bus_numbers():
    from dcmarket.sim.studies import load_any

    _, scenario, _ = load_any("p2p_ieee30", ["grid.network=pandapower:case57",
                                            "grid.line_ratings_mw={}"])
    assert scenario.grid.network == "pandapower:case57"
    with pytest.raises(ScenarioError, match=r"bus 40 does not exist in pandapower:case14"):
        load_any("p2p_ieee30", ["grid.network=pandapower:case14", "grid.line_ratings_mw={}",
                                "datacenters.DC1.bus=40"])
    with pytest.raises(ScenarioError, match=r"not a pandapower case dcmarket reads \(case_ie"):
        load_any("p2p_ieee30", ["grid.network=pandapower:case2869"])


@pytest.mark.parametrize("topology", ["small_world", "geographic"])
def test_scaling_graph_families_are_connected_and_seeded(topology):
    from dcmarket.sim.p2p.config import GraphSpec

    names = [f"DC{i}" for i in range(60)]
    graph = GraphSpec(topology=topology, degree=4, seed=5).build(names)
    again = GraphSpec(topology=topology, degree=4, seed=5).build(names)
    import networkx as nx

    assert nx.is_connected(graph) and set(graph) == set(names)
    assert sorted(graph.edges) == sorted(again.edges)
    assert 2 * graph.number_of_edges() / len(names) >= 4 - 1e-9
    assert nx.number_of_selfloops(graph) == 0


def test_a_bus_without_a_log_still_counts_what_it_carried():
    from dcmarket.sim.p2p.instances import reference_scenario
    from dcmarket.sim.p2p.model import P2PMarketModel

    scenario = parse_scenario(reference_scenario(hours=6))
    logged, counted = P2PMarketModel(scenario), P2PMarketModel(scenario, keep_log=False)
    for model in (logged, counted):
        for _ in range(3):
            model.step()
    assert counted.bus.log == [] and logged.bus.sent_messages == len(logged.bus.log)
    assert counted.bus.sent_messages == logged.bus.sent_messages
    assert counted.bus.sent_values == logged.bus.sent_values > 0


def test_link_and_line_keys_in_the_spelling_the_logs_print():
    from dcmarket.sim.studies import load_any

    _, typed, _ = load_any("p2p_4dc_fixed_lmp", ["market.trade_limits={DC1-DC3: 50}"])
    _, printed, _ = load_any("p2p_4dc_fixed_lmp", ["market.trade_limits={DC1–DC3: 50}"])
    assert printed.trade_limits() == typed.trade_limits()
    _, grid, _ = load_any("p2p_ieee30", ["grid.line_ratings_mw={10–17: 23}"])
    assert grid.grid.line_ratings_mw == {"10-17": 23.0}
