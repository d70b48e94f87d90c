"""Paper 001's results: Table I per scenario, hourly frames, households sweep.

The year of 15-day blocks is :mod:`sim.lec.year`.

Table I's rows (:func:`table_rows`), for one solved block:

- ``operating_cost_eur`` — objective (2a);
- ``renewable_mwh`` — PV of every household + wind available;
- ``retailer_mwh`` — energy bought;
- ``self_consumption`` — share of the renewable production used inside the
  community: ``1 − (sold + PV curtailed + wind spilled) / production``;
- ``renewable_share_paper`` — what paper 001's Table I calls self-consumption:
  ``renewables / (renewables + retailer energy)`` (its four values follow
  exactly from its own rows);
- ``dc_from_surplus`` — share of the DC's energy covered by the community's
  own surplus. From (2b), the community's surplus in hour ``t`` after its
  households, battery and HVAC is ``p_dc + sell − buy``; the DC's share of it
  is that clipped to ``[0, p_dc]``;
- ``dc_paused`` — ``Σ P^pause / Σ P^wl`` (gross: work paused again in a later
  hour counts again);
- ``dc_deferred_net`` — ``Σ max(0, P^pause − P^res) / Σ P^wl``: the work
  actually taken out of an hour;
- ``heating_mwh`` — heat delivered to the households (their heating demand);
- ``additional_heating_mwh`` — heat from the shared HVAC (``η_HVAC · hvac``);
- ``heat_reuse`` — share of the heating demand met by the DC's waste heat
  (``η_up · h_up / heating``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dcmarket.market.community_milp import EOA
from dcmarket.sim.lec.config import LECScenario
from dcmarket.sim.lec.data import BlockInputs, block_inputs
from dcmarket.sim.lec.model import LECModel

PAPER_SIZE_PER_DAY = {"constraints": 16597, "variables": 2887, "binaries": 348}
TABLE_ROWS = ("operating_cost_eur", "renewable_mwh", "retailer_mwh", "self_consumption",
              "renewable_share_paper",
              "dc_from_surplus", "dc_paused", "dc_deferred_net", "heating_mwh",
              "additional_heating_mwh", "heat_reuse")

Values = dict[str, dict[str, np.ndarray]]


def _sum_households(values: Values, block: str) -> np.ndarray:
    parts = [v[block] for name, v in values.items() if name != EOA and block in v]
    return np.sum(parts, axis=0) if parts else 0.0


def pause_and_resume(values: Values, pairs: np.ndarray, T: int) -> tuple[np.ndarray, np.ndarray]:
    x = values[EOA].get("x")
    pause, resume = np.zeros(T), np.zeros(T)
    if x is not None and len(pairs):
        np.add.at(pause, pairs[:, 0], x)
        np.add.at(resume, pairs[:, 1], x)
    return pause, resume


def hourly_frame(values: Values, inputs: BlockInputs, scenario: LECScenario,
                 pairs: np.ndarray, label: str) -> pd.DataFrame:
    """One row per hour: every flow of the energy (Fig. 4a) and heat (Fig. 4b) balances, kW."""
    e, c, T = values[EOA], inputs.community, inputs.hours
    pause, resume = pause_and_resume(values, pairs, T)
    pv = np.sum([p.pv_kw for p in inputs.household_profiles], axis=0)
    frame = pd.DataFrame({
        "scenario": label, "hour": np.arange(T),
        "time": inputs.start + pd.to_timedelta(np.arange(T), unit="h"),
        "buy_kw": e["buy"], "sell_kw": e["sell"], "wind_kw": e["wind"],
        "wind_available_kw": c.wind_kw, "pv_kw": pv,
        "pv_curtailed_kw": _sum_households(values, "curt"),
        "battery_charge_kw": e["b_ch"], "battery_discharge_kw": e["b_dis"],
        "battery_soc_kwh": e["b_soc"],
        "household_demand_kw": _sum_households(values, "d"),
        "household_import_kw": _sum_households(values, "imp"),
        "household_export_kw": _sum_households(values, "exp"),
        "ev_charge_kw": _sum_households(values, "ev_ch"),
        "ev_discharge_kw": _sum_households(values, "ev_dis"),
        "cooling_kw": _sum_households(values, "cool"),
        "hvac_kw": e["hvac"], "dc_kw": e["p_dc"], "dc_workload_kw": c.dc_workload_kw,
        "dc_pause_kw": pause, "dc_resume_kw": resume,
        "dc_reserve_kw": e.get("r", np.zeros(T)),
        "dc_heat_kw": e["h_dc"], "heat_upgraded_kw": e["h_up"], "heat_vented_kw": e["h_vent"],
        "heat_from_dc_kw": scenario.heat.eta_upgrade * e["h_up"],
        "upgrade_electricity_kw": (scenario.heat.eta_upgrade * e["h_up"]
                                   / scenario.heat.upgrade_cop
                                   if scenario.heat.upgrade_cop is not None else np.zeros(T)),
        "heat_from_hvac_kw": scenario.heat.eta_hvac * e["hvac"],
        "heating_kw": _sum_households(values, "heat"),
        "buy_price_eur_per_kwh": c.buy_eur_per_kwh, "sell_price_eur_per_kwh": c.sell_eur_per_kwh,
        "reserve_price_eur_per_kw": c.reserve_eur_per_kw,
    })
    return frame


def balance_residuals(frame: pd.DataFrame) -> dict[str, float]:
    """Largest hourly violation of the community energy (2b + 2c) and heat (2p) balances."""
    f = frame
    supply = (f.buy_kw + f.wind_kw + f.battery_discharge_kw + f.pv_kw - f.pv_curtailed_kw
              + f.ev_discharge_kw)
    use = (f.sell_kw + f.battery_charge_kw + f.dc_kw + f.hvac_kw + f.household_demand_kw
           + f.ev_charge_kw + f.cooling_kw + f.upgrade_electricity_kw)
    heat = f.heat_from_dc_kw + f.heat_from_hvac_kw - f.heating_kw
    chain = f.dc_heat_kw - f.heat_upgraded_kw - f.heat_vented_kw
    return {"energy_kw": float(np.abs(supply - use).max()),
            "heat_kw": float(np.abs(heat).max()), "heat_chain_kw": float(np.abs(chain).max())}


def renewable_share(renewable_mwh: float, retailer_mwh: float) -> float:
    """Paper 001's "self-consumption" column: renewables over renewables plus
    retailer energy (its Table I: 300.62 / (300.62 + 576.52) = 34.27 %)."""
    total = renewable_mwh + retailer_mwh
    return renewable_mwh / total if total > 0 else 0.0


def table_rows(frame: pd.DataFrame, objective: float) -> dict[str, float]:
    """Table I's rows for one solved block (see the module docstring)."""
    f = frame
    production = f.pv_kw.sum() + f.wind_available_kw.sum()
    lost = f.sell_kw.sum() + f.pv_curtailed_kw.sum() + (f.wind_available_kw - f.wind_kw).sum()
    surplus = np.clip(f.dc_kw + f.sell_kw - f.buy_kw, 0.0, f.dc_kw)
    heating = f.heating_kw.sum()
    return {
        "operating_cost_eur": objective,
        "renewable_mwh": production / 1000.0,
        "retailer_mwh": f.buy_kw.sum() / 1000.0,
        "self_consumption": max(0.0, 1.0 - lost / production) if production > 0 else 0.0,
        "renewable_share_paper": renewable_share(production / 1000.0, f.buy_kw.sum() / 1000.0),
        "dc_from_surplus": surplus.sum() / f.dc_kw.sum(),
        "dc_paused": f.dc_pause_kw.sum() / f.dc_workload_kw.sum(),
        "dc_deferred_net": np.clip(f.dc_pause_kw - f.dc_resume_kw, 0.0, None).sum()
        / f.dc_workload_kw.sum(),
        "dc_workload_mwh": f.dc_workload_kw.sum() / 1000.0,
        "heating_mwh": heating / 1000.0,
        "additional_heating_mwh": f.heat_from_hvac_kw.sum() / 1000.0,
        "heat_reuse": f.heat_from_dc_kw.sum() / heating if heating > 0 else 0.0,
    }


