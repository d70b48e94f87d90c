"""A shard in the model's own process, called as a Ray actor is.

With ``RayExecutor(local_shard=True)`` the model's process hosts the last
shard itself: a :class:`~sim.executors.shard.ShardWorker` here, behind the
few calls :class:`~sim.executors.ray_host.RayHost` makes on an actor handle
(``actor.method.options(num_returns=k).remote(*args)``).  A call runs at once,
in this process, and returns :class:`Ready` values where Ray would return
object references.  The host submits the other shards' calls first, so they
run in their actors while this one runs here: the model's process computes
instead of waiting, and what its agents send to the other shards leaves
without a trip through Ray's object store first.

Everything else is as for any shard: the agents are built from their recipes
inside the :class:`~sim.executors.shard.Shard`, see nothing of each other but
messages, and their messages take the same paths (kept in the shard, in a
bulk for another shard, or relayed through the model's bus).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ray

from dcmarket.sim.executors.shard import ShardWorker

__all__ = ["InlineShard", "Ready", "fetch"]


class Ready:
    """A value computed in this process, where a Ray call gives a reference.
    Sent to an actor as an argument, it arrives as the value itself (as a
    reference's value does)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __reduce__(self) -> tuple:
        return (_identity, (self.value,))


def _identity(value: Any) -> Any:
    return value


def _resolved(item: Any) -> Any:
    """An argument as the shard's method receives it: references fetched (Ray
    does that for an actor's top-level arguments) and :class:`Ready` opened."""
    if isinstance(item, Ready):
        return item.value
    if isinstance(item, ray.ObjectRef):
        return ray.get(item)
    return item


def fetch(items: Sequence[Any]) -> list[Any]:
    """``ray.get`` over a list that may hold :class:`Ready` values: the
    references are fetched together, in one call."""
    refs = [item for item in items if isinstance(item, ray.ObjectRef)]
    got = iter(ray.get(refs)) if refs else iter(())
    return [next(got) if isinstance(item, ray.ObjectRef) else item.value for item in items]


class _Method:
    def __init__(self, function: Callable[..., Any], returns: int = 1) -> None:
        self._function, self._returns = function, returns

    def options(self, num_returns: int = 1, **_: Any) -> _Method:
        return _Method(self._function, num_returns)

    def remote(self, *args: Any) -> Ready | list[Ready]:
        out = self._function(*[_resolved(a) for a in args])
        return [Ready(v) for v in out] if self._returns > 1 else Ready(out)


class InlineShard:
    """A :class:`ShardWorker` of the model's process with an actor handle's calls."""

    def __init__(self) -> None:
        self._worker = ShardWorker()

    def __getattr__(self, method: str) -> _Method:
        if method.startswith("_"):
            raise AttributeError(method)
        return _Method(getattr(self._worker, method))
