"""Stepping the P2P market (paper 000): one ADMM round at fixed LMPs, one outer
iteration of the bi-level loop with the grid (``dcmarket step``, the dashboard)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel

from dcmarket.sim.stepping import Stepper


def _hours(hours: list[int]) -> str:
    """``[11, 12, 13, 17]`` → ``11–13, 17``."""
    runs, start = [], None
    for k, h in enumerate(hours):
        if start is None:
            start = h
        if k + 1 == len(hours) or hours[k + 1] != h + 1:
            runs.append(f"{start}–{h}" if h != start else f"{h}")
            start = None
    return ", ".join(runs)


class MarketStepper(Stepper):
    """The P2P market at fixed LMPs: one step = one dual-consensus ADMM round."""

    residual_columns = ("primal_residual", "dual_disagreement", "dual_change")
    residual_labels: ClassVar[dict[str, str]] = {
        "primal_residual": "trades that do not match, M req/h",
        "dual_disagreement": "link prices that disagree, $/M req",
        "dual_change": "price change since last round, $/M req"}

    def __init__(self, scenario: BaseModel, max_rounds: int | None = None) -> None:
        from dcmarket.sim.p2p.model import P2PMarketModel

        super().__init__("p2p", "ADMM round", scenario)
        self.model = P2PMarketModel(scenario)
        self.bus = self.model.bus
        self.cap = max_rounds or scenario.round_cap

    def step(self) -> None:
        self.model.step()
        self.steps += 1

    @property
    def done(self) -> bool:
        return self.model.converged or self.model.round >= self.cap

    @property
    def converged(self) -> bool:
        return self.model.converged

    def status(self) -> str:
        m = self.scenario.market
        r = self.model.history[-1]
        state = "converged" if self.model.converged else (
            "round cap reached, NOT CONVERGED" if self.done else "running")
        return (f"round {r.round}: primal residual {r.primal_residual:.3g} M req/h "
                f"(tol {m.tol_primal:g}) · disagreement {r.dual_disagreement:.3g} $/M req "
                f"· change {r.dual_change:.3g} (tol {m.tol_dual:g}) · {state}")

    def history(self) -> pd.DataFrame:
        return pd.DataFrame([r.__dict__ for r in self.model.history])

    def _result(self):
        """The clearing's result at this round, taken once (each DC reports its
        schedule for it: the outcome and the trade lines share it)."""
        if getattr(self, "_taken", (None,))[0] != self.model.round:
            self._taken = (self.model.round, self.model.result())
        return self._taken[1]

    def trade_lines(self) -> list[str]:
        return trade_lines(self._result(), self.scenario)

    def outcome(self):
        """The clearing's Outcome: settled now (the settlement's messages are sent)."""
        from dcmarket.sim.p2p.mechanisms import outcome_of_market

        return outcome_of_market(f"admm_{self.scenario.market.estimates}", self._result(),
                                 self.model.bus.sent_messages, self.model.bus.sent_values)


class BilevelStepper(Stepper):
    """The grid + market loop: one step = one outer iteration (paper 000, (49)–(54))."""

    residual_columns = ("power_residual",)
    residual_labels: ClassVar[dict[str, str]] = {
        "power_residual": "bids' change since last iteration, MW"}

    def __init__(self, scenario: BaseModel, max_outer: int | None = None,
                 bisection: bool | None = None) -> None:
        from dcmarket.market.protocols import MARKET_OFFER, PENALTY, PRICE_ESTIMATE, ROUND_REPORT
        from dcmarket.sim.p2p.coordination import CoordinationModel

        super().__init__("p2p", "outer iteration", scenario,
                         summarised=frozenset({PRICE_ESTIMATE, ROUND_REPORT, MARKET_OFFER,
                                               PENALTY}))
        self.model = CoordinationModel(scenario, trading=True, bisection=bisection)
        self.bus = self.model.bus
        self.cap = max_outer or scenario.bilevel.max_outer

    def step(self) -> None:
        self.model.outer_step()
        self.steps += 1

    @property
    def done(self) -> bool:
        return self.model.bilevel_converged or len(self.model.outer) >= self.cap

    @property
    def converged(self) -> bool:
        return self.model.bilevel_converged and all(r.inner_converged for r in self.model.outer)

    def status(self) -> str:
        r = self.model.outer[-1]
        lmps = np.array(list(self.model.dc_lmps().values()))
        spread = float(np.max(lmps.max(axis=0) - lmps.min(axis=0)))
        state = "converged" if self.converged else (
            "outer cap reached, NOT CONVERGED" if self.done else "running")
        inner = "converged" if r.inner_converged else "NOT converged"
        return (f"outer {r.iteration}: power residual {r.power_residual:.3g} MW "
                f"(tol {self.scenario.bilevel.tol_mw:g}) · market {inner} in "
                f"{r.inner_rounds} rounds · LMP spread across DCs up to {spread:.2f} $/MWh · "
                f"boxed pairs {r.boxed_pairs}, widest {r.widest_box_mw:.3g} MW · {state}")

    def history(self) -> pd.DataFrame:
        return pd.DataFrame([r.__dict__ for r in self.model.outer])

    def outcome(self):
        """The loop's Outcome as it stands: the DCs settled at the last posted
        LMPs, the grid's parts of welfare (the same as ``dcmarket compare``'s)."""
        from dcmarket.sim.p2p.mechanisms import outcome_of_loop

        name = "bilevel_bisection" if self.model.bisection else "bilevel_plain"
        return outcome_of_loop(name, self.model, True, self.converged)

    def trade_lines(self) -> list[str]:
        market = self.model.last_market
        return [] if market is None else trade_lines(market, self.scenario)


def trade_lines(result, scenario: BaseModel) -> list[str]:
    """Directed trades over the horizon of a clearing's result (who sells how
    much to whom, at what mean price) and the links whose capacity binds, with
    the hours."""
    frame = result.trades_frame()
    if frame.empty:
        return []
    limits = scenario.trade_limits()
    lines = ["trades over the day (a DC buys service: its requests are served by the "
             "seller, eq. (33), and it pays the settled price; a link binds where it "
             "carries its capacity q^max (31)):"]
    for (a, b), link in frame.groupby(["dc_a", "dc_b"], sort=False):
        q = link.q_settled.fillna(link.q_a)
        bought = float(q.sum())
        if abs(bought) < 1e-6:
            lines.append(f"  {a} – {b}: no trade")
            continue
        seller, buyer = (b, a) if bought > 0 else (a, b)
        volume = q.abs()
        price = float((link.price * volume).sum() / volume.sum()) if volume.sum() else 0.0
        cap = limits.get(tuple(sorted((a, b))), float("inf"))
        binding = link.hour[volume >= cap * (1 - 1e-3)].tolist()
        lines.append(f"  {seller} serves {abs(bought):,.1f} M of {buyer}'s requests at "
                     f"{price:.3f} $/M req, paid by {buyer}"
                     + (f"; binds at hour(s) {_hours(binding)}" if binding else ""))
    return lines


def make_stepper(scenario: BaseModel, options: dict) -> Stepper:
    """The market alone, or with its grid (``bisection`` False: the plain loop)."""
    if scenario.grid is None:
        return MarketStepper(scenario, options.get("max_rounds"))
    return BilevelStepper(scenario, options.get("max_rounds"), options.get("bisection"))
