"""One-shot sealed-bid clearings of the P2P fleet at fixed LMPs (paper 000's
centralised twin (36) as the clearing rule, on what the DCs *submit*).

Each DC submits its bid as its strategy says — the cost vector it optimises
with and the capacity it offers on each link (``vcg.reported_programs``) —
and a clearing house solves the twin on the bids once: a centralised
clearing of bids, not of true costs.  Two ways to price what it clears:

- ``sealed_uniform``: every trade on a link and hour at the one price of
  that row, the dual of its reciprocity constraint (30): the buyer pays the
  seller, payments cancel;
- ``sealed_pay_as_bid``: every accepted unit at its own bid, as in a
  discriminatory multi-unit auction: a DC's bid curve is its reported
  marginal value of trading, so what it pays is the integral of that curve
  over what it trades — its whole reported gain from trading, ``ĉ(alone) −
  ĉ(x)``.  The clearing house keeps every reported gain (``budget_balance``
  > 0); a truthful DC ends exactly where it would alone, which is why a DC
  shades its bid here.

A DC's profit counts its *true* cost at the allocation.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from dcmarket.agents.p2p.dc_physics import revenue
from dcmarket.market.mechanism import OneShotMechanism
from dcmarket.market.outcome import Outcome, agents_table
from dcmarket.market.program import LinearProgram, append_rows
from dcmarket.market.solvers import solve_lp
from dcmarket.market.welfare import solve_centralised
from dcmarket.sim.p2p.config import P2PScenario
from dcmarket.sim.p2p.outcome_frames import allocation_frame, link_price_frame
from dcmarket.sim.p2p.vcg import reported_programs


def reported_gain(name: str, lp: LinearProgram, x: np.ndarray) -> float:
    """What DC ``name`` says trading ``x`` saves it: its reported cost with its
    trades pinned at 0 (alone) minus its reported cost at ``x``, $."""
    trades = lp.blocks["trades"]
    n = trades.stop - trades.start
    if n == 0:
        return 0.0
    pin = sp.csr_matrix((np.ones(n), (np.arange(n), np.arange(trades.start, trades.stop))),
                        shape=(n, lp.n_cols))
    alone = solve_lp(append_rows(lp, "no_trades", pin, np.zeros(n), np.zeros(n)),
                     f"DC {name}: its bid alone")
    return float(alone.objective - lp.cost @ x)


class SealedBid(OneShotMechanism):
    """The twin cleared once on the DCs' bids, priced uniformly or as bid."""

    def __init__(self, scenario: P2PScenario, pricing: str = "uniform") -> None:
        if pricing not in ("uniform", "pay_as_bid"):
            raise ValueError(f"pricing {pricing!r}: uniform or pay_as_bid")
        self.scenario, self.pricing = scenario, pricing
        self.name = f"sealed_{pricing}"
        self.description = ("sealed bids cleared by the twin, " +
                            ("one price per link and hour" if pricing == "uniform"
                             else "each DC paid or charged its own bid price"))

    def clear(self) -> Outcome:
        tic = time.perf_counter()
        sc = self.scenario
        links, reported, true = reported_programs(sc, sc.trading_graph())
        solution = solve_centralised(reported, links)
        payments, profits, grid = {}, {}, {}
        for spec in sc.datacenters:
            name, x = spec.name, solution.x[spec.name]
            if not links.partners(name):
                payments[name] = 0.0
            elif self.pricing == "uniform":
                q = reported[name].block(x, "trades")
                payments[name] = float(solution.link_prices[links.rows_of(name)] @ q) * sc.dt_h
            else:
                payments[name] = reported_gain(name, reported[name], x)
            profits[name] = revenue(spec, sc.dt_h) - float(true[name].cost @ x) - payments[name]
            grid[name] = true[name].block(x, "grid")
        keeps = float(sum(payments.values()))
        return Outcome(self.name, "p2p", "USD", agents_table(profits, payments, "USD",
                                                            "p2p_datacentre"),
                       {"dc_profit": float(sum(profits.values())),
                        "operator_surplus": keeps}, True,
                       wall_s=time.perf_counter() - tic,
                       prices=link_price_frame(links, solution.link_prices),
                       allocation=allocation_frame(grid))

