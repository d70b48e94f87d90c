"""Scenario of the DC demand-response study (paper 002; docs/dr.md), validated.

Every input names its source in the file: prices come from the shipped SMARD
history (``grid/data``), task streams from the seeded generator of
:mod:`agents.dr.task_streams`. A wrong field fails before anything runs, with
the field's path and the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from dcmarket.agents.spec_base import (
    PRICE_MAX_PER_MWH,
    Frozen,
    Interval,
    Money,
    NonNegative,
    Positive,
    Share,
    StrictSpec,
)
from dcmarket.sim.scenario import IsoDay, ScenarioHeader, check_zone, read_yaml, validate_as
from dcmarket.sim.series_file import SeriesFile
from dcmarket.sim.traces import TraceDay

#: the DR data centre's and the grid's agent names
DC_NAME = "DC"
GRID_NAME = "grid"


class PriceSource(StrictSpec):
    """Real-time prices: a bidding zone of the shipped SMARD history."""

    source: Literal["smard"] = "smard"
    year: Literal[2015, 2018] = 2018
    zone: str = "DE"


class PriceFile(SeriesFile):
    """Prices of one's own: an hourly (or finer, resampled) series in a CSV or
    Parquet file with a time column (docs/data.md); the days before ``day``
    are the forecasters' history, local days in ``timezone``."""

    source: Literal["file"]
    timezone: str | None = "Europe/Berlin"

    @model_validator(mode="after")
    def _needs_time(self) -> PriceFile:
        if not self.time:
            raise ValueError("prices: a price file needs its time column (time: …)")
        return self


class DCSettings(StrictSpec):
    hosts: Annotated[int, Field(ge=1)] = 2000
    cores_per_host: Annotated[int, Field(ge=1)] = 8
    p_max_w: Positive = 250.0
    static_share: Share = 0.7
    idle_hosts: Literal["off", "idle"] = "off"
    revenue_per_task_eur: Money = 0.002
    penalty_eur_per_task_slot: Money = 0.002


class Range(Interval):
    """A non-negative interval (costs, shares) users' private terms are drawn from."""

    low: NonNegative
    high: NonNegative


class TaskTrace(TraceDay):
    """The users' day shaped by a real cluster's utilisation (:mod:`sim.traces`):
    tasks per slot in proportion to the trace's hourly mean of ``column`` on
    trace day ``day`` (the simulated day; the history's days are the trace's
    days before it), scaled so the day's mean is ``users.mean_utilisation`` of
    the DC's capacity."""

    day: Annotated[int, Field(ge=1)] = Field(
        ..., description="the trace's day (1 = its first) that is the simulated day; the "
                         "reference days before it come from the trace's days before")


class UserSettings(StrictSpec):
    count: Annotated[int, Field(ge=1)] = 10
    mean_utilisation: Annotated[float, Field(gt=0.0, le=0.8)] = 0.5
    interactive_to_batch: Positive = 1.0 / 1.5
    sensitive_share_of_batch: Share = 0.5
    delay_cost_eur_per_task_slot: Range = Range(low=0.00005, high=0.0004)
    willingness: Range = Range(low=0.5, high=1.0)
    trace: TaskTrace | None = Field(
        None, description="shape the day's tasks by a real cluster's utilisation instead of "
                          "the documented daily shape (docs/data.md)")

    @model_validator(mode="after")
    def _willingness_is_a_share(self) -> UserSettings:
        if self.willingness.high > 1.0:
            raise ValueError("willingness.high must be ≤ 1")
        return self


class ProgramSettings(StrictSpec):
    theta0_eur_per_mwh: Annotated[float, Field(ge=0.0, le=PRICE_MAX_PER_MWH)] = 500.0
    requested_share: Share = 0.2
    n_events: Annotated[int, Field(ge=1, le=24)] = 6
    reference_days: Annotated[int, Field(ge=1)] = 5


Method = Literal["seasonal_naive", "holt_winters", "lstm", "persistence", "oracle"]


class ForecastSettings(StrictSpec):
    method: Method | Literal["none"] = "lstm"
    training_days: Annotated[int, Field(ge=1)] = 31
    horizon: Literal["day_ahead", "one_step"] = Field(
        "day_ahead", description="the LSTM's reach: the whole day before it starts, or each "
        "hour from the actual prices up to the hour before (the paper does not say)")
    lstm_epochs: Annotated[int, Field(ge=1)] = 100
    lstm_epochs_by_training_days: Annotated[dict[int, Annotated[int, Field(ge=1)]], Frozen] = \
        Field(default_factory=dict, description="epochs for a training-set size, e.g. {15: 20}")
    seeds: Annotated[int, Field(ge=1)] = Field(
        5, description="LSTM seeds for the forecast spread (MAPE mean ± sd, both horizons)")
    compare: tuple[Method, ...] = Field(
        default_factory=lambda: ("seasonal_naive", "holt_winters", "lstm", "persistence",
                                 "oracle"))
    compare_training_days: tuple[Annotated[int, Field(ge=1)], ...] = Field(
        default_factory=lambda: (31, 15))

    @model_validator(mode="after")
    def _horizon_reaches_the_method(self) -> ForecastSettings:
        if self.horizon == "one_step" and self.method not in ("lstm", "persistence"):
            raise ValueError(f"forecast.horizon: one_step is a reading of the LSTM (got method "
                             f"{self.method!r}, which predicts the day ahead)")
        return self

    def epochs_for(self, training_days: int) -> int:
        return self.lstm_epochs_by_training_days.get(training_days, self.lstm_epochs)


