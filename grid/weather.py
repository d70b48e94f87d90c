"""Measured weather and renewable output for a scenario day.

Source: the TMY3 files that pvlib ships in ``pvlib/data`` (NREL typical
meteorological year, hourly measured/modelled data; e.g. ``723170TYA.CSV``,
Greensboro NC).  From one day of it:

* outdoor temperature (``temp_air``, °C) drives DC cooling and the fixed loads;
* PV farm output: plane-of-array irradiance on a south-facing array tilted at
  the site latitude (pvlib solar position + ``get_total_irradiance``), cell
  temperature by the SAPM model and the PVWatts DC model
  (γ = −0.4 %/°C), scaled to the farm's rating;
* wind farm output: wind speed (10 m) raised to hub height by the Hellman law
  and passed through a power curve shipped with windpowerlib
  (``default_turbine_data/power_curves.csv``), scaled to the farm's rating.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_TMY3 = "723170TYA.CSV"


@dataclass(frozen=True)
class WeatherDay:
    """Hourly weather of one day (index: local standard time)."""

    site: str
    latitude: float
    longitude: float
    frame: pd.DataFrame  # temp_air, ghi, dni, dhi, wind_speed

    @property
    def temperature_c(self) -> np.ndarray:
        return self.frame["temp_air"].to_numpy(float)


def tmy3_files() -> list[str]:
    """The TMY3 files pvlib ships (what a scenario's weather file may name):
    Greensboro NC (``723170TYA.CSV``) and Sand Point AK (``703165TY.csv``)."""
    import pvlib

    folder = os.path.join(os.path.dirname(pvlib.__file__), "data")
    return sorted(f for f in os.listdir(folder)
                  if f.upper().endswith(("TYA.CSV", "TY.CSV")) and f[:6].isdigit())


def turbine_types() -> list[str]:
    """The turbine types with a power curve in windpowerlib's data."""
    return sorted(_power_curves().index)


def _power_curves() -> pd.DataFrame:
    import windpowerlib

    path = os.path.join(os.path.dirname(windpowerlib.__file__), "data",
                        "default_turbine_data", "power_curves.csv")
    return pd.read_csv(path, index_col=0)


@functools.lru_cache(maxsize=8)
def _read_tmy3(file: str) -> tuple[pd.DataFrame, dict]:
    """A TMY3 file pvlib ships (by name) or one of one's own (by path), or an
    EnergyPlus weather file (``.epw``), as hourly rows stamped at their start."""
    import pvlib

    shipped = os.path.join(os.path.dirname(pvlib.__file__), "data", file)
    path = shipped if os.path.basename(file) == file and os.path.exists(shipped) else file
    if not os.path.isfile(path):
        raise FileNotFoundError(f"weather file {file!r}: neither shipped with pvlib "
                                f"({', '.join(tmy3_files())}) nor a file")
    try:
        if path.lower().endswith(".epw"):
            data, meta = pvlib.iotools.read_epw(path)
            meta = {"Name": meta.get("city", "EPW site"), "latitude": meta["latitude"],
                    "longitude": meta["longitude"]}
        else:
            data, meta = pvlib.iotools.read_tmy3(path, map_variables=True)
    except Exception as exc:  # pvlib's errors for a file of another format
        raise ValueError(f"weather file {file}: not a TMY3 or EPW file pvlib reads "
                         f"({type(exc).__name__}: {exc})") from None
    if len(data) < 24 or not {"temp_air", "ghi", "dni", "dhi", "wind_speed"} <= set(data):
        raise ValueError(f"weather file {file}: no hourly temp_air, ghi, dni, dhi and "
                         "wind_speed")
    if not path.lower().endswith(".epw"):  # pvlib's EPW index is already the hour's start
        # TMY3 stamps an hour at its end (01:00 covers 00:00-01:00): shift to the start
        data.index = data.index - pd.Timedelta(hours=1)
    return data, meta


def _weather(data: pd.DataFrame, meta: dict) -> WeatherDay:
    return WeatherDay(
        site=str(meta["Name"]).strip('"'),
        latitude=float(meta["latitude"]),
        longitude=float(meta["longitude"]),
        frame=data[["temp_air", "ghi", "dni", "dhi", "wind_speed"]].copy(),
    )


def tmy3_day(month: int, day: int, file: str = DEFAULT_TMY3, days: int = 1) -> WeatherDay:
    """``days`` calendar days (24 hours each) from ``month``-``day`` of a TMY3 or
    EPW file (shipped with pvlib, or one's own); the typical year wraps around."""
    data, meta = _read_tmy3(file)
    first = np.flatnonzero((data.index.month == month) & (data.index.day == day))
    if len(first) != 24:
        raise ValueError(f"weather: {file} has {len(first)} hours on {month:02d}-{day:02d}")
    rows = (first[0] + np.arange(24 * days)) % len(data)
    return _weather(data.iloc[rows], meta)


def tmy3_days(first_day: int, n_days: int, file: str = DEFAULT_TMY3) -> WeatherDay:
    """``n_days`` consecutive days from day-of-year ``first_day`` (0-based) of a TMY3 file.

    A typical meteorological year stitches months of different years; days are
    taken by position (the file has 365 × 24 rows), so the index carries each
    month's source year.
    """
    data, meta = _read_tmy3(file)
    if first_day < 0 or first_day + n_days > len(data) // 24:
        raise ValueError(f"weather: days {first_day}..{first_day + n_days - 1} are outside the "
                         f"{len(data) // 24} days of {file}")
    return _weather(data.iloc[24 * first_day: 24 * (first_day + n_days)], meta)


def pv_output_mw(weather: WeatherDay, rating_mw: float, tilt: float | None = None) -> np.ndarray:
    """PV farm output (MW) by PVWatts, rated ``rating_mw`` at 1000 W/m², 25 °C."""
    import pvlib

    times = weather.frame.index + pd.Timedelta(minutes=30)  # mid-hour sun position
    solar = pvlib.solarposition.get_solarposition(times, weather.latitude, weather.longitude)
    poa = pvlib.irradiance.get_total_irradiance(
        surface_tilt=weather.latitude if tilt is None else tilt, surface_azimuth=180.0,
        solar_zenith=solar["apparent_zenith"].to_numpy(), solar_azimuth=solar["azimuth"].to_numpy(),
        dni=weather.frame["dni"].to_numpy(), ghi=weather.frame["ghi"].to_numpy(),
        dhi=weather.frame["dhi"].to_numpy(),
    )
    poa_global = np.nan_to_num(np.asarray(poa["poa_global"], float))
    params = pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"]["open_rack_glass_glass"]
    cell = pvlib.temperature.sapm_cell(poa_global, weather.temperature_c,
                                       weather.frame["wind_speed"].to_numpy(), **params)
    dc = pvlib.pvsystem.pvwatts_dc(poa_global, cell, pdc0=rating_mw, gamma_pdc=-0.004)
    return np.clip(np.asarray(dc, float), 0.0, rating_mw)


def wind_output_mw(
    weather: WeatherDay, rating_mw: float, turbine: str = "E-126/4200", hub_height_m: float = 135.0
) -> np.ndarray:
    """Wind farm output (MW): Hellman law to hub height, windpowerlib power curve."""
    from windpowerlib.power_output import power_curve
    from windpowerlib.wind_speed import hellman

    curves = _power_curves()
    if turbine not in curves.index:
        raise ValueError(f"turbine {turbine!r} has no power curve in windpowerlib's data")
    curve = curves.loc[turbine].dropna()
    speeds = curve.index.astype(float).to_numpy()
    power_w = curve.to_numpy(float)
    hub = hellman(weather.frame["wind_speed"], 10.0, hub_height_m)
    per_turbine = power_curve(hub, pd.Series(speeds), pd.Series(power_w))
    share = np.asarray(per_turbine, float) / power_w.max()
    return np.clip(share * rating_mw, 0.0, rating_mw)
