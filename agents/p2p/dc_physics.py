"""Data-centre physics and local problem of the P2P cloud-service market.

Model: paper ``000`` (P2P-CSM), restated in docs/p2p.md, eqs. (1)–(23),
with the trading terms (31), (33) and (35) of part C.

Internal units: servers in thousands (kservers), power in MW, work in
M requests, time in hours.  Server counts are continuous (a relaxation).

Decision variables per hour ``t`` (blocks of the local program):
``lambda_I`` λI_t, ``lambda_B`` λB_t, ``servers_I`` NI_t, ``servers_B`` NB_t,
``cooling`` Q_t (MW heat removed), ``indoor`` T_t (°C), ``grid`` Pg_t (MW),
``batch_done`` Σ_{τ≤t} λB_τ·Δt (M requests, bounded by (11)–(12)),
and ``trades`` q_{ij,t} (M requests/h bought from neighbour j; ordered
neighbour-major: all hours of the first neighbour, then the next).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from dcmarket.agents.p2p.dc_spec import DataCenterSpec
from dcmarket.market.program import LinearProgram, ProgramBuilder


@dataclass(frozen=True)
class DCCoefficients:
    """Per-kserver and per-work coefficients derived from a spec."""

    n_max: float  # kservers
    mu: float  # M requests per kserver-hour
    iw_rate: float  # μ − 1/D_max per kserver, eq. (15)
    idle_mw: float  # P_idle per kserver
    network_mw: float  # (n_e·P_e + n_a·P_a + n_c·P_c) / N_max per kserver, eq. (3)
    dynamic_mwh: float  # (P_peak − P_idle)/μ: MWh per M requests, eq. (2)
    aux: float  # α_aux
    cop: float

    @classmethod
    def of(cls, spec: DataCenterSpec) -> DCCoefficients:
        n_max = spec.servers / 1e3
        mu = spec.service_rate * 1e3
        d_max_h = spec.d_max_ms / 3.6e6
        # 1/D_max is in requests per hour per server; in M requests per kserver-hour
        # that is (1/d_max_h) * 1e3 / 1e6.
        iw_rate = mu - (1.0 / d_max_h) * 1e-3
        switch_mw = sum(s.count * s.watts for s in spec.switches) / 1e6
        return cls(
            n_max=n_max,
            mu=mu,
            iw_rate=iw_rate,
            idle_mw=spec.idle_w / 1e3,
            network_mw=switch_mw / n_max,
            dynamic_mwh=(spec.peak_w - spec.idle_w) / 1e3 / mu,
            aux=spec.aux_share,
            cop=spec.cop,
        )

    @property
    def server_mw(self) -> float:
        """IT power per active kserver: idle draw plus its share of the network."""
        return self.idle_mw + self.network_mw


def it_mwh_per_work(spec: DataCenterSpec) -> float:
    """IT-side energy (MWh) of one more M requests of IW: servers at the QoS rate
    with their network share (2)–(3) and auxiliaries, before cooling."""
    k = DCCoefficients.of(spec)
    return (1 + k.aux) * (k.server_mw / k.iw_rate + k.dynamic_mwh)


def mwh_per_work(spec: DataCenterSpec) -> float:
    """Grid energy (MWh) of one more M requests of IW at steady state: the IT side
    (:func:`it_mwh_per_work`) and the cooling that removes its heat (4)–(5).
    Converts work to "MW-equivalent"."""
    return it_mwh_per_work(spec) * (1 + 1 / DCCoefficients.of(spec).cop)


def iw_capacity(spec: DataCenterSpec) -> float:
    """Largest interactive load (M requests/h) the DC can serve at QoS, eq. (15)+(17)."""
    k = DCCoefficients.of(spec)
    return k.n_max * k.iw_rate


@dataclass(frozen=True)
class PowerBreakdown:
    """Eqs. (1)–(4) evaluated on a schedule (arrays over hours, MW)."""

    it: np.ndarray
    network: np.ndarray
    aux: np.ndarray
    cooling: np.ndarray

    @property
    def total(self) -> np.ndarray:
        return self.it + self.aux + self.cooling


def power_breakdown(
    spec: DataCenterSpec, servers_k: np.ndarray, work: np.ndarray, heat_removed: np.ndarray
) -> PowerBreakdown:
    """P_IT (2) with P_net (3), P_aux and P_cool (4) for ``servers_k`` kservers
    processing ``work`` M requests/h while removing ``heat_removed`` MW."""
    k = DCCoefficients.of(spec)
    network = servers_k * k.network_mw
    it = servers_k * k.idle_mw + k.dynamic_mwh * work + network
    return PowerBreakdown(it=it, network=network, aux=k.aux * it, cooling=heat_removed / k.cop)


def steady_state_cooling(spec: DataCenterSpec, it_mw: np.ndarray, set_point_c: float) -> np.ndarray:
    """Q_t from (5) when T_t = T_{t−1} = set point: IT + aux heat plus envelope gain."""
    outdoor = np.asarray(spec.outdoor_c)
    return (1 + spec.aux_share) * it_mw + spec.conductance_mw_per_c * (outdoor - set_point_c)


def batch_bounds(spec: DataCenterSpec, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative due D_t (10) and arrived A_t (9) batch work in M requests.

    Deadlines past the horizon are capped at its last hour **(assumption: the
    horizon closes the books, so Σ λB = Σ B, eq. (12))**.
    """
    arrivals = np.asarray(spec.batch) * dt
    hours = arrivals.size
    slots_to_deadline = int(np.ceil(spec.batch_deadline_h / dt))
    due_slot = np.minimum(np.arange(hours) + slots_to_deadline, hours - 1)
    due = np.zeros(hours)
    np.add.at(due, due_slot, arrivals)
    return np.cumsum(due), np.cumsum(arrivals)


