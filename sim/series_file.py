"""A scenario's time series from a CSV or Parquet file (docs/data.md).

Wherever a scenario takes an hourly series it may instead name a file::

    interactive: {file: data/workload.csv, column: web, unit: requests/s,
                  time: timestamp, resample: mean, start: "2024-07-15 00:00",
                  timezone: Europe/Berlin}

The file is read and checked before anything is solved, and every error
names the file, the column and, for a bad value, the row (as a spreadsheet
numbers it: the header is row 1):

- the column exists (the error lists those that do);
- with ``time``: timestamps parse, strictly increase and have one step; a
  step finer than the scenario's is aggregated by ``resample`` (mean, sum,
  first, max) — never silently; a coarser one is an error; aware timestamps
  are converted to ``timezone``, naive ones are taken as written in it;
- ``start`` picks the first hour (default: the file's first), and the file
  must hold as many hours from there as the scenario has;
- no value is missing or not finite;
- ``unit`` is converted to the unit the field takes (kW → MW, €/kWh →
  €/MWh, requests/s → M requests/h, °F → °C, …); a unit that cannot be
  converted is an error naming both.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from dcmarket.agents.spec_base import StrictSpec

#: the largest series file read, bytes
MAX_SERIES_BYTES = 200_000_000

#: (given unit, field's unit) → (factor, offset): value · factor + offset
CONVERSIONS: dict[tuple[str, str], tuple[float, float]] = {
    ("W", "MW"): (1e-6, 0.0), ("kW", "MW"): (1e-3, 0.0), ("GW", "MW"): (1e3, 0.0),
    ("W", "kW"): (1e-3, 0.0), ("MW", "kW"): (1e3, 0.0),
    ("$/kWh", "$/MWh"): (1e3, 0.0), ("€/kWh", "€/MWh"): (1e3, 0.0),
    ("EUR/MWh", "€/MWh"): (1.0, 0.0), ("EUR/kWh", "€/MWh"): (1e3, 0.0),
    ("USD/MWh", "$/MWh"): (1.0, 0.0), ("USD/kWh", "$/MWh"): (1e3, 0.0),
    ("requests/s", "M requests/h"): (3600 / 1e6, 0.0),
    ("requests/h", "M requests/h"): (1e-6, 0.0), ("k requests/h", "M requests/h"): (1e-3, 0.0),
    ("°F", "°C"): (5 / 9, -32 * 5 / 9), ("K", "°C"): (1.0, -273.15), ("degC", "°C"): (1.0, 0.0),
    ("%", "1"): (0.01, 0.0),
    ("W/kWp", "kW/kWp"): (1e-3, 0.0), ("1", "kW/kWp"): (1.0, 0.0),
    ("MW/MWp", "kW/kWp"): (1.0, 0.0),
}

AGGREGATE = {"mean": "mean", "sum": "sum", "first": "first", "max": "max"}


class SeriesError(ValueError):
    """A series file that cannot be used (the message names file, column and row)."""


class SeriesFile(StrictSpec):
    """``{file, column, unit}`` and how to read time (see the module docstring)."""

    file: str
    column: str
    unit: str = Field(description="the unit of the column's values (converted to the field's)")
    time: str | None = Field(None, description="the timestamp column; none: one row per step")
    resample: Literal["mean", "sum", "first", "max", "none"] = "none"
    start: str | None = Field(None, description="the first timestamp (or row, 0-based) to take")
    timezone: str | None = Field(None, description="the scenario's time zone for timestamps")
    scale: float = Field(1.0, description="a factor on the values after conversion")


def convert(values: np.ndarray, given: str, wanted: str, where: str) -> np.ndarray:
    if given == wanted:
        return values
    if (given, wanted) not in CONVERSIONS:
        known = sorted({g for g, w in CONVERSIONS if w == wanted} | {wanted})
        raise SeriesError(f"{where}: unit {given!r} cannot be converted to {wanted!r} "
                          f"(this field takes {', '.join(known)})")
    factor, offset = CONVERSIONS[(given, wanted)]
    return values * factor + offset


def _read(path: Path, columns: list[str], where: str) -> pd.DataFrame:
    """The columns of a CSV or Parquet file; the file is read once per version (a
    scenario names one file for many series)."""
    stat = path.stat()
    try:
        table = _read_once(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    except Exception as exc:  # pandas' and pyarrow's errors for a file that is not a table
        raise SeriesError(f"{where}: cannot read {path} ({type(exc).__name__}: {exc})") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SeriesError(f"{where}: no column {missing[0]!r} (columns: "
                          f"{', '.join(map(str, table.columns[:20]))})")
    return table[columns].copy()


@functools.lru_cache(maxsize=8)
def _read_once(name: str, mtime_ns: int, size: int) -> pd.DataFrame:
    """One version of a series file, whole (cached by path, time and size)."""
    if name.lower().endswith(".parquet"):
        return pd.read_parquet(name)
    return pd.read_csv(name)


def locate(file: str, base: Path | None) -> Path:
    """A series file's path: beside the scenario file (``base``) when it is
    there, else as written (the working folder)."""
    path = Path(file).expanduser()
    if not path.is_absolute() and base is not None and (base / path).exists():
        path = base / path
    return path


def load_series(spec: SeriesFile, unit: str, where: str, base: Path | None = None,
                dt_h: float = 1.0) -> tuple[pd.Series, str]:
    """The whole column on the scenario's steps, in ``unit`` (missing values kept
    as NaN: the caller names the first one it needs), and the ``where`` that
    names file and column in errors."""
    path = locate(spec.file, base)
    where = f"{where} ({path}, column {spec.column!r})"
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise SeriesError(f"{where}: a .csv or .parquet file expected")
    if not path.is_file():
        raise SeriesError(f"{where}: no such file")
    if path.stat().st_size > MAX_SERIES_BYTES:
        raise SeriesError(f"{where}: larger than {MAX_SERIES_BYTES:,} bytes")
    frame = _read(path, [spec.column] + ([spec.time] if spec.time else []), where)
    values = pd.to_numeric(frame[spec.column], errors="coerce")
    values.index = pd.RangeIndex(2, len(frame) + 2)  # the file's own row numbers (header = 1)
    if spec.time:
        values = _on_the_hour(frame[spec.time], values, spec, where, dt_h)
    elif spec.resample != "none":
        raise SeriesError(f"{where}: resample needs a time column (time: …)")
    converted = convert(values.to_numpy(float), spec.unit, unit, where) * spec.scale
    return pd.Series(converted, index=values.index), where


def first_bad(values: pd.Series, where: str) -> None:
    """A SeriesError naming the first value that is missing or not finite, if any."""
    bad = values[~np.isfinite(values.to_numpy(float))]
    if len(bad):
        label = bad.index[0]
        what = f"row {label}" if isinstance(label, (int, np.integer)) else f"time {label}"
        raise SeriesError(f"{where}: {what} is missing or not a number")


def read_series(spec: SeriesFile, hours: int, unit: str, where: str, base: Path | None = None,
                dt_h: float = 1.0) -> list[float]:
    """``hours`` values of ``spec``'s column in ``unit`` (see the module docstring)."""
    values, where = load_series(spec, unit, where, base, dt_h)
    first = 0
    if spec.start is not None:
        first = _start_position(values, spec.start, where)
    taken = values.iloc[first:first + hours]
    if len(taken) < hours:
        raise SeriesError(f"{where}: {len(values) - first} step(s) from the start, the scenario "
                          f"needs {hours}")
    first_bad(taken, where)
    return [float(v) for v in taken.to_numpy(float)]


