"""The energy community's dashboard panels (paper 001): the price the EOA
broadcasts and what the households ask of the community, hour by hour —
from the messages only (the EOA's ``community_price``, the households'
``exchange_bid`` and, once committed, their ``commitment``)."""

from __future__ import annotations

import numpy as np
import solara

from dcmarket.market.protocols import COMMITMENT, COMMUNITY_PRICE, EXCHANGE_BID
from dcmarket.sim.dashboard.model import DashboardModel
from dcmarket.sim.dashboard.panels import latest_by_sender
from dcmarket.sim.dashboard.style import new_figure, shown


def Community(model: DashboardModel):  # noqa: N802 - a Solara component
    """Left: the community's electricity price by hour (ρ·u, €/kWh). Right: what
    the households take from the community (+) or give it (−), kW: their sum and
    each household's range, from their latest bids (or commitments)."""
    prices = latest_by_sender(model, COMMUNITY_PRICE)
    committed = latest_by_sender(model, COMMITMENT)
    asked = committed or latest_by_sender(model, EXCHANGE_BID)
    if not prices:
        return solara.Markdown("**Community price:** the EOA broadcasts its first price "
                               "in the first round.")
    rho = model.stepper.scenario.twin.rho
    price = rho * np.asarray(next(iter(prices.values())).payload["u_electricity"], float)
    fig = new_figure(3.5)
    left, right = fig.subplots(1, 2)
    hours = np.arange(len(price))
    left.step(hours, price, where="mid", lw=2)
    left.set_title("community price, €/kWh", loc="left")
    if asked:
        kw = np.array([np.asarray(m.payload["electricity_kw"], float) for m in asked.values()])
        right.fill_between(hours, kw.min(axis=0), kw.max(axis=0), step="mid", alpha=0.25,
                           label="one household (range)")
        right.step(hours, kw.sum(axis=0), where="mid", lw=2, label="all households")
        right.axhline(0, color="k", lw=0.8)
        right.legend(loc="best")
    right.set_title("households' exchange, kW (" + ("committed" if committed else
                                                    "latest bids") + ")", loc="left")
    for ax in (left, right):
        ax.set_xlim(-0.5, len(price) - 0.5)
        ax.set_xticks(range(0, len(price), 6))
        ax.set_xlabel("hour")
    return shown(fig)


def panels(model: DashboardModel | None = None) -> list:
    return [Community]
