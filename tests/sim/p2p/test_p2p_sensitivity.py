"""The tornado of paper 000's equilibrium gain: each bar is a re-runnable --set."""

from __future__ import annotations

import pytest

from dcmarket.sim.p2p.equilibrium import equilibrium_gain
from dcmarket.sim.p2p.sensitivity import format_tornado, levers, tornado
from dcmarket.sim.studies import load_any, scenario_path


@pytest.fixture(scope="module")
def path():
    return scenario_path("p2p_ieee30", None)


@pytest.fixture(scope="module")
def frame(path):
    return tornado(path)


def test_base_point_is_the_case_studys_equilibrium(path, frame):
    _, scenario, _ = load_any(path, [], study="p2p")
    _, _, gain = equilibrium_gain(scenario)
    assert frame[frame.side == "base"].gain_pct.iloc[0] == pytest.approx(gain, abs=1e-9)
    assert len(frame) == 1 + 2 * len(levers(path))


def test_every_bar_is_the_equilibrium_of_its_own_settings(path, frame):
    """Re-run one bar by hand from the settings the table names."""
    row = frame[(frame.lever == "line 10–17 rating") & (frame.side == "low")].iloc[0]
    _, scenario, _ = load_any(path, row.settings.split("; "), study="p2p")
    assert scenario.grid.line_ratings_mw["10-17"] == 22.0
    _, _, gain = equilibrium_gain(scenario)
    assert row.gain_pct == pytest.approx(gain, abs=1e-9)


def test_every_lever_changes_its_scenario(path):
    _, base, _ = load_any(path, [], study="p2p")
    for lever in levers(path):
        for _, settings in (lever.low, lever.high):
            _, moved, _ = load_any(path, list(settings), study="p2p")
            assert moved != base, lever.name


def test_the_table_names_each_lever_and_its_gains(frame):
    text = format_tornado(frame)
    for name in frame.lever.unique():
        if name != "base":
            assert name in text


def test_levers_start_from_the_scenario_as_changed_by_set(path):
    moved = levers(path, ("grid.line_ratings_mw.10-17=22",))
    rating = next(lever for lever in moved if lever.name.startswith("line"))
    assert rating.base == "22 MW" and rating.low[0] == "21 MW" and rating.high[0] == "23 MW"
