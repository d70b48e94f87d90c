"""The DR day's prices from a file of one's own (docs/data.md): whole local
days × 24 hours, and the unbroken history before the simulated day."""

from __future__ import annotations

import pandas as pd


def file_price_days(spec) -> pd.DataFrame:
    """A price file's whole local days × 24 hours, €/MWh (sim.series_file checks
    the file; a day with a missing hour is left out, the DST days handled as
    for SMARD)."""
    from dcmarket.grid.prices import daily_price_matrix
    from dcmarket.sim.series_file import SeriesError, load_series

    values, where = load_series(spec, "€/MWh", "prices")
    index = values.index
    if not isinstance(index, pd.DatetimeIndex):
        raise SeriesError(f"{where}: a price file needs its time column")
    if index.tz is None:
        raise SeriesError(f"{where}: give the prices' time zone (timezone: …)")
    days = daily_price_matrix(values, spec.timezone or "UTC").dropna()
    if days.empty:
        raise SeriesError(f"{where}: no whole day of 24 hourly prices")
    return days


def history_days(days: pd.DataFrame, day: pd.Timestamp) -> pd.DatetimeIndex:
    """The unbroken run of whole days that ends the day before ``day`` (a day
    missing from the file ends the history there: forecasters need consecutive days)."""
    run = []
    wanted = day - pd.Timedelta(days=1)
    present = set(days.index)
    while wanted in present:
        run.append(wanted)
        wanted -= pd.Timedelta(days=1)
    return pd.DatetimeIndex(sorted(run))