def build_local_program(
    spec: DataCenterSpec,
    lmp: np.ndarray,
    trade_limits: dict[str, float],
    dt: float = 1.0,
    grid_box: tuple[np.ndarray, np.ndarray] | None = None,
) -> LinearProgram:
    """DC ``i``'s problem (23) with trades (31), (33): minimise −profit + R.

    Cost = depreciation c_d·λ·Δt + electricity π^LMP_t·Pg_t·Δt; the constant
    revenue R is left out (add :func:`revenue` for the profit).  Trades enter
    only through (33); their price is added by the market protocol.
    ``grid_box`` = (lo, hi) per hour narrows (19) to the operating interval the
    bisection-assisted loop (51)–(54) assigns (NaN: no box in that hour).
    """
    k = DCCoefficients.of(spec)
    T = spec.hours
    lmp = np.asarray(lmp, float)
    if lmp.shape != (T,):
        raise ValueError(f"DC {spec.name}: LMP series has shape {lmp.shape}, expected ({T},)")
    b = ProgramBuilder()
    b.add_variables("lambda_I", T, cost=spec.depreciation * dt)
    b.add_variables("lambda_B", T, cost=spec.depreciation * dt)
    b.add_variables("servers_I", T)  # ≤ N_max through (17)
    b.add_variables("servers_B", T)
    b.add_variables("cooling", T, lower=spec.cooling_min_mw, upper=spec.cooling_max_mw)
    b.add_variables("indoor", T, lower=spec.indoor_min_c, upper=spec.indoor_max_c)
    grid_lo, grid_hi = np.zeros(T), np.full(T, spec.grid_max_mw)
    if grid_box is not None:
        lo, hi = (np.asarray(v, float) for v in grid_box)
        grid_lo = np.where(np.isnan(lo), grid_lo, np.maximum(lo, 0.0))
        grid_hi = np.where(np.isnan(hi), grid_hi, np.minimum(hi, spec.grid_max_mw))
    b.add_variables("grid", T, lower=grid_lo, upper=grid_hi, cost=lmp * dt)
    due, arrived = batch_bounds(spec, dt)
    due[-1] = arrived[-1]
    b.add_variables("batch_done", T, lower=due, upper=arrived)  # (11)-(12)
    limits = np.repeat([trade_limits[j] for j in trade_limits], T)
    b.add_variables("trades", limits.size, lower=-limits, upper=limits)

    # (33) λI_t + Σ_j q_ij,t = I_t
    sum_trades = sp.hstack([sp.identity(T)] * len(trade_limits)) if trade_limits else None
    iw_terms: list = [("lambda_I", 1.0)]
    if sum_trades is not None:
        iw_terms.append(("trades", sum_trades))
    b.add_rows("iw_balance_33", iw_terms, spec.interactive, spec.interactive, n_rows=T)
    # (15) λI_t ≤ NI_t·(μ − 1/D_max);  (16) λB_t ≤ NB_t·μ;  (17) NI_t + NB_t ≤ N_max
    b.add_rows("qos_15", [("lambda_I", 1.0), ("servers_I", -k.iw_rate)], -np.inf, 0.0)
    b.add_rows("batch_rate_16", [("lambda_B", 1.0), ("servers_B", -k.mu)], -np.inf, 0.0)
    b.add_rows("servers_17", [("servers_I", 1.0), ("servers_B", 1.0)], -np.inf, k.n_max)
    # (11)-(12) D_t ≤ Σ_{τ≤t} λB_τ·Δt ≤ A_t, with the running sum as a state
    # variable ``batch_done`` (a bidiagonal row instead of a dense triangle)
    b.add_rows(
        "batch_progress_9",
        [("batch_done", sp.diags([np.ones(T), -np.ones(T - 1)], [0, -1])),
         ("lambda_B", -dt)],
        0.0, 0.0,
    )
    # (1)-(4), (18): Pg_t = (1 + α)·P_IT,t + Q_t / COP
    it_per_server = -(1 + k.aux) * k.server_mw
    it_per_work = -(1 + k.aux) * k.dynamic_mwh
    b.add_rows(
        "power_1_4_18",
        [("grid", 1.0), ("servers_I", it_per_server), ("servers_B", it_per_server),
         ("lambda_I", it_per_work), ("lambda_B", it_per_work), ("cooling", -1.0 / k.cop)],
        0.0, 0.0,
    )
    # (5) C_th(T_t − T_{t−1})/Δt + k·T_t − (1 + α)·P_IT,t + Q_t = k·T_out,t
    c_th = spec.thermal_mass_mwh_per_c / dt
    ramp = sp.diags([np.full(T, c_th + spec.conductance_mw_per_c), np.full(T - 1, -c_th)], [0, -1])
    rhs = spec.conductance_mw_per_c * np.asarray(spec.outdoor_c, float)
    rhs[0] += c_th * spec.indoor_initial_c
    b.add_rows(
        "thermal_5",
        [("indoor", ramp), ("servers_I", it_per_server), ("servers_B", it_per_server),
         ("lambda_I", it_per_work), ("lambda_B", it_per_work), ("cooling", 1.0)],
        rhs, rhs,
    )
    return b.build()


def revenue(spec: DataCenterSpec, dt: float = 1.0) -> float:
    """R = Σ_t r·(I_t + B_t)·Δt, paid by the DC's own users (20)."""
    return spec.fee * (sum(spec.interactive) + sum(spec.batch)) * dt
