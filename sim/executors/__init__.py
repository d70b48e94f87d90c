"""Where agents run: in the model's process (the default) or in Ray actors.

A model builds its agents through an :class:`~sim.executors.base.AgentHost`
and activates them through it (``host.do(agents, "method")``,
``host.shuffle_do(...)``); which host it gets is chosen by an
:class:`Executor`:

- :class:`InProcess` (the embedded default): agents are objects of the model's
  process; ``workers`` > 1 runs the calls a model marks parallel (the DCs'
  local solves) in threads.
- :class:`RayExecutor`: agents live in Ray actors, a shard of agents per actor
  (by default one shard per CPU of the cluster; ``local_shard`` has the
  model's own process host one of them); each actor holds its agents'
  private data and built problems.  Messages between agents of one shard are
  delivered inside the actor; the others travel through Ray to the model's
  bus, which checks, logs and delivers them as it does in process (without a
  log and a fault model, from shard to shard, the bus only counting them).
  Results and the message log equal the in-process run's.

The default for a process is set by :func:`use` (the CLI's ``--executor``) or
by ``DCMARKET_EXECUTOR`` (``inprocess`` or ``ray``; ``RAY_ADDRESS`` joins a
running cluster).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from dcmarket.sim.executors.base import (
    BUS,
    MODEL,
    AgentHost,
    Call,
    ChainError,
    Executor,
    ExecutorError,
    InProcess,
    WorkerLostError,
)

__all__ = [
    "BUS",
    "MODEL",
    "AgentHost",
    "Call",
    "ChainError",
    "Executor",
    "ExecutorError",
    "InProcess",
    "RayExecutor",
    "WorkerLostError",
    "default",
    "executor_of",
    "set_default",
    "use",
]

_default: Executor | None = None


def __getattr__(name: str):  # Ray is imported only when it is asked for
    if name == "RayExecutor":
        from dcmarket.sim.executors.ray_host import RayExecutor

        return RayExecutor
    raise AttributeError(name)


def executor_of(kind: str, *, address: str | None = None, shards: int | None = None,
                agents_per_shard: int | None = None, local_shard: bool = False,
                isolate: tuple[str, ...] = ()) -> Executor:
    """An executor by name: ``inprocess`` or ``ray`` (``local_shard``: the
    model's process hosts one of Ray's shards itself; ``isolate``: these
    agents get an actor of their own, docs/privacy.md)."""
    if kind == "inprocess" and isolate:
        raise ExecutorError("--isolate needs processes of their own: use the ray executor "
                            "(--executor ray, or leave --executor out)")
    if kind == "inprocess":
        if local_shard:
            raise ExecutorError("--local-shard is for the ray executor: the in-process "
                                "executor hosts every agent here already")
        return InProcess()
    if kind == "ray":
        try:
            from dcmarket.sim.executors.ray_host import RayExecutor
        except ImportError as exc:
            raise ExecutorError(f"the Ray executor needs Ray ({exc}): install dcmarket's ray "
                                "extra, pip install -e '.[ray]' (ray==2.40.0)") from exc
        return RayExecutor(address=address, shards=shards, agents_per_shard=agents_per_shard,
                           local_shard=local_shard, isolate=tuple(isolate))
    raise ExecutorError(f"executor {kind!r}: choose inprocess or ray")


def default() -> Executor:
    """The process's executor: set by :func:`use`, else ``DCMARKET_EXECUTOR``, else in-process."""
    if _default is not None:
        return _default
    return executor_of(os.environ.get("DCMARKET_EXECUTOR", "inprocess").strip() or "inprocess")


def set_default(executor: Executor | None) -> None:
    """Models built from now on without an explicit executor use ``executor``
    (``None``: back to ``DCMARKET_EXECUTOR`` / in process)."""
    global _default
    _default = executor


@contextlib.contextmanager
def use(executor: Executor) -> Iterator[Executor]:
    """Within the block, models built without an explicit executor use ``executor``."""
    global _default
    before, _default = _default, executor
    try:
        yield executor
    finally:
        _default = before
