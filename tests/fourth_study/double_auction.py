"""A fourth study that lives only here: a one-shot uniform-price double
auction among buyer and seller agents.  It proves the study seam: by
registering :data:`STUDY` (sim.registry) it gets ``validate``, ``run``,
``step``, ``messages``, ``report``, ``verify`` and a dashboard panel with no
line changed in dcmarket's shared modules.

Each trader holds one private limit (a buyer's value, a seller's cost, €/MWh)
and a quantity (MWh); it sends one ``order`` to the auctioneer.  The
auctioneer sorts bids down and asks up, trades while the marginal bid is at
least the marginal ask, and clears every trade at one price: the midpoint of
the last accepted bid and ask (a k = ½ double auction).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import mesa
import networkx as nx
import numpy as np
import pandas as pd
from pydantic import Field

from dcmarket.agents.base import MarketAgent
from dcmarket.agents.spec_base import Positive, StrictSpec
from dcmarket.market.messages import Field as PayloadField
from dcmarket.market.messages import MessageBus, MessageKind, Protocol
from dcmarket.sim.registry import Study
from dcmarket.sim.scenario import ScenarioHeader, validate_as
from dcmarket.sim.stepping import Stepper

AUCTIONEER = "auctioneer"
ORDER, CLEARING = "order", "clearing"
DOUBLE_AUCTION = Protocol("double_auction", (
    MessageKind(ORDER, (PayloadField("limit", "€/MWh"), PayloadField("quantity", "MWh"),
                        PayloadField("buy", "", integer=True)),
                "trader → auctioneer: its limit price, quantity and side (1 buys)"),
    MessageKind(CLEARING, (PayloadField("price", "€/MWh"), PayloadField("quantity", "MWh")),
                "auctioneer → trader: the clearing price and what it trades"),
))


class Trader(StrictSpec):
    name: str
    limit: float  # €/MWh: a buyer's value, a seller's cost
    quantity: Positive


class DoubleAuctionScenario(ScenarioHeader):
    study: Literal["double_auction"] = "double_auction"
    name: str = "double_auction"
    buyers: tuple[Trader, ...] = Field(min_length=1)
    sellers: tuple[Trader, ...] = Field(min_length=1)


def parse(raw: object, source: str) -> DoubleAuctionScenario:
    return validate_as(DoubleAuctionScenario, raw, source)


class TraderAgent(MarketAgent):
    def __init__(self, model: mesa.Model, spec: Trader, buys: bool, bus: MessageBus) -> None:
        super().__init__(model, spec.name, bus)
        self._spec, self._buys = spec, buys
        self.traded = 0.0

    def order(self) -> None:
        self.send(AUCTIONEER, ORDER, {"limit": self._spec.limit,
                                      "quantity": self._spec.quantity,
                                      "buy": int(self._buys)})

    def read_clearing(self) -> None:
        for message in self.receive(CLEARING):
            self.traded = float(message.payload["quantity"])


def clear(orders: list[tuple[str, float, float, bool]]) -> tuple[float, dict[str, float]]:
    """Uniform price and each trader's traded quantity (signed: + bought)."""
    bids = sorted((o for o in orders if o[3]), key=lambda o: -o[1])
    asks = sorted((o for o in orders if not o[3]), key=lambda o: o[1])
    left = {o[0]: o[2] for o in orders}
    traded = dict.fromkeys(left, 0.0)
    i = j = 0
    last = None
    while i < len(bids) and j < len(asks) and bids[i][1] >= asks[j][1]:
        q = min(left[bids[i][0]], left[asks[j][0]])
        traded[bids[i][0]] += q
        traded[asks[j][0]] -= q
        left[bids[i][0]] -= q
        left[asks[j][0]] -= q
        last = (bids[i][1], asks[j][1])
        i += left[bids[i][0]] <= 0
        j += left[asks[j][0]] <= 0
    price = float("nan") if last is None else 0.5 * (last[0] + last[1])
    return price, traded


