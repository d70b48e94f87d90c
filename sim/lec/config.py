"""Scenario of the energy community + DC study (paper 001; docs/lec.md), validated.

Households are either listed one by one (``household_list``) or drawn, seeded,
from the ranges in ``households`` (the paper's case: 10 households of 3–10 kW
with PV of similar size and one EV each, 50–100 km a day at 15–20 kWh/100 km).
Every data source is named in ``sources``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from dcmarket.agents.lec.specs import (
    BatterySpec,
    EVSpec,
    HeatRecoverySpec,
    HouseholdSpec,
    PausingDCSpec,
    RetailerSpec,
    ThermalSpec,
    WindSpec,
)
from dcmarket.agents.spec_base import (
    PRICE_MAX_PER_MWH,
    Interval,
    NonNegative,
    Positive,
    Share,
    StrictSpec,
    check_not_reserved,
    one_of,
)
from dcmarket.sim.lec.series_files import LECSeriesFiles
from dcmarket.sim.scenario import (
    IsoDay,
    ScenarioError,
    ScenarioHeader,
    check_tolerance,
    check_unique,
    check_zone,
    read_yaml,
    validate_as,
)

SCENARIOS = ("NC", "TC", "TC+JP", "TC+JP+aFRR")



class Span(Interval):
    """An interval the households' private sizes are drawn from."""

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)


class HouseholdRanges(StrictSpec):
    """Seeded draw of the households' private data."""

    count: Annotated[int, Field(ge=1)] = 10
    demand_basis: Literal["annual_kwh", "peak_kw"] = Field(
        "annual_kwh", description="size each household's H0 profile by its annual energy "
        "(annual_demand_kwh) or by the peak of its hourly profile over the year (peak_kw)")
    annual_demand_kwh: Span = Span(low=3000.0, high=7000.0)
    peak_kw: Span = Span(low=3.0, high=10.0)
    pv_kwp: Span = Span(low=3.0, high=10.0)
    flex_share: Share = 0.2
    ev_km_per_day: Span = Span(low=50.0, high=100.0)
    ev_kwh_per_100km: Span = Span(low=15.0, high=20.0)
    ev_arrival_h: Span = Span(low=17.0, high=19.0)
    ev_hours_home: Span = Span(low=12.0, high=14.0)
    thermal_resistance_k_per_kw: Span = Span(low=5.0, high=8.0)
    thermal_capacitance_kwh_per_k: Span = Span(low=8.0, high=12.0)
    ev: EVSpec = EVSpec()
    thermal: ThermalSpec = ThermalSpec()


class WorkloadSettings(StrictSpec):
    """Seeded HPC-like utilisation: AR(1) around ``mean_utilisation`` (documented generator)."""

    mean_utilisation: Annotated[float, Field(gt=0.0, le=1.0)] = 0.75
    persistence: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.85
    noise: NonNegative = 0.06
    low: Share = 0.35
    high: Share = 0.95


class AFRRSettings(StrictSpec):
    """Upward aFRR capacity price profile (€/MW per hour; assumption, no offline source)."""

    base_eur_per_mw_h: Annotated[float, Field(ge=0.0, le=PRICE_MAX_PER_MWH)] = 12.0
    peak_eur_per_mw_h: Annotated[float, Field(ge=0.0, le=PRICE_MAX_PER_MWH)] = 20.0
    peak_hours: tuple[Annotated[int, Field(ge=0, le=23)], ...] = Field(
        default_factory=lambda: (6, 7, 8, 17, 18, 19, 20))


class PriceSettings(StrictSpec):
    year: Literal[2015, 2018] = 2018
    zone: str = "DE"


class SolverSettings(StrictSpec):
    mip_gap: Annotated[float, Field(ge=0.0, le=0.1)] = 1e-4
    time_limit_s: Positive = 600.0
    storage_modes: Literal["lazy", "binary"] = Field(
        "lazy", description="lazy: solve with the EV and battery mode binaries relaxed, and "
        "keep the answer if no store charges and discharges in one hour (else the MILP as "
        "stated); binary: always the MILP as stated")
    threads: Annotated[int, Field(ge=1)] = Field(
        1, description="threads of HiGHS's branch and bound on the community MILP: 1, its "
        "serial search (the measured figures); more: its parallel tree search, faster on some "
        "blocks and slower on others (docs/scenarios/lec_10households.md)")
    time_chunks_h: Annotated[int, Field(ge=0)] = Field(
        48, description="hours per chunk of the Lagrangian decomposition over time that "
        "solves a block's MILP and certifies it to mip_gap by its own bound (the whole MILP "
        "if the certificate misses); 0: always the whole MILP. Blocks under two chunks "
        "(a day) are solved whole")


class TwinSettings(StrictSpec):
    """Exchange ADMM of the decentralised twin."""

    rho: Positive = 0.05
    max_iterations: Annotated[int, Field(ge=1)] = 400
    tol_kw: Positive = 0.2


