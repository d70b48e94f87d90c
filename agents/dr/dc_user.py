"""A DC user who bids in the reverse auction (paper 002, Sections 3.2 and 4.1.2).

Private data: its task stream (:class:`~agents.dr.task_streams.TaskStream`), its
cost of delay ``κ_u`` (€ per task per slot of postponement) and its
willingness ``w_u`` (the share of eligible tasks it is ready to let go).
What leaves the agent: its task submissions (``submit_tasks``) and, answering
a DR call, one bid ``⟨n_u(t), c_u(t)⟩`` (``bid``). It learns the outcome from
the DC's ``award``.

Bid rule: at a call for slot ``t`` with resume slot ``r``, the tasks it may
offer are its batch tasks submitted in ``t`` that tolerate a delay of
``r − t`` slots (delay-sensitive: ≤ 4, delay-insensitive: ≤ 8); it offers
``⌊w_u · eligible⌋`` of each type and asks ``c_u = κ_u · (r − t) · n_u``.
No eligible task, no bid.
"""

from __future__ import annotations

import math

import mesa

from dcmarket.agents.base import MarketAgent
from dcmarket.agents.dr.task_streams import TOLERANCE_SLOTS, TaskStream
from dcmarket.agents.strategies import DRUserStrategy, TruthfulBid
from dcmarket.market.messages import MessageBus
from dcmarket.market.protocols import AWARD, BID, DR_CALL, SUBMIT_TASKS


class DCUserAgent(MarketAgent):
    """One user of the DR data centre."""

    def __init__(self, model: mesa.Model, name: str, bus: MessageBus, dc_name: str,
                 stream: TaskStream, delay_cost_eur: float, willingness: float,
                 strategy: DRUserStrategy | None = None) -> None:
        super().__init__(model, name, bus)
        if delay_cost_eur < 0:
            raise ValueError(f"user {name!r}: delay_cost_eur must be ≥ 0")
        if not 0.0 <= willingness <= 1.0:
            raise ValueError(f"user {name!r}: willingness must lie in [0, 1]")
        self.dc_name = dc_name
        self._stream = stream
        self._delay_cost = float(delay_cost_eur)
        self._willingness = float(willingness)
        #: what it bids (truthful: its true cost of the delay); see agents.strategies
        self._strategy = strategy if strategy is not None else TruthfulBid()
        self.fees_received_eur = 0.0
        self.awards: list[dict[str, float]] = []
        self._true_cost: dict[int, float] = {}  # slot → its true cost of the delay it bid

    def submit(self, slot: int) -> None:
        """Send this slot's tasks to the DC."""
        self.send(self.dc_name, SUBMIT_TASKS, {"slot": slot, **self._stream.at(slot)})

    def answer_calls(self) -> None:
        """Bid on every DR call waiting in the inbox."""
        for call in self.receive(DR_CALL):
            slot, resume = int(call.payload["slot"]), int(call.payload["resume_slot"])
            delay = resume - slot
            submitted = self._stream.at(slot)
            offer = {kind: math.floor(self._willingness * submitted[kind])
                     if TOLERANCE_SLOTS[kind] >= delay else 0
                     for kind in ("sensitive", "insensitive")}
            n_tasks = offer["sensitive"] + offer["insensitive"]
            if n_tasks == 0:
                continue
            true_cost = self._delay_cost * delay * n_tasks
            self._true_cost[slot] = true_cost
            self.send(self.dc_name, BID, {
                "slot": slot, "n_sensitive": offer["sensitive"],
                "n_insensitive": offer["insensitive"],
                "fee_eur": float(self._strategy.fee(true_cost, n_tasks, delay))})

    def collect_awards(self) -> None:
        for award in self.receive(AWARD):
            self.awards.append(dict(award.payload))
            paid = float(award.payload["payment_eur"])
            self.fees_received_eur += paid
            self._strategy.award(bool(award.payload["won"]), paid,
                                 self._true_cost.get(int(award.payload["slot"]), 0.0))
