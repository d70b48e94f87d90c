"""Truthful reference payments: Vickrey–Clarke–Groves with the Clarke pivot.

VCG picks the allocation that maximises the *reported* welfare and pays each
agent the externality it imposes on the others: agent ``i`` pays

    p_i = W*_{−i}  −  W_{−i}(x*),

the others' best welfare without ``i`` (the pivot) minus the others'
welfare at the chosen allocation.  Its profit is then its true value at
``x*`` plus the others' reported welfare minus the pivot, which no misreport
can raise (telling the truth lets the allocation maximise exactly that sum):
truthfulness is a dominant strategy, at a price — VCG is not budget
balanced.  In the reverse auction the buyer (the data centre) pays every
winning user more than its bid; in an exchange among data centres the
operator pays in (with two traders the deficit is the whole gain from trade).

This module holds the auction's side (paper 002's winner selection); the
P2P fleet's VCG, computed from its centralised twin (36), is in
``sim/p2p/vcg.py``.
"""

from __future__ import annotations

import itertools
import time

import numpy as np

from dcmarket.market.auction import Selection, WinnerSelection

#: the largest auction the brute-force oracle enumerates (2^16 winner sets)
BRUTE_FORCE_MAX_USERS = 16


def select_brute(problem: WinnerSelection) -> Selection:
    """The exact winner set by enumerating all ``2^U`` sets (an oracle for small
    auctions; the first best set in enumeration order on ties)."""
    start = time.perf_counter()
    U = problem.n_users
    if U > BRUTE_FORCE_MAX_USERS:
        raise ValueError(f"brute force enumerates 2^{U} winner sets; at most "
                         f"{BRUTE_FORCE_MAX_USERS} users")
    X = np.array(list(itertools.product((0, 1), repeat=U)), dtype=bool).reshape(-1, U)
    value, violation = problem.evaluate(X)
    value = np.where(violation <= 1e-9, value, -np.inf)
    best = int(np.argmax(value))
    return Selection(X[best], float(value[best]), "brute", time.perf_counter() - start)


def without(problem: WinnerSelection, user: int) -> WinnerSelection:
    """The same auction with bid ``user`` removed (the Clarke pivot's market)."""
    bids = [b for k, b in enumerate(problem.bids) if k != user]
    return WinnerSelection(problem.context, bids)


def auction_vcg_payments(problem: WinnerSelection, selection: Selection, select
                         ) -> np.ndarray:
    """What the buyer pays each bidder under VCG, € (0 for a loser).

    The reported welfare of a winner set is its saving ``S(x)`` (the buyer's
    value minus the bids: the auction's objective), so the others' welfare at
    ``x*`` is ``S(x*) + c_u`` and the pivot is the best saving without ``u``:
    ``p_u = c_u + S(x*) − S*_{−u} ≥ c_u``.  ``select`` must be exact (the
    MILP or brute force): with a heuristic's winner set the payments are not
    VCG's and truthfulness is lost (the GA is not offered here for that reason).
    """
    payments = np.zeros(problem.n_users)
    for u in np.flatnonzero(selection.winners):
        pivot = select(without(problem, int(u))).value_eur
        payments[u] = problem.fee[u] + selection.value_eur - pivot
    return payments


def markup_gains(problem: WinnerSelection, markups: tuple[float, ...], rule: str,
                 select=select_brute) -> list[tuple[int, float, float, float]]:
    """What each bidder gains by bidding ``markup`` × its bid instead (its bid
    taken as its true cost), others fixed: ``(user, markup, gain, true cost)``
    under ``rule`` (``"vcg"`` or ``"pay_as_bid"``), winners by ``select``."""
    import dataclasses

    def utility(bids: WinnerSelection, u: int, true_cost: float) -> float:
        chosen = select(bids)
        if not chosen.winners[u]:
            return 0.0
        paid = auction_vcg_payments(bids, chosen, select)[u] if rule == "vcg" \
            else bids.fee[u]
        return float(paid) - true_cost

    found = []
    for u in range(problem.n_users):
        true_cost = float(problem.fee[u])
        truthful = utility(problem, u, true_cost)
        for m in markups:
            bids = list(problem.bids)
            bids[u] = dataclasses.replace(bids[u], fee_eur=m * true_cost)
            found.append((u, m, utility(WinnerSelection(problem.context, bids), u, true_cost)
                          - truthful, true_cost))
    return found
