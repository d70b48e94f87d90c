"""The DR study of paper 002: forecasts, OP / BS / ST on one day, forecast quality.

:func:`run_dr_study` trains every forecaster on the ``k`` days before the
simulated day (timed apart: training is not part of a day's run), runs each
strategy as a :class:`~sim.dr.model.DRModel`, and gathers tidy frames:

- ``slots`` — one row per strategy × slot (tasks, power, price, event flags,
  cost terms of (7));
- ``bids`` — one row per bid (OP), with the award;
- ``postponements`` — one row per block of moved tasks (user, type,
  submitted, executed, agreed or not);
- ``forecasts`` — one row per forecaster × training days × hour;
- ``summary`` — per strategy: PTA, energy, electricity cost, rewards, fees,
  penalties, operating cost and its reduction against ST;
- ``forecast_quality`` — OP's operating cost under each forecast (and none).

Operating cost = penalties + fees + energy cost − DR reward, i.e. (7)
without the task revenue, which is the same under every strategy (all tasks
run within the day).
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dcmarket.grid.forecast import mape, peak_hours
from dcmarket.grid.forecasters import forecast_day, make_forecaster
from dcmarket.grid.prices import price_days
from dcmarket.market.auction import select_exact
from dcmarket.sim.dr.config import DRScenario
from dcmarket.sim.dr.model import DRModel
from dcmarket.sim.papers import DR_PAPER_EVENT_HOURS as PAPER_EVENT_HOURS
from dcmarket.sim.papers import DR_PAPER_MAPE_BOUND
from dcmarket.sim.run_folder import RunFolder

OPERATING_TERMS = ("penalties_eur", "fees_eur", "energy_cost_eur")


@dataclass
class ForecastRun:
    method: str
    training_days: int
    forecast: np.ndarray
    mape_pct: float
    dr_hours: list[int]
    train_s: float


@dataclass
class DRStudy:
    """Everything one study produced; frames are tidy (see the module docstring)."""

    prices: np.ndarray
    event_hours: list[int]
    forecasts: dict[tuple[str, int], ForecastRun]
    models: dict[str, DRModel]
    quality_models: dict[str, DRModel]
    day_s: float
    timings: dict[str, float] = field(default_factory=dict)
    #: the LSTM over seeds and both horizons (see :func:`lstm_spread`)
    lstm_seeds: pd.DataFrame | None = None

    def slots(self) -> pd.DataFrame:
        return pd.concat([m.slots_frame() for m in self.models.values()], ignore_index=True)

    def bids(self) -> pd.DataFrame:
        return _stack([m.bids_frame() for m in self.models.values()])

    def postponements(self) -> pd.DataFrame:
        return _stack([m.postponements_frame() for m in self.models.values()])

    def forecasts_frame(self) -> pd.DataFrame:
        rows = [{"method": f.method, "training_days": f.training_days, "hour": h,
                 "forecast_eur_per_mwh": f.forecast[h], "actual_eur_per_mwh": self.prices[h],
                 "predicted_event": h in f.dr_hours, "actual_event": h in self.event_hours}
                for f in self.forecasts.values() for h in range(24)]
        return pd.DataFrame(rows)

    def forecast_errors(self) -> pd.DataFrame:
        rows = [{"method": f.method, "training_days": f.training_days, "mape_pct": f.mape_pct,
                 "dr_hours": " ".join(map(str, f.dr_hours)),
                 "events_found": len(set(f.dr_hours) & set(self.event_hours)),
                 "train_s": f.train_s} for f in self.forecasts.values()]
        return pd.DataFrame(rows)

    def summary(self) -> pd.DataFrame:
        return summarise(self.models, self.event_hours)

    def forecast_quality(self) -> pd.DataFrame:
        frame = summarise(self.quality_models, self.event_hours)
        return frame.rename(columns={"strategy": "forecast"})


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate, skipping empty frames (their columns are kept from the first)."""
    full = [f for f in frames if len(f)]
    return pd.concat(full, ignore_index=True) if full else frames[0]


#: auctions up to this many bidders are checked against the exact MILP
EXACT_CHECK_MAX_USERS = 200


#: each finished day's auction check, made once (the exact MILPs are the costly part)
_SETTLED: weakref.WeakKeyDictionary[DRModel, tuple[int, float]] = weakref.WeakKeyDictionary()


def _auctions_settled(model: DRModel) -> tuple[int, float]:
    if model not in _SETTLED:
        _SETTLED[model] = _check_auctions(model)
    return _SETTLED[model]


