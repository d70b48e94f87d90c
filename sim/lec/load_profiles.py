"""Household load profiles: demandlib's BDEW H0 standard profile (paper 001)."""

from __future__ import annotations

import warnings
from functools import cache

import pandas as pd


@cache
def h0_profile(year: int) -> pd.Series:
    """BDEW H0 for ``year``, hourly mean kW for 1,000 kWh a year.

    demandlib's ``ElecSlp`` turns every warning of the process into an error
    (a global ``warnings.simplefilter("error")`` it never undoes); the call
    runs inside ``catch_warnings`` so the process's filters are restored."""
    from demandlib import bdew

    with warnings.catch_warnings():
        quarter = bdew.ElecSlp(year).get_scaled_power_profiles({"h0": 1000.0})["h0"]
    return quarter.resample("h").mean()


def h0_peak_kw_per_mwh(year: int) -> float:
    """The highest hourly mean power (kW) of H0 over ``year`` for 1 MWh a year."""
    return float(h0_profile(year).max())
