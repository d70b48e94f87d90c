"""Real hourly day-ahead prices: the SMARD history shipped in ``grid/data``.

Bundesnetzagentur | SMARD.de day-ahead prices for 2015 and 2018 (CC BY 4.0;
see ``grid/data/README.md``). :func:`smard_prices` gives one zone as an
hourly series on UTC; :func:`daily_price_matrix` cuts it into local calendar
days of 24 hours, which is what the forecasters and the DR program of paper
002 work with.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

SMARD_YEARS = (2015, 2018)
SMARD_TZ = "Europe/Berlin"


class PriceDataError(ValueError):
    """A price history that does not exist or is too short."""


@cache
def _smard_frame(year: int) -> pd.DataFrame:
    if year not in SMARD_YEARS:
        raise PriceDataError(f"SMARD prices ship for the years {SMARD_YEARS}, not {year}")
    source = resources.files("dcmarket.grid.data") / f"smard_day_ahead_{year}.csv.gz"
    with resources.as_file(source) as path:
        frame = pd.read_csv(path, compression="gzip")
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.pop("timestamp_utc"), utc=True))
    return frame


def smard_zones(year: int) -> list[str]:
    """Bidding zones with data in ``year``."""
    return list(_smard_frame(year).columns)


def smard_prices(year: int, zone: str = "DE") -> pd.Series:
    """Hourly day-ahead price of ``zone`` in €/MWh, indexed by UTC time."""
    frame = _smard_frame(year)
    if zone not in frame:
        raise PriceDataError(f"no SMARD prices for zone {zone!r} in {year}; zones: "
                             f"{', '.join(frame.columns)}")
    return frame[zone].rename(f"price_{zone}_eur_per_mwh")


def daily_price_matrix(prices: pd.Series, tz: str = SMARD_TZ) -> pd.DataFrame:
    """Local calendar days × 24 hours (€/MWh).

    A day is the 24 local hours ``0..23``. On the spring DST day the missing
    hour is interpolated from its neighbours; on the autumn day the two
    readings of the repeated hour are averaged. Gaps elsewhere stay NaN and
    are refused by the callers that need complete days.
    """
    local = prices.tz_convert(tz)
    frame = pd.DataFrame({"value": local.to_numpy(), "date": local.index.date,
                          "hour": local.index.hour})
    matrix = frame.pivot_table(index="date", columns="hour", values="value", aggfunc="mean",
                               dropna=False)
    matrix = matrix.reindex(columns=range(24))
    matrix = matrix.interpolate(axis=1, limit=1, limit_area="inside")
    matrix.index = pd.DatetimeIndex(matrix.index, name="date")
    matrix.columns.name = "hour"
    return matrix


def price_days(year: int, zone: str, first_day: str, n_days: int) -> pd.DataFrame:
    """``n_days`` consecutive local days of prices starting at ``first_day``."""
    matrix = daily_price_matrix(smard_prices(year, zone))
    start = pd.Timestamp(first_day)
    days = matrix.loc[start: start + pd.Timedelta(days=n_days - 1)]
    if len(days) != n_days:
        raise PriceDataError(
            f"SMARD {year} {zone}: asked for {n_days} days from {first_day}, "
            f"only {len(days)} available")
    if np.isnan(days.to_numpy()).any():
        bad = days.index[np.isnan(days.to_numpy()).any(axis=1)][0].date()
        raise PriceDataError(f"SMARD {year} {zone}: prices missing on {bad}")
    return days
