"""Private parameters of the energy-community agents (paper 001; docs/lec.md), validated.

Units: kW, kWh, °C, €; Δt = 1 h. Each household's spec is its private data;
the community's EOA module owns the shared assets (battery, wind turbine,
shared HVAC, heat-recovery chain) and the DC with job pausing. A spec that
cannot describe a real device fails here, before any solve, naming the agent
and the field.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from dcmarket.agents.spec_base import (
    AgentName,
    Efficiency,
    IndoorC,
    Money,
    NonNegative,
    Positive,
    Share,
    StrictSpec,
    one_of,
)


class EVSpec(StrictSpec):
    """An EV that is home from ``arrival_h`` to ``departure_h`` (may pass midnight: ≤ 47).

    The day's trip (``driving_kwh``) is taken while away and booked at arrival (2g).
    """

    capacity_kwh: Positive = 50.0
    charger_kw: Positive = 7.4
    eta_charge: Efficiency = 0.95
    eta_discharge: Efficiency = 0.95
    soc_min_share: Share = 0.2
    soc_max_share: Share = 0.95
    soc_initial_share: Share = 0.6
    arrival_h: Annotated[int, Field(ge=0, le=23)] = 18
    departure_h: Annotated[int, Field(ge=1, le=47)] = 31
    driving_kwh: NonNegative = 12.0
    vehicle_to_house: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> EVSpec:
        if self.departure_h <= self.arrival_h:
            raise ValueError(f"departure_h ({self.departure_h}) must come after arrival_h "
                             f"({self.arrival_h}): the EV departs before it arrives")
        if self.departure_h - self.arrival_h >= 24:
            raise ValueError("the EV must be away for at least one hour a day "
                             "(departure_h − arrival_h < 24)")
        if not self.soc_min_share <= self.soc_initial_share <= self.soc_max_share:
            raise ValueError(f"soc_initial_share {self.soc_initial_share} lies outside "
                             f"[{self.soc_min_share}, {self.soc_max_share}]")
        usable = (self.soc_initial_share - self.soc_min_share) * self.capacity_kwh
        if self.driving_kwh > usable + 1e-9:
            raise ValueError(f"driving_kwh {self.driving_kwh} exceeds the {usable:.1f} kWh "
                             "usable between the initial and the minimum state of charge")
        return self

    def home(self, hour_of_day: int) -> bool:
        """Whether the EV is plugged in during ``hour_of_day`` (2h)."""
        return self.arrival_h <= hour_of_day < self.departure_h or \
            hour_of_day < self.departure_h - 24


class ThermalSpec(StrictSpec):
    """First-order indoor model (2k).

    ``θ_t = θ_{t−1} + Δt/C·((θ_out − θ_{t−1})/R + H − COP·P_cool)`` within the comfort band (2l).
    """

    capacitance_kwh_per_k: Positive = 10.0
    resistance_k_per_kw: Positive = 6.0
    comfort_min_c: IndoorC = 20.0
    comfort_max_c: IndoorC = 24.0
    initial_c: IndoorC = 21.0
    heat_max_kw: NonNegative = 8.0
    cooling_max_kw: NonNegative = 3.0
    cooling_cop: Positive = 3.0

    @model_validator(mode="after")
    def _band(self) -> ThermalSpec:
        if self.comfort_max_c <= self.comfort_min_c:
            raise ValueError(f"comfort band is empty: comfort_min_c={self.comfort_min_c} °C is "
                             f"not below comfort_max_c={self.comfort_max_c} °C")
        if not self.comfort_min_c <= self.initial_c <= self.comfort_max_c:
            raise ValueError(f"initial_c {self.initial_c} °C lies outside the comfort band")
        return self


class HouseholdSpec(StrictSpec):
    """One household's private data (2c–2l)."""

    name: AgentName
    annual_demand_kwh: Positive = 4500.0
    flex_share: Share = 0.2
    pv_kwp: NonNegative = 5.0
    connection_kw: Positive = 20.0
    ev: EVSpec | None = EVSpec()
    thermal: ThermalSpec = ThermalSpec()


class BatterySpec(StrictSpec):
    """The community's shared battery (2m–2o)."""

    capacity_kwh: Positive = 100.0
    converter_kw: Positive = 50.0
    eta_charge: Efficiency = 0.95
    eta_discharge: Efficiency = 0.95
    soc_min_share: Share = 0.1
    soc_max_share: Share = 0.95
    soc_initial_share: Share = 0.5

    @model_validator(mode="after")
    def _initial_inside(self) -> BatterySpec:
        if not self.soc_min_share <= self.soc_initial_share <= self.soc_max_share:
            raise ValueError(f"soc_initial_share {self.soc_initial_share} lies outside the SOC "
                             f"limits [{self.soc_min_share}, {self.soc_max_share}]")
        return self


class WindSpec(StrictSpec):
    """The small wind turbine: a windpowerlib power curve scaled to ``rating_kw``."""

    rating_kw: NonNegative = 30.0
    turbine: str = "E-53/800"
    hub_height_m: Positive = 30.0

    @field_validator("turbine")
    @classmethod
    def _known(cls, turbine: str) -> str:
        from dcmarket.grid.weather import turbine_types

        return one_of(turbine, turbine_types(), "a turbine with a power curve in windpowerlib")


class HeatRecoverySpec(StrictSpec):
    """Evaporator → heat exchanger → heat upgrading, and the shared HVAC (1i), (2p)."""

    eta_heat: Efficiency = 0.9        # η_h: heat per kW of DC power (1i)
    heat_fixed_kw: NonNegative = 2.0  # H_0
    upgrade_max_kw: NonNegative = 60.0
    eta_upgrade: Efficiency = 0.85    # η_up
    hvac_max_kw: NonNegative = 40.0
    eta_hvac: Positive = 3.0          # η_HVAC (heat per kW of electricity)
    upgrade_cop: Positive | None = Field(
        None, description="heat delivered per kW of electricity driving the upgrading heat "
        "pump; null: upgrading draws no electricity (the paper's (2p) shows none)")


class PausingDCSpec(StrictSpec):
    """The DC of paper 001: job pausing with pause/resume overhead and QoS delay bound (1a–1h)."""

    rated_kw: Positive = 120.0
    kappa_kw: NonNegative = 1.0       # κ: auxiliary power of a pause action
    mean_job_hours: Positive = 8.0
    qos_share: Share = 0.25           # δ^max = qos_share · mean job duration
    pause_formulation: Literal["aggregated", "annex_a"] = Field(
        "aggregated", description="annex_a: the paper's per-pair binaries w and delays δ "
        "(3a–3c); aggregated: the same feasible set without them (see dc_pausing.py)")
    reserve_resume_headroom: bool = Field(
        True, description="aFRR: keep room under the rating to resume, within δ^max, the "
        "work paused if the reserve is called (without it the offer may be undeliverable)")

    @property
    def delay_max_h(self) -> int:
        return int(self.qos_share * self.mean_job_hours + 1e-9)


class RetailerSpec(StrictSpec):
    """Retail tariff on top of the day-ahead price, and the feed-in rule."""

    buy_adder_eur_per_kwh: Money = 0.12
    sell_share_of_spot: Share = 0.9
    connection_kw: Positive = 400.0
