"""What the DR data centre pays its winning users (paper 002's reverse auction).

- ``pay_as_bid`` (the paper's rule): each winner its fee;
- ``vcg``: the Clarke pivot on the exact winner set (``market/vcg.py``);
- ``uniform``: every winner the same price per MWh of load it moves, the
  first rejected bid's — the cheapest losing bid per MWh (a bid's MWh: its
  tasks times the fleet's dynamic power per task over the slot).  With no
  losing bid, the dearest winning bid's price sets it.  Winner selection
  is not by price order (the reward's threshold and the host count make the
  saving non-linear), so a winner may bid above that price and be paid less
  than its bid: the comparison reports it as a violation of individual
  rationality.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dcmarket.market.auction import Selection, WinnerSelection
from dcmarket.market.vcg import auction_vcg_payments

RULES = ("pay_as_bid", "vcg", "uniform")


def mwh_per_task(problem: WinnerSelection) -> float:
    """The energy one task moves out of the slot: the fleet's dynamic power
    per task (``(1 − static share) · P_max / cores``) over the slot, MWh."""
    fleet = problem.context.fleet
    return (1.0 - fleet.static_share) * fleet.p_max_mw / fleet.cores \
        * problem.context.program.dt_h


def uniform_price_payments(problem: WinnerSelection, selection: Selection) -> np.ndarray:
    """Every winner paid the first rejected bid's price per MWh (see above), €."""
    winners = selection.winners.astype(bool)
    if not winners.any():
        return np.zeros(problem.n_users)
    mwh = np.maximum(problem.n, 1) * mwh_per_task(problem)
    per_mwh = problem.fee / mwh
    price = per_mwh[~winners].min() if (~winners).any() else per_mwh[winners].max()
    return np.where(winners, price * mwh, 0.0)


def auction_payments(rule: str, problem: WinnerSelection, selection: Selection,
                     select_exact: Callable[[WinnerSelection], Selection]) -> np.ndarray:
    """What each bidder is paid under ``rule`` (one of :data:`RULES`), €."""
    if rule == "pay_as_bid":
        return np.where(selection.winners, problem.fee, 0.0)
    if rule == "vcg":
        return auction_vcg_payments(problem, selection, select_exact)
    if rule == "uniform":
        return uniform_price_payments(problem, selection)
    raise ValueError(f"payment rule {rule!r}: one of {', '.join(RULES)}")
