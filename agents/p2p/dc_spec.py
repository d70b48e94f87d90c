"""A data centre's private parameters and forecasts (docs/p2p.md).

Fields are in the units an operator would write them (servers, watts per
server, M requests per hour, milliseconds); :mod:`agents.p2p.dc_physics`
converts them to the solver's internal units (thousands of servers, MW).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from dcmarket.agents.spec_base import (
    AgentName,
    IndoorC,
    Money,
    NonNegative,
    OutdoorC,
    Positive,
    Share,
    StrictSpec,
)


class SwitchTier(StrictSpec):
    """One tier of the DC network (edge, aggregation or core), eq. (3)."""

    count: NonNegative
    watts: NonNegative


class DataCenterSpec(StrictSpec):
    """Everything DC ``i`` knows privately: hardware, cooling, workload, tariffs.

    Hourly series (``outdoor_c``, ``interactive``, ``batch``) have one entry
    per scheduling slot; the scenario checks that their length is its horizon.
    """

    name: AgentName
    bus: int | None = None
    servers: Positive = Field(description="N_max, number of servers")
    idle_w: Positive = Field(description="P_idle, W per server")
    peak_w: Positive = Field(description="P_peak, W per server")
    service_rate: Positive = Field(description="μ, M requests per server-hour")
    d_max_ms: Positive = Field(description="D_max, IW response-time bound in ms, eq. (15)")
    switches: tuple[SwitchTier, ...] = Field(default_factory=tuple, description="eq. (3)")
    aux_share: Share = Field(0.08, description="α_aux, auxiliary power / IT power")
    cop: Annotated[float, Field(gt=0.0, le=50.0)] = Field(
        description="cooling coefficient of performance, eq. (4); chillers reach ~10, "
                    "free cooling a few tens")
    cooling_min_mw: NonNegative = 0.0
    cooling_max_mw: Positive = Field(description="Q_max, eq. (6)")
    thermal_mass_mwh_per_c: Positive = Field(1.0, description="C_th, eq. (5)")
    conductance_mw_per_c: NonNegative = Field(0.04, description="k, eq. (5)")
    indoor_min_c: IndoorC = 25.0
    indoor_max_c: IndoorC = 25.0
    indoor_initial_c: IndoorC = 25.0
    outdoor_c: tuple[OutdoorC, ...] = Field(min_length=1)
    interactive: tuple[NonNegative, ...] = Field(min_length=1, description="I_t, M requests/h")
    batch: tuple[NonNegative, ...] = Field(min_length=1, description="B_t, M requests/h")
    batch_deadline_h: Annotated[int, Field(ge=0)] = Field(
        description="d: hours after arrival by which batch work must be done, eq. (10)"
    )
    fee: Money = Field(description="r, $ per M requests paid by the DC's own users")
    depreciation: Money = Field(description="c_d, $ per M requests processed locally")
    grid_max_mw: Positive = Field(description="P_max, grid-import limit, eq. (19)")

    @model_validator(mode="after")
    def _consistent(self) -> DataCenterSpec:
        if self.peak_w < self.idle_w:
            raise ValueError(f"DC {self.name}: peak_w ({self.peak_w}) below idle_w ({self.idle_w})")
        min_delay_ms = 3.6e6 / (self.service_rate * 1e6)
        if self.d_max_ms <= min_delay_ms:
            raise ValueError(
                f"DC {self.name}: d_max_ms={self.d_max_ms} is not above the mean service time "
                f"{min_delay_ms:.1f} ms, so the QoS bound (15) admits no interactive work"
            )
        if self.cooling_min_mw > self.cooling_max_mw:
            raise ValueError(f"DC {self.name}: cooling_min_mw above cooling_max_mw")
        if self.indoor_min_c > self.indoor_max_c:
            raise ValueError(f"DC {self.name}: indoor_min_c={self.indoor_min_c} °C is above "
                             f"indoor_max_c={self.indoor_max_c} °C")
        if not self.indoor_min_c <= self.indoor_initial_c <= self.indoor_max_c:
            raise ValueError(
                f"DC {self.name}: indoor_initial_c={self.indoor_initial_c} outside the band "
                f"[{self.indoor_min_c}, {self.indoor_max_c}]"
            )
        lengths = {len(self.outdoor_c), len(self.interactive), len(self.batch)}
        if len(lengths) != 1:
            raise ValueError(
                f"DC {self.name}: outdoor_c, interactive and batch have lengths "
                f"{len(self.outdoor_c)}, {len(self.interactive)}, {len(self.batch)}"
            )
        return self

    @property
    def hours(self) -> int:
        return len(self.interactive)
