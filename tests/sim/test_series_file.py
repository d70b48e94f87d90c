"""Series from files (docs/data.md): the example files hold the shipped
scenario's own numbers (the oracle: its YAML), and every bad file is named
with its column and row before anything is solved."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import dcmarket
from dcmarket.sim.scenario import ScenarioError
from dcmarket.sim.series_file import SeriesError, SeriesFile, read_series

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "p2p_from_files.yaml"


def test_the_example_files_give_the_shipped_scenarios_numbers():
    from_files, shipped = dcmarket.load(EXAMPLE), dcmarket.load("p2p_4dc_fixed_lmp")
    for a, b in zip(from_files.datacenters, shipped.datacenters, strict=True):
        np.testing.assert_allclose(a.interactive, b.interactive, atol=1e-4)
        np.testing.assert_allclose(a.batch, b.batch, atol=1e-4)
    for name, series in shipped.lmp.items():  # UTC stamps read in New York time
        np.testing.assert_allclose(from_files.lmp[name], series, atol=1e-9)


def series(tmp_path: Path, frame: pd.DataFrame, suffix: str = ".csv", hours: int = 3,
           unit: str = "MW", **spec) -> list[float]:
    path = tmp_path / f"s{suffix}"
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path)
    given = SeriesFile.model_validate({"file": str(path), "column": "v", "unit": "MW", **spec})
    return read_series(given, hours, unit, "field")


def test_resampling_units_and_time_zones(tmp_path):
    quarter = pd.DataFrame({"t": pd.date_range("2024-01-01", periods=12, freq="15min"),
                            "v": np.arange(12.0)})
    assert series(tmp_path, quarter, time="t", resample="mean") == [1.5, 5.5, 9.5]
    assert series(tmp_path, quarter, ".parquet", time="t", resample="sum") == [6.0, 22.0, 38.0]
    hourly = pd.DataFrame({"v": [1.0, 2.0, 3.0]})
    assert series(tmp_path, hourly, unit="kW") == [1000.0, 2000.0, 3000.0]
    fahrenheit = SeriesFile(file=str(tmp_path / "s.csv"), column="v", unit="°F")
    hourly.assign(v=[32.0, 212.0, 50.0]).to_csv(tmp_path / "s.csv", index=False)
    np.testing.assert_allclose(read_series(fahrenheit, 3, "°C", "x"), [0.0, 100.0, 10.0])
    utc = pd.DataFrame({"t": pd.date_range("2024-07-15 04:00", periods=5, freq="h", tz="UTC"),
                        "v": [10.0, 11.0, 12.0, 13.0, 14.0]})
    # 04:00 UTC is midnight in New York in July: its 01:00 is the second row
    assert series(tmp_path, utc, ".parquet", time="t", timezone="America/New_York",
                  start="2024-07-15 01:00") == [11.0, 12.0, 13.0]


@pytest.mark.parametrize(("frame", "spec", "message"), [
    (pd.DataFrame({"w": [1.0, 2.0, 3.0]}), {}, r"no column 'v' \(columns: w\)"),
    (pd.DataFrame({"v": [1.0, None, 3.0]}), {}, "row 3 is missing or not a number"),
    (pd.DataFrame({"v": [1.0, 2.0]}), {}, "2 step\\(s\\) from the start, the scenario needs 3"),
    (pd.DataFrame({"t": pd.date_range("2024-01-01", periods=12, freq="15min"),
                   "v": np.ones(12)}), {"time": "t"},
     r"a step of 15 min is finer than the scenario's 60 min: .*resample"),
    (pd.DataFrame({"t": pd.date_range("2024-01-01", periods=3, freq="2h"), "v": np.ones(3)}),
     {"time": "t"}, "a step of 120 min is coarser than the scenario's 60 min"),
    (pd.DataFrame({"t": pd.to_datetime(["2024-01-01 00:00", "2024-01-01 01:00",
                                        "2024-01-01 03:00"]), "v": np.ones(3)}),
     {"time": "t"}, "not regular"),
    (pd.DataFrame({"t": pd.to_datetime(["2024-01-01 01:00", "2024-01-01 00:00",
                                        "2024-01-01 02:00"]), "v": np.ones(3)}),
     {"time": "t"}, "row 3: time .* does not follow"),
    (pd.DataFrame({"v": [1.0, 2.0, 3.0]}), {"unit": "$/MWh"},
     r"unit 'MW' cannot be converted to '\$/MWh'"),
    (pd.DataFrame({"t": pd.date_range("2024-03-31 00:00", periods=4, freq="h"),
                   "v": np.ones(4)}), {"time": "t", "timezone": "Europe/Berlin"},
     "not valid in Europe/Berlin"),
])
def test_a_bad_file_is_named_with_its_column_and_row(tmp_path, frame, spec, message):
    with pytest.raises(SeriesError, match=message) as found:
        series(tmp_path, frame, **spec)
    assert "s.csv" in str(found.value) and "column 'v'" in str(found.value)


def test_a_scenario_names_the_field_and_the_file(tmp_path):
    (tmp_path / "data").mkdir()
    pd.DataFrame({"x": [1.0]}).to_csv(tmp_path / "data" / "workload_15min.csv", index=False)
    scenario = EXAMPLE.read_text()
    (tmp_path / "s.yaml").write_text(scenario)
    with pytest.raises(ScenarioError, match=r"datacenters\.DC1\.interactive .*no column "
                                            r"'DC1_web'"):
        dcmarket.load(tmp_path / "s.yaml")
    with pytest.raises(ScenarioError, match="no such file"):
        dcmarket.load(EXAMPLE, "datacenters.DC1.interactive={file: nowhere.csv, column: v, "
                               "unit: requests/s}")
