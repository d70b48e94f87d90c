"""Decentralised twin of the community MILP: exchange ADMM as message passing (paper 001 + MODEL D).

Every agent ``i`` (each household and the EOA) owns an exchange profile
``a_i ∈ R^{2T}`` — electricity and heat it takes from the community per hour
(households: ``imp − exp`` and ``heat``; the EOA: ``−supply_e``,
``−supply_heat``) — and the community must balance, ``Σ_i a_i = 0``
((2b) and (2p)). Exchange ADMM (Boyd et al. 2011, §7.3.2):

    a_i^{k+1} = argmin_{x_i feasible} f_i(x_i) + ρ/2 ‖a_i(x_i) − a_i^k + ā^k + u^k‖²
    u^{k+1}   = u^k + ā^{k+1},        price λ^k = ρ u^k  (€/kWh per hour)

Messages: a household sends its profile ``a_h`` (kind ``exchange_bid``) to the
EOA, which computes the mean imbalance ``ā`` and ``u`` and sends both back
(kind ``community_price``). A household's demand, PV, EV and thermal data
never leave it; the EOA learns only each household's exchange profile — the
bid a household would send to any aggregator.

Binaries are handled locally: during the rounds each agent solves the convex
relaxation of its program (Clarabel); at the end each household projects its
converged profile onto its own integer-feasible set (a small MILP: the
nearest profile in L1, prices as tie-break) and commits to it, and the EOA
solves its own MILP given those commitments. The result is a feasible
community schedule whose cost is compared with the centralised MILP.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from dcmarket.market.program import LinearProgram, append_rows
from dcmarket.market.solvers import ClarabelQP, solve_lp

EXCHANGE_BID = "exchange_bid"
COMMUNITY_PRICE = "community_price"


def exchange_map(lp: LinearProgram, terms: list[tuple[str, float, int]], T: int) -> sp.csr_matrix:
    """``2T × n`` map from an agent's columns to its exchange profile.

    ``terms`` are ``(block, sign, part)`` with part 0 = electricity, 1 = heat.
    """
    M = sp.lil_matrix((2 * T, lp.n_cols))
    for block, sign, part in terms:
        cols = np.arange(lp.n_cols)[lp.blocks[block]]
        M[part * T + np.arange(T), cols] = sign
    return M.tocsr()


HOUSEHOLD_EXCHANGE = [("imp", 1.0, 0), ("exp", -1.0, 0), ("heat", 1.0, 1)]
EOA_EXCHANGE = [("supply_e", -1.0, 0), ("supply_heat", -1.0, 1)]


@dataclass
class ExchangeNode:
    """One agent's side of the exchange: its relaxed QP, re-solved every round."""

    name: str
    program: LinearProgram
    M: sp.csr_matrix
    rho: float
    profile: np.ndarray = field(init=False)
    x: np.ndarray = field(init=False)
    _qp: ClarabelQP = field(init=False)

    def __post_init__(self) -> None:
        P = (self.rho * (self.M.T @ self.M)).tocsc()
        self._qp = ClarabelQP(self.program, P, f"{self.name} (relaxed local step)")
        self.profile = np.zeros(self.M.shape[0])
        self.x = np.zeros(self.program.n_cols)

    def local_step(self, mean: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Best response to the community signal; returns the new profile ``a_i``."""
        target = self.profile - mean - u
        linear = self.program.cost - self.rho * (self.M.T @ target)
        self.x = self._qp.solve(linear)
        self.profile = self.M @ self.x
        return self.profile

    def commit(self, prices: np.ndarray) -> np.ndarray:
        """Integer-feasible schedule nearest (L1) to the converged profile; returns ``x``."""
        lp, m = self.program, self.M.shape[0]
        n = lp.n_cols
        # columns: x, then s ≥ |M x − a*|
        A = sp.hstack([self.M, -sp.identity(m)]).tocsr()
        B = sp.hstack([self.M, sp.identity(m)]).tocsr()
        widened = replace(
            lp,
            cost=np.concatenate([lp.cost + 1e-3 * (self.M.T @ prices), np.ones(m)]),
            A=sp.hstack([lp.A, sp.csr_matrix((lp.n_rows, m))]).tocsr(),
            col_lower=np.concatenate([lp.col_lower, np.zeros(m)]),
            col_upper=np.concatenate([lp.col_upper, np.full(m, np.inf)]),
            integer=None if lp.integer is None else np.concatenate([lp.integer,
                                                                   np.zeros(m, bool)]),
            blocks={**lp.blocks, "_dev": slice(n, n + m)},
        )
        widened = append_rows(widened, "dev_upper", A, np.full(m, -np.inf), self.profile)
        widened = append_rows(widened, "dev_lower", B, self.profile, np.full(m, np.inf))
        solution = solve_lp(widened, f"{self.name} (commit)", mip_gap=1e-6)
        self.x = solution.x[:n]
        self.profile = self.M @ self.x
        return self.x


@dataclass
class ExchangeRound:
    iteration: int
    primal_kw: float
    dual_kw: float
    mean_price_eur_per_kwh: float


def residuals(profiles: list[np.ndarray], previous: list[np.ndarray] | None,
              previous_mean: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Mean profile ``ā``, primal residual ``‖Σ a_i‖∞`` and dual residual
    ``max_i ‖(a_i − ā) − (a_i⁻ − ā⁻)‖∞`` (both kW; Boyd et al. §7.3.2's ``s``
    over ρ).  The dual residual is per agent: with only the change of the mean,
    agents can swap power among themselves with the mean standing still, and a
    round that happens to balance passes for convergence (it did: a twin
    stopped after 16 rounds 8.5 % above the optimum)."""
    total = np.sum(profiles, axis=0)
    mean = total / len(profiles)
    if previous is None:
        dual = float(np.abs(mean - previous_mean).max() * len(profiles))
    else:
        dual = max(float(np.abs((a - mean) - (b - previous_mean)).max())
                   for a, b in zip(profiles, previous, strict=True))
    return mean, float(np.abs(total).max()), dual
