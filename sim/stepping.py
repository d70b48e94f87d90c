"""Step any study's protocol one unit at a time (``dcmarket step``).

A :class:`Stepper` wraps a study's Mesa model and advances it by the unit a
teacher would point at: one ADMM round of the P2P market, one outer
iteration of the bi-level loop (LMPs → market → bids → assessment), one
hour slot of the DR day (tasks, event, reverse auction, meter, bill), one
exchange-ADMM round of the energy community's twin (then the commitment).
After each step it says what the step's messages were (from the bus's log,
the only thing agents exchange) and how the residuals stand against the
stopping rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from dcmarket.market.messages import MessageBus


@dataclass
class Stepper:
    """The common shape: a model, its bus, a step, a stopping rule, a status."""

    study: str
    unit: str
    scenario: BaseModel
    bus: MessageBus = field(init=False)
    steps: int = 0
    #: message kinds of an inner protocol, counted rather than printed per step
    summarised: frozenset[str] = frozenset()

    def step(self) -> None:
        raise NotImplementedError

    @property
    def done(self) -> bool:
        raise NotImplementedError

    @property
    def converged(self) -> bool:
        raise NotImplementedError

    def status(self) -> str:
        """One line: where the protocol stands against its stopping rule."""
        raise NotImplementedError

    def history(self) -> pd.DataFrame:
        """The residuals of every step so far."""
        raise NotImplementedError

    def summary(self) -> dict[str, Any]:
        return {"study": self.study, "unit": self.unit, "steps": self.steps,
                "converged": self.converged, "finished": self.done}


class MarketStepper(Stepper):
    """The P2P market at fixed LMPs: one step = one dual-consensus ADMM round."""

    def __init__(self, scenario: BaseModel, max_rounds: int | None = None) -> None:
        from dcmarket.sim.p2p.model import P2PMarketModel

        super().__init__("p2p", "ADMM round", scenario)
        self.model = P2PMarketModel(scenario)
        self.bus = self.model.bus
        self.cap = max_rounds or scenario.market.max_rounds

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


class BilevelStepper(Stepper):
    """The grid + market loop: one step = one outer iteration (paper 000, (49)–(54))."""

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


class DRStepper(Stepper):
    """The DR day under one strategy: one step = one hour slot (paper 002)."""

    def __init__(self, scenario: BaseModel, strategy: str | None = None) -> None:
        """``strategy``: the DC's (OP, BS, ST or any DR data-centre strategy);
        ``None``: the scenario's ``strategy.DC``, else OP."""
        from dcmarket.agents.strategy_registry import strategy_of
        from dcmarket.sim.dr.config import DC_NAME
        from dcmarket.sim.dr.model import SLOTS, DRModel
        from dcmarket.sim.dr.study import day_prices, train_forecast

        super().__init__("dr", "slot", scenario)
        if strategy is None:
            strategy = scenario.strategy.get(DC_NAME, "OP")
        strategy = strategy_of(strategy, "dr_datacentre", f"strategy.{DC_NAME}")
        history, actual = day_prices(scenario)
        forecast = None
        if strategy.predicts_events() and scenario.forecast.method != "none":
            forecast = train_forecast(scenario, scenario.forecast.method,
                                      scenario.forecast.training_days, history, actual).forecast
        self.model = DRModel(scenario, strategy, actual, forecast)
        self.bus = self.model.bus
        self.slots = SLOTS
        self.strategy = strategy.name

    def step(self) -> None:
        self.model.step()
        self.steps += 1

    @property
    def done(self) -> bool:
        return not self.model.running

    @property
    def converged(self) -> bool:
        return self.done  # a day has no residual: it is complete when every slot ran

    def status(self) -> str:
        r = self.model.dc.records[-1]
        event = " · DR EVENT" if r["dr_event"] else ""
        return (f"slot {self.model.slot - 1} ({self.strategy}): power {r['power_mw']:.3f} MW "
                f"(reference {r['reference_mw']:.3f}) · price {r['price_eur_per_mwh']:.1f} €/MWh · "
                f"bidders {r['bidders']}, winners {r['winners']} · reward {r['reward_eur']:.2f} € "
                f"· slot cost {r['cost_eur']:.2f} €{event}")

    def history(self) -> pd.DataFrame:
        return self.model.slots_frame()


class TwinStepper(Stepper):
    """The energy community's decentralised twin: one step = one exchange-ADMM
    round; the step after the stopping rule is the households' commitment."""

    def __init__(self, scenario: BaseModel, option: str | None = None) -> None:
        from dcmarket.sim.lec.data import block_inputs
        from dcmarket.sim.lec.model import LECModel

        super().__init__("lec", "twin round", scenario)
        self.option = option or scenario.scenarios[-1]
        if self.option not in scenario.scenarios:
            raise ValueError(f"--option {self.option!r}: the scenario runs "
                             f"{', '.join(scenario.scenarios)}")
        self.model = LECModel(scenario, block_inputs(scenario, 0, 1), self.option)
        self.bus = self.model.bus
        self._rule_met = False
        self.objective: float | None = None

    def step(self) -> None:
        if self._rule_met or self.model.round >= self.scenario.twin.max_iterations:
            _, self.objective = self.model._commit()
        else:
            self.model.step()
            last = self.model.history[-1]
            tol = self.scenario.twin.tol_kw
            self._rule_met = last.primal_kw <= tol and last.dual_kw <= tol
        self.steps += 1

    @property
    def done(self) -> bool:
        return self.model.committed

    @property
    def converged(self) -> bool:
        return self._rule_met

    def status(self) -> str:
        if self.model.committed:
            rule = "residuals below tolerance" if self._rule_met else \
                "round cap reached, NOT CONVERGED"
            return (f"committed after {self.model.round} rounds ({rule}): community cost "
                    f"{self.objective:,.2f} €")
        r = self.model.history[-1]
        state = "stopping rule met: next step commits" if self._rule_met else "running"
        return (f"round {r.iteration}: primal {r.primal_kw:.3g} kW · dual {r.dual_kw:.3g} kW "
                f"(tol {self.scenario.twin.tol_kw:g}) · mean price "
                f"{r.mean_price_eur_per_kwh:.4f} €/kWh · {state}")

    def history(self) -> pd.DataFrame:
        return pd.DataFrame([r.__dict__ for r in self.model.history])


def stepper_for(study: str, scenario: BaseModel, *, max_rounds: int | None = None,
                strategy: str | None = None, option: str | None = None,
                bisection: bool | None = None) -> Stepper:
    """The stepper of a scenario's protocol: the market alone or with its grid
    (``bisection`` False runs the plain loop), the DR day, the community's twin."""
    if study == "p2p":
        if scenario.grid is None:
            return MarketStepper(scenario, max_rounds)
        return BilevelStepper(scenario, max_rounds, bisection)
    if study == "dr":
        return DRStepper(scenario, strategy)
    return TwinStepper(scenario, option)


def write_steps(stepper: Stepper, out: Path, command: str) -> None:
    """What ran, as a run folder: the log, the residual history, a summary."""
    from dcmarket.sim.run_folder import RunFolder

    folder = RunFolder(out)
    folder.messages(stepper.bus)
    folder.frame("steps.csv", stepper.history())
    folder.json("summary.json", stepper.summary())
    folder.finish(command, stepper.scenario)
