"""Rows shared by every store of energy or heat: a state that integrates its flows.

``state_t = state_{t−1} + Σ_k coef_k · flow_k,t + inflow_t`` for ``t = 0..T−1`` with
``state_{−1} = initial`` (the EV and battery SOC (2g), (2n) and the indoor
temperature (2k) are all of this form).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from dcmarket.market.program import ProgramBuilder


def lag_matrix(T: int, decay: float = 1.0) -> sp.csr_matrix:
    """``I − decay·shift``: row ``t`` is ``x_t − decay·x_{t−1}`` (no term for ``t = 0``)."""
    return (sp.eye(T) - decay * sp.eye(T, k=-1)).tocsr()


def add_state_rows(b: ProgramBuilder, name: str, state: str, flows: list[tuple[str, float]],
                   rhs: np.ndarray, initial: float, decay: float = 1.0) -> None:
    """``state_t − decay·state_{t−1} − Σ coef·flow_t = rhs_t`` (+ ``decay·initial`` at t = 0)."""
    T = rhs.size
    rhs = np.asarray(rhs, float).copy()
    rhs[0] += decay * initial
    terms = [(state, lag_matrix(T, decay))] + [(flow, -coef) for flow, coef in flows]
    b.add_rows(name, terms, rhs, rhs)


def day_sum_matrix(T: int) -> sp.csr_matrix:
    """``days × T`` matrix summing each day's 24 hours."""
    days = T // 24
    return sp.kron(sp.eye(days), np.ones((1, 24))).tocsr()
