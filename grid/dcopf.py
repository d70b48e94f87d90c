"""DC optimal power flow with LMPs (docs/p2p.md, eqs. (24)–(29)).

All hours are solved in one QP (they are independent; stacking them keeps one
compiled cvxpy problem whose demand and availability are ``Parameter``s, so
the bi-level loop re-solves it with new numbers only).  Limits are written as
two one-sided constraints (never ``abs``), and Clarabel (interior point)
returns the duals.

Sign convention (pinned by tests): with the balance written
``Σ generation − Σ demand = 0`` cvxpy's dual ``y`` enters the Lagrangian as
``+y·(generation − demand)``, so the system price is ``λ_t = −y_t``; the flow
limits ``±f_l ≤ F_l`` have duals ``μ⁺_l, μ⁻_l ≥ 0``, and the LMP (29)
``π_n,t = λ_t − Σ_l H_l,n·(μ⁺_l,t − μ⁻_l,t)`` is the cost of one more MW of
load at bus n.  A bus that imports over a congested line is priced above λ.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from dcmarket.grid.network import GridNetwork


@dataclass(frozen=True)
class Unit:
    """A generating unit: thermal (quadratic cost) or renewable (zero cost,
    curtailable up to an hourly availability)."""

    name: str
    bus: int  # IEEE label
    p_max: float
    p_min: float = 0.0
    a: float = 0.0  # $/MW²h
    b: float = 0.0  # $/MWh
    renewable: bool = False


@dataclass(frozen=True)
class OPFResult:
    dispatch: dict[str, np.ndarray]  # unit -> MW per hour
    lmp: np.ndarray  # hours × buses, $/MWh
    energy_price: np.ndarray  # λ_t per hour
    congestion: np.ndarray  # hours × buses: −Σ_l H_l,n (μ⁺ − μ⁻)
    flows: np.ndarray  # hours × branches, MW
    shed: np.ndarray  # hours × buses, MW of load shed
    cost: float


class OPFError(RuntimeError):
    """An OPF that cannot be solved; the message names the hour."""


@dataclass
class OPFParts:
    """The grid half of a cvxpy problem: dispatch, shedding, (24)–(28).

    Shared by the operator's :class:`DCOPF` (demand a parameter) and the
    competitive-equilibrium twin (demand partly a variable: the DCs' draw)."""

    p: cp.Variable  # hours × units
    shed: cp.Variable  # hours × buses
    cost: cp.Expression
    constraints: list
    balance: cp.Constraint  # (25), one row per hour
    upper: cp.Constraint | None  # (26) on the rated lines
    lower: cp.Constraint | None
    flow: cp.Expression  # hours × branches
    ptdf_rated: np.ndarray  # rated lines × buses

    def prices(self) -> tuple[np.ndarray, np.ndarray]:
        """λ_t and the congestion part −Σ_l H_l,n (μ⁺ − μ⁻) from the solved duals (29)."""
        T = self.p.shape[0]
        lam = -np.asarray(self.balance.dual_value).reshape(T)
        congestion = np.zeros((T, self.shed.shape[1]))
        if self.upper is not None:
            mu = np.asarray(self.upper.dual_value) - np.asarray(self.lower.dual_value)
            congestion = -mu @ self.ptdf_rated
        return lam, congestion


def opf_parts(network: GridNetwork, units: list[Unit], hours: int, demand: cp.Expression,
              sheddable: cp.Expression | np.ndarray, available: cp.Expression | np.ndarray,
              value_of_lost_load: float | None) -> OPFParts:
    """Generation cost (24), balance (25) and flow limits (26) for ``demand``
    (hours × buses, net of fixed injections)."""
    n, T = network.n_buses, hours
    H = network.ptdf()
    rated = np.flatnonzero(np.isfinite(network.rating_mw))
    G = np.zeros((n, len(units)))  # unit -> bus incidence
    for k, unit in enumerate(units):
        G[network.position(unit.bus), k] = 1.0
    p = cp.Variable((T, len(units)), name="p_mw")
    shed = cp.Variable((T, n), nonneg=True, name="shed_mw")
    a = np.array([u.a for u in units])
    b = np.array([u.b for u in units])
    p_min = np.array([u.p_min for u in units])
    cost = cp.sum(p @ b) + cp.sum(cp.multiply(np.tile(a, (T, 1)), cp.square(p)))
    constraints = [p >= np.tile(p_min, (T, 1)), p <= available]
    if value_of_lost_load is not None:
        cost = cost + value_of_lost_load * cp.sum(shed)
        constraints.append(shed <= sheddable)
    else:
        constraints.append(shed == 0)
    injection = p @ G.T + shed - demand  # T × n
    balance = cp.sum(injection, axis=1) == 0  # (25)
    constraints.append(balance)
    upper = lower = None
    if rated.size:
        flow = injection @ H[rated].T  # T × rated
        limit = np.tile(network.rating_mw[rated], (T, 1))
        upper = flow <= limit  # (26)
        lower = -flow <= limit
        constraints += [upper, lower]
    return OPFParts(p, shed, cost, constraints, balance, upper, lower, injection @ H.T,
                    H[rated])


class DCOPF:
    """The grid operator's DC-OPF, built once for ``hours`` and re-solved."""

    def __init__(
        self,
        network: GridNetwork,
        units: list[Unit],
        hours: int,
        value_of_lost_load: float | None = None,
    ) -> None:
        self.network, self.units, self.hours = network, units, hours
        self._shedding = value_of_lost_load is not None
        n, T = network.n_buses, hours
        # demand net of fixed injections: negative at a bus whose static
        # generation exceeds its load; only positive demand can be shed
        self.demand = cp.Parameter((T, n), name="demand_mw")
        self.sheddable = cp.Parameter((T, n), nonneg=True, name="sheddable_mw")
        self.available = cp.Parameter((T, len(units)), nonneg=True, name="available_mw")
        self._parts = opf_parts(network, units, T, self.demand, self.sheddable, self.available,
                                value_of_lost_load)
        self.problem = cp.Problem(cp.Minimize(self._parts.cost), self._parts.constraints)
        assert self.problem.is_dpp()

    def solve(self, demand_mw: np.ndarray, available_mw: np.ndarray) -> OPFResult:
        """``demand_mw``: hours × buses; ``available_mw``: hours × units."""
        T, n = self.hours, self.network.n_buses
        if demand_mw.shape != (T, n):
            raise ValueError(f"demand has shape {demand_mw.shape}, expected {(T, n)}")
        self.demand.value = np.asarray(demand_mw, float)
        self.sheddable.value = np.maximum(demand_mw, 0.0)
        self.available.value = available_mw
        self._check_adequacy(demand_mw, available_mw)
        self.problem.solve(solver="CLARABEL")
        if self.problem.status != "optimal":
            raise OPFError(f"DC-OPF: solver status {self.problem.status!r}")
        parts = self._parts
        lam, congestion = parts.prices()
        return OPFResult(
            dispatch={u.name: parts.p.value[:, k] for k, u in enumerate(self.units)},
            lmp=lam[:, None] + congestion,
            energy_price=lam,
            congestion=congestion,
            flows=np.asarray(parts.flow.value),
            shed=np.asarray(parts.shed.value),
            cost=float(self.problem.value),
        )

    def _check_adequacy(self, demand: np.ndarray, available: np.ndarray) -> None:
        """Without load shedding, load above what all units can produce is
        infeasible: name the hour before solving."""
        if self._shedding:
            return
        capacity = available.sum(axis=1)
        for t in np.flatnonzero(demand.sum(axis=1) > capacity + 1e-9):
            raise OPFError(
                f"DC-OPF hour {t}: load {demand[t].sum():.1f} MW exceeds available "
                f"generation {capacity[t]:.1f} MW"
            )