def _check_auctions(model: DRModel) -> tuple[int, float]:
    """``(auctions settled, worst GA gap to the exact optimum in %)``: a GA
    auction is settled when its winners' saving is within 1 % of the exact
    optimum's (the exact MILP solved beside it as a check; an auction of more
    than 200 bidders counts as settled when the GA's best value stopped moving
    over its last fifth of generations, its gap then unknown)."""
    settled, worst = 0, 0.0
    disclosed = model.dc.disclose()  # one copy (under Ray: one trip to the DC's actor)
    for selection, problem in zip(disclosed.selections, disclosed.problems, strict=True):
        if selection.method != "ga":
            settled += 1
        elif problem.n_users <= EXACT_CHECK_MAX_USERS:
            exact = select_exact(problem)
            settled += selection.settled_against(exact)
            worst = max(worst, 100 * (exact.value_eur - selection.value_eur)
                        / max(1e-9, abs(exact.value_eur)))
        else:
            tail = selection.history[-max(2, len(selection.history) // 5):]
            settled += max(tail) - min(tail) <= 1e-9 * max(1.0, abs(tail[-1]))
    return settled, worst


def summarise(models: dict[str, DRModel], event_hours: list[int]) -> pd.DataFrame:
    rows = []
    for label, model in models.items():
        s = model.slots_frame()
        events = s["slot"].isin(event_hours)
        operating = s[list(OPERATING_TERMS)].sum().sum() - s["reward_eur"].sum()
        rows.append({
            "strategy": label,
            "pta": s.loc[events, "load_tasks"].mean() / s["load_tasks"].mean(),
            "energy_mwh": s["power_mw"].sum(),
            "tasks_run": int(s["load_tasks"].sum()),
            "electricity_cost_eur": s["energy_cost_eur"].sum(),
            "reward_eur": s["reward_eur"].sum(),
            "fees_eur": s["fees_eur"].sum(),
            "penalties_eur": s["penalties_eur"].sum(),
            "revenue_eur": s["revenue_eur"].sum(),
            "operating_cost_eur": operating,
            "total_cost_eur": s["cost_eur"].sum(),
            "mean_execution_rate": s.loc[events, "execution_rate"].mean(),
            "auctions": int((s["bidders"] > 0).sum()),
            **dict(zip(("auctions_settled", "ga_worst_gap_pct"), _auctions_settled(model),
                       strict=True)),
        })
    frame = pd.DataFrame(rows)
    if "ST" in set(frame["strategy"]):
        st = float(frame.loc[frame["strategy"] == "ST", "operating_cost_eur"].iloc[0])
        frame["reduction_vs_st_eur"] = st - frame["operating_cost_eur"]
        frame["reduction_vs_st_pct"] = 100.0 * frame["reduction_vs_st_eur"] / st
    return frame


def train_forecast(scenario: DRScenario, method: str, training_days: int,
                   history: np.ndarray, actual: np.ndarray, seed: int | None = None,
                   horizon: str | None = None) -> ForecastRun:
    """Fit ``method`` on the last ``training_days`` days of ``history``; predict the
    day (at once, or hour by hour for a one-step forecaster)."""
    from dcmarket.sim.progress import bar

    start = time.perf_counter()
    forecaster = make_forecaster(
        method, seed=scenario.seed if seed is None else seed,
        epochs=scenario.forecast.epochs_for(training_days), actual=actual,
        horizon=horizon or scenario.forecast.horizon)
    with bar(total=getattr(forecaster, "epochs", None), desc=f"{method} k={training_days}",
             unit="epoch") as progress:
        if hasattr(forecaster, "on_epoch"):
            def show(epoch: int, loss: float) -> None:
                progress.update()
                progress.set_postfix_str(f"loss {loss:.4f}")

            forecaster.on_epoch = show
        forecast = forecast_day(forecaster.fit(history[-training_days:]), actual)
    seconds = time.perf_counter() - start
    return ForecastRun(method, training_days, forecast, mape(forecast, actual),
                       peak_hours(forecast, scenario.program.n_events).tolist(), seconds)


def day_prices(scenario: DRScenario) -> tuple[np.ndarray, np.ndarray]:
    """``(history, actual)``: the days before the simulated day and the day itself."""
    day = pd.Timestamp(scenario.day)
    if getattr(scenario.prices, "source", "smard") == "file":
        from dcmarket.sim.dr.price_file import file_price_days, history_days

        days = file_price_days(scenario.prices)
        return days.loc[history_days(days, day)].to_numpy(), days.loc[day].to_numpy()
    first = pd.Timestamp(f"{scenario.prices.year}-01-01")
    n_before = (day - first).days
    days = price_days(scenario.prices.year, scenario.prices.zone, str(first.date()),
                      n_before + 1).to_numpy()
    return days[:-1], days[-1]


def run_dr_study(scenario: DRScenario, quality: bool = True) -> DRStudy:
    """Forecasts, the strategies on the day and (``quality``) OP under each forecast."""
    history, actual = day_prices(scenario)
    n_events = scenario.program.n_events
    event_hours = peak_hours(actual, n_events).tolist()
    wanted = {(scenario.forecast.method, scenario.forecast.training_days)} \
        if scenario.forecast.method != "none" else set()
    if quality:
        longest = max(scenario.forecast.compare_training_days)
        wanted |= {(m, k if m != "oracle" else longest) for m in scenario.forecast.compare
                   for k in scenario.forecast.compare_training_days}
    forecasts = {key: train_forecast(scenario, *key, history, actual)
                 for key in sorted(wanted, key=lambda mk: (mk[0], -mk[1]))}
    main = forecasts.get((scenario.forecast.method, scenario.forecast.training_days))

    start = time.perf_counter()
    models = {s: DRModel(scenario, s, actual, main.forecast if main else None).run_day()
              for s in scenario.strategies}
    day_s = time.perf_counter() - start

    quality_models: dict[str, DRModel] = {}
    if quality:
        for (method, k), run in forecasts.items():
            label = f"{method} k={k}" if method != "oracle" else "oracle"
            quality_models[label] = DRModel(scenario, "OP", actual, run.forecast).run_day()
        quality_models["no forecast"] = DRModel(scenario, "OP", actual, None).run_day()
        quality_models["ST"] = models.get("ST") or DRModel(scenario, "ST", actual, None).run_day()
    spread = None
    if quality and "lstm" in ({scenario.forecast.method} | set(scenario.forecast.compare)):
        st = models.get("ST") or DRModel(scenario, "ST", actual, None).run_day()
        spread = lstm_spread(scenario, history, actual, event_hours, st,
                             trained=forecasts.get(("lstm", scenario.forecast.training_days)))
    return DRStudy(actual, event_hours, forecasts, models, quality_models, day_s,
                   lstm_seeds=spread)


def lstm_spread(scenario: DRScenario, history: np.ndarray, actual: np.ndarray,
                event_hours: list[int], st: DRModel,
                trained: ForecastRun | None = None) -> pd.DataFrame:
    """The paper's LSTM (k = the scenario's training days) over ``forecast.seeds``
    seeds and both horizons: MAPE, event hours found and OP's saving against ST.
    One seed is one draw; the spread is what a reader of one number should know.
    ``trained``: the study's own LSTM run (the scenario's seed and horizon),
    reused rather than trained again (training is seeded and deterministic)."""
    k = scenario.forecast.training_days
    st_cost = float(summarise({"ST": st}, event_hours).operating_cost_eur.iloc[0])
    rows = []
    for horizon in ("day_ahead", "one_step"):
        for seed in range(scenario.seed, scenario.seed + scenario.forecast.seeds):
            if trained is not None and (seed, horizon) == (scenario.seed,
                                                           scenario.forecast.horizon):
                run = trained
            else:
                run = train_forecast(scenario, "lstm", k, history, actual, seed=seed,
                                     horizon=horizon)
            op = DRModel(scenario, "OP", actual, run.forecast).run_day()
            cost = float(summarise({"OP": op}, event_hours).operating_cost_eur.iloc[0])
            rows.append({"horizon": horizon, "seed": seed, "training_days": k,
                         "mape_pct": run.mape_pct, "dr_hours": run.dr_hours,
                         "events_found": len(set(run.dr_hours) & set(event_hours)),
                         "op_operating_cost_eur": cost,
                         "op_reduction_vs_st_pct": 100.0 * (st_cost - cost) / st_cost})
    return pd.DataFrame(rows)


def format_spread(frame: pd.DataFrame, n_events: int) -> str:
    lines = []
    for horizon, group in frame.groupby("horizon", sort=False):
        lines.append(
            f"  {horizon.replace('_', '-'):<10} MAPE {group.mape_pct.mean():.1f} ± "
            f"{group.mape_pct.std(ddof=1) if len(group) > 1 else 0.0:.1f} % "
            f"(min {group.mape_pct.min():.1f}, max {group.mape_pct.max():.1f}); event hours "
            f"found {group.events_found.min()}–{group.events_found.max()} of {n_events}; OP "
            f"saves {group.op_reduction_vs_st_pct.mean():.1f} ± "
            f"{group.op_reduction_vs_st_pct.std(ddof=1) if len(group) > 1 else 0.0:.1f} % "
            "against ST")
    return "\n".join(lines)


def study_text(study: DRStudy) -> str:
    """The summary tables as printed by ``dcmarket dr``."""
    lines = [f"actual DR event hours: {study.event_hours}", "", "forecasters:"]
    lines.append(study.forecast_errors().to_string(index=False, float_format="%.2f"))
    lines += ["", "strategies on the day:"]
    cols = ["strategy", "pta", "energy_mwh", "electricity_cost_eur", "reward_eur", "fees_eur",
            "penalties_eur", "operating_cost_eur", "reduction_vs_st_pct", "total_cost_eur"]
    summary = study.summary()
    lines.append(summary[[c for c in cols if c in summary]].to_string(
        index=False, float_format="%.3f"))
    lines.append("operating cost: electricity + fees + penalties − reward; total_cost_eur: the "
                 "slot cost (7) summed, task revenue included (negative: the day earns)")
    auctions = summary[summary["auctions"] > 0]
    if len(auctions):
        lines.append("winner selection: " + "; ".join(
            f"{r.strategy} {r.auctions_settled}/{r.auctions} auctions within 1 % of the exact "
            f"optimum (worst gap {r.ga_worst_gap_pct:.2f} %)" for r in auctions.itertuples()))
    if study.quality_models:
        lines += ["", "forecast quality (OP):"]
        quality = study.forecast_quality()
        lines.append(quality[["forecast", "pta", "reward_eur", "operating_cost_eur",
                              "reduction_vs_st_pct"]].to_string(index=False,
                                                                float_format="%.3f"))
    if study.lstm_seeds is not None and len(study.lstm_seeds):
        seeds = study.lstm_seeds
        lines += ["", f"the paper's LSTM over {seeds.seed.nunique()} seeds (k = "
                  f"{seeds.training_days.iloc[0]}; paper: error within "
                  f"{DR_PAPER_MAPE_BOUND.get(int(seeds.training_days.iloc[0]), float('nan')):g} %"
                  f", event hours {PAPER_EVENT_HOURS}):",
                  format_spread(seeds, len(study.event_hours))]
    lines += ["", f"actual DR event hours {study.event_hours} (slots from 00:00 local "
              f"time); the paper's: {PAPER_EVENT_HOURS} (its price source is not named)"]
    lines += ["", f"day, all strategies (training excluded): {study.day_s:.2f} s"]
    return "\n".join(lines)


def write_dr_run(study: DRStudy, scenario: DRScenario, out: Path, figures: bool = True,
                 command: str = "dcmarket dr", sensitivity: pd.DataFrame | None = None,
                 outcomes: list[dict] | None = None) -> None:
    """Run folder: frames (Parquet), summary.json, the message logs and the figures."""
    folder = RunFolder(out)
    folder.frame("slots.parquet", study.slots())
    folder.frame("bids.parquet", study.bids())
    folder.frame("postponements.parquet", study.postponements())
    folder.frame("forecasts.parquet", study.forecasts_frame())
    summary = study.summary()
    folder.frame("summary.parquet", summary)
    if study.quality_models:
        folder.frame("forecast_quality.parquet", study.forecast_quality())
    if sensitivity is not None:
        from dcmarket.sim.dr.plots import sensitivity_figure

        folder.frame("sensitivity.parquet", sensitivity)
        sensitivity_figure(sensitivity, folder.path("fig_sensitivity_theta0.png"))
    for name, model in study.models.items():
        folder.messages(model.bus, f"messages_{name}.parquet")
    manifest = {
        "study": "dr",
        "kind": "dr_day",
        "scenario_name": scenario.name,
        # a day runs every slot; what can fail to settle is a GA auction
        "converged": bool((summary["auctions_settled"] == summary["auctions"]).all()),
        "scenario": scenario.model_dump(mode="json"),
        "event_hours": study.event_hours,
        "summary": summary.to_dict(orient="records"),
        "forecasts": study.forecast_errors().to_dict(orient="records"),
        "paper_event_hours": PAPER_EVENT_HOURS,
        "day_all_strategies_s": study.day_s,
        "outcomes": outcomes or [],
    }
    if study.lstm_seeds is not None:
        folder.frame("lstm_seeds.csv", study.lstm_seeds.astype({"dr_hours": str}))
        manifest["lstm_seeds"] = study.lstm_seeds.to_dict(orient="records")
    folder.json("summary.json", manifest)
    if figures:
        from dcmarket.sim.dr.plots import write_figures

        write_figures(study, out)
    folder.finish(command, scenario, {"day_all_strategies_s": study.day_s})
