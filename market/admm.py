"""Dual-consensus ADMM for the P2P cloud-service market (MODEL.md part C).

Algorithm of Chang, Hong & Wang, "Multi-agent distributed optimization via
inexact consensus ADMM", IEEE TSP 63(2), 2015, as used by paper ``000``
(§V-A, eqs. (41)–(48)).  DC ``i`` keeps its own estimate ``y_i`` of the whole
link-price vector (one entry per link and hour) and a running sum ``p_i``.
With ``c`` the penalty and ``|N_i|`` the number of neighbours in the
communication graph, round ``k`` is

1. ``x_i = argmin_{x∈X_i} f_i(x) + ‖E_i x − w_i‖² / (4c|N_i|)``,
   ``w_i = p_i − c·Σ_{j∈N_i}(y_i + y_j)``  (previous round's estimates);
2. ``y_i = (E_i x_i − w_i) / (2c|N_i|)``;
3. send ``y_i`` to every neighbour (the only message);
4. ``p_i += c·Σ_{j∈N_i}(y_i − y_j)``.

At a fixed point all ``y_i`` agree on ``y`` and ``x_i`` minimises
``f_i(x) + yᵀE_i x``: ``y`` is the multiplier of the reciprocity rows (30),
i.e. the link price π_e,t (32) that the buyer pays, and Σ_i E_i x_i = 0
because Σ_i p_i stays 0.

``E_i x`` is non-zero only on DC ``i``'s own links, so the quadratic of step 1
touches only its trade variables: the local problem is an LP plus a diagonal
quadratic on the trades, whose matrix never changes.  It is built once and
re-solved with a new linear term each round.  The quadratic already makes
the trades unique, so no extra proximal term is used; the rest of the
schedule may be non-unique (it is an LP), which does not affect the market.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from market.program import LinearProgram
from market.solvers import ClarabelQP, CvxpyWarmQP, OsqpWarmQP

BACKENDS = ("clarabel", "osqp", "cvxpy")


@dataclass
class DualConsensusNode:
    """One DC's side of the protocol: its local QP, ``y_i`` and ``p_i``.

    ``trade_cols`` are the columns of the trades block in ``lp`` and
    ``trade_rows`` their coupling rows in the global price vector.
    """

    name: str
    lp: LinearProgram
    trade_cols: np.ndarray
    trade_rows: np.ndarray
    n_prices: int
    degree: int
    penalty: float
    backend: str = "osqp"
    y: np.ndarray = field(init=False)
    p: np.ndarray = field(init=False)
    neighbour_sum: np.ndarray = field(init=False)
    x: np.ndarray | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.degree < 1:
            raise ValueError(f"DC {self.name} has no neighbour in the communication graph")
        self.y = np.zeros(self.n_prices)
        self.p = np.zeros(self.n_prices)
        self.neighbour_sum = np.zeros(self.n_prices)
        self._weight = 1.0 / (4.0 * self.penalty * self.degree)
        diag = np.zeros(self.lp.n_cols)
        diag[self.trade_cols] = 2.0 * self._weight
        P = sp.diags(diag, format="csc")
        who = f"DC {self.name} (ADMM local step)"
        if self.backend == "clarabel":
            self._qp = ClarabelQP(self.lp, P, who)
        elif self.backend == "osqp":
            self._qp = OsqpWarmQP(self.lp, P, who)
        elif self.backend == "cvxpy":
            self._qp = CvxpyWarmQP(self.lp, P, who)
        else:
            raise ValueError(f"unknown ADMM backend {self.backend!r}; choose from {BACKENDS}")

    def start(self, y0: np.ndarray | None = None, p0: np.ndarray | None = None) -> None:
        """Reset (or warm-start) the estimates.  ``Σ_i p_i`` must be 0."""
        self.y = np.zeros(self.n_prices) if y0 is None else np.array(y0, float)
        self.p = np.zeros(self.n_prices) if p0 is None else np.array(p0, float)

    def primal_step(self) -> np.ndarray:
        """Steps 1–2: solve the local QP, return the new estimate ``y_i``."""
        c, d = self.penalty, self.degree
        w = self.p - c * (d * self.y + self.neighbour_sum)
        linear = self.lp.cost.copy()
        linear[self.trade_cols] -= 2.0 * self._weight * w[self.trade_rows]
        self.x = self._qp.solve(linear)
        Ex = np.zeros(self.n_prices)
        Ex[self.trade_rows] = self.x[self.trade_cols]
        self.y = (Ex - w) / (2.0 * c * d)
        return self.y

    def dual_step(self, neighbour_estimates: list[np.ndarray]) -> None:
        """Step 4 with the neighbours' fresh ``y_j``; keeps their sum for step 1."""
        if len(neighbour_estimates) != self.degree:
            raise RuntimeError(
                f"DC {self.name} expected {self.degree} price estimates, "
                f"got {len(neighbour_estimates)}"
            )
        self.neighbour_sum = np.sum(neighbour_estimates, axis=0)
        self.p = self.p + self.penalty * (self.degree * self.y - self.neighbour_sum)

    def own_trades_vector(self) -> np.ndarray:
        """``E_i x_i`` in the global row space (for residual bookkeeping)."""
        out = np.zeros(self.n_prices)
        if self.x is not None:
            out[self.trade_rows] = self.x[self.trade_cols]
        return out


@dataclass(frozen=True)
class RoundRecord:
    """Residuals of one round (units: M requests/h for primal, $/M requests for dual)."""

    round: int
    primal_residual: float  # max |Σ_i E_i x_i|: reciprocity (30) violation
    dual_disagreement: float  # max over comm edges of max |y_i − y_j|
    dual_change: float  # max over DCs of max |y_i^k − y_i^{k−1}|


def residuals(
    k: int,
    nodes: dict[str, DualConsensusNode],
    previous_y: dict[str, np.ndarray],
    edges: list[tuple[str, str]],
) -> RoundRecord:
    total = sum(node.own_trades_vector() for node in nodes.values())
    primal = float(np.max(np.abs(total))) if np.size(total) else 0.0
    disagreement = max(
        (float(np.max(np.abs(nodes[a].y - nodes[b].y), initial=0.0)) for a, b in edges),
        default=0.0,
    )
    change = max(
        float(np.max(np.abs(nodes[n].y - previous_y[n]), initial=0.0)) for n in nodes
    )
    return RoundRecord(k, primal, disagreement, change)


def default_penalty(trade_scale: float, price_scale: float) -> float:
    """A penalty ``c`` that balances the two residuals' units.

    ``c`` converts a price gap into a trade change (step 2: Δy ≈ Δq / (2c|N|)),
    so its natural size is a typical trade volume over a typical price.
    **(assumption; the paper states its own c without units)**
    """
    if trade_scale <= 0 or price_scale <= 0:
        return 1.0
    return trade_scale / price_scale
