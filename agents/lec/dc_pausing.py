"""The data centre of paper 001: job pausing, QoS delay bound, heat output (docs/lec.md).

Not the DC of paper 000 (:mod:`agents.p2p.datacenter`) nor of paper 002
(:mod:`agents.dr.datacenter`): a high-level power model of an HPC centre
inside an energy community.

- ``x_{t,t'} ≥ 0``: power of the jobs paused at ``t`` and resumed at ``t' > t``
  (only inside the horizon, so everything paused is resumed (1g, 1h));
  ``P^pause_t = Σ_{t'} x_{t,t'}``, ``P^res_t' = Σ_t x_{t,t'}``.
- (1a) ``P_DC,t = P^wl_t − P^pause_t + P^res_t + κ z_t`` with the pause action
  ``z_t ∈ {0, 1}``, ``P^pause_t ≤ P^wl_t z_t`` (which also gives (1c));
  (1b) ``P_DC,t ≤ P^rated``; (1d) ``P^res_t ≤ P^rated``.
- (1e, 1f) with Annex A's big-M (3a–3c): ``x_{t,t'} ≤ M_t w_{t,t'}``,
  ``δ_{t,t'} ≥ (t' − t) − M'(1 − w_{t,t'})``, ``δ_{t,t'} ≤ t' − t``,
  ``δ_{t,t'} ≤ δ^max``. Tight constants: ``M_t = P^wl_t`` (no more can be paused)
  and ``M' = t' − t``, so the second row reads ``δ ≥ (t' − t) w``. Pairs with
  ``t' − t > δ^max`` would force ``w = 0`` and hence ``x = 0``: they are not
  generated (bound tightening, the same feasible set). Two symmetry-breaking
  rows that every optimum satisfies tie the otherwise free binaries together:
  ``w_{t,t'} ≤ z_t`` (a paused pair needs a pause action) and
  ``z_t ≤ Σ_{t'} w_{t,t'}`` (a pause action pauses something). On 15-day
  blocks they cut the worst solve seen from 140 s to 47 s (Jan–Mar 2018;
  the best case rose from 21 s to 38 s).
- ``dc.pause_formulation: aggregated`` drops ``w`` and ``δ`` altogether, with
  the same feasible set on ``(x, z, P_DC)``: every generated pair has
  ``t' − t ≤ δ^max``, so the delay rows hold for any ``w``; given ``x`` and
  ``z`` with (1c) ``Σ_{t'} x_{t,t'} ≤ P^wl_t z_t``, ``w_{t,t'} = z_t`` meets
  (3a) and both tie rows, and the only hours where the tie rows force
  ``z_t = 0`` are those where no pair starts (the last), which get the bound
  ``z_t ≤ 0``.  It leaves ``T`` binaries instead of ``T + |pairs|``.
- aFRR (assumption, docs/lec.md): upward reserve ``R_t ≤ P^wl_t − P^pause_t``,
  offered by pausing more; and, so that the offer can be delivered, room to
  resume that work within δ^max under the rating:
  ``R_t + Σ_{t<t'≤t+δ^max} P_DC,t' ≤ n_t·P^rated`` (``n_t`` hours in the window
  inside the horizon; none at the last hour).  Without the second row the
  reserve is bounded by the workload alone and a call could not be honoured
  (``reserve_resume_headroom: false`` gives that variant).
- (1i) heat ``H^DC_t = η_h P_DC,t + H_0``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from dcmarket.agents.lec.specs import HeatRecoverySpec, PausingDCSpec
from dcmarket.market.program import ProgramBuilder


def pause_pairs(T: int, delay_max_h: int) -> np.ndarray:
    """The ``(t, t')`` pairs a job may be paused/resumed at: ``1 ≤ t' − t ≤ δ^max``, inside T."""
    pairs = [(t, t + d) for d in range(1, delay_max_h + 1) for t in range(T - d)]
    return np.array(sorted(pairs), dtype=int).reshape(-1, 2)


def add_dc_variables(b: ProgramBuilder, spec: PausingDCSpec, workload_kw: np.ndarray,
                     pausing: bool, reserve_eur_per_kw: np.ndarray | None) -> np.ndarray:
    """Blocks ``p_dc``, ``h_dc``; with pausing ``x, z, w, delta``; with aFRR ``r``.

    The reserve ``r`` earns ``c^R_t`` per kW (its cost is ``−c^R_t``); no
    price, no reserve block.
    """
    T = workload_kw.size
    pairs = pause_pairs(T, spec.delay_max_h) if pausing else np.zeros((0, 2), int)
    b.add_variables("p_dc", T, 0.0, spec.rated_kw)
    b.add_variables("h_dc", T, 0.0, np.inf)
    if pausing:
        b.add_variables("x", len(pairs), 0.0, workload_kw[pairs[:, 0]])
        if spec.pause_formulation == "annex_a":
            span = (pairs[:, 1] - pairs[:, 0]).astype(float)
            b.add_variables("z", T, 0.0, 1.0, integer=True)
            b.add_variables("w", len(pairs), 0.0, 1.0, integer=True)
            b.add_variables("delta", len(pairs), 0.0, np.minimum(span, spec.delay_max_h))
        else:  # no pair starts at an hour without a later hour within δ^max: z = 0 there
            starts = np.zeros(T)
            starts[pairs[:, 0]] = 1.0
            b.add_variables("z", T, 0.0, starts, integer=True)
    if reserve_eur_per_kw is not None:
        b.add_variables("r", T, 0.0, workload_kw, cost=-np.asarray(reserve_eur_per_kw, float))
    return pairs


def add_dc_rows(b: ProgramBuilder, spec: PausingDCSpec, heat: HeatRecoverySpec,
                workload_kw: np.ndarray, pairs: np.ndarray, pausing: bool,
                reserve: bool) -> None:
    """Rows (1a)–(1i) and Annex A (3a–3c) for the blocks of :func:`add_dc_variables`."""
    T = workload_kw.size
    n = len(pairs)
    if pausing:
        ones = np.ones(n)
        paused = sp.csr_matrix((ones, (pairs[:, 0], np.arange(n))), shape=(T, n))
        resumed = sp.csr_matrix((ones, (pairs[:, 1], np.arange(n))), shape=(T, n))
        b.add_rows("dc_power_1a", [("p_dc", 1.0), ("x", paused - resumed),
                                   ("z", -spec.kappa_kw)], workload_kw, workload_kw)
        b.add_rows("pause_action_1c", [("x", paused), ("z", -workload_kw)], -np.inf, 0.0)
        b.add_rows("resume_limit_1d", [("x", resumed)], -np.inf, spec.rated_kw)
        if spec.pause_formulation == "annex_a":
            add_annex_a_rows(b, workload_kw, pairs, paused)
        if reserve:
            b.add_rows("afrr_headroom", [("r", 1.0), ("x", paused)], -np.inf, workload_kw)
            if spec.reserve_resume_headroom:
                add_resume_room(b, spec, T)
    else:
        b.add_rows("dc_power_1a", [("p_dc", 1.0)], workload_kw, workload_kw)
        if reserve:
            b.add_rows("afrr_headroom", [("r", 1.0)], -np.inf, workload_kw)
            if spec.reserve_resume_headroom:
                add_resume_room(b, spec, T)
    b.add_rows("dc_heat_1i", [("h_dc", 1.0), ("p_dc", -heat.eta_heat)], heat.heat_fixed_kw,
               heat.heat_fixed_kw)


def add_annex_a_rows(b: ProgramBuilder, workload_kw: np.ndarray, pairs: np.ndarray,
                     paused: sp.csr_matrix) -> None:
    """Annex A's big-M rows (3a, 3b) on the pair binaries ``w`` and delays ``δ``,
    and the two symmetry-breaking rows that tie ``w`` to ``z``."""
    b.add_rows("pause_indicator_3a", [("x", 1.0), ("w", -workload_kw[pairs[:, 0]])],
               -np.inf, 0.0)
    span = (pairs[:, 1] - pairs[:, 0]).astype(float)
    b.add_rows("delay_3b", [("delta", 1.0), ("w", -span)], 0.0, np.inf)
    # Symmetry breaking, valid for every optimum: a paused pair needs a pause
    # action at its start, and a pause action needs a paused pair.
    b.add_rows("pair_needs_action", [("w", 1.0), ("z", -paused.T.tocsr())], -np.inf, 0.0)
    b.add_rows("action_needs_pair", [("z", 1.0), ("w", -paused)], -np.inf, 0.0)


def add_resume_room(b: ProgramBuilder, spec: PausingDCSpec, T: int) -> None:
    """``R_t + Σ_{t<t'≤t+δ^max} P_DC,t' ≤ n_t·P^rated``: a called reserve can be resumed."""
    rows, cols = [], []
    room = np.zeros(T)
    for t in range(T):
        window = np.arange(t + 1, min(t + spec.delay_max_h, T - 1) + 1)
        rows += [t] * window.size
        cols += window.tolist()
        room[t] = window.size * spec.rated_kw
    later = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(T, T))
    b.add_rows("afrr_resume_room", [("r", 1.0), ("p_dc", later)], -np.inf, room)


def check_workload(spec: PausingDCSpec, workload_kw: np.ndarray) -> None:
    """Name the hour where the workload alone exceeds the rating (1b)."""
    over = np.flatnonzero(workload_kw > spec.rated_kw + 1e-9)
    if over.size:
        t = int(over[0])
        raise ValueError(f"DC workload {workload_kw[t]:.1f} kW at hour {t} exceeds its rating "
                         f"{spec.rated_kw} kW (1b)")
