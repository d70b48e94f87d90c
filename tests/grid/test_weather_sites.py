"""Weather of each site, over several days, from the TMY3 files pvlib ships
and from files of one's own (TMY3, EPW).  Oracle: pvlib's own reading of the
file (the values a scenario resolves are the file's rows)."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

import dcmarket
from dcmarket.grid.weather import tmy3_day, tmy3_files
from dcmarket.sim.scenario import ScenarioError

pvlib = pytest.importorskip("pvlib")
SAND_POINT = "703165TY.csv"


def pvlib_file(name: str) -> str:
    return os.path.join(os.path.dirname(pvlib.__file__), "data", name)



def test_pvlib_ships_two_sites_and_a_dc_takes_its_own():
    assert {"723170TYA.CSV", SAND_POINT} <= set(tmy3_files())
    scenario = dcmarket.load("p2p_ieee30", "weather_sites={north: {source: pvlib-tmy3, "
                             f"file: {SAND_POINT}, month: 7, day: 15}}}}",
                             "datacenters.DC3.outdoor_c=weather:north")
    north = tmy3_day(7, 15, SAND_POINT).temperature_c
    np.testing.assert_allclose(scenario.spec("DC3").outdoor_c, north, atol=1e-4)
    assert np.mean(scenario.spec("DC3").outdoor_c) < np.mean(scenario.spec("DC1").outdoor_c)
    assert "SAND POINT" in scenario.sources["weather.north"]


def test_several_days_and_a_tmy3_file_of_ones_own(tmp_path):
    own = tmp_path / "site.csv"
    shutil.copy(pvlib_file(SAND_POINT), own)
    two = dcmarket.load("p2p_ieee30", "hours=48", "weather.days=2",
                        f"weather_sites={{mine: {{source: file, file: {own}, month: 7, day: 15, "
                        "days: 2}}", "datacenters.DC2.outdoor_c=weather:mine")
    assert len(two.spec("DC1").outdoor_c) == 48
    one = dcmarket.load("p2p_ieee30")
    np.testing.assert_allclose(two.spec("DC1").outdoor_c[:24], one.spec("DC1").outdoor_c)
    np.testing.assert_allclose(two.spec("DC2").outdoor_c, tmy3_day(7, 15, SAND_POINT, 2)
                               .temperature_c, atol=1e-4)


def write_epw(tmy3: str, path) -> None:
    """``tmy3`` in EnergyPlus weather format (the columns pvlib's reader takes)."""
    data, meta = pvlib.iotools.read_tmy3(pvlib_file(tmy3), map_variables=True)
    head = (f"LOCATION,{meta['Name'].strip(chr(34))},AK,USA,TMY3,{meta['USAF']},"
            f"{meta['latitude']},{meta['longitude']},{meta['TZ']},{meta['altitude']}\n")
    lines = [head] + [f"HEADER {k}\n" for k in range(7)]
    for stamp, row in data.iterrows():
        hour = stamp.hour or 24
        fields = [1999, stamp.month if stamp.hour else (stamp - np.timedelta64(1, "h")).month,
                  stamp.day if stamp.hour else (stamp - np.timedelta64(1, "h")).day, hour, 0,
                  "?", row.temp_air, row.temp_dew, row.relative_humidity, row.pressure * 100,
                  0, 0, 0, row.ghi, row.dni, row.dhi, 0, 0, 0, 0, row.wind_direction,
                  row.wind_speed] + [0] * 13
        lines.append(",".join(str(v) for v in fields) + "\n")
    path.write_text("".join(lines))


def test_an_epw_file_gives_the_same_days(tmp_path):
    epw = tmp_path / "site.epw"
    write_epw(SAND_POINT, epw)
    np.testing.assert_allclose(tmy3_day(7, 15, str(epw), 2).temperature_c,
                               tmy3_day(7, 15, SAND_POINT, 2).temperature_c)


def test_weather_that_does_not_fit_is_named_before_solving(tmp_path):
    with pytest.raises(ScenarioError, match=r"1 day\(s\) of weather are 24 hours; the "
                                            "scenario has 48"):
        dcmarket.load("p2p_ieee30", "hours=48")
    with pytest.raises(ScenarioError, match="no weather site 'south'"):
        dcmarket.load("p2p_ieee30", "datacenters.DC3.outdoor_c=weather:south")
    with pytest.raises(ScenarioError, match="no such weather file"):
        dcmarket.load("p2p_ieee30", f"weather={{source: file, file: {tmp_path / 'x.epw'}, "
                                    "month: 7, day: 15}")
