"""Inputs of the energy-community study from real profiles (paper 001; docs/lec.md).

- **Household demand**: demandlib's BDEW standard load profile H0 for the
  price year, scaled to each household's annual demand (kW per hour).
- **Weather, PV**: the TMY3 file pvlib ships (default Greensboro NC,
  ``723170TYA.CSV``; pvlib ships no European TMY), PVWatts per household
  rating (:func:`grid.weather.pv_output_mw`), outdoor temperature for the
  thermal model. Days are taken by day of year.
- **Wind**: the same TMY's 10 m wind speed through a windpowerlib power
  curve (:func:`grid.weather.wind_output_mw`), scaled to the turbine rating.
- **Retail prices**: SMARD day-ahead prices of the year (€/MWh, shipped in
  ``grid/data``): ``c^b = spot + buy_adder`` (network charges, levies and
  taxes, documented tariff term), ``c^s = sell_share · spot`` (feed-in at the
  spot price less a fee).
- **aFRR price**: the documented profile of ``afrr`` (no offline source).
- **DC workload**: seeded AR(1) HPC-like utilisation times the DC rating.

Any of these may come from a file of one's own instead (``series``;
:mod:`dcmarket.sim.lec.series_files`, docs/data.md).

All series are hourly over whole days; the block ``first_day .. first_day + n_days``
counts from the scenario's ``day``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dcmarket.agents.lec.community import CommunityProfiles
from dcmarket.agents.lec.household import HouseholdProfiles
from dcmarket.agents.lec.specs import HouseholdSpec
from dcmarket.grid.prices import daily_price_matrix, smard_prices
from dcmarket.grid.weather import pv_output_mw, tmy3_days, wind_output_mw
from dcmarket.sim.lec.config import LECScenario
from dcmarket.sim.lec.load_profiles import h0_profile as _h0_profile
from dcmarket.sim.lec.series_files import block_series


@dataclass(frozen=True)
class BlockInputs:
    """Everything one block of days needs."""

    start: pd.Timestamp
    n_days: int
    households: list[HouseholdSpec]
    household_profiles: list[HouseholdProfiles]
    community: CommunityProfiles
    outdoor_c: np.ndarray

    @property
    def hours(self) -> int:
        return 24 * self.n_days


def _day_prices(year: int, zone: str) -> pd.DataFrame:
    matrix = daily_price_matrix(smard_prices(year, zone))
    return matrix.interpolate(axis=0, limit_direction="both")


def workload_kw(scenario: LECScenario, start: pd.Timestamp, n_days: int) -> np.ndarray:
    """Seeded HPC-like workload power, one independent stream per day (so blocks agree)."""
    w = scenario.workload
    out = []
    for d in range(n_days):
        day = (start + pd.Timedelta(days=d)).dayofyear
        rng = np.random.default_rng([scenario.seed, 21, day])
        u = np.empty(24)
        level = w.mean_utilisation + rng.normal(0.0, w.noise)
        for t in range(24):
            level = w.mean_utilisation + w.persistence * (level - w.mean_utilisation) \
                + rng.normal(0.0, w.noise)
            u[t] = level
        out.append(np.clip(u, w.low, w.high))
    return np.concatenate(out) * scenario.dc.rated_kw


def reserve_price(scenario: LECScenario, n_days: int) -> np.ndarray:
    a = scenario.afrr
    day = np.full(24, a.base_eur_per_mw_h)
    day[list(a.peak_hours)] = a.peak_eur_per_mw_h
    return np.tile(day, n_days) / 1000.0  # € per kW and hour


def block_inputs(scenario: LECScenario, first_day: int = 0, n_days: int = 1,
                 households: list[HouseholdSpec] | None = None) -> BlockInputs:
    """Inputs for ``n_days`` days starting ``first_day`` days after the scenario's day."""
    start = pd.Timestamp(scenario.day) + pd.Timedelta(days=first_day)
    end = start + pd.Timedelta(days=n_days - 1)
    if end.year != start.year:
        raise ValueError(f"block {start.date()}..{end.date()} leaves the year {start.year}")
    files = scenario.series.given()

    def from_file(field: str) -> np.ndarray | None:
        spec = files.get(field)
        return None if spec is None else block_series(spec, field, scenario.day,
                                                      first_day, n_days)

    doy = start.dayofyear - 1
    weather = tmy3_days(doy, n_days, scenario.weather_file)
    temp = from_file("outdoor_c")
    temp = weather.temperature_c if temp is None else temp
    pv_unit = from_file("pv_kw_per_kwp")
    pv_unit = pv_output_mw(weather, 1.0) if pv_unit is None else pv_unit  # kW per kWp
    wind = from_file("wind_kw")
    if wind is None:
        wind = 1000.0 * wind_output_mw(weather, scenario.wind.rating_kw / 1000.0,
                                       scenario.wind.turbine, scenario.wind.hub_height_m) \
            if scenario.wind.rating_kw > 0 else np.zeros(24 * n_days)
    h0 = _h0_profile(start.year)
    h0 = h0[(h0.index >= start) & (h0.index < end + pd.Timedelta(days=1))].to_numpy()
    spot = from_file("spot_eur_per_mwh")
    if spot is None:
        prices = _day_prices(scenario.prices.year, scenario.prices.zone)
        spot = prices.loc[start:end].to_numpy().ravel()
    spot = spot / 1000.0  # €/kWh
    specs = households if households is not None else scenario.household_specs()

    def base_demand(spec: HouseholdSpec) -> np.ndarray:
        own = from_file(f"household_kw.{spec.name}")
        return h0 * spec.annual_demand_kwh / 1000.0 if own is None else own

    profiles = [HouseholdProfiles(base_demand_kw=base_demand(spec),
                                  pv_kw=pv_unit * spec.pv_kwp, outdoor_c=temp)
                for spec in specs]
    workload = from_file("dc_workload_kw")
    community = CommunityProfiles(
        wind_kw=np.asarray(wind, float),
        dc_workload_kw=workload_kw(scenario, start, n_days) if workload is None else workload,
        buy_eur_per_kwh=spot + scenario.retailer.buy_adder_eur_per_kwh,
        sell_eur_per_kwh=scenario.retailer.sell_share_of_spot * spot,
        reserve_eur_per_kw=reserve_price(scenario, n_days))
    return BlockInputs(start, n_days, specs, profiles, community, temp)
