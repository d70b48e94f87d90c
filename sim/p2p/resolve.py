"""Turn a scenario that names its data sources into one with every series.

A scenario may write, instead of an hourly list:

* ``outdoor_c: weather`` — the day's measured temperature (``weather:`` section,
  a TMY3 file shipped with pvlib, see :mod:`grid.weather`);
* ``interactive: {peak: P}`` / ``batch: {mean: M}`` — the seeded workload
  generators of :mod:`sim.p2p.profiles` (``workload: {seed: S}``);
* ``interactive: {trace: alibaba2018, day: 1, peak: P}`` (``mean: M`` for
  batch) — a real cluster's utilisation as the work's shape (:mod:`sim.traces`);
* renewables ``available_mw: {pv: MW}`` or ``{wind: MW}`` — farm output from
  the weather day (pvlib PVWatts, windpowerlib power curve);
* ``load_scaling: {from_temperature: [low, high]}`` — the fixed loads scaled
  linearly with temperature between ``low`` (coolest hour) and ``high``;
* ``lmp: {initial: X}`` — a flat starting guess for every DC;
* any of these series (a DC's ``interactive``, ``batch``, ``outdoor_c``, its
  ``lmp``, a farm's ``available_mw``, ``load_scaling``) as ``{file: …,
  column: …, unit: …}``: a CSV or Parquet file (:mod:`sim.series_file`,
  docs/data.md).

The resolved scenario (all lists) is what gets validated, solved and written
to the run folder, so a run can be repeated or checked without the sources.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from dcmarket.agents.spec_base import NonNegative, Positive, StrictSpec, one_of
from dcmarket.grid.weather import pv_output_mw, tmy3_day, tmy3_files, wind_output_mw
from dcmarket.sim.p2p.profiles import batch_profile, interactive_profile
from dcmarket.sim.series_file import SeriesFile, read_series
from dcmarket.sim.traces import TraceDay


# ------------------------------------------------- the sources, checked before use
class WeatherSource(StrictSpec):
    """``weather:`` ``days`` days from ``month``-``day`` of a TMY3 file pvlib ships
    (``pvlib-tmy3``: Greensboro NC, Sand Point AK) or of one's own TMY3 or EPW
    file (``file``: its path)."""

    source: Literal["pvlib-tmy3", "file"]
    file: str = "723170TYA.CSV"
    month: Annotated[int, Field(ge=1, le=12)]
    day: Annotated[int, Field(ge=1, le=31)]
    days: Annotated[int, Field(ge=1, le=366)] = 1

    @model_validator(mode="after")
    def _found(self) -> WeatherSource:
        if self.source == "pvlib-tmy3":
            one_of(self.file, tmy3_files(), "a TMY3 file shipped with pvlib")
        elif not Path(self.file).expanduser().is_file():
            raise ValueError(f"file {self.file!r}: no such weather file (TMY3 or EPW)")
        return self


Hour = Annotated[float, Field(ge=0.0, lt=24.0)]


class PeakSource(StrictSpec):
    """``interactive: {peak: P}``, M requests/h: the daily peak, its hour and the
    night trough as a share of it (paper 000, Fig. 3: low near 04 h, high near 16 h)."""

    peak: Positive
    peak_hour: Hour = 16.0
    low_share: Annotated[float, Field(gt=0.0, le=1.0)] = 0.35


class MeanSource(StrictSpec):
    """``batch: {mean: M}``, M requests/h, with a daily swing (``swing`` 0.3 is ±15 %
    of the mean) peaking at ``peak_hour``."""

    mean: NonNegative
    swing: Annotated[float, Field(ge=0.0, le=2.0)] = 0.3
    peak_hour: Hour = 14.0


class TraceSource(TraceDay):
    """``interactive: {trace: alibaba2018, column: cpu_util_percent, day: 1, peak: P}``
    (or ``mean: M`` for batch): a real utilisation trace (:mod:`sim.traces`)
    taken as the shape of the DC's work — requests in proportion to the
    cluster's utilisation, scaled so the day's peak (interactive) or mean
    (batch) is the one stated, M requests/h."""

    peak: Positive | None = None
    mean: Positive | None = None

    @model_validator(mode="after")
    def _one_scale(self) -> TraceSource:
        if (self.peak is None) == (self.mean is None):
            raise ValueError("give exactly one of peak (interactive) or mean (batch)")
        return self

    def series(self, hours: int) -> np.ndarray:
        from dcmarket.sim.traces import hourly_utilisation

        u = hourly_utilisation(self.trace, self.column, self.day, hours)
        if self.peak is not None:
            return self.peak * u / max(float(u.max()), 1e-12)
        return self.mean * u / max(float(u.mean()), 1e-12)


class WorkloadSource(StrictSpec):
    seed: int = 0


class InitialLMP(StrictSpec):
    """``lmp: {initial: X}``, $/MWh for every DC and hour."""

    initial: Positive


class _Open(BaseModel):
    """A section whose other fields the scenario's own model checks later."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)


