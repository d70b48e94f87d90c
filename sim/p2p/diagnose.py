"""Name the input that makes a data centre's problem infeasible.

When a DC's local problem has no solution the solver can only say so.  The
model (which built the DC from the scenario) then re-solves the DC's own
problem — alone, trading as much as its links allow — with one bound lifted
at a time; the first bound whose lifting restores a solution is the input to
name, with the hour where even the least-energy schedule needs more of it.
"""

from __future__ import annotations

import numpy as np

from dcmarket.agents.p2p.dc_physics import build_local_program
from dcmarket.agents.p2p.dc_spec import DataCenterSpec
from dcmarket.market.solvers import SolveError, solve_lp

#: bounds tried, in order: (field, how it is lifted, its unit)
CANDIDATES = (
    ("grid_max_mw", {"grid_max_mw": 1e6}, "MW"),
    ("cooling_max_mw", {"cooling_max_mw": 1e6}, "MW"),
    ("servers", {"servers_factor": 100.0}, "servers"),
    ("indoor_max_c", {"indoor_min_c": 0.0, "indoor_max_c": 50.0}, "°C"),
)


def _feasible(spec: DataCenterSpec, lmp: np.ndarray, limits: dict[str, float],
              dt: float) -> np.ndarray | None:
    try:
        return solve_lp(build_local_program(spec, lmp, limits, dt), f"DC {spec.name}").x
    except SolveError:
        return None


def diagnose(spec: DataCenterSpec, lmp: np.ndarray, limits: dict[str, float],
             dt: float = 1.0) -> str | None:
    """One line naming the field (and hour) that makes DC ``spec`` infeasible,
    or ``None`` when no single bound explains it."""
    for field, change, unit in CANDIDATES:
        update = dict(change)
        if "servers_factor" in update:
            update = {"servers": spec.servers * update.pop("servers_factor")}
        x = _feasible(spec.model_copy(update=update), lmp, limits, dt)
        if x is None:
            continue
        value = getattr(spec, field)
        where = ""
        if field in ("grid_max_mw", "cooling_max_mw"):
            lp = build_local_program(spec.model_copy(update=update), lmp, limits, dt)
            block = "grid" if field == "grid_max_mw" else "cooling"
            need = x[lp.blocks[block]]
            hour = int(np.argmax(need))
            where = f": without it the DC's schedule draws up to {need[hour]:.3g} {unit} " \
                    f"(hour {hour})"
        return (f"datacenters.{spec.name}.{field} = {value:g} {unit} makes DC {spec.name}'s "
                f"problem infeasible{where or ' (it solves with that bound lifted)'}")
    return None