class GASettingsSpec(StrictSpec):
    population: Annotated[int, Field(ge=2)] = 30
    generations: Annotated[int, Field(ge=1)] = 50
    crossover_prob: Share = 0.8
    mutation_prob: Share = 0.2
    elitism: bool = True
    scale_with_bidders: bool = Field(
        True, description="grow the budget with the bidders U: at least U/10 individuals and "
                          "U/5 generations (the paper's 30 x 50 is for 10 users; assumption)")


class AuctionSettings(StrictSpec):
    selector: Literal["ga", "exact"] = "ga"
    ga: GASettingsSpec = GASettingsSpec()
    payment: Literal["pay_as_bid", "vcg", "uniform"] = Field(
        "pay_as_bid", description="what a winner is paid: its bid (the paper's rule), VCG "
                                  "with the Clarke pivot (needs selector: exact), or the "
                                  "first rejected bid's price per MWh (uniform)")

    @model_validator(mode="after")
    def _vcg_needs_the_exact_winners(self) -> AuctionSettings:
        if self.payment == "vcg" and self.selector != "exact":
            raise ValueError("auction.payment: vcg pays from the exact winner set; set "
                             "auction.selector: exact (the GA's set is not exact)")
        return self


class DRScenario(ScenarioHeader):
    """The whole DR study; ``day`` is the simulated day, trained on the days before it."""

    study: Literal["dr"] = Field("dr", description="which study runs it")
    name: str = "dr"
    seed: int = 0
    day: IsoDay
    prices: PriceSource | PriceFile = Field(PriceSource(), discriminator="source")
    dc: DCSettings = DCSettings()
    users: UserSettings = UserSettings()
    program: ProgramSettings = ProgramSettings()
    forecast: ForecastSettings = ForecastSettings()
    auction: AuctionSettings = AuctionSettings()
    strategies: tuple[Literal["OP", "BS", "ST"], ...] = Field(
        default_factory=lambda: ("OP", "BS", "ST"), min_length=1)

    def user_names(self) -> list[str]:
        """The DC users' names, ``user01`` … (their data are drawn from the seed)."""
        return [f"user{u + 1:02d}" for u in range(self.users.count)]

    def strategy_roles(self) -> dict[str, str]:
        return {**dict.fromkeys(self.user_names(), "dr_user"), DC_NAME: "dr_datacentre"}

    @model_validator(mode="after")
    def _day_inside_history(self) -> DRScenario:
        try:
            day = pd.Timestamp(self.day)
        except ValueError as exc:
            raise ValueError(f"day {self.day!r} is not a date") from exc
        self.check_strategies()
        self._check_trace()
        longest = max([self.forecast.training_days, *self.forecast.compare_training_days])
        if isinstance(self.prices, PriceFile):
            from dcmarket.sim.dr.price_file import file_price_days, history_days

            days = file_price_days(self.prices)  # read and checked now, before solving
            if day not in days.index:
                raise ValueError(f"prices: day {self.day} is not a whole day of "
                                 f"{self.prices.file} ({days.index[0].date()} … "
                                 f"{days.index[-1].date()})")
            have = len(history_days(days, day))
            if self.forecast.method != "none" and have < longest:
                raise ValueError(f"forecast.training_days: {longest} training days are needed "
                                 f"before {self.day}; {self.prices.file} holds {have}")
            return self
        if day.year != self.prices.year:
            raise ValueError(f"day {self.day} is outside the price history of "
                             f"{self.prices.year} (prices.year)")
        check_zone(self.prices.zone, self.prices.year)
        first = pd.Timestamp(f"{self.prices.year}-01-01")
        have = (day - first).days
        if self.forecast.method != "none" and have < longest:
            raise ValueError(
                f"forecast.training_days: {longest} training days are needed before {self.day} "
                f"but the {self.prices.year} price history starts {have} days earlier")
        return self


    def _check_trace(self) -> None:
        trace = self.users.trace
        if trace is None:
            return
        before = self.program.reference_days
        if trace.day <= before:
            raise ValueError(f"users.trace.day: the {before} reference days before the "
                             f"simulated day come from the trace's days before it; day "
                             f"{trace.day} leaves {trace.day - 1}")
        from dcmarket.sim.traces import hourly_utilisation

        try:
            hourly_utilisation(trace.trace, trace.column, trace.day - before, 24 * (before + 1))
        except ValueError as exc:
            raise ValueError(f"users.trace: day {trace.day} and its {before} reference days "
                             f"need the trace's days {trace.day - before}–{trace.day}: "
                             f"{exc}") from None

    def task_shape(self, day_offset: int) -> np.ndarray | None:
        """The day's profile of tasks ``day_offset`` days from the simulated day
        (the trace's hourly utilisation), or ``None`` for the documented shape."""
        trace = self.users.trace
        if trace is None:
            return None
        from dcmarket.sim.traces import hourly_utilisation

        return hourly_utilisation(trace.trace, trace.column, trace.day + day_offset, 24)


def load_dr_scenario(path: str | Path) -> DRScenario:
    """Read and validate a DR scenario file."""
    return parse_dr_scenario(read_yaml(path), str(path))


def parse_dr_scenario(raw: object, source: str = "<scenario>") -> DRScenario:
    """A validated DR scenario; a task trace is named under ``sources.tasks``
    (in place of what the file says of the generator it replaces)."""
    scenario = validate_as(DRScenario, raw, source)
    trace = scenario.users.trace
    if trace is not None:
        from dcmarket.sim.traces import TRACES

        said = (f"{TRACES[trace.trace]}: {trace.column}, day {trace.day} (and the "
                f"{scenario.program.reference_days} days before), hourly means, tasks in "
                f"proportion, scaled to users.mean_utilisation {scenario.users.mean_utilisation}")
        scenario = scenario.model_copy(update={"sources": {**scenario.sources, "tasks": said}})
    return scenario