class DCSources(_Open):
    name: str = ""
    interactive: list[Any] | PeakSource | SeriesFile | TraceSource
    batch: list[Any] | MeanSource | SeriesFile | TraceSource
    outdoor_c: list[Any] | str | SeriesFile  # "weather" or "weather:<site>"


class FarmSource(StrictSpec):
    """``available_mw: {pv: MW}`` or ``{wind: MW}``: one technology, its rating;
    ``site``: one of ``weather_sites`` (default: ``weather``)."""

    pv: Positive | None = None
    wind: Positive | None = None
    site: str | None = None

    @model_validator(mode="after")
    def _one(self) -> FarmSource:
        if (self.pv is None) == (self.wind is None):
            raise ValueError("give exactly one of pv: MW or wind: MW")
        return self


class RenewableSources(_Open):
    name: str = ""
    available_mw: list[Any] | FarmSource | SeriesFile


class GridSources(_Open):
    renewables: list[RenewableSources] = Field(default_factory=list)
    load_scaling: list[Any] | dict[Literal["from_temperature"],
                                   tuple[NonNegative, NonNegative]] | SeriesFile | None = None


class ScenarioSources(_Open):
    """A P2P scenario file before its sources are read: what the sources need."""

    hours: Annotated[int, Field(ge=1)]
    weather: WeatherSource | None = None
    #: more sites, by name: a DC's ``outdoor_c: weather:<site>``, a farm's ``site``
    weather_sites: dict[str, WeatherSource] = Field(default_factory=dict)
    workload: WorkloadSource = WorkloadSource()
    datacenters: list[DCSources] = Field(min_length=2)
    lmp: dict[str, list[Any] | SeriesFile] | InitialLMP
    grid: GridSources | None = None


def _round(values: np.ndarray) -> list[float]:
    return [round(float(v), 4) for v in values]


#: the unit each series a file may give is read in
FILE_UNITS = {"interactive": "M requests/h", "batch": "M requests/h", "outdoor_c": "°C",
              "lmp": "$/MWh", "available_mw": "MW", "load_scaling": "1"}


def _files(out: dict[str, Any], base: Path | None) -> None:
    """Every series given as ``{file: …}`` read into its list (in place)."""
    hours, dt = int(out["hours"]), float(out.get("dt_h", 1.0))

    def read(value: Any, field: str, where: str) -> Any:
        if isinstance(value, dict) and "file" in value:
            return _round(np.asarray(read_series(SeriesFile.model_validate(value), hours,
                                                 FILE_UNITS[field], where, base, dt)))
        return value

    for dc in out["datacenters"]:
        for field in ("interactive", "batch", "outdoor_c"):
            dc[field] = read(dc.get(field), field, f"datacenters.{dc.get('name')}.{field}")
    if isinstance(out.get("lmp"), dict):
        out["lmp"] = {k: read(v, "lmp", f"lmp.{k}") for k, v in out["lmp"].items()}
    grid = out.get("grid") or {}
    for farm in grid.get("renewables", []):
        farm["available_mw"] = read(farm.get("available_mw"), "available_mw",
                                    f"grid.renewables.{farm.get('name')}.available_mw")
    if "load_scaling" in grid:
        grid["load_scaling"] = read(grid["load_scaling"], "load_scaling", "grid.load_scaling")


