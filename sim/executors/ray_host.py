"""The Ray executor: agents in Ray actors, a shard of agents per actor.

Each actor (:class:`~sim.executors.shard.Shard`) builds its agents in its own
worker process and keeps them: their private data and built problems stay
there.  The model holds an :class:`AgentProxy` per agent, with the agent's
public methods and attributes.  ``host.do(agents, method)`` sends one call to
every shard holding some of the agents — the shards run in parallel — and
then relays what the agents sent to the model's bus in the order an
in-process run would have sent it (agent by agent, in the call's order).  The
bus checks, stamps, logs and (under a fault model) loses, delays or doubles
every message exactly as in process; what it delivers to an agent of a shard
is handed to that shard with its next call.  A message between two agents of
one shard is delivered from the shard's own memory: with no log and no fault
model its payload never leaves the shard, and one between two shards goes
from shard to shard (in the sending shard's bulk for the receiver's shard, an
object Ray hands to that shard's next call) without passing through the
model's process: the sending shard made the bus's checks.  A call that
follows a chain with nothing of the model's in between
(:meth:`RayHost.chain_then`) is submitted with it and takes those bulks
directly, so the shards go from one to the other without waiting for the
model.

Shards: by default one per CPU of the cluster (``shards``), or
``agents_per_shard`` agents each (1: one agent per actor); agents are dealt to
shards in blocks, in the order the model builds them.  Actors are spread over
the cluster's live nodes in turn.  With ``local_shard`` the model's own
process hosts the last shard (:mod:`sim.executors.inline_shard`): its calls
run here, after the actors' calls are submitted, so the model's process
computes instead of waiting.

Ray is started on first use with this machine's CPUs and no dashboard, or
joins a running cluster: ``address`` (the CLI's ``--ray-address``) or the
``RAY_ADDRESS`` environment variable.  Every node needs dcmarket installed
(the same version), as the model's own process has it.
"""

from __future__ import annotations

import itertools
import math
import weakref
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import mesa
import ray

from dcmarket.market.messages import Message, MessageBus
from dcmarket.sim.executors.agent_proxy import AgentProxy
from dcmarket.sim.executors.base import AgentHost, Call, Executor, ExecutorError, WorkerLostError
from dcmarket.sim.executors.inline_shard import InlineShard, fetch
from dcmarket.sim.executors.ray_pool import (
    close_shards,
    dedicated,
    ensure_ray,
    forget,
    workers,
)
from dcmarket.sim.executors.shard import Facts, FromBulk, Kept, Late, Phase


@dataclass(frozen=True)
class RayExecutor(Executor):
    """Agents in Ray actors (see the module docstring)."""

    address: str | None = None
    shards: int | None = None
    agents_per_shard: int | None = None
    #: CPUs Ray reserves for each actor (0: place by spreading over the nodes only;
    #: a reservation makes a model wait while other models' actors hold the CPUs)
    cpus_per_shard: float = 0.0
    #: the model's own process hosts the last shard (it computes while the
    #: actors do, instead of waiting for them; see sim.executors.inline_shard)
    local_shard: bool = False
    #: agents each given an actor of their own whose only channel is the model's
    #: bus (no message of theirs is handed from shard to shard): the isolated
    #: privacy tier, docs/privacy.md
    isolate: tuple[str, ...] = ()
    name: str = "ray"

    def __post_init__(self) -> None:
        for field in ("shards", "agents_per_shard"):
            value = getattr(self, field)
            if value is not None and value < 1:
                raise ExecutorError(f"ray executor: {field} must be at least 1, got {value}")
        if not self.cpus_per_shard >= 0:
            raise ExecutorError(f"ray executor: cpus_per_shard must be ≥ 0, got "
                                f"{self.cpus_per_shard}")

    def host(self, model: mesa.Model, bus: MessageBus, workers: int = 1) -> AgentHost:
        return RayHost(model, bus, self)


