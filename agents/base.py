"""The agent base class: a Mesa agent with a name, an inbox and nothing shared."""

from __future__ import annotations

from collections.abc import Mapping

import mesa

from market.messages import Message, MessageBus


class MarketAgent(mesa.Agent):
    """A Mesa agent that talks to others only through a :class:`MessageBus`.

    Subclasses keep their private data as attributes that no other agent is
    handed; what leaves the agent goes through :meth:`send`/:meth:`broadcast`.
    """

    def __init__(self, model: mesa.Model, name: str, bus: MessageBus) -> None:
        super().__init__(model)
        self.name = name
        self._bus = bus

    def send(self, round: int, receiver: str, kind: str, payload: Mapping) -> Message:
        return self._bus.send(round, self.name, receiver, kind, payload)

    def broadcast(self, round: int, kind: str, payload: Mapping) -> None:
        self._bus.broadcast(round, self.name, kind, payload)

    def receive(self, kind: str | None = None) -> list[Message]:
        return self._bus.receive(self.name, kind)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"
