"""The DR day's mechanisms (paper 002), each ending in one
:class:`~market.outcome.Outcome` in euros; one step = one hour slot.

- ``op_ga`` / ``op_exact``: the reverse auction at every predicted event
  slot, winners selected by the genetic algorithm or exactly;
- ``op_vcg``: the auction with the exact winner set paying VCG (Clarke
  pivot, ``market/vcg.py``): truthful bids, and the DC pays more;
- ``uniform``: the auction with the exact winner set, every winner paid the
  first rejected bid's price per MWh (``market/auction_payments.py``);
- ``best_effort``: BS, the DC postpones on its own and pays the SLA penalties;
- ``static``: ST, the DC ignores the DR program.

Money: the DC pays its users' fees and receives the grid's DR reward, so
``payment_eur`` is fees − reward for the DC, −fee for a user and +reward
for the grid (the program's operator); they cancel.  A user's profit is
its fees minus its *true* cost of the delays it agreed to (what its bid
would be if truthful).  Welfare is their sum: the DC's revenue minus its
energy cost and penalties, minus the users' true cost of delay.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
import pandas as pd

from dcmarket.market.mechanism import IterativeMechanism, Mechanism
from dcmarket.market.outcome import Outcome, agents_table
from dcmarket.sim.dr.config import DC_NAME, GRID_NAME, DRScenario
from dcmarket.sim.dr.model import DRModel, user_terms

CURRENCY = "EUR"


def outcome_of_day(name: str, model: DRModel, converged: bool) -> Outcome:
    """The day's :class:`Outcome` from the DC's records and the agreed postponements."""
    slots = model.slots_frame()
    fees = float(slots.fees_eur.sum()) if len(slots) else 0.0
    reward = float(slots.reward_eur.sum()) if len(slots) else 0.0
    dc_profit = -float(slots.cost_eur.sum()) if len(slots) else 0.0
    users = model.scenario.user_names()
    delay_cost = dict(zip(users, (c for c, _ in user_terms(model.scenario)), strict=True))
    bids = model.bids_frame()
    paid = bids[bids.won].groupby("user").payment_eur.sum() if len(bids) else pd.Series()
    moved = model.postponements_frame()
    agreed = moved[moved.agreed] if len(moved) else moved
    true_cost = {u: 0.0 for u in users}
    for row in agreed.itertuples():
        true_cost[row.user] += delay_cost[row.user] * row.delay * row.count
    profits = {DC_NAME: dc_profit, GRID_NAME: -reward,
               **{u: float(paid.get(u, 0.0)) - true_cost[u] for u in users}}
    payments = {DC_NAME: fees - reward, GRID_NAME: reward,
                **{u: -float(paid.get(u, 0.0)) for u in users}}
    roles = {DC_NAME: "dr_datacentre", GRID_NAME: "dr_program", **dict.fromkeys(users, "dr_user")}
    agents = agents_table(profits, payments, CURRENCY, roles,
                          true_delay_cost_eur={**dict.fromkeys((DC_NAME, GRID_NAME), 0.0),
                                               **true_cost})
    parts = {"dc_profit": dc_profit, "users_surplus": sum(profits[u] for u in users),
             "program_cost": -reward}
    allocation = pd.DataFrame({"agent": DC_NAME, "hour": slots.slot, "quantity": "power_mw",
                               "value": slots.power_mw, "unit": "MW"}) if len(slots) else None
    prices = pd.DataFrame({"item": "energy", "hour": slots.slot,
                           "price": slots.price_eur_per_mwh, "unit": "€/MWh"}) \
        if len(slots) else None
    return Outcome(name, "dr", CURRENCY, agents, parts, converged, model.slot,
                   model.bus.sent_messages, model.bus.sent_values, 0.0,
                   prices if prices is not None else pd.DataFrame(),
                   allocation if allocation is not None else pd.DataFrame(),
                   {"auctions": len(model.dc.disclose().selections)})


def mechanism_name(strategy: str, selector: str) -> str:
    """The mechanism a DC strategy label (OP, BS, ST) runs as, for tables."""
    return {"OP": f"op_{selector}", "BS": "best_effort", "ST": "static"}.get(strategy, strategy)


class DRDay(IterativeMechanism):
    """One day under one DC strategy and winner selection; one step = one slot."""

    def __init__(self, scenario: DRScenario, name: str, strategy: str, selector: str | None,
                 prices: Callable[[], tuple[np.ndarray, np.ndarray | None]],
                 payment: str = "pay_as_bid") -> None:
        if selector is not None and (scenario.auction.selector, scenario.auction.payment) \
                != (selector, payment):
            scenario = scenario.model_copy(update={"auction": scenario.auction.model_copy(
                update={"selector": selector, "payment": payment})})
        self.scenario, self.name, self.strategy = scenario, name, strategy
        rule = {"pay_as_bid": "", "vcg": ", VCG payments", "uniform": ", uniform price"}[payment]
        self.description = {"OP": f"reverse auction ({selector}{rule})",
                            "BS": "best effort (BS)", "ST": "static (ST)"}[strategy]
        self._prices = prices
        self.model: DRModel | None = None

    def start(self) -> None:
        if self.model is None:
            actual, forecast = self._prices()
            self.model = DRModel(self.scenario, self.strategy, actual, forecast)

    def step(self) -> None:
        self.start()
        self.model.step()

    @property
    def converged(self) -> bool:
        return self.model is not None and not self.model.running

    def outcome(self) -> Outcome:
        self.start()
        return outcome_of_day(self.name, self.model, self.converged)


def mechanisms(scenario: DRScenario, forecast: np.ndarray | None = None
               ) -> dict[str, Callable[[], Mechanism]]:
    """The day's mechanisms, the scenario's own auction first; ``forecast`` (24
    slots) replaces the scenario's forecaster (trained once, on first use, and
    shared)."""

    @cache
    def prices() -> tuple[np.ndarray, np.ndarray | None]:
        from dcmarket.sim.dr.study import day_prices, train_forecast

        history, actual = day_prices(scenario)
        if forecast is not None:
            return actual, np.asarray(forecast, float)
        f = scenario.forecast
        if f.method == "none":
            return actual, None
        return actual, train_forecast(scenario, f.method, f.training_days, history,
                                      actual).forecast

    found = {"op_ga": lambda: DRDay(scenario, "op_ga", "OP", "ga", prices),
             "op_exact": lambda: DRDay(scenario, "op_exact", "OP", "exact", prices),
             "op_vcg": lambda: DRDay(scenario, "op_vcg", "OP", "exact", prices, "vcg"),
             "op_uniform": lambda: DRDay(scenario, "op_uniform", "OP", "exact", prices,
                                         "uniform"),
             "best_effort": lambda: DRDay(scenario, "best_effort", "BS", None, prices),
             "static": lambda: DRDay(scenario, "static", "ST", None, prices)}
    own = {"vcg": "op_vcg", "uniform": "op_uniform"}.get(
        scenario.auction.payment, mechanism_name("OP", scenario.auction.selector))
    return {own: found.pop(own), **found}  # the scenario's own auction first