class RayHost(AgentHost):
    """Builds agents in shard actors and runs the model's calls there; the
    router of the model's bus for the agents it hosts."""

    def __init__(self, model: mesa.Model, bus: MessageBus, executor: RayExecutor) -> None:
        super().__init__(model, bus)
        if bus.faults is not None and bus.faults.reorder:
            raise ExecutorError("the ray executor cannot reorder inboxes (the fault model's "
                                "permutation is drawn when an agent reads, in its own process): "
                                "drop market.faults.reorder or run in process")
        ensure_ray(executor.address)
        self.executor = executor
        self._recipes: list[tuple[str, type, tuple, dict]] = []
        self._proxies: dict[str, AgentProxy] = {}
        self._shard_of: dict[str, int] = {}
        self._actors: list[Any] = []
        self._inline = -1  # the shard the model's process hosts (local_shard), −1: none
        self._queues: dict[int, list[Message | Kept | Late]] = defaultdict(list)
        self._relaying: tuple[int, int] | None = None  # (shard, key) of the message on the bus
        self._id = next(_HOST_IDS)
        #: messages delivered inside a shard with their payload never sent (no log,
        #: no faults), and messages relayed through the model's bus
        self.kept_local = 0
        self.relayed = 0
        #: messages between agents of two shards handed from shard to shard, not
        #: through the model's process (no log, no faults: the sending shard
        #: checked them)
        self.forwarded = 0
        self._bulks: dict[int, dict[int, Any]] = {}  # bulk id → receiving shard → ref
        self._bulk_of: dict[int, int] = {}  # shard → the id of its last call's bulks
        bus.router = self
        self._finalizer: weakref.finalize | None = None

    # ----- building ---------------------------------------------------------------
    def add(self, name: str, cls: type, *args: Any, **kwargs: Any) -> AgentProxy:
        if self._actors:
            raise ExecutorError(f"agent {name!r} added after the shards were started")
        self.bus.port(name)  # the name is taken here: no second port for it
        self._recipes.append((name, cls, args, kwargs))
        proxy = AgentProxy(self.model, self, name, cls)
        self._proxies[name] = proxy
        return proxy

    def _start(self) -> None:
        """Deal the agents to shards and build them in the executor's actors (on
        first use); an isolated agent gets an actor of its own, never the
        model's process."""
        known = {r[0] for r in self._recipes}
        unknown = sorted(set(self.executor.isolate) - known)
        if unknown:
            raise ExecutorError(f"--isolate {', '.join(unknown)}: no such agent among "
                                f"{', '.join(sorted(known))}")
        alone = [r for r in self._recipes if r[0] in self.executor.isolate]
        rest = [r for r in self._recipes if r[0] not in self.executor.isolate]
        if self.executor.local_shard and not rest:
            raise ExecutorError("--local-shard with every agent isolated: the model's process "
                                "would host an isolated agent")
        blocks = [[r] for r in alone]
        if rest:
            count = self._shard_count(len(rest))
            size = math.ceil(len(rest) / count)
            blocks += [rest[k:k + size] for k in range(0, len(rest), size)]
        seed = getattr(self.model, "_seed", None)
        local = self.executor.local_shard
        cpus = self.executor.cpus_per_shard
        own = dedicated(len(alone), cpus)  # an isolated agent shares its process with no one
        self._actors = own + workers(len(blocks) - len(alone) - int(local), cpus)
        if local:
            self._actors.append(InlineShard())
        self._inline = len(blocks) - 1 if local else -1  # its calls are made last
        self._shard_of = {r[0]: s for s, block in enumerate(blocks) for r in block}
        opened = []
        for s, (actor, block) in enumerate(zip(self._actors, blocks, strict=True)):
            members = [r[0] for r in block]
            elsewhere = ({n: t for n, t in self._shard_of.items() if t != s}
                         if self._elide() else None)
            opened.append(actor.open.remote(self._id, self.bus.graph, self.bus.protocols,
                                            members, self._elide(),
                                            seed if isinstance(seed, int) else None, block,
                                            elsewhere))
        fetch(opened)
        self._finalizer = weakref.finalize(self, close_shards, self._id, list(self._actors),
                                           own)

    def _shard_count(self, n_agents: int) -> int:
        if self.executor.agents_per_shard is not None:
            return max(1, math.ceil(n_agents / self.executor.agents_per_shard))
        wanted = self.executor.shards or int(ray.cluster_resources().get("CPU", 1))
        return max(1, min(wanted, n_agents))

    def _elide(self) -> bool:
        """Whether messages may skip the model's bus (no log, no faults, and no
        isolated agent: its every message passes the bus)."""
        return self.bus.faults is None and not self.bus.keep_log and not self.executor.isolate

    def shard_of(self, name: str) -> int | None:
        return self._shard_of.get(name)

    def placement(self) -> dict[str, str]:
        """Agent → the node its shard runs on."""
        self._ensure_started()
        nodes = fetch([a.where.remote() for a in self._actors])
        return {name: nodes[s] for name, s in self._shard_of.items()}

    def actors_peak_rss_gb(self) -> list[float]:
        """Peak resident memory of each Ray actor hosting this model's shards, GB
        (not the model's own process, which a local shard lives in)."""
        self._ensure_started()
        return fetch([a.peak_rss_gb.remote() for s, a in enumerate(self._actors)
                      if s != self._inline])

    @property
    def local_shard(self) -> int | None:
        """The shard the model's own process hosts (``local_shard``), or None."""
        self._ensure_started()
        return None if self._inline < 0 else self._inline

    @property
    def shard_count(self) -> int:
        self._ensure_started()
        return len(self._actors)

    def _ensure_started(self) -> None:
        if not self._actors and self._recipes:
            self._start()

    # ----- running ----------------------------------------------------------------
    def call_one(self, proxy: AgentProxy, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.do([proxy], method, *args, **kwargs)[0]

    def do(self, agents: Sequence[Any], method: str, *args: Any, parallel: bool = False,
           **kwargs: Any) -> list[Any]:
        return self.chain([Call(agents, method, args, kwargs)])[0]

    def chain(self, calls: Sequence[Call]) -> list[list[Any]]:
        """One call to every shard holding some of the agents, which runs the
        chain's calls one after the other on its agents; the shards run in
        parallel.  What the last call's agents sent is relayed to the bus in
        the order an in-process run sends it."""
        calls = _normalised(calls)
        if not any(c.agents for c in calls):
            return [[] for _ in calls]
        self._ensure_started()
        by_shard = self._by_shard(calls)
        pending, bulks = self._submit(calls, by_shard)
        answers = dict(zip(pending, self._fetch(list(pending.values()), list(pending)),
                           strict=True))
        return self._collect(calls, by_shard, answers, bulks)

    def _fetch(self, refs: list[Any], shards: list[int]) -> list[Any]:
        """The shards' answers; a shard whose process died ends the run by name."""
        try:
            return fetch(refs)
        except ray.exceptions.RayActorError as exc:
            dead = [s for s in shards if getattr(exc, "actor_id", None) is not None
                    and self._actors[s]._actor_id.hex() == exc.actor_id] or shards
            s = dead[0]
            forget(self._actors[s])
            agents = ", ".join(n for n, t in self._shard_of.items() if t == s)
            raise WorkerLostError(
                f"the Ray worker of shard {s} (agents {agents}) was lost in round "
                f"{getattr(self.model, 'round', '?')}: {' '.join(str(exc).split())[:160]}"
            ) from None

    def chain_then(self, calls: Sequence[Call], then: Call) -> tuple[list[list[Any]], list[Any]]:
        """With no log and no faults, the chain and ``then`` are submitted together:
        each shard's ``then`` call takes the other shards' bulks of the chain as
        arguments (Ray starts it when they are ready) and delivers them, with
        what its own chain kept, in the bus's order and stamped with the step
        the bus gives them; the model counts the chain's messages afterwards.
        Otherwise (a log, faults) as :meth:`AgentHost.chain_then`."""
        calls, after = _normalised(calls), _normalised([then])
        if not self._elide() or not any(c.agents for c in calls) or not after[0].agents:
            return super().chain_then(calls, then)
        self._ensure_started()
        by_shard, by_shard_after = self._by_shard(calls), self._by_shard(after)
        step = self.bus.next_step()  # the chain's messages', and the model does not move
        pending, bulks = self._submit(calls, by_shard)
        facts, n = self._facts(), len(self._actors)
        pending_after, bulks_after = {}, {}
        for s in self._in_turn(range(n)):  # any shard may hold a receiver of the messages
            queue, bulk_ids, earlier = self._take_queue(s)  # empty if the chain called it
            sent = [refs[s] for t, refs in bulks.items() if t != s]
            refs = self._actors[s].run_after.options(num_returns=1 + n).remote(
                self._id, n, self._phases(after, by_shard_after[s]), queue, facts, bulk_ids,
                step, s in bulks, *earlier, *sent)
            pending_after[s], bulks_after[s] = refs[0], refs[1:]
        self._drop_taken_bulks()
        got = self._fetch([*pending.values(), *pending_after.values()],
                          [*pending, *pending_after])  # one trip to Ray
        answers = dict(zip(pending, got[:len(pending)], strict=True))
        answers_after = dict(zip(pending_after, got[len(pending):], strict=True))
        first = self._collect(calls, by_shard, answers, None, step)  # raises the chain's error
        if any(a.skipped for a in answers_after.values()):
            raise ExecutorError("a shard skipped the call after a chain that did not fail")
        return first, self._collect(after, by_shard_after, answers_after, bulks_after)[0]

    def _by_shard(self, calls: list[Call]) -> dict[int, list[list[int]]]:
        """Per shard, per call: the positions of its agents in the call's list."""
        by_shard: dict[int, list[list[int]]] = defaultdict(lambda: [[] for _ in calls])
        for k, call in enumerate(calls):
            for position, agent in enumerate(call.agents):
                by_shard[self._shard_of[agent.name]][k].append(position)
        return by_shard

    def _collect(self, calls: list[Call], by_shard: dict[int, list[list[int]]],
                 answers: dict[int, Any], bulks: dict[int, list[Any]] | None,
                 delivered_at: int | None = None) -> list[list[Any]]:
        """The shards' answers to ``calls``: their results, and what the last call
        sent relayed to the bus in the in-process order, its bulks kept until
        the shards they are for take them.  ``delivered_at``: the shards have
        already delivered the messages between them themselves, stamped with
        this step (:meth:`chain_then`), and the bus only counts them."""
        if bulks is not None:
            for s, refs in bulks.items():
                self._bulk_of[s] = next(_BULK_IDS)
                self._bulks[self._bulk_of[s]] = dict(enumerate(refs))
        results: list[list[Any]] = [[None] * len(c.agents) for c in calls]
        sent = []
        last = len(calls) - 1
        for s, answer in answers.items():
            for k, phase_results in enumerate(answer.results):
                for p, value in zip(by_shard[s][k], phase_results, strict=False):
                    results[k][p] = value
            sent.extend((by_shard[s][last][e.caller], e.key, s, e) for e in answer.envelopes)
        sent.sort(key=lambda item: (item[0], item[2], item[1]))  # in-process sending order
        used = set()
        for _, _, s, envelope in sent:
            if delivered_at is not None:
                if envelope.payload is None and envelope.message is None:
                    self._count_delivered(envelope, delivered_at)
                    continue
                if self.hosts(envelope.receiver):  # would reach its shard after the next call
                    raise ExecutorError(f"{envelope.sender!r} → {envelope.receiver!r} was not "
                                        "delivered between shards")
            self._relay(s, envelope)
            if envelope.bulk >= 0:
                used.add((self._bulk_of[s], self._shard_of[envelope.receiver]))
        for s in bulks or {}:  # a bulk no message was put in is not kept
            b = self._bulk_of[s]
            self._bulks[b] = {d: ref for d, ref in self._bulks[b].items() if (b, d) in used}
        failed = [(self._failed_at(by_shard[s], a), a) for s, a in answers.items()
                  if a.error is not None]
        if failed:  # the error of the first agent in the chain's order that failed
            _, answer = min(failed, key=lambda pa: pa[0])
            answer.error.add_note(f"(raised in a Ray shard)\n{answer.trace}")
            raise answer.error
        return results

    def _count_delivered(self, envelope: Any, step: int) -> None:
        """A message the receiving shard delivered itself (:meth:`chain_then`)."""
        if envelope.bulk >= 0:
            self.forwarded += 1
        else:
            self.kept_local += 1
        if self.bus.tally(envelope.values, envelope.sender) != step:
            raise ExecutorError(f"the bus stamped {envelope.sender!r} → {envelope.receiver!r} "
                                f"with another step than the shards delivered it with ({step})")

    def _facts(self) -> Facts:
        return Facts(int(getattr(self.model, "round", 0) or 0), int(self.model.steps),
                     self.bus.round, dict(self.bus.tags))

    @staticmethod
    def _phases(calls: list[Call], positions: list[list[int]]) -> list[Phase]:
        """A shard's part of ``calls``: its agents, each with its place in the call."""
        return [Phase(c.method, [c.agents[p].name for p in positions[k]], c.args, c.kwargs,
                      positions[k]) for k, c in enumerate(calls)]

    def _submit(self, calls: list[Call], by_shard: dict[int, list[list[int]]]
                ) -> tuple[dict[int, Any], dict[int, list[Any]]]:
        """Start the chain in every shard concerned, each with what the bus has
        delivered to it since its last call (and the other shards' bulks that
        hold some of it); per shard, the answer's reference and its bulks'."""
        facts, n = self._facts(), len(self._actors)
        pending, bulks = {}, {}
        for s in self._in_turn(by_shard):
            queue, bulk_ids, earlier = self._take_queue(s)
            refs = self._actors[s].run.options(num_returns=1 + n).remote(
                self._id, n, self._phases(calls, by_shard[s]), queue, facts, bulk_ids,
                *earlier)
            pending[s], bulks[s] = refs[0], refs[1:]
        self._drop_taken_bulks()
        return pending, bulks

    def _in_turn(self, shards: Any) -> list[int]:
        """``shards`` in the order their calls are made: the shard of the model's
        own process last, so that it runs while the actors run theirs."""
        return sorted(shards, key=lambda s: s == self._inline)

    def _take_queue(self, shard: int) -> tuple[list[Any], list[int], list[Any]]:
        """What the bus has delivered to ``shard`` since its last call, the ids of
        the other shards' bulks it names, and their parts for ``shard``."""
        queue = self._queues.pop(shard, [])
        bulk_ids = sorted({item.bulk for item in queue if isinstance(item, FromBulk)})
        return queue, bulk_ids, [self._bulks[b].pop(shard) for b in bulk_ids]

    def _drop_taken_bulks(self) -> None:
        """Forget the bulks every shard they were for has taken."""
        self._bulks = {b: refs for b, refs in self._bulks.items() if refs}

    @staticmethod
    def _failed_at(positions: list[list[int]], answer: Any) -> tuple[int, int]:
        """(call, position in its list) of the agent whose error stopped a shard
        (an error after a call's last agent, e.g. a :class:`ChainError`, is put
        at that agent)."""
        k = len(answer.results) - 1
        if not positions[k]:
            return k, -1
        return k, positions[k][min(len(answer.results[k]), len(positions[k]) - 1)]

    def _relay(self, shard: int, envelope: Any) -> None:
        # the channel says who sent it, never the shard: a shard sends only as
        # the agents it hosts
        sender = envelope.message.sender if envelope.message is not None else envelope.sender
        if self._shard_of.get(sender) != shard:
            raise ExecutorError(f"shard {shard} (hosting "
                                f"{', '.join(n for n, s in self._shard_of.items() if s == shard)})"
                                f" sent a message as {sender!r}: refused")
        if envelope.bulk >= 0:
            self._forward(shard, envelope)
            return
        if envelope.message is not None:  # checked in the shard, for the model's agents
            self.relayed += 1
            self.bus.accept(envelope.message, envelope.values)
            return
        if envelope.payload is None:  # stayed in the shard: counted only
            self.kept_local += 1
            self.bus.tally(envelope.values, envelope.sender)
            self._queues[shard].append(Kept(envelope.key, 0))
            return
        self.relayed += 1
        self._relaying = (shard, envelope.key)
        try:
            self.bus.relay(envelope.sender, envelope.receiver, envelope.kind, envelope.payload,
                           envelope.labels)
        finally:
            self._relaying = None

    def _forward(self, shard: int, envelope: Any) -> None:
        """A message between agents of two shards, with no log and no fault model:
        the sending shard checked it as the bus would and put it in its bulk for
        the receiver's shard, which Ray hands to that shard's next call; the bus
        only counts and stamps it."""
        self.forwarded += 1
        step = self.bus.tally(envelope.values, envelope.sender)
        self._queues[self._shard_of[envelope.receiver]].append(
            FromBulk(self._bulk_of[shard], envelope.bulk, step))

    # ----- the bus's router ---------------------------------------------------------
    def hosts(self, agent: str) -> bool:
        return agent in self._proxies

    def deliver(self, message: Message, copies: int, due: int) -> None:
        self._ensure_started()
        shard = self._shard_of[message.receiver]
        queue = self._queues[shard]
        if (copies == 1 and due <= self.bus.round and not message.fault
                and self._relaying is not None and self._relaying[0] == shard):
            queue.append(Kept(self._relaying[1], message.step))  # the shard has it
            return
        for _ in range(copies):
            queue.append(message if due <= self.bus.round else Late(message, due))

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()


def _normalised(calls: Sequence[Call]) -> list[Call]:
    """The calls with their agents as lists and their arguments as tuples."""
    return [Call(list(c.agents), c.method, tuple(c.args), c.kwargs, c.parallel) for c in calls]


_HOST_IDS = itertools.count()
_BULK_IDS = itertools.count()
