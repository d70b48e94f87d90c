"""Dual-consensus ADMM for the P2P cloud-service market (docs/p2p.md).

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

Two variants of what a DC estimates (``market.estimates``):

* ``global`` (the paper): every DC estimates every link's price and exchanges
  the whole vector with every neighbour.  The network-wide mean price moves by
  (primal residual)/(2c·Σ_i|N_i|) per round, so price discovery slows down in
  proportion to the number of DCs times their degree.
* ``local``: a DC estimates only the prices of its own links and exchanges
  each with the partner on that link (who must be a neighbour).  It is the
  same algorithm applied row by row with consensus only among the agents that
  hold the row, ``|N_i|`` becoming the number of neighbours holding it; the
  uninvolved DCs, who only dilute the price signal, drop out.

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

from dcmarket.market.program import LinearProgram
from dcmarket.market.solvers import ClarabelQP, CvxpyWarmQP, OsqpWarmQP, PiqpQP

BACKENDS = ("piqp", "clarabel", "osqp", "cvxpy")


def positions_in(rows: np.ndarray, global_rows: np.ndarray) -> np.ndarray:
    """Where each of ``global_rows`` sits in the sorted global ``rows`` (−1: not kept)."""
    global_rows = np.asarray(global_rows, int)
    at = np.searchsorted(rows, global_rows)
    inside = at < rows.size
    held = np.zeros(global_rows.size, bool)
    held[inside] = rows[at[inside]] == global_rows[inside]
    return np.where(held, at, -1)


def read_at(values: np.ndarray, at: np.ndarray, all_held: bool = False) -> np.ndarray:
    """``values[at]``, 0 where ``at`` is −1 (see :func:`positions_in`);
    ``all_held``: no ``at`` is −1 (the caller knows)."""
    if all_held:
        return values[at]
    return np.where(at >= 0, values[np.maximum(at, 0)], 0.0)


def values_at(rows: np.ndarray, values: np.ndarray, global_rows: np.ndarray) -> np.ndarray:
    """``values`` kept over the sorted global ``rows``, read at ``global_rows``
    (0 where a row is not kept)."""
    return read_at(values, positions_in(rows, global_rows))


@dataclass
class DualConsensusNode:
    """One DC's side of the protocol: its local QP, ``y_i`` and ``p_i``.

    ``trade_cols`` are the columns of the trades block in ``lp`` and
    ``trade_rows`` their coupling rows in the global price vector.
    ``shared_rows[j]`` are the rows whose estimates this DC exchanges with
    neighbour ``j``: all rows in the paper's *global* variant, only the rows of
    links both hold in the *local* variant.

    The node keeps only the rows it holds: ``rows`` (global, sorted) and, in
    that local space, ``y``, ``p``, ``neighbour_sum`` and, after
    construction, ``trade_rows`` and ``shared_rows``.  In the local variant
    its state is O(degree × hours), not O(all links × hours), so a DC's
    memory does not grow with the size of the market.  :meth:`y_at` and
    :meth:`trades_at` read values at global rows (0 where not held).
    """

    name: str
    lp: LinearProgram
    trade_cols: np.ndarray
    trade_rows: np.ndarray
    n_prices: int
    shared_rows: dict[str, np.ndarray]
    penalty: float
    backend: str = "piqp"
    y: np.ndarray = field(init=False)
    p: np.ndarray = field(init=False)
    neighbour_sum: np.ndarray = field(init=False)
    x: np.ndarray | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if not self.shared_rows:
            raise ValueError(f"DC {self.name} has no neighbour in the communication graph")
        self.rows = np.unique(np.concatenate([np.asarray(r, int)
                                              for r in self.shared_rows.values()]))
        missing = np.setdiff1d(self.trade_rows, self.rows)
        if missing.size:
            raise ValueError(f"DC {self.name} shares no estimate of its own link rows {missing}")
        # from here on, rows are positions in ``self.rows``
        self.shared_rows = {j: np.searchsorted(self.rows, r) for j, r in self.shared_rows.items()}
        self.trade_rows = np.searchsorted(self.rows, self.trade_rows)
        n = self.rows.size
        self.row_degree = np.zeros(n)
        for rows in self.shared_rows.values():
            self.row_degree[rows] += 1
        self.y = np.zeros(n)
        self.p = np.zeros(n)
        self.neighbour_sum = np.zeros(n)
        self._asked: np.ndarray | None = None  # the global rows last read (see _local)
        self._asked_at = np.zeros(0, int)
        self._asked_all = True
        #: λ_ij per neighbour over the shared rows; p_i = Σ_j λ_ij (see dual_step)
        self.edge_dual = {j: np.zeros(rows.size) for j, rows in self.shared_rows.items()}
        # weight of the ADMM quadratic per trade: 1 / (4c|N_i|), |N_i| per row
        self._weight = 1.0 / (4.0 * self.penalty * self.row_degree[self.trade_rows])
        diag = np.zeros(self.lp.n_cols)
        diag[self.trade_cols] = 2.0 * self._weight
        P = sp.diags(diag, format="csc")
        who = f"DC {self.name} (ADMM local step)"
        if self.backend == "piqp":
            self._qp = PiqpQP(self.lp, P, who)
        elif self.backend == "clarabel":
            self._qp = ClarabelQP(self.lp, P, who)
        elif self.backend == "osqp":
            self._qp = OsqpWarmQP(self.lp, P, who)
        elif self.backend == "cvxpy":
            self._qp = CvxpyWarmQP(self.lp, P, who)
        else:
            raise ValueError(f"unknown ADMM backend {self.backend!r}; choose from {BACKENDS}")

    def _local(self, values: np.ndarray, global_rows: np.ndarray) -> np.ndarray:
        """``values`` (over this node's rows) read at ``global_rows``; 0 where not held.
        The positions of the rows last asked for are kept: a DC asks for its own
        links' rows (one read-only array) every round."""
        if global_rows is not self._asked:
            self._asked, self._asked_at = global_rows, positions_in(self.rows, global_rows)
            self._asked_all = bool((self._asked_at >= 0).all())
        return read_at(values, self._asked_at, self._asked_all)

    def y_at(self, global_rows: np.ndarray) -> np.ndarray:
        return self._local(self.y, global_rows)

    def trades_at(self, global_rows: np.ndarray) -> np.ndarray:
        """``E_i x_i`` at ``global_rows`` (its own trades; 0 elsewhere)."""
        return self._local(self.own_trades_vector(), global_rows)

    def start(self, y0: np.ndarray | None = None) -> None:
        """Reset (or warm-start, ``y0`` over the global rows) the estimates; the
        duals start at 0 (Σ_i p_i = 0)."""
        n = self.rows.size
        self.y = np.zeros(n) if y0 is None else np.asarray(y0, float)[self.rows]
        self.p = np.zeros(n)
        self.edge_dual = {j: np.zeros(rows.size) for j, rows in self.shared_rows.items()}

    def carry_over(self, old: DualConsensusNode) -> None:
        """Warm start from the node this one replaces (new LMPs, box or penalty):
        estimates, duals and the neighbours' last estimates, on the rows both hold."""
        self.y = old.y_at(self.rows)
        self.neighbour_sum = old._local(old.neighbour_sum, self.rows)
        for j, rows in self.shared_rows.items():
            if j in old.edge_dual and np.array_equal(old.rows[old.shared_rows[j]],
                                                     self.rows[rows]):
                self.edge_dual[j] = old.edge_dual[j].copy()
        self._sum_duals()

    def owns(self, neighbour: str) -> bool:
        """Whether this DC keeps the authoritative copy of the duals of the rows it
        shares with ``neighbour`` (the endpoint whose name sorts first)."""
        return self.name < neighbour

    def _sum_duals(self) -> None:
        self.p = np.zeros(self.rows.size)
        for j, rows in self.shared_rows.items():
            self.p[rows] += self.edge_dual[j]

    def primal_step(self) -> np.ndarray:
        """Steps 1–2: solve the local QP, return the new estimate ``y_i``."""
        c, d = self.penalty, self.row_degree  # every row of the node is held
        w = self.p - c * (d * self.y + self.neighbour_sum)
        linear = self.lp.cost.copy()
        linear[self.trade_cols] -= 2.0 * self._weight * w[self.trade_rows]
        self.x = self._qp.solve(linear)
        Ex = np.zeros(self.rows.size)
        Ex[self.trade_rows] = self.x[self.trade_cols]
        self.y = (Ex - w) / (2.0 * c * d)
        return self.y

    def estimate_for(self, neighbour: str) -> np.ndarray:
        """The part of ``y_i`` sent to ``neighbour`` (its shared rows, in order)."""
        return self.y[self.shared_rows[neighbour]]

    def dual_step(self, neighbour_estimates: dict[str, np.ndarray],
                  owner_duals: dict[str, np.ndarray] | None = None,
                  relaxation: float = 1.0) -> float:
        """Step 4: ``p_i += c Σ_j (y_i − y_j)``, kept per edge as ``λ_ij``; returns
        the largest disagreement ``max_j max |y_i − y_j|`` over the shared rows.

        ``neighbour_estimates`` holds every neighbour's latest ``y_j`` (fresh,
        or the last one received when a message was lost or is late).  Each
        edge's duals must stay antisymmetric (``λ_ji = −λ_ij``), or
        ``Σ_i p_i`` drifts from 0 and with it the reciprocity of the fixed
        point (``E_i x_i = p_i`` there).  Messages that go missing would break
        it, so one end owns the edge: the owner updates ``λ_ij`` with the
        ``y_j`` it has; the other end, whenever the owner's message arrives
        (``owner_duals[j]``: the owner's ``λ`` as sent, beside its ``y``),
        re-derives its copy as ``−(λ_ij + c (y_owner − y_self))`` and otherwise
        advances its own copy.  Without faults this is exactly the update
        above; with them the fixed point is unchanged (all copies agree once
        the messages flow) — the asynchronous ADMM argument of Chang, Hong,
        Liao & Wang, IEEE TSP 64(12), 2016, applied per edge.

        ``relaxation`` scales the dual step: above 1 over-relaxes it (the
        scenario's ``market.dual_relaxation``, opt-in), below 1 shortens it.
        With estimates up to τ
        rounds old the undamped step oscillates; bounded-delay asynchronous
        ADMM needs a step that shrinks with τ (Chang et al., Part I, Thm. 1;
        Zhang & Kwok, ICML 2014), and the DC uses ``1/(1 + 3τ)``.  The fixed
        point does not depend on it.
        """
        if set(neighbour_estimates) != set(self.shared_rows):
            raise RuntimeError(
                f"DC {self.name} expected price estimates from {sorted(self.shared_rows)}, "
                f"got {sorted(neighbour_estimates)}"
            )
        self.receive_estimates(neighbour_estimates)
        c = self.penalty * relaxation
        owner_duals = owner_duals or {}
        gaps = []
        for j, rows in self.shared_rows.items():
            gap = self.y[rows] - np.asarray(neighbour_estimates[j], float)
            gaps.append(gap)
            received = owner_duals.get(j)
            if received is None or self.owns(j):
                self.edge_dual[j] = self.edge_dual[j] + c * gap
            else:
                self.edge_dual[j] = -(np.asarray(received, float) - c * gap)
        self._sum_duals()
        gap = np.concatenate(gaps)
        return float(np.abs(gap).max()) if gap.size else 0.0

    def receive_estimates(self, neighbour_estimates: dict[str, np.ndarray]) -> None:
        total = np.zeros(self.rows.size)
        for neighbour, values in neighbour_estimates.items():
            total[self.shared_rows[neighbour]] += values
        self.neighbour_sum = total

    def own_trades_vector(self) -> np.ndarray:
        """``E_i x_i`` over this node's rows (for residual bookkeeping)."""
        out = np.zeros(self.rows.size)
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
    disagreement = 0.0
    for a, b in edges:
        rows = nodes[a].shared_rows[b]
        if rows.size:
            gap = np.max(np.abs(nodes[a].y[rows] - nodes[b].y[rows]))
            disagreement = max(disagreement, float(gap))
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
