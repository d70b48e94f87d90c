"""The grid's demand-response program (paper 002, Section 3.1, eq. (1); docs/dr.md).

- **DR events** are called at the day's ``n_events`` highest-priced hours
  (the paper found six: 6, 7, 17, 18, 19, 20 on its day).
- **Reference power** ``P^ref_t``: the DC's mean power in the same hour over
  the past ``reference_days`` (5) days.
- **Requested reduction** ``ΔP^req_t = requested_share · P^ref_t``
  (assumption: the paper does not state the request; a share of the
  reference is the usual baseline-type program).
- **Execution rate** ``ER_t = ΔP_t / ΔP^req_t`` with ``ΔP_t = P^ref_t − P_t``.
- **Reward** (1) ``θ_t = θ_0 · ΔP_t · m(ER_t) · Δt`` with ``m`` piecewise
  (assumption, docs/dr.md): nothing below ``ER = 0.5``, full rate between 0.5
  and 1.2, and reductions beyond ``1.2 · ΔP^req`` not paid, i.e.
  ``θ_t = θ_0 · min(ΔP_t, 1.2 ΔP^req_t) · Δt`` once ``ER_t ≥ 0.5``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DRProgram:
    """The public terms of the DR program."""

    theta0_eur_per_mwh: float
    requested_share: float
    n_events: int = 6
    reference_days: int = 5
    er_floor: float = 0.5
    er_cap: float = 1.2
    dt_h: float = 1.0

    def requested_mw(self, reference_mw: np.ndarray | float) -> np.ndarray | float:
        return self.requested_share * np.asarray(reference_mw)

    def execution_rate(self, reduction_mw: np.ndarray | float,
                       requested_mw: np.ndarray | float) -> np.ndarray | float:
        requested = np.asarray(requested_mw, float)
        return np.divide(reduction_mw, requested, out=np.zeros(np.broadcast(
            np.asarray(reduction_mw), requested).shape), where=requested > 0)

    def reward_eur(self, reduction_mw: np.ndarray | float,
                   requested_mw: np.ndarray | float) -> np.ndarray | float:
        """θ_t (1): paid reduction × θ_0 × Δt, zero below the ER floor."""
        reduction = np.asarray(reduction_mw, float)
        requested = np.asarray(requested_mw, float)
        eligible = (requested > 0) & (reduction >= self.er_floor * requested)
        paid = np.minimum(reduction, self.er_cap * requested)
        out = np.where(eligible, self.theta0_eur_per_mwh * paid * self.dt_h, 0.0)
        return float(out) if out.ndim == 0 else out


def reference_power(history_mw: np.ndarray, days: int = 5) -> np.ndarray:
    """``P^ref_t``: the mean of each hour over the last ``days`` days of a ``days × 24`` history."""
    history_mw = np.asarray(history_mw, float)
    if history_mw.ndim != 2 or history_mw.shape[0] < days:
        raise ValueError(f"the reference needs {days} days of metered power, "
                         f"got an array of shape {history_mw.shape}")
    return history_mw[-days:].mean(axis=0)
