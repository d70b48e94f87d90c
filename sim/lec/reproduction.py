"""Paper 001 beside ours: Table I's cost and energy changes, the aFRR price and
the households sweep."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dcmarket.sim.papers import LEC_PAPER_HOUSEHOLDS_CHANGE_PCT, LEC_PAPER_TABLE_I
from dcmarket.sim.reproduce import Comparison, Reproduction

LEC_CASES = ("NC", "TC", "TC+JP", "TC+JP+aFRR")
TOLERANCES = {"cost_change_TC_pct": 0.2, "cost_change_TC+JP_pct": 0.2,
              "cost_change_TC+JP+aFRR_pct": 0.2, "cost_NC_eur": 0.5}
LEC_REASONS = {
    "operating_cost_eur": "the aFRR price is not stated (12/20 €/MW/h assumed; see the price "
                          "sweep) and the site, sizes and tariff are not published",
    "retailer_mwh": "a 120 kW DC running around the clock dominates ten homes' demand",
    "renewable_share_paper": "follows from renewables and retailer energy: ten homes' PV on a "
                             "US TMY (pvlib ships no European one) and a 30 kW turbine",
    "dc_from_surplus": "the DC is large against the homes' surplus",
    "dc_paused": "gross share (a kWh paused twice counts twice); the net deferred share is "
                 "beside it in Table I",
    "heat_reuse": "the upgrade cap covers the peak heating need and (2p) draws no electricity "
                  "for upgrading, so waste heat always wins; the paper's heat-chain sizing is "
                  "not published",
}


LEC_COUPLING_REASON = ("heat coupling saves the HVAC's electricity; how much depends on the "
                       "heating need against the bill, from sizes and a tariff the paper does "
                       "not publish (and on the period: a winter day saves more than the year)")


def compare_001(table: pd.DataFrame, period: str,
                afrr: pd.DataFrame | None = None,
                households: pd.DataFrame | None = None) -> list[Comparison]:
    """``table``: Table I (rows × cases) for ``period`` (a day, a block or the year)."""
    paper = {row: dict(zip(LEC_CASES, values, strict=True))
             for row, values in LEC_PAPER_TABLE_I.items()}
    rows = []
    for case in LEC_CASES[1:]:
        for row, label in (("operating_cost_eur", "operating cost"),
                           ("retailer_mwh", "retailer energy")):
            ours = 100 * (table.loc[row, case] / table.loc[row, "NC"] - 1)
            theirs = 100 * (paper[row][case] / paper[row]["NC"] - 1)
            rows.append(Comparison(f"{label}, {case} vs NC ({period})", theirs, ours, "%",
                                   LEC_REASONS[row] if case == "TC+JP+aFRR" or
                                   row != "operating_cost_eur" else LEC_COUPLING_REASON))
    for row, label in (("renewable_share_paper", "renewables / (renewables + retailer)"),
                       ("dc_from_surplus", "DC energy from the community's surplus"),
                       ("dc_paused", "DC work paused"), ("heat_reuse", "heat reuse")):
        for case in (("TC+JP", "TC+JP+aFRR") if row == "dc_paused" else ("TC+JP+aFRR",)):
            rows.append(Comparison(f"{label}, {case} ({period})", 100 * paper[row][case],
                                   100 * float(table.loc[row, case]), "%", LEC_REASONS[row]))
    if afrr is not None:
        from dcmarket.sim.lec.sensitivity import PAPER_REDUCTION_PCT, factor_reaching

        factor = factor_reaching(afrr)
        rows.append(Comparison(
            "aFRR price factor reaching the paper's cost reduction", None,
            "not reached" if factor is None else round(factor, 2), "× scenario price",
            f"the paper's {PAPER_REDUCTION_PCT:.2f} % needs this multiple of the assumed "
            f"12/20 €/MW/h ({int(afrr.days.iloc[0])} day(s))"))
    if households is not None and len(households) > 1:
        from dcmarket.sim.lec.sensitivity import households_change_pct

        rows.append(Comparison(
            f"cost per household, {households.households.min()} → "
            f"{households.households.max()} households", LEC_PAPER_HOUSEHOLDS_CHANGE_PCT,
            households_change_pct(households), "%",
            "the DC's and the shared assets' cost is spread over more homes; HVAC and "
            "connection scale with them"))
    return rows


def headline_001(table: pd.DataFrame) -> dict[str, float]:
    cost = table.loc["operating_cost_eur"]
    return {f"cost_change_{case}_pct": 100 * (cost[case] / cost["NC"] - 1)
            for case in LEC_CASES[1:]} | {"cost_NC_eur": float(cost["NC"])}


def reproduce(full: bool = False, days: int = 1, year_run: Path | None = None) -> Reproduction:
    """A block of ``days`` days (or a finished year), the aFRR price sweep and,
    with ``full``, the households sweep."""
    from dcmarket.sim.lec.plots import afrr_sweep_figure, households_sensitivity
    from dcmarket.sim.lec.sensitivity import afrr_price_sweep
    from dcmarket.sim.lec.study import households_sweep, run_block, table
    from dcmarket.sim.studies import load_any

    _, scenario, _ = load_any("lec_10households", [], study="lec")
    quiet = lambda s: None  # noqa: E731
    if year_run is not None:
        frame = pd.read_csv(Path(year_run) / "table_I.csv", index_col=0)
        period = "the year"
    else:
        frame = table(run_block(scenario, 0, days))
        period = f"{days} day(s) from {scenario.day}"
    afrr = afrr_price_sweep(scenario, [0, 1, 2, 4, 8, 16], days, progress=quiet)
    figures = {"fig_afrr_price_sweep.png": (afrr_sweep_figure, afrr), "afrr_sweep.csv": afrr}
    homes = None
    if full:
        homes = households_sweep(scenario, [5, 10, 20, 50, 100], days, progress=quiet)
        figures |= {"fig06_households.png": (households_sensitivity, homes),
                    "households_sweep.csv": homes}
    return Reproduction("001", compare_001(frame, period, afrr, homes), headline_001(
        table(run_block(scenario, 0, 1)) if year_run is not None else frame), scenario,
        figures, TOLERANCES)
