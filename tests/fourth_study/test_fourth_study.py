"""A study that lives only under tests/ gets every verb and a dashboard panel by
registering itself: validate, run, step, messages, report, verify."""

from __future__ import annotations

import pytest
import yaml

from dcmarket.sim import registry
from dcmarket.sim.cli import main
from fourth_study.double_auction import STUDY, clear

SCENARIO = {
    "study": "double_auction", "name": "four_traders",
    "buyers": [{"name": "b1", "limit": 60.0, "quantity": 2.0},
               {"name": "b2", "limit": 40.0, "quantity": 1.0}],
    "sellers": [{"name": "s1", "limit": 20.0, "quantity": 1.5},
                {"name": "s2", "limit": 50.0, "quantity": 2.0}],
}


@pytest.fixture()
def study(tmp_path):
    registry.register(STUDY)
    path = tmp_path / "four_traders.yaml"
    path.write_text(yaml.safe_dump(SCENARIO))
    yield path
    registry.unregister(STUDY.name)


def test_the_clearing_is_a_uniform_price_double_auction():
    # oracle by hand: b1 (60) buys 1.5 from s1 (20), then 0.5 from s2 (50): the
    # last accepted bid 60 and ask 50 give 55; b2 (40) is below s2 (50)
    price, traded = clear([("b1", 60, 2, True), ("b2", 40, 1, True),
                           ("s1", 20, 1.5, False), ("s2", 50, 2, False)])
    assert price == 55.0
    assert traded == {"b1": 2.0, "b2": 0.0, "s1": -1.5, "s2": -0.5}


def test_every_verb_works_for_a_registered_study(study, tmp_path, capsys):
    assert main(["validate", str(study)]) == 0
    assert "valid double_auction scenario" in capsys.readouterr().out
    out = tmp_path / "run"
    assert main(["run", str(study), "--out", str(out)]) == 0
    assert "cleared at 55.00" in capsys.readouterr().out
    assert main(["step", str(study), "--batch"]) == 0
    assert "cleared at 55.00" in capsys.readouterr().out
    assert main(["messages", str(out)]) == 0
    assert "order" in capsys.readouterr().out
    assert main(["report", str(out)]) == 0
    assert "Uniform price 55.00" in (out / "report.html").read_text()
    assert main(["verify", str(out)]) == 0


def test_the_study_is_told_from_its_sections_and_unknown_studies_are_named(study, tmp_path):
    raw = {k: v for k, v in SCENARIO.items() if k != "study"}
    path = tmp_path / "no_study_field.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert main(["validate", str(path)]) == 0
    path.write_text(yaml.safe_dump({**SCENARIO, "study": "nothing"}))
    assert main(["validate", str(path)]) == 2


def test_its_dashboard_panel_comes_from_the_registry(study):
    pytest.importorskip("solara")
    from dcmarket.sim.dashboard.model import DashboardModel
    from dcmarket.sim.dashboard.panels import Residuals, Status, study_panels

    model = DashboardModel(scenario=str(study))
    assert model.study == "double_auction"
    model.step()
    model.step()
    for component in (Status, Residuals, *study_panels(model)):
        assert component(model) is not None
    (panel,) = registry.study("double_auction").dashboard_panels(model)
    assert "55.00" in panel(model).args[0]
