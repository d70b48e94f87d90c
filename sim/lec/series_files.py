"""The energy community's hourly inputs from files of one's own (paper 001; docs/data.md).

Each input the study otherwise builds from shipped profiles may instead be a
column of a CSV or Parquet file (:class:`dcmarket.sim.series_file.SeriesFile`):

==================  =======  =====================================================
field               unit     replaces
==================  =======  =====================================================
outdoor_c           °C       the TMY3 file's temperature (the homes' thermal model)
pv_kw_per_kwp       kW/kWp   PVWatts on the TMY3 file (times each home's kWp)
wind_kw             kW       the turbine's power curve on the TMY3 wind speed
spot_eur_per_mwh    €/MWh    the SMARD day-ahead price (retail ``c^b``, ``c^s``)
dc_workload_kw      kW       the seeded AR(1) workload of the DC
household_kw.NAME   kW       household NAME's H0 profile × its annual demand
==================  =======  =====================================================

Which hours are taken: with a ``time`` column, the hours from the scenario's
``day`` on (or from the file's ``start`` if given: the file's time that stands
for the scenario's day, so a 2023 measurement can drive the 2018 case); without
one, row ``start`` (0-based, default 0) is hour 0 of ``day``. A block of days
``first_day`` days later (the year's runs) reads 24 rows per day further on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import Field

from dcmarket.agents.spec_base import StrictSpec
from dcmarket.sim.series_file import (
    SeriesError,
    SeriesFile,
    first_bad,
    load_series,
    locate,
    time_position,
)

#: the unit each input is read in
UNITS = {"outdoor_c": "°C", "pv_kw_per_kwp": "kW/kWp", "wind_kw": "kW",
         "spot_eur_per_mwh": "€/MWh", "dc_workload_kw": "kW", "household_kw": "kW"}


class LECSeriesFiles(StrictSpec):
    """Files that replace the community's shipped profiles (see the module docstring)."""

    outdoor_c: SeriesFile | None = Field(None, description="outdoor temperature, °C")
    pv_kw_per_kwp: SeriesFile | None = Field(
        None, description="PV output per kWp installed, kW/kWp (each home × its pv_kwp)")
    wind_kw: SeriesFile | None = Field(None, description="the community's wind output, kW")
    spot_eur_per_mwh: SeriesFile | None = Field(
        None, description="day-ahead price, €/MWh (retail buy and sell prices follow it)")
    dc_workload_kw: SeriesFile | None = Field(None, description="the DC's workload power, kW")
    household_kw: dict[str, SeriesFile] = Field(
        default_factory=dict, description="a household's own base demand, kW, by its name")

    def given(self) -> dict[str, SeriesFile]:
        """Each file by its field path (``household_kw.NAME`` for a household's)."""
        out = {name: getattr(self, name) for name in UNITS
               if name != "household_kw" and getattr(self, name) is not None}
        out.update({f"household_kw.{h}": spec for h, spec in self.household_kw.items()})
        return out

    def anchored(self, base: Path | None) -> LECSeriesFiles:
        """The same files with paths made absolute (found beside the scenario
        file, else in the working folder), so a run folder's copy still finds them."""
        located = {field: spec.model_copy(update={"file": str(locate(spec.file, base).resolve())})
                   for field, spec in self.given().items()}
        update = {f: s for f, s in located.items() if not f.startswith("household_kw.")}
        update["household_kw"] = {f.removeprefix("household_kw."): s
                                  for f, s in located.items() if f.startswith("household_kw.")}
        return self.model_copy(update=update)

def file_digests(files: LECSeriesFiles) -> dict[str, str]:
    """The SHA-256 of each file named, by field (a block's digest covers what it read)."""
    import hashlib

    out = {}
    for field, spec in files.given().items():
        try:
            out[field] = hashlib.sha256(Path(spec.file).read_bytes()).hexdigest()
        except OSError:
            out[field] = "unreadable"
    return out


def unit_of(field: str) -> str:
    return UNITS[field.split(".")[0]]


def block_series(spec: SeriesFile, field: str, day: str, first_day: int,
                 n_days: int) -> np.ndarray:
    """``24 · n_days`` hourly values of ``spec`` for the block that starts
    ``first_day`` days after the scenario's ``day``, in the field's unit."""
    where = f"series.{field}"
    values, where = load_series(spec, unit_of(field), where)
    hours = 24 * n_days
    if isinstance(values.index, pd.DatetimeIndex):
        anchor = pd.Timestamp(spec.start) if spec.start is not None else pd.Timestamp(day)
        first = time_position(values, anchor + pd.Timedelta(days=first_day), where,
                              "no value at {stamp}")
    else:
        try:
            first = int(spec.start or 0) + 24 * first_day
        except ValueError:
            raise SeriesError(f"{where}: start {spec.start!r}: a row number (0-based) where "
                              "the file has no time column") from None
        if first < 0:
            raise SeriesError(f"{where}: the block {first_day} day(s) from the scenario's day "
                              "starts before the file's first row")
    taken = values.iloc[first:first + hours]
    if len(taken) < hours:
        raise SeriesError(f"{where}: {max(len(values) - first, 0)} hour(s) from the block's "
                          f"start, the block needs {hours}")
    first_bad(taken, where)
    return taken.to_numpy(float)
