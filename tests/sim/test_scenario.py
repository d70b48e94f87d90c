"""The shared scenario layer: shipped scenarios by name, the study of a file,
one mapping check for every study, and ``dcmarket run`` dispatching on it."""

from __future__ import annotations

import pytest
import yaml

from dcmarket.sim.cli import main
from dcmarket.sim.dr.config import parse_dr_scenario
from dcmarket.sim.lec.config import parse_lec_scenario
from dcmarket.sim.p2p.config import load_scenario, parse_scenario
from dcmarket.sim.scenario import (
    ScenarioError,
    read_yaml,
    scenario_path,
    shipped_scenarios,
    study_of,
)

SHIPPED = {"p2p_4dc_fixed_lmp": "p2p", "p2p_ieee30": "p2p", "p2p_ieee30_paper_day": "p2p",
           "p2p_ieee30_traces": "p2p",
           "lec_10households": "lec", "dr_2000hosts": "dr"}


def test_every_shipped_scenario_is_found_by_name_and_says_its_study():
    assert set(shipped_scenarios()) == set(SHIPPED)
    for name, study in SHIPPED.items():
        path = scenario_path(name)
        assert path == scenario_path(f"{name}.yaml") and path.is_file()
        assert study_of(read_yaml(path), name) == study


def test_a_path_wins_and_an_unknown_name_lists_the_shipped_ones(tmp_path):
    own = tmp_path / "mine.yaml"
    own.write_text("study: p2p\n")
    assert scenario_path(str(own)) == own
    with pytest.raises(ScenarioError, match=r"no shipped scenario.*p2p_ieee30"):
        scenario_path("p2p_ieee99")


def test_the_study_is_read_from_the_sections_when_not_given():
    assert study_of({"datacenters": []}) == "p2p"
    assert study_of({"households": {}}) == "lec"
    assert study_of({"users": {}}) == "dr"
    with pytest.raises(ScenarioError, match="cannot tell the study"):
        study_of({"name": "x"})
    with pytest.raises(ScenarioError, match="study: must be one of"):
        study_of({"study": "weather"})


@pytest.mark.parametrize("parse", [parse_scenario, parse_lec_scenario, parse_dr_scenario])
@pytest.mark.parametrize("raw", [[1, 2], "text", None])
def test_a_scenario_that_is_not_a_mapping_is_named_for_every_study(parse, raw):
    with pytest.raises(ScenarioError, match="a scenario is a mapping of fields"):
        parse(raw, "bad.yaml")


def test_a_scenario_of_another_study_is_refused_by_field():
    raw = yaml.safe_load(scenario_path("p2p_4dc_fixed_lmp").read_text())
    with pytest.raises(ScenarioError, match=r"study:"):
        parse_scenario({**raw, "study": "lec"})
    assert load_scenario(scenario_path("p2p_ieee30")).study == "p2p"


def test_run_finds_a_scenario_by_name(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "p2p_4dc_fixed_lmp", "--out", str(out)]) == 0
    assert "fixed LMPs" in capsys.readouterr().out
    assert (out / "messages.parquet").is_file()
    assert main(["run", "no_such_scenario"]) == 2