def _on_the_hour(stamps: pd.Series, values: pd.Series, spec: SeriesFile, where: str,
                 dt_h: float) -> pd.Series:
    """The values on the scenario's steps: parsed, ordered, converted to the
    scenario's zone, and aggregated by ``resample`` where the file is finer."""
    try:
        times = pd.to_datetime(stamps.to_numpy())
    except (ValueError, TypeError) as exc:
        raise SeriesError(f"{where}: time column {spec.time!r} does not parse ({exc})") from None
    times = pd.DatetimeIndex(times)
    if times.tz is not None and spec.timezone:
        times = times.tz_convert(spec.timezone)
    elif times.tz is None and spec.timezone:
        try:
            times = times.tz_localize(spec.timezone, ambiguous="raise", nonexistent="raise")
        except Exception as exc:
            raise SeriesError(f"{where}: the times are not valid in {spec.timezone} ({exc})") \
                from None
    if len(times) > 1 and not (np.diff(times.asi8) > 0).all():
        k = int(np.flatnonzero(np.diff(times.asi8) <= 0)[0]) + 1
        raise SeriesError(f"{where}: row {k + 2}: time {times[k]} does not follow the row "
                          "before (times must increase)")
    series = pd.Series(values.to_numpy(float), index=times)
    step = pd.Timedelta(hours=dt_h)
    if len(times) > 1:
        gaps = pd.Series(np.diff(times.asi8)).unique()
        if len(gaps) > 1:
            raise SeriesError(f"{where}: the time step is not regular "
                              f"({', '.join(_minutes(pd.Timedelta(int(g))) for g in gaps[:3])})")
        given = pd.Timedelta(int(gaps[0]))
        if given > step:
            raise SeriesError(f"{where}: a step of {_minutes(given)} is coarser than the "
                              f"scenario's {_minutes(step)}")
        if given < step:
            if spec.resample == "none":
                raise SeriesError(f"{where}: a step of {_minutes(given)} is finer than the "
                                  f"scenario's {_minutes(step)}: say how to aggregate it "
                                  "(resample: mean, sum, first or max)")
            if series.isna().any():  # a gap inside a step is not averaged away
                stamp = series.index[series.isna()][0]
                raise SeriesError(f"{where}: time {stamp} is missing or not a number")
            series = series.resample(step).agg(AGGREGATE[spec.resample])
    return series


def _minutes(step: pd.Timedelta) -> str:
    return f"{step.total_seconds() / 60:g} min"


def time_position(values: pd.Series, stamp: pd.Timestamp, where: str, what: str) -> int:
    """The row of a timed series at ``stamp`` (read in the series' zone when
    naive); a time the file does not hold is named with the file's span."""
    if values.index.tz is not None and stamp.tz is None:
        stamp = stamp.tz_localize(values.index.tz)
    found = np.flatnonzero(values.index == stamp)
    if not len(found):
        raise SeriesError(f"{where}: {what.format(stamp=stamp)} (the file runs "
                          f"{values.index[0]} … {values.index[-1]})")
    return int(found[0])


def _start_position(values: pd.Series, start: str, where: str) -> int:
    if isinstance(values.index, pd.DatetimeIndex):
        return time_position(values, pd.Timestamp(start), where,
                             f"start {start} is not one of the file's times")
    try:
        return int(start)
    except ValueError:
        raise SeriesError(f"{where}: start {start!r}: a row number (0-based) where the file "
                          "has no time column") from None