class DoubleAuctionModel(mesa.Model):
    """Step 1: the traders' orders; step 2: the auctioneer clears and tells them."""

    def __init__(self, scenario: DoubleAuctionScenario) -> None:
        super().__init__()
        names = [t.name for t in (*scenario.buyers, *scenario.sellers)]
        self.bus = MessageBus(nx.star_graph([AUCTIONEER, *names]), (DOUBLE_AUCTION,))
        self._port = self.bus.port(AUCTIONEER)
        self.traders = [TraderAgent(self, t, True, self.bus) for t in scenario.buyers] + \
            [TraderAgent(self, t, False, self.bus) for t in scenario.sellers]
        self.phase, self.price, self.traded = 0, float("nan"), {}

    def step(self) -> None:
        self.bus.round = self.phase
        if self.phase == 0:
            for trader in self.traders:
                trader.order()
        elif self.phase == 1:
            orders = [(m.sender, float(m.payload["limit"]), float(m.payload["quantity"]),
                       bool(m.payload["buy"])) for m in self._port.receive(ORDER)]
            self.price, self.traded = clear(orders)
            for name, q in self.traded.items():
                self._port.send(name, CLEARING, {"price": self.price, "quantity": q})
            for trader in self.traders:
                trader.read_clearing()
        self.phase += 1


class DoubleAuctionStepper(Stepper):
    def __init__(self, scenario: DoubleAuctionScenario) -> None:
        super().__init__("double_auction", "phase", scenario)
        self.model = DoubleAuctionModel(scenario)
        self.bus = self.model.bus

    def step(self) -> None:
        self.model.step()
        self.steps += 1

    @property
    def done(self) -> bool:
        return self.model.phase >= 2

    @property
    def converged(self) -> bool:
        return self.done

    def status(self) -> str:
        return (f"phase {self.model.phase}: " + ("orders sent" if self.model.phase == 1 else
                f"cleared at {self.model.price:.2f} €/MWh"))

    def history(self) -> pd.DataFrame:
        return pd.DataFrame({"phase": [self.model.phase], "price": [self.model.price]})


def make_stepper(scenario: DoubleAuctionScenario, options: dict) -> Stepper:
    return DoubleAuctionStepper(scenario)


def run(scenario: DoubleAuctionScenario, path: Path, out: Path | None, command: str,
        options: dict) -> int:
    from dcmarket.sim.run_folder import RunFolder

    model = DoubleAuctionModel(scenario)
    model.step()
    model.step()
    print(f"{scenario.name}: cleared at {model.price:.2f} €/MWh, "
          f"{sum(q for q in model.traded.values() if q > 0):g} MWh traded")
    if out is not None:
        folder = RunFolder(out)
        folder.messages(model.bus)
        folder.frame("trades.csv", pd.DataFrame({"trader": list(model.traded),
                                                 "quantity_mwh": list(model.traded.values())}))
        folder.json("summary.json", {"kind": "double_auction", "converged": True,
                                     "scenario_name": scenario.name,
                                     "price_eur_per_mwh": model.price,
                                     "traded_mwh": float(np.sum([q for q in model.traded.values()
                                                                 if q > 0]))})
        folder.finish(command, scenario)
    return 0


def report_section(summary: dict, folder: Path) -> list[str]:
    return [f"<p>Uniform price {summary['price_eur_per_mwh']:.2f} €/MWh, "
            f"{summary['traded_mwh']:g} MWh traded (double auction).</p>"]


def ClearingPanel(model):  # noqa: N802 - a Solara component
    import solara

    m = model.stepper.model
    return solara.Markdown(f"**Double auction:** phase {m.phase}, price {m.price:.2f} €/MWh")


def panels() -> list:
    return [ClearingPanel]


STUDY = Study(
    name="double_auction",
    title="A uniform-price double auction (a study that lives in the tests)",
    parse=f"{__name__}:parse",
    run=f"{__name__}:run",
    stepper=f"{__name__}:make_stepper",
    sections=("buyers",),
    report_sections={"double_auction": f"{__name__}:report_section"},
    panels=f"{__name__}:panels",
    unit="phase",
)