def delay_frame(values: Values, pairs: np.ndarray, label: str) -> pd.DataFrame:
    """Fig. 5b: power paused at ``t`` and resumed at ``t'`` with its delay δ = t' − t."""
    x = values[EOA].get("x")
    if x is None or not len(pairs):
        return pd.DataFrame(columns=["scenario", "paused_at", "resumed_at", "kw", "delay_h"])
    keep = x > 1e-6
    return pd.DataFrame({"scenario": label, "paused_at": pairs[keep, 0],
                         "resumed_at": pairs[keep, 1], "kw": x[keep],
                         "delay_h": pairs[keep, 1] - pairs[keep, 0]})


@dataclass
class ScenarioRun:
    """One Table I scenario on one block: centralised, and optionally the twin."""

    label: str
    objective: float
    solve_s: float
    mip_gap: float
    hourly: pd.DataFrame
    delays: pd.DataFrame
    rows: dict[str, float]
    size: dict[str, int]
    twin_objective: float | None = None
    twin_rounds: int | None = None
    twin_converged: bool | None = None
    twin_s: float | None = None
    #: how the storage modes were settled (``CommunitySolution.modes``)
    modes: str = "binary"
    #: whole MILP or chunks of hours (``CommunitySolution.decomposition``)
    decomposition: str = "whole MILP"
    messages: pd.DataFrame | None = None  # the twin's message log (schema: market.messages)

    @property
    def twin_gap(self) -> float | None:
        if self.twin_objective is None:
            return None
        return (self.twin_objective - self.objective) / abs(self.objective)


