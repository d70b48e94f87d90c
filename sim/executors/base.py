"""The host interface every model builds and activates its agents through.

A model never calls an agent's method in a loop of its own: it asks its host
to ``do`` it on a list of agents, in that order (or ``shuffle_do``, in an
order drawn from the model's RNG exactly as Mesa's ``AgentSet.shuffle_do``
draws it).  The in-process host calls the agents directly; the Ray host
(:mod:`sim.executors.ray_host`) runs the same calls in the actors that hold
the agents, shard by shard in parallel, and relays their messages.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import mesa

from dcmarket.market.messages import MessageBus


class ExecutorError(RuntimeError):
    """A run an executor cannot carry, or cannot start (named, with what to change)."""


class WorkerLostError(RuntimeError):
    """A process hosting agents died during a run (the run ends with exit 1,
    naming the shard, its agents and the round)."""


class ChainError(ExecutorError):
    """A call of a chain (:meth:`AgentHost.chain`) other than the last sent a message."""


@dataclass(frozen=True)
class Call:
    """``agent.method(*args, **kwargs)`` for each of ``agents`` in order, one link
    of :meth:`AgentHost.chain`; ``parallel`` as in :meth:`AgentHost.do`."""

    agents: Sequence[Any]
    method: str
    args: tuple = ()
    kwargs: dict[str, Any] | None = None
    parallel: bool = False


class _Placeholder:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self) -> str:  # the same object after pickling
        return self.name


#: stands, in an agent's constructor arguments, for the model it belongs to
MODEL = _Placeholder("MODEL")
#: stands, in an agent's constructor arguments, for the bus it gets its port on
BUS = _Placeholder("BUS")


def bind(args: Sequence[Any], kwargs: dict[str, Any], model: Any, bus: Any
         ) -> tuple[list[Any], dict[str, Any]]:
    """Constructor arguments with :data:`MODEL` and :data:`BUS` put in."""
    def put(a: Any) -> Any:
        return model if a is MODEL else bus if a is BUS else a
    return [put(a) for a in args], {k: put(v) for k, v in kwargs.items()}


class AgentHost(ABC):
    """Builds a model's agents and runs their methods."""

    def __init__(self, model: mesa.Model, bus: MessageBus) -> None:
        self.model = model
        self.bus = bus

    @abstractmethod
    def add(self, name: str, cls: type, *args: Any, **kwargs: Any) -> Any:
        """Build agent ``name`` as ``cls(*args, **kwargs)`` (:data:`MODEL` and
        :data:`BUS` among the arguments are put in); returns the agent, or a
        proxy with its public methods where it lives elsewhere."""

    @abstractmethod
    def do(self, agents: Sequence[Any], method: str, *args: Any, parallel: bool = False,
           **kwargs: Any) -> list[Any]:
        """``agent.method(*args, **kwargs)`` for each agent in order; the results.
        ``parallel`` marks calls that touch only their own agent (no messages)."""

    def shuffle_do(self, agents: Sequence[Any], method: str, *args: Any, **kwargs: Any
                   ) -> list[Any]:
        """As :meth:`do`, in an order shuffled by the model's RNG (the draw of
        Mesa's ``AgentSet.shuffle_do`` on the same agents)."""
        return self.do(self.shuffled(agents), method, *args, **kwargs)

    def shuffled(self, agents: Sequence[Any]) -> list[Any]:
        """``agents`` in an order drawn from the model's RNG (as :meth:`shuffle_do`)."""
        order = list(agents)
        self.model.random.shuffle(order)
        return order

    def chain(self, calls: Sequence[Call]) -> list[list[Any]]:
        """The calls one after the other, as one :meth:`do` each; the results of
        each.  Only the last may send messages (:class:`ChainError` otherwise):
        a host that runs agents elsewhere makes the whole chain one trip to
        each place the agents live (the Ray host: one call per shard)."""
        out = []
        for k, call in enumerate(calls):
            before = self.bus.sent_messages
            out.append(self.do(call.agents, call.method, *call.args, parallel=call.parallel,
                               **(call.kwargs or {})))
            if k < len(calls) - 1 and self.bus.sent_messages != before:
                raise ChainError(f"{call.method!r} sent messages in a chained call before "
                                 "its last call")
        return out

    def chain_then(self, calls: Sequence[Call], then: Call) -> tuple[list[list[Any]], list[Any]]:
        """:meth:`chain`, then ``then`` (which may send), with the model doing
        nothing in between: ``then``'s agents read what the chain's last call
        sent them.  The results of each.  A host that runs agents elsewhere
        may start ``then`` where it runs as soon as what it reads has arrived
        there (the Ray host, with no log and no faults: without a trip back to
        the model between the two)."""
        first = self.chain(calls)
        return first, self.do(then.agents, then.method, *then.args, parallel=then.parallel,
                              **(then.kwargs or {}))

    def close(self) -> None:  # noqa: B027 - a host with nothing to release keeps it
        """Release what the host holds (threads, actors)."""


class InProcessHost(AgentHost):
    """Agents are objects of the model's process; parallel calls go to threads
    (the local solvers release the GIL)."""

    def __init__(self, model: mesa.Model, bus: MessageBus, workers: int = 1) -> None:
        super().__init__(model, bus)
        self._pool = ThreadPoolExecutor(workers) if workers > 1 else None

    def add(self, name: str, cls: type, *args: Any, **kwargs: Any) -> Any:
        args, kwargs = bind(args, kwargs, self.model, self.bus)
        return cls(*args, **kwargs)

    def do(self, agents: Sequence[Any], method: str, *args: Any, parallel: bool = False,
           **kwargs: Any) -> list[Any]:
        if parallel and self._pool is not None:
            return list(self._pool.map(lambda a: getattr(a, method)(*args, **kwargs), agents))
        return [getattr(a, method)(*args, **kwargs) for a in agents]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)


class Executor(ABC):
    """Chooses where a model's agents run (see :mod:`sim.executors`)."""

    name: str

    @abstractmethod
    def host(self, model: mesa.Model, bus: MessageBus, workers: int = 1) -> AgentHost:
        """A host for ``model``'s agents on ``bus`` (``workers``: in-process threads)."""


@dataclass(frozen=True)
class InProcess(Executor):
    """Agents in the model's process (the embedded default)."""

    name: str = "inprocess"

    def host(self, model: mesa.Model, bus: MessageBus, workers: int = 1) -> AgentHost:
        return InProcessHost(model, bus, workers)
