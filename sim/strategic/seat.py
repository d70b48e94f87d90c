"""A seat for a human at one agent (``dcmarket play``; docs/strategies.md).

The seat is a strategy of the agent's role whose moves the player sets: a
P2P data centre scales or shifts the price estimates it sends (and reports
and confirms what it sent), withholds part of its links' capacity and states
a cost factor — the last two once, before the first round, since its local
problem is built then; a DR user sets its bid at each DR call; a household
scales the offer it tells the EOA.  With no move the seat says exactly what
the truthful agent says.  The seat also keeps what its agent has seen of
its own trades — what the player may be shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dcmarket.agents.strategies import DataCentreStrategy, DRUserStrategy, HouseholdStrategy


class MoveError(ValueError):
    """A move the seat does not take (the message says what it takes)."""


@dataclass
class Moves:
    """The player's current moves (the truthful ones by default)."""

    scale: float = 1.0
    shift: float = 0.0
    withhold: float = 0.0
    withhold_links: tuple[str, ...] | None = None
    cost: float = 1.0
    offer: float = 1.0
    #: a DR user's markup on its true cost where no one is asked (the dashboard)
    markup: float = 1.0

    def truthful(self) -> None:
        """Per-step moves back to truthful (the opening ones stay: they are built in)."""
        self.scale, self.shift, self.offer = 1.0, 0.0, 1.0

    def describe(self) -> str:
        parts = []
        if self.scale != 1.0:
            parts.append(f"scale {self.scale:g}")
        if self.shift != 0.0:
            parts.append(f"shift {self.shift:g}")
        if self.offer != 1.0:
            parts.append(f"offer {self.offer:g}")
        return ", ".join(parts) or "truthful"


def _factor(text: str, what: str, low: float = 0.0, high: float = 10.0) -> float:
    try:
        value = float(text)
    except ValueError:
        raise MoveError(f"{what} {text!r}: a number expected") from None
    if not np.isfinite(value) or not low <= value <= high:
        raise MoveError(f"{what} {value:g}: between {low:g} and {high:g}")
    return value


#: what each role's prompt takes, for its help line
HELP = {
    "p2p_datacentre": ("Enter: truthful this round · scale F: multiply the estimates you send "
                       "· shift D: move them by D $/M req against your trades · keep: last "
                       "round's move · N: N rounds · c: to the end · q: stop"),
    "p2p_opening": ("Enter: none · withhold S [PARTNER…]: offer only 1−S of your link "
                    "capacity · cost F: optimise as if your costs were F times theirs "
                    "(both may be given, e.g. 'withhold 0.25 cost 1.1')"),
    "household": ("Enter: truthful this round · offer F: tell the EOA F times your best "
                  "response · keep · N · c · q"),
    "dr_user": ("Enter: bid your true cost · a number: your fee in € · xF: F times your "
                "true cost"),
}


def parse_moves(text: str, moves: Moves, role: str, opening: bool = False,
                partners: tuple[str, ...] = ()) -> None:
    """Apply the player's line to ``moves`` (``MoveError`` names what is wrong)."""
    words = text.split()
    allowed = {"p2p_datacentre": ("withhold", "cost") if opening else ("scale", "shift"),
               "household": ("offer",)}[role]
    i = 0
    while i < len(words):
        word = words[i].lower()
        if word not in allowed:
            raise MoveError(f"{word!r}: this prompt takes {', '.join(allowed)} "
                            f"({HELP['p2p_opening' if opening else role]})")
        if i + 1 >= len(words):
            raise MoveError(f"{word}: a number expected after it")
        value = words[i + 1]
        i += 2
        if word == "scale":
            moves.scale = _factor(value, "scale", 0.1, 10.0)
        elif word == "shift":
            moves.shift = _factor(value, "shift", -1e3, 1e3)
        elif word == "offer":
            moves.offer = _factor(value, "offer", 0.0, 10.0)
        elif word == "cost":
            moves.cost = _factor(value, "cost", 0.1, 10.0)
        elif word == "withhold":
            moves.withhold = _factor(value, "withhold", 0.0, 1.0)
            links = []
            while i < len(words) and words[i] in partners:
                links.append(words[i])
                i += 1
            moves.withhold_links = tuple(links) or None


class DataCentreSeat(DataCentreStrategy):
    """A P2P data centre played by a human (see the module docstring)."""

    name = "seat"

    def configure(self, moves: Moves | None = None) -> None:
        self.moves = moves or Moves()
        self.trades: dict[str, np.ndarray] = {}
        self.sent: dict[str, np.ndarray] = {}

    def _said(self, y: np.ndarray, trades: np.ndarray) -> np.ndarray:
        m = self.moves
        return m.scale * y - m.shift * np.sign(trades)

    def trade_limits(self, limits: Mapping[str, float]) -> dict[str, float]:
        m = self.moves
        return {j: q * (1.0 - m.withhold) if m.withhold_links is None
                or j in m.withhold_links else q for j, q in limits.items()}

    def cost(self, cost: np.ndarray) -> np.ndarray:
        return cost if self.moves.cost == 1.0 else self.moves.cost * cost

    def offer(self, marginal_cost: float) -> float:
        return self.moves.cost * marginal_cost

    def estimate(self, partner: str, y: np.ndarray, trades: np.ndarray) -> np.ndarray:
        self.trades[partner] = np.array(trades, float)
        self.sent[partner] = self._said(y, trades)
        return self.sent[partner]

    def report(self, prices: np.ndarray, trades: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._said(prices, trades), trades

    def confirmation(self, partner: str, price: np.ndarray, q: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
        return self._said(price, q), q


@dataclass(frozen=True)
class Call:
    """A DR call as the user sees it, for the player's bid."""

    n_tasks: int
    delay_slots: int
    true_cost_eur: float


class UserSeat(DRUserStrategy):
    """A DR user played by a human: ``ask(call) -> fee`` decides each bid."""

    name = "seat"

    def configure(self, ask: Callable[[Call], float] | None = None,
                  moves: Moves | None = None) -> None:
        self.ask = ask
        self.moves = moves or Moves()
        self.bids: list[dict[str, Any]] = []

    def fee(self, true_cost_eur: float, n_tasks: int, delay_slots: int) -> float:
        call = Call(int(n_tasks), int(delay_slots), float(true_cost_eur))
        fee = self.moves.markup * float(true_cost_eur) if self.ask is None \
            else float(self.ask(call))
        self.bids.append({"n_tasks": call.n_tasks, "delay": call.delay_slots,
                          "true_cost_eur": call.true_cost_eur, "fee_eur": fee})
        return fee


class HouseholdSeat(HouseholdStrategy):
    """A household played by a human: it scales the offer it tells the EOA."""

    name = "seat"

    def configure(self, moves: Moves | None = None) -> None:
        self.moves = moves or Moves()

    def offer(self, electricity_kw: np.ndarray, heat_kw: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
        f = self.moves.offer
        return (electricity_kw, heat_kw) if f == 1.0 else (f * electricity_kw, f * heat_kw)


def parse_bid(text: str, call: Call) -> float:
    """A DR user's answer: Enter → its true cost, a number → the fee (€), xF → F × cost."""
    text = text.strip().lower()
    if not text:
        return call.true_cost_eur
    if text.startswith("x"):
        return _factor(text[1:], "markup", 0.0, 100.0) * call.true_cost_eur
    return _factor(text, "fee", 0.0, 1e6)


@dataclass
class SeatState:
    """What one seat needs across the run: its strategy object and the moves."""

    agent: str
    role: str
    strategy: Any
    moves: Moves = field(default_factory=Moves)
