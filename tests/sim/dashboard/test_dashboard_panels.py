"""The dashboard's panels without a browser: each scenario shows its own panels
and no other, every figure is readable on a projector (labels ≥ 14 px, none
cut, none overlapping: the checker is shown to catch each), the directed
market graph agrees with the round reports, and a teacher's own scenario is
checked as the command line checks it."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml

from dcmarket.sim.dashboard.choices import choices_for, take_in
from dcmarket.sim.dashboard.model import DashboardModel
from dcmarket.sim.dashboard.panels import Residuals, study_panels
from dcmarket.sim.dashboard.style import (
    figures_of,
    finish,
    new_figure,
    readability_problems,
)
from dcmarket.sim.p2p.panels import net_flows
from dcmarket.sim.scenario import ScenarioError, scenario_path

#: scenario → (steps to take, the study's panels it shows)
SCENARIOS = {"p2p_4dc_fixed_lmp": (70, ["Market", "Trades"]),
             "p2p_ieee30": (3, ["Market", "Trades", "Grid", "Bids"]),
             "dr_2000hosts": (24, ["Day", "Auction"]),
             "lec_10households": (8, ["Community"])}


def model_of(name: str, tmp_path: Path) -> DashboardModel:
    if name != "dr_2000hosts":
        return DashboardModel(name)
    raw = yaml.safe_load(scenario_path(name).read_text())  # its forecast without the LSTM
    raw["forecast"] = {**raw.get("forecast", {}), "method": "seasonal_naive"}
    path = tmp_path / "dr.yaml"
    path.write_text(yaml.safe_dump(raw))
    return DashboardModel(str(path))


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_each_scenario_shows_its_panels_readably(name, tmp_path):
    steps, expected = SCENARIOS[name]
    model = model_of(name, tmp_path)
    assert [p.__name__ for p in study_panels(model)] == expected
    for panel in [Residuals, *study_panels(model)]:  # before the first step: no crash
        panel(model)
    for _ in range(steps):
        if model.stepper.done:
            break
        model.step()
    drawn = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for panel in [Residuals, *study_panels(model)]:
            for fig in figures_of(panel(model)):
                drawn += 1
                assert readability_problems(fig) == [], (name, panel.__name__)
    assert drawn >= 2


def test_the_checker_catches_small_cut_and_overlapping_labels():
    fig = new_figure(3.0, 6.0)
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1])
    finish(fig)
    assert readability_problems(fig) == []
    ax.text(0.5, 0.5, "tiny", fontsize=6)
    ax.text(0.2, 0.2, "a label", fontsize=14)
    ax.text(0.21, 0.2, "another", fontsize=14)
    ax.text(3.5, 0.5, "far outside", fontsize=14)
    problems = " ".join(readability_problems(fig))
    assert "'tiny': 8.3 px" in problems and "'a label' overlaps 'another'" in problems
    assert "'far outside': cut by the figure's edge" in problems


def test_the_market_graph_points_from_each_seller_to_its_buyer():
    model = DashboardModel("p2p_4dc_fixed_lmp")
    while not model.stepper.done:
        model.step()
    flows = net_flows(model)
    frame = model.stepper._result().trades_frame()
    for (a, b), link in frame.groupby(["dc_a", "dc_b"]):
        bought = float(link.q_a.sum())  # a's side: > 0, a buys (b serves it)
        if abs(bought) < 1e-6:
            continue
        seller, buyer = (b, a) if bought > 0 else (a, b)
        assert flows[(seller, buyer)] == pytest.approx(abs(bought), rel=1e-6)
        assert (buyer, seller) not in flows
    assert np.all(np.array(list(flows.values())) > 0)


def test_a_teachers_scenario_is_checked_as_the_command_line_checks_it(tmp_path):
    good = scenario_path("p2p_4dc_fixed_lmp").read_bytes()
    label, path = take_in("my_market.yaml", good, tmp_path)
    assert label == "my_market.yaml" and choices_for(str(path)).study == "p2p"
    assert DashboardModel(str(path)).stepper.unit == "ADMM round"
    shadow, _ = take_in("p2p_ieee30.yaml", scenario_path("p2p_ieee30").read_bytes(), tmp_path)
    assert shadow == "my_p2p_ieee30.yaml"  # never in place of a shipped one
    bad = good.replace(b"servers: 90000", b"servers: -5")
    with pytest.raises(ScenarioError) as caught:
        take_in("broken.yaml", bad, tmp_path)
    assert "servers" in str(caught.value) and "\n" not in str(caught.value)
    assert str(tmp_path) not in str(caught.value) and not (tmp_path / "broken.yaml").exists()
    label, path = take_in("../../up.yaml", good, tmp_path)  # only its name is kept
    assert path == tmp_path / "up.yaml"
    for name, data, said in (("x.txt", good, "a .yaml file"), ("a b;c.yaml", good, "plain name"),
                             ("latin.yaml", b"name: caf\xe9", "not UTF-8"),
                             ("empty.yaml", b"", "empty")):
        with pytest.raises(ScenarioError, match=said):
            take_in(name, data, tmp_path)


def test_the_sidebar_offers_what_each_scenario_takes():
    fixed, grid = choices_for("p2p_4dc_fixed_lmp"), choices_for("p2p_ieee30")
    assert not fixed.grid and grid.grid and fixed.seats == ("DC1", "DC2", "DC3", "DC4")
    assert choices_for("lec_10households").cases == ("NC", "TC", "TC+JP", "TC+JP+aFRR")
    assert choices_for("dr_2000hosts").study == "dr"