class LECScenario(ScenarioHeader):
    study: Literal["lec"] = Field("lec", description="which study runs it")
    name: str = "lec"
    seed: int = 0
    day: IsoDay = "2018-01-15"
    prices: PriceSettings = PriceSettings()
    weather_file: str = "723170TYA.CSV"
    households: HouseholdRanges = HouseholdRanges()
    household_list: tuple[HouseholdSpec, ...] | None = None
    battery: BatterySpec = BatterySpec()
    wind: WindSpec = WindSpec()
    heat: HeatRecoverySpec = HeatRecoverySpec()
    dc: PausingDCSpec = PausingDCSpec()
    workload: WorkloadSettings = WorkloadSettings()
    retailer: RetailerSpec = RetailerSpec()
    afrr: AFRRSettings = AFRRSettings()
    scenarios: tuple[Literal["NC", "TC", "TC+JP", "TC+JP+aFRR"], ...] = Field(
        default_factory=lambda: SCENARIOS, min_length=1)
    solver: SolverSettings = SolverSettings()
    twin: TwinSettings = TwinSettings()
    series: LECSeriesFiles = Field(
        default_factory=LECSeriesFiles, description="hourly inputs from CSV or Parquet files "
        "instead of the shipped profiles (docs/data.md)")

    @model_validator(mode="after")
    def _day_in_year(self) -> LECScenario:
        day = pd.Timestamp(self.day)
        if day.year != self.prices.year and self.series.spot_eur_per_mwh is None:
            raise ValueError(f"day {self.day} lies outside the price year {self.prices.year}")
        check_zone(self.prices.zone, self.prices.year)
        from dcmarket.grid.weather import tmy3_files

        try:
            one_of(self.weather_file, tmy3_files(), "a TMY3 file shipped with pvlib")
        except ValueError as exc:
            raise ValueError(f"weather_file: {exc}") from None
        if self.household_list is not None:
            names = [h.name for h in self.household_list]
            check_unique(names, "household_list", "household")
            # the community's operator and the model's own port (sim.lec.model)
            check_not_reserved(names, ("EOA", "monitor"), "household_list")
        unknown = sorted(set(self.series.household_kw) - set(self.household_names()))
        if unknown:
            raise ValueError(f"series.household_kw: no household {unknown[0]!r} (households: "
                             f"{', '.join(self.household_names()[:12])})")
        self.check_strategies()
        check_tolerance("twin.tol_kw", self.twin.tol_kw, self.dc.rated_kw, "kW",
                        "the DC's rating", "the twin would stop before balancing anything")
        return self

    def household_names(self) -> list[str]:
        """The households' names (listed, or those the seeded draw gives)."""
        if self.household_list is not None:
            return [h.name for h in self.household_list]
        return [household_name(i) for i in range(self.households.count)]

    def strategy_roles(self) -> dict[str, str]:
        return dict.fromkeys(self.household_names(), "household")

    def household_specs(self) -> list[HouseholdSpec]:
        """The listed households, or the seeded draw from ``households``."""
        if self.household_list is not None:
            return list(self.household_list)
        return draw_households(self.households, self.seed, self.prices.year)


def household_name(i: int) -> str:
    """The name of the ``i``-th drawn household (from 0)."""
    return f"house{i + 1:03d}"


def draw_households(ranges: HouseholdRanges, seed: int, year: int = 2018) -> list[HouseholdSpec]:
    """Seeded households; with ``demand_basis: peak_kw`` the drawn peak is turned
    into the annual energy at which the year's H0 profile peaks there."""
    rng = np.random.default_rng([seed, 11])
    n = ranges.count
    if ranges.demand_basis == "peak_kw":
        from dcmarket.sim.lec.load_profiles import h0_peak_kw_per_mwh

        demand = 1000.0 * ranges.peak_kw.draw(rng, n) / h0_peak_kw_per_mwh(year)
    else:
        demand = ranges.annual_demand_kwh.draw(rng, n)
    pv = ranges.pv_kwp.draw(rng, n)
    drive = ranges.ev_km_per_day.draw(rng, n) * ranges.ev_kwh_per_100km.draw(rng, n) / 100
    arrival = np.rint(ranges.ev_arrival_h.draw(rng, n)).astype(int)
    home = np.rint(ranges.ev_hours_home.draw(rng, n)).astype(int)
    resistance = ranges.thermal_resistance_k_per_kw.draw(rng, n)
    capacitance = ranges.thermal_capacitance_kwh_per_k.draw(rng, n)
    specs = []
    for i in range(n):
        ev = ranges.ev.model_copy(update={"arrival_h": int(arrival[i]),
                                          "departure_h": int(arrival[i] + home[i]),
                                          "driving_kwh": float(drive[i])})
        thermal = ranges.thermal.model_copy(update={
            "resistance_k_per_kw": float(resistance[i]),
            "capacitance_kwh_per_k": float(capacitance[i])})
        specs.append(HouseholdSpec(name=household_name(i), annual_demand_kwh=float(demand[i]),
                                   flex_share=ranges.flex_share, pv_kwp=float(pv[i]),
                                   ev=EVSpec.model_validate(ev.model_dump()),
                                   thermal=ThermalSpec.model_validate(thermal.model_dump())))
    return specs


def load_lec_scenario(path: str | Path) -> LECScenario:
    return parse_lec_scenario(read_yaml(path), str(path))


def parse_lec_scenario(raw: object, source: str = "<scenario>") -> LECScenario:
    """A validated scenario; its series files are found beside the scenario file
    (else in the working folder) and checked over the scenario's day before solving."""
    scenario = validate_as(LECScenario, raw, source)
    try:
        scenario.household_specs()
    except ValueError as exc:  # a drawn household that cannot exist
        raise ScenarioError(f"{source}: households: {exc}") from exc
    if scenario.series.given():
        from dcmarket.sim.lec.series_files import block_series
        from dcmarket.sim.series_file import SeriesError

        base = Path(source.split(" (")[0]).parent
        series = scenario.series.anchored(base if base.is_dir() else None)
        scenario = scenario.model_copy(update={"series": series})
        try:
            for field, spec in series.given().items():
                block_series(spec, field, scenario.day, 0, 1)
        except SeriesError as exc:
            raise ScenarioError(f"{source}: {exc}") from exc
    return scenario