def resolve_sources(raw: dict[str, Any], base: Path | None = None) -> dict[str, Any]:
    """A copy of ``raw`` with every named source replaced by its hourly series
    (a file's path relative to ``base``, the scenario's folder, or the working one)."""
    out = copy.deepcopy(raw)
    _files(out, base)
    hours = int(out["hours"])
    sites = {"": out.pop("weather", None), **out.pop("weather_sites", {})}
    weathers = {}
    for site, spec in sites.items():
        if spec is None:
            continue
        w = WeatherSource.model_validate(spec)
        if 24 * w.days != hours:
            raise ValueError(f"{'weather' if not site else 'weather_sites.' + site}: {w.days} "
                             f"day(s) of weather are {24 * w.days} hours; the scenario has "
                             f"{hours} (set days: {hours / 24:g}, or hours: {24 * w.days})")
        weathers[site] = tmy3_day(w.month, w.day, w.file, w.days)
        origin = (f"NREL TMY3 {w.file}, shipped with pvlib" if w.source == "pvlib-tmy3"
                  else f"weather file {w.file}")
        out.setdefault("sources", {})["weather" + (f".{site}" if site else "")] = (
            f"{origin} ({weathers[site].site}); {w.month:02d}-{w.day:02d}, {w.days} day(s)")
    weather = weathers.get("")

    def site_weather(name: str | None, who: str):
        if not name:
            return _need(weather, who)
        if name not in weathers:
            raise ValueError(f"{who}: no weather site {name!r} (weather_sites: "
                             f"{', '.join(k for k in weathers if k) or 'none'})")
        return weathers[name]
    workload = out.pop("workload", {})
    rng = np.random.default_rng(int(workload.get("seed", 0)))
    for dc in out["datacenters"]:
        given = dc.get("outdoor_c")
        if isinstance(given, str):
            if given != "weather" and not given.startswith("weather:"):
                raise ValueError(f"datacenters.{dc.get('name')}.outdoor_c: {given!r} (a list, "
                                 "weather, weather:<site> or a file)")
            dc["outdoor_c"] = _round(site_weather(given.partition(":")[2],
                                                  f"datacenters.{dc.get('name')}.outdoor_c")
                                     .temperature_c)
        for field in ("interactive", "batch"):
            if isinstance(dc.get(field), dict) and "trace" in dc[field]:
                trace = TraceSource.model_validate(dc[field])
                dc[field] = _round(trace.series(hours))
                from dcmarket.sim.traces import TRACES

                out.setdefault("sources", {})[f"{dc['name']}.{field}"] = (
                    f"{TRACES[trace.trace]}: {trace.column}, day {trace.day}, hourly means, "
                    f"scaled to {'peak' if trace.peak else 'mean'} "
                    f"{trace.peak or trace.mean} M requests/h")
        if isinstance(dc.get("interactive"), dict):
            iw = PeakSource.model_validate(dc["interactive"])
            dc["interactive"] = _round(interactive_profile(
                rng, hours, iw.peak, low_share=iw.low_share, peak_hour=iw.peak_hour))
        if isinstance(dc.get("batch"), dict):
            bw = MeanSource.model_validate(dc["batch"])
            dc["batch"] = _round(batch_profile(rng, hours, bw.mean, swing=bw.swing,
                                               peak_hour=bw.peak_hour))
    grid = out.get("grid")
    if grid:
        for farm in grid.get("renewables", []):
            source = farm.get("available_mw")
            if isinstance(source, dict):
                site = source.get("site")
                (tech, rating), = ((k, v) for k, v in source.items()
                                   if v is not None and k != "site")
                make = {"pv": pv_output_mw, "wind": wind_output_mw}.get(tech)
                if make is None:
                    raise ValueError(f"grid.renewables.{farm['name']}: unknown technology {tech!r}")
                farm["available_mw"] = _round(make(site_weather(site, farm["name"]),
                                                   float(rating)))
        scaling = grid.get("load_scaling")
        if isinstance(scaling, dict):
            low, high = scaling["from_temperature"]
            temp = _need(weather, "load_scaling").temperature_c
            span = max(float(np.ptp(temp)), 1e-9)
            grid["load_scaling"] = _round(low + (high - low) * (temp - temp.min()) / span)
    lmp = out.get("lmp")
    if isinstance(lmp, dict) and set(lmp) == {"initial"}:  # a flat guess, not a DC's series
        initial = lmp["initial"]
        if isinstance(initial, bool) or not isinstance(initial, (int, float)) \
                or not np.isfinite(initial) or initial <= 0:
            raise ValueError(f"lmp.initial: a positive number of $/MWh for every DC and hour, "
                             f"got {initial!r}")
        out["lmp"] = {dc["name"]: [float(initial)] * hours for dc in out["datacenters"]}
    return out


def _need(weather, who: str):
    if weather is None:
        raise ValueError(f"{who}: uses the weather but the scenario has no weather section")
    return weather
