"""The agent base class: a Mesa agent with a name, a port and nothing shared.

Privacy holds by structure:

- an agent gets a :class:`~market.messages.Port` onto the bus, not the bus:
  it sends as itself (the bus stamps the sender) and reads only its own inbox;
- its ``model`` is a :class:`PublicFacts` view of the Mesa model: the round,
  the step count, the time and the random generators — not the registry of
  other agents, not the scenario, not the bus;
- its private data are underscore attributes; under :func:`privacy_audit`
  (used by the audit tests) reading or writing another object's underscore
  attributes of an agent raises :class:`PrivacyError`.
"""

from __future__ import annotations

import functools
import itertools
import sys
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import mesa

from dcmarket.market.messages import Message, MessageBus


class PrivacyError(AttributeError):
    """An agent's private data reached from outside the agent."""


#: token → the model behind a :class:`PublicFacts` (a private module table: no
#: attribute of an agent leads to it; module globals are reachable in-process,
#: docs/privacy.md)
_MODELS: dict[int, weakref.ref] = {}
_TOKENS = itertools.count(1)


def _model_of(token: int) -> mesa.Model:
    model = _MODELS[token]()
    if model is None:
        raise RuntimeError("the model of this agent is gone")
    return model


def _deregister(token: int, agent: mesa.Agent) -> None:
    _model_of(token).deregister_agent(agent)


class PublicFacts:
    """What an agent may read of its model: round, steps, time, random numbers.

    It holds an opaque token, not the model: no attribute of it (nor of the
    callable it hands Mesa for ``Agent.remove``) leads to the model."""

    __slots__ = ("_owner", "_token")
    PUBLIC = ("round", "steps", "time", "random", "rng")

    def __init__(self, model: mesa.Model, owner: str) -> None:
        token = getattr(model, "_dcmarket_facts_token", None)
        if token is None or token not in _MODELS:
            token = next(_TOKENS)
            _MODELS[token] = weakref.ref(model)
            weakref.finalize(model, _MODELS.pop, token, None)
            object.__setattr__(model, "_dcmarket_facts_token", token)
        object.__setattr__(self, "_token", token)
        object.__setattr__(self, "_owner", owner)

    def __getattr__(self, name: str) -> Any:
        token = object.__getattribute__(self, "_token")
        if name in PublicFacts.PUBLIC:
            return getattr(_model_of(token), name, None)
        if name == "deregister_agent":  # Agent.remove()
            return functools.partial(_deregister, token)
        owner = object.__getattribute__(self, "_owner")
        raise PrivacyError(f"agent {owner!r} may read only public model facts "
                           f"{PublicFacts.PUBLIC}; {name!r} is not one of them (other agents, "
                           "the scenario and the bus are reached by messages only)")

    def __setattr__(self, name: str, value: Any) -> None:
        raise PrivacyError(f"agent {object.__getattribute__(self, '_owner')!r} cannot change "
                           f"the model ({name!r})")


class MarketAgent(mesa.Agent):
    """A Mesa agent that talks to others only through its port on a :class:`MessageBus`.

    Subclasses keep their private data as underscore attributes; what leaves
    the agent goes through :meth:`send`, and what it makes
    public for reports is returned by its public methods.
    """

    def __init__(self, model: mesa.Model, name: str, bus: MessageBus) -> None:
        super().__init__(model)
        self.model = PublicFacts(model, name)
        self.name = name
        self._port = bus.port(name)

    def send(self, receiver: str, kind: str, payload: Mapping,
             labels: Mapping[str, Sequence[str]] | None = None) -> None:
        """Send through its port; ``labels`` name the link of each value of a
        field with a link axis (see :class:`market.messages.Field`)."""
        self._port.send(receiver, kind, payload, labels)

    def receive(self, kind: str | None = None) -> list[Message]:
        return self._port.receive(kind)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


def _guarded_getattribute(self: MarketAgent, name: str) -> Any:
    if name[:1] == "_" and name[:2] != "__":
        caller = sys._getframe(1)
        if caller.f_locals.get("self") is not self:
            owner = object.__getattribute__(self, "__dict__").get("name", "?")
            who = caller.f_locals.get("self")
            raise PrivacyError(f"{name!r} is private to agent {owner!r}; read from "
                               f"{type(who).__name__ if who is not None else 'outside'}"
                               f"{' ' + repr(getattr(who, 'name', '')) if who is not None else ''}"
                               f" ({caller.f_code.co_filename}:{caller.f_lineno})")
    return object.__getattribute__(self, name)


def _guarded_setattr(self: MarketAgent, name: str, value: Any) -> None:
    if name[:1] == "_" and name[:2] != "__" and sys._getframe(1).f_locals.get("self") is not self:
        raise PrivacyError(f"{name!r} of agent {self.name!r} written from outside it")
    object.__setattr__(self, name, value)


@contextmanager
def privacy_audit() -> Iterator[None]:
    """Within the block, touching an agent's private attributes from outside raises."""
    MarketAgent.__getattribute__ = _guarded_getattribute  # type: ignore[method-assign]
    MarketAgent.__setattr__ = _guarded_setattr  # type: ignore[method-assign]
    try:
        yield
    finally:
        del MarketAgent.__getattribute__
        del MarketAgent.__setattr__