def run_scenario(scenario: LECScenario, inputs: BlockInputs, label: str,
                 twin: bool = False) -> ScenarioRun:
    model = LECModel(scenario, inputs, label)
    solution = model.solve_centralised()
    pairs = model.pairs
    hourly = hourly_frame(solution.values, inputs, scenario, pairs, label)
    size = solution.size
    run = ScenarioRun(label, solution.objective, solution.solve_s, solution.mip_gap, hourly,
                      delay_frame(solution.values, pairs, label),
                      table_rows(hourly, solution.objective),
                      {"constraints": size.constraints, "variables": size.variables,
                       "binaries": size.binaries}, modes=solution.modes,
                      decomposition=solution.decomposition)
    if twin:
        result = model.run_twin()
        run.twin_objective, run.twin_rounds = result.objective, result.rounds
        run.twin_converged, run.twin_s = result.converged, result.seconds
        run.messages = model.bus.log_frame()
    return run


def run_block(scenario: LECScenario, first_day: int = 0, n_days: int = 1, twin: bool = False,
              households=None) -> dict[str, ScenarioRun]:
    inputs = block_inputs(scenario, first_day, n_days, households)
    return {label: run_scenario(scenario, inputs, label, twin) for label in scenario.scenarios}


def table(runs: dict[str, ScenarioRun]) -> pd.DataFrame:
    """Table I: one column per scenario, one row per quantity."""
    return pd.DataFrame({label: run.rows for label, run in runs.items()}).loc[list(TABLE_ROWS)]


def table_text(frame: pd.DataFrame) -> str:
    shown = frame.copy().astype(object)
    for row in shown.index:
        pct = row in ("self_consumption", "renewable_share_paper", "dc_from_surplus", "dc_paused",
                      "dc_deferred_net", "heat_reuse")
        shown.loc[row] = [f"{100 * v:.2f} %" if pct else f"{v:,.2f}" for v in frame.loc[row]]
    return shown.to_string()


# ------------------------------------------------------------------ households sweep
def households_sweep(scenario: LECScenario, counts: list[int], n_days: int,
                     label: str = "TC+JP+aFRR",
                     progress: Callable[[str], None] = print) -> pd.DataFrame:
    """Fig. 6: the community with 5 … 100 households.

    The shared HVAC and the retailer connection are scaled with the number of
    households (from the scenario's, sized for its ``households.count``), so
    the community can always heat its homes; everything else stays.
    """
    base = scenario.households.count
    rows = []
    for n in counts:
        scale = n / base
        sized = scenario.model_copy(update={
            "households": scenario.households.model_copy(update={"count": n}),
            "heat": scenario.heat.model_copy(update={
                "hvac_max_kw": scenario.heat.hvac_max_kw * scale}),
            "retailer": scenario.retailer.model_copy(update={
                "connection_kw": max(scenario.retailer.connection_kw,
                                     scenario.retailer.connection_kw * scale)}),
            "scenarios": [label]})
        tic = time.perf_counter()
        run = run_block(sized, 0, n_days)[label]
        delays = run.delays
        mean_delay = float((delays.kw * delays.delay_h).sum() / delays.kw.sum()) \
            if len(delays) else 0.0
        rows.append({"households": n, "average_job_delay_h": mean_delay,
                     "dc_from_surplus": run.rows["dc_from_surplus"],
                     "heat_reuse": run.rows["heat_reuse"],
                     "cost_per_household_eur": run.objective / n,
                     "operating_cost_eur": run.objective, "solve_s": run.solve_s})
        progress(f"{n} households: {time.perf_counter() - tic:.1f} s")
    return pd.DataFrame(rows)
