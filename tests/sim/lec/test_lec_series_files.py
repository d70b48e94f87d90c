"""The energy community's inputs from files (sim/lec/series_files.py, docs/data.md).

Oracle: the shipped day's own inputs (built from demandlib, pvlib, windpowerlib
and SMARD), written to files in other units and read back.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import dcmarket
from dcmarket.sim.lec.config import parse_lec_scenario
from dcmarket.sim.lec.data import block_inputs
from dcmarket.sim.lec.year import block_digest
from dcmarket.sim.scenario import ScenarioError, scenario_path

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "lec_from_files.yaml"


@pytest.fixture(scope="module")
def shipped():
    return dcmarket.load("lec_10households")


@pytest.fixture(scope="module")
def shipped_inputs(shipped):
    return block_inputs(shipped, 0, 1)


def with_series(tmp_path: Path, series: dict, **fields) -> Path:
    raw = yaml.safe_load(scenario_path("lec_10households").read_text())
    raw.update(fields)
    raw["series"] = series
    path = tmp_path / "lec.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    return path


def test_the_example_reads_back_the_shipped_day(shipped_inputs):
    inputs = block_inputs(dcmarket.load(EXAMPLE), 0, 1)
    assert np.allclose(inputs.outdoor_c, shipped_inputs.outdoor_c, atol=1e-9)
    for ours, theirs in zip(inputs.household_profiles, shipped_inputs.household_profiles,
                            strict=True):
        assert np.allclose(ours.base_demand_kw, theirs.base_demand_kw, atol=1e-9)
        assert np.allclose(ours.pv_kw, theirs.pv_kw, atol=1e-9)
    for field in ("wind_kw", "dc_workload_kw", "buy_eur_per_kwh", "sell_eur_per_kwh"):
        assert np.allclose(getattr(inputs.community, field),
                           getattr(shipped_inputs.community, field), atol=1e-9), field


def test_a_file_without_times_starts_at_its_row_and_blocks_read_on(tmp_path, shipped):
    hot = np.arange(72, dtype=float)  # three days of a rising temperature
    pd.DataFrame({"t": hot}).to_csv(tmp_path / "t.csv", index=False)
    scenario = dcmarket.load(with_series(tmp_path, {"outdoor_c": {
        "file": "t.csv", "column": "t", "unit": "°C", "start": "12"}}))
    assert np.array_equal(block_inputs(scenario, 0, 1).outdoor_c, hot[12:36])
    assert np.array_equal(block_inputs(scenario, 1, 1).outdoor_c, hot[36:60])
    with pytest.raises(ValueError, match=r"series\.outdoor_c .*t\.csv.*the block needs 48"):
        block_inputs(scenario, 1, 2)


def test_one_home_of_its_own_leaves_the_others(tmp_path, shipped, shipped_inputs):
    own = np.full(24, 2.5)
    pd.DataFrame({"kw": own}).to_csv(tmp_path / "h.csv", index=False)
    name = shipped.household_names()[3]
    inputs = block_inputs(dcmarket.load(with_series(tmp_path, {"household_kw": {
        name: {"file": "h.csv", "column": "kw", "unit": "kW"}}})), 0, 1)
    for i, (ours, theirs) in enumerate(zip(inputs.household_profiles,
                                           shipped_inputs.household_profiles, strict=True)):
        expected = own if i == 3 else theirs.base_demand_kw
        assert np.array_equal(ours.base_demand_kw, expected)


def test_a_spot_file_frees_the_day_from_the_price_years(tmp_path):
    stamps = pd.date_range("2023-07-01", periods=24, freq="h")
    pd.DataFrame({"time": stamps, "p": np.linspace(50, 120, 24)}).to_csv(
        tmp_path / "p.csv", index=False)
    scenario = dcmarket.load(with_series(tmp_path, {"spot_eur_per_mwh": {
        "file": "p.csv", "column": "p", "unit": "€/MWh", "time": "time"}}, day="2023-07-01"))
    inputs = block_inputs(scenario, 0, 1)
    assert np.allclose(inputs.community.sell_eur_per_kwh,
                       scenario.retailer.sell_share_of_spot * np.linspace(50, 120, 24) / 1000)


def test_the_block_digest_covers_what_the_file_holds(tmp_path):
    pd.DataFrame({"t": np.zeros(24)}).to_csv(tmp_path / "t.csv", index=False)
    path = with_series(tmp_path, {"outdoor_c": {"file": "t.csv", "column": "t", "unit": "°C"}})
    before = block_digest(dcmarket.load(path))
    pd.DataFrame({"t": np.ones(24)}).to_csv(tmp_path / "t.csv", index=False)
    assert block_digest(dcmarket.load(path)) != before


@pytest.mark.parametrize("series, frame, message", [
    ({"household_kw": {"house999": {"file": "x.csv", "column": "v", "unit": "kW"}}},
     {"v": np.ones(24)}, r"series\.household_kw: no household 'house999'"),
    ({"wind_kw": {"file": "x.csv", "column": "w", "unit": "kW"}},
     {"v": np.ones(24)}, r"series\.wind_kw .*x\.csv.*no column 'w' \(columns: v\)"),
    ({"wind_kw": {"file": "x.csv", "column": "v", "unit": "kW"}},
     {"v": np.ones(20)}, r"20 hour\(s\) from the block's start, the block needs 24"),
    ({"wind_kw": {"file": "x.csv", "column": "v", "unit": "kW"}},
     {"v": np.r_[np.ones(6), np.nan, np.ones(17)]}, r"x\.csv, column 'v'\): row 8 is missing"),
    ({"wind_kw": {"file": "x.csv", "column": "v", "unit": "°C"}},
     {"v": np.ones(24)}, r"unit '°C' cannot be converted to 'kW'"),
    ({"dc_workload_kw": {"file": "x.csv", "column": "v", "unit": "kW", "time": "time"}},
     {"time": pd.date_range("2018-01-15", periods=12, freq="2h"), "v": np.ones(12)},
     r"a step of 120 min is coarser than the scenario's 60 min"),
    ({"dc_workload_kw": {"file": "x.csv", "column": "v", "unit": "kW", "time": "time"}},
     {"time": pd.date_range("2018-02-01", periods=24, freq="h"), "v": np.ones(24)},
     r"no value at 2018-01-15 00:00:00 \(the file runs 2018-02-01"),
])
def test_bad_files_are_named_before_solving(tmp_path, series, frame, message):
    pd.DataFrame(frame).to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(ScenarioError, match=message):
        dcmarket.load(with_series(tmp_path, series))


def test_a_day_outside_the_price_year_still_needs_a_spot_file(tmp_path):
    raw = yaml.safe_load(scenario_path("lec_10households").read_text())
    raw["day"] = "2023-07-01"
    with pytest.raises(ScenarioError, match="outside the price year 2018"):
        parse_lec_scenario(raw)

