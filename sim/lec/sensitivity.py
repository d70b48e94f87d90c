"""How paper 001's headline moves with the aFRR price it does not state.

The paper's −37.88 % (operating cost, NC → TC+JP+aFRR, the year) rests on an
aFRR capacity price it does not give; the scenario's 12/20 €/MW/h is an
assumption.  :func:`afrr_price_sweep` scales that price profile by factors
and re-solves TC+JP+aFRR (NC does not depend on it), and
:func:`factor_reaching` reads off, by linear interpolation between the swept
points, the factor at which the paper's reduction would be reached.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from dcmarket.sim.lec.config import LECScenario
from dcmarket.sim.lec.study import run_block
from dcmarket.sim.papers import LEC_PAPER_COST

AFRR = "TC+JP+aFRR"
PAPER_REDUCTION_PCT = 100.0 * (LEC_PAPER_COST[AFRR] / LEC_PAPER_COST["NC"] - 1.0)


def afrr_price_sweep(scenario: LECScenario, factors: list[float], n_days: int = 1,
                     progress: Callable[[str], None] = print) -> pd.DataFrame:
    """TC+JP+aFRR's cost against NC's with the aFRR prices scaled by each factor."""
    only_nc = scenario.model_copy(update={"scenarios": ("NC",)})
    nc = run_block(only_nc, 0, n_days)["NC"].objective
    rows = []
    for factor in factors:
        afrr = scenario.afrr.model_copy(update={
            "base_eur_per_mw_h": scenario.afrr.base_eur_per_mw_h * factor,
            "peak_eur_per_mw_h": scenario.afrr.peak_eur_per_mw_h * factor})
        priced = scenario.model_copy(update={"afrr": afrr, "scenarios": (AFRR,)})
        run = run_block(priced, 0, n_days)[AFRR]
        hourly = run.hourly
        rows.append({
            "factor": factor, "base_eur_per_mw_h": afrr.base_eur_per_mw_h,
            "peak_eur_per_mw_h": afrr.peak_eur_per_mw_h, "days": n_days,
            "cost_nc_eur": nc, "cost_afrr_eur": run.objective,
            "reduction_pct": 100.0 * (run.objective / nc - 1.0),
            "reserve_mwh": float(hourly.dc_reserve_kw.sum() / 1000.0),
            "reserve_revenue_eur": float((hourly.dc_reserve_kw
                                          * hourly.reserve_price_eur_per_kw).sum()),
            "dc_paused": run.rows["dc_paused"], "dc_deferred_net": run.rows["dc_deferred_net"],
            "retailer_mwh": run.rows["retailer_mwh"], "solve_s": run.solve_s})
        progress(f"aFRR price × {factor:g}: {rows[-1]['reduction_pct']:+.1f} % against NC")
    return pd.DataFrame(rows)


def factor_reaching(frame: pd.DataFrame, target_pct: float = PAPER_REDUCTION_PCT
                    ) -> float | None:
    """The price factor at which the reduction reaches ``target_pct`` (interpolated
    between the two swept points around it); None if the sweep never gets there."""
    f, r = frame.factor.to_numpy(), frame.reduction_pct.to_numpy()
    for k in range(len(f) - 1):
        lo, hi = r[k], r[k + 1]
        if (lo - target_pct) * (hi - target_pct) <= 0 and lo != hi:
            return float(f[k] + (target_pct - lo) * (f[k + 1] - f[k]) / (hi - lo))
    return None


def format_sweep(frame: pd.DataFrame, scenario: LECScenario) -> str:
    shown = frame[["factor", "base_eur_per_mw_h", "peak_eur_per_mw_h", "reduction_pct",
                   "reserve_mwh", "reserve_revenue_eur", "dc_paused", "retailer_mwh"]]
    lines = [shown.to_string(index=False, float_format="%.3f")]
    factor = factor_reaching(frame)
    days = int(frame.days.iloc[0])
    if factor is None:
        lines.append(f"the paper's {PAPER_REDUCTION_PCT:.2f} % is not reached within the sweep "
                     f"({days} day(s) from {scenario.day})")
    else:
        a = scenario.afrr
        lines.append(f"the paper's {PAPER_REDUCTION_PCT:.2f} % is reached at about × "
                     f"{factor:.1f} the scenario's aFRR price ({a.base_eur_per_mw_h * factor:.0f}"
                     f"/{a.peak_eur_per_mw_h * factor:.0f} €/MW/h base/peak; {days} day(s) "
                     f"from {scenario.day}, not the paper's year)")
    return "\n".join(lines)


def households_change_pct(sweep: pd.DataFrame) -> float:
    """Cost per household at the largest community against the smallest (%), the
    figure the paper gives as −42.85 % (5 → 100 households)."""
    ordered = sweep.sort_values("households")
    first, last = ordered.cost_per_household_eur.iloc[0], ordered.cost_per_household_eur.iloc[-1]
    return float(100.0 * (last / first - 1.0)) if first else float(np.nan)
