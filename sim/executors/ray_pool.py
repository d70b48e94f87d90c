"""Ray itself, for the Ray executor: starting it or joining a cluster, and the
pool of shard actors (started once per Ray session and shared by every model,
each dropping a model's agents when the model is gone)."""

from __future__ import annotations

import contextlib
import os
import socket
from typing import Any

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from dcmarket.sim.executors.base import ExecutorError
from dcmarket.sim.executors.shard import ShardWorker

__all__ = ["close_shards", "dedicated", "ensure_ray", "forget", "workers"]


#: The niceness of the worker processes of a Ray started here.  Ray's default
#: (15) has its workers yield to every other process; here they are the
#: simulation's compute, and at 15 the model's process and Ray's own threads
#: preempt the shards, which the model then waits for (a 64-DC round: about a
#: tenth longer, benchmarks/admm_clearing.py).  A cluster one joins keeps its
#: own setting (``RAY_worker_niceness=0 ray start ...``).
WORKER_NICENESS = 0


#: seconds to reach a Ray cluster's address before giving up (DCMARKET_RAY_TIMEOUT)
CONNECT_TIMEOUT_S = 30.0


def _host_port(address: str) -> tuple[str, int]:
    """``host:port`` (or ``ray://host:port``) of a Ray address, or an
    :class:`ExecutorError` naming it."""
    text = address.removeprefix("ray://")
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536 \
            or any(c.isspace() for c in host):
        raise ExecutorError(f"Ray address {address!r}: expected host:port (e.g. "
                            "10.0.0.5:6379) or ray://host:port")
    return host, int(port)


def _reachable(address: str, timeout_s: float) -> None:
    """Refuse, naming it, an address nothing answers on within ``timeout_s``."""
    host, port = _host_port(address)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        raise ExecutorError(f"Ray address {address!r}: nothing answers there within "
                            f"{timeout_s:g} s ({exc.strerror or exc}); is the cluster "
                            "running? (DCMARKET_RAY_TIMEOUT sets the wait)") from None


def ensure_ray(address: str | None = None) -> None:
    """Start Ray here (this machine's CPUs, no dashboard, workers at
    :data:`WORKER_NICENESS`) or join ``address`` / ``RAY_ADDRESS``; nothing if
    it is already up.  A malformed or unreachable address, or a Ray that cannot
    start here, is an :class:`ExecutorError` naming it (within
    ``DCMARKET_RAY_TIMEOUT`` seconds, default 30)."""
    if ray.is_initialized():
        return
    address = address or os.environ.get("RAY_ADDRESS")
    timeout = float(os.environ.get("DCMARKET_RAY_TIMEOUT", CONNECT_TIMEOUT_S))
    try:
        if address and address not in ("auto", "local"):
            _reachable(address, timeout)
            ray.init(address=address, log_to_driver=False)
        elif address == "auto":
            ray.init(address="auto", log_to_driver=False)
        else:
            ray.init(num_cpus=os.cpu_count() or 1, include_dashboard=False,
                     log_to_driver=False, _system_config={"worker_niceness": WORKER_NICENESS})
    except ExecutorError:
        raise
    except Exception as exc:  # Ray's own errors: a stale session file, a refused join
        raise ExecutorError(f"Ray could not {'join ' + repr(address) if address else 'start here'}"
                            f": {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
                            + ("" if address else " (a stale session under /tmp/ray? "
                               "`ray stop` clears it)")) from None


def forget(actor: Any) -> None:
    """Drop a dead actor from the pool (a later model starts a new one)."""
    global _pool
    _pool = [a for a in _pool if a is not actor]


_Worker = ray.remote(ShardWorker)

_pool: list[Any] = []
_pool_job: str | None = None


def workers(n: int, cpus: float) -> list[Any]:
    """``n`` actors of this Ray session's pool (started once, shared by every
    model), dealt round-robin over the cluster's live nodes."""
    global _pool, _pool_job
    context = ray.get_runtime_context()
    # a new Ray session: the old actors are gone (a restarted local Ray numbers
    # its jobs from 1 again, so the driver's node tells sessions apart)
    job = f"{context.get_job_id()}@{context.get_node_id()}"
    if job != _pool_job:
        _pool, _pool_job = [], job
    nodes = sorted(node["NodeID"] for node in ray.nodes() if node["Alive"])
    while len(_pool) < n:
        where = NodeAffinitySchedulingStrategy(nodes[len(_pool) % len(nodes)], soft=False)
        _pool.append(_Worker.options(num_cpus=cpus, scheduling_strategy=where).remote())
    return _pool[:n]


def dedicated(n: int, cpus: float) -> list[Any]:
    """``n`` actors of their own, outside the pool: an isolated agent's process
    hosts nothing of any other model or agent (ended by :func:`close_shards`)."""
    nodes = sorted(node["NodeID"] for node in ray.nodes() if node["Alive"])
    return [_Worker.options(num_cpus=cpus, scheduling_strategy=NodeAffinitySchedulingStrategy(
        nodes[k % len(nodes)], soft=False)).remote() for k in range(n)]


def close_shards(host: int, actors: list[Any], own: list[Any] | None = None) -> None:
    """The model is gone: its shards drop its agents (the actors stay for the next)."""
    if not ray.is_initialized():  # Ray shut down: the actors are gone with it
        return
    for actor in actors:
        with contextlib.suppress(Exception):
            actor.close.remote(host)
    for actor in own or []:  # dedicated actors end with their model
        with contextlib.suppress(Exception):
            ray.kill(actor)
