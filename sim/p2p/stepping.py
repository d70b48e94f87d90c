"""Stepping the P2P market (paper 000): one ADMM round at fixed LMPs, one outer
iteration of the bi-level loop with the grid (``dcmarket step``, the dashboard)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel

from dcmarket.sim.stepping import Stepper


class MarketStepper(Stepper):
    """The P2P market at fixed LMPs: one step = one dual-consensus ADMM round."""

    residual_columns = ("primal_residual", "dual_disagreement", "dual_change")

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

    def outcome(self):
        """The clearing's Outcome: settled now (the settlement's messages are sent)."""
        from dcmarket.sim.p2p.mechanisms import outcome_of_market

        return outcome_of_market(f"admm_{self.scenario.market.estimates}", self.model.result(),
                                 self.model.bus.sent_messages, self.model.bus.sent_values)


class BilevelStepper(Stepper):
    """The grid + market loop: one step = one outer iteration (paper 000, (49)–(54))."""

    residual_columns = ("power_residual",)

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


def make_stepper(scenario: BaseModel, options: dict) -> Stepper:
    """The market alone, or with its grid (``bisection`` False: the plain loop)."""
    if scenario.grid is None:
        return MarketStepper(scenario, options.get("max_rounds"))
    return BilevelStepper(scenario, options.get("max_rounds"), options.get("bisection"))
