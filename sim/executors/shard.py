"""One shard of agents in a worker process: what a Ray actor holds.

The shard builds its agents there (their private data and built problems
never leave it) on a :class:`ShardBus`: their ports check every message
against the communication graph and the protocol as the model's bus does,
and the shard hands the messages back to the model after each call
(:class:`Envelope`).  What the model's bus delivers to the shard's agents
arrives with the next call, in the order the bus delivered it; a message
between two agents of the shard that the model sends back as a reference
(:class:`Kept`) never left the shard's memory except for the log.

Nothing here imports Ray: the actor class of :mod:`sim.executors.ray_host`
wraps :class:`Shard`, and the tests drive a shard directly too.
"""

from __future__ import annotations

import pickle
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import mesa
import networkx as nx

from dcmarket.market.messages import Message, MessageBus, Protocol, check_labels
from dcmarket.sim.executors.base import ChainError, bind


@dataclass(frozen=True)
class Envelope:
    """A message an agent of the shard sent, for the model's bus.

    ``payload`` and ``labels`` are ``None`` when the model keeps no log and
    has no fault model: the message stays in the shard, or goes to another
    shard in the call's bulk for that shard (at ``bulk``), and the bus only
    counts its ``values``; or it is for an agent of the model itself and
    comes whole (``message``), to be counted, stamped and posted.
    """

    key: int  # the shard's number for it (a :class:`Kept` names it)
    caller: int  # position of the sending agent in the call's list of agents
    sender: str
    receiver: str
    kind: str
    payload: Mapping[str, Any] | None
    labels: Mapping[str, Sequence[str]] | None
    values: int
    bulk: int = -1  # its place in the bulk for the receiver's shard (−1: none)
    #: with no log and no faults, a message for an agent the model hosts itself,
    #: checked and frozen here (the model's bus counts, stamps and posts it)
    message: Message | None = None


@dataclass(frozen=True)
class Kept:
    """Deliver the shard's own message ``key`` (as the model's bus stamped it)."""

    key: int
    step: int


@dataclass(frozen=True)
class Late:
    """``message`` for one of the shard's agents, due in round ``due``."""

    message: Message
    due: int


@dataclass(frozen=True)
class FromBulk:
    """Deliver message ``index`` of bulk ``bulk`` (what another shard's call sent
    to this shard's agents, handed from shard to shard without passing through
    the model: no log, no faults), stamped ``step`` by the model's bus."""

    bulk: int
    index: int
    step: int


@dataclass(frozen=True)
class Bulk:
    """What one call of a shard sent to the agents of another shard: per message,
    the sending agent's position in the call's list of agents, the sending
    shard's key and the message (as checked and frozen there).  ``failed``: the
    call stopped on an error (a call that was to follow it does not run; see
    :meth:`Shard.run_after`)."""

    entries: list[tuple[int, int, Message]] = field(default_factory=list)
    failed: bool = False

    def __reduce__(self) -> tuple:
        """Pickled as one ``bytes`` of its entries: Ray's serializer calls a
        Python hook for every object it meets, the standard pickler does not
        (a bulk of 64 estimates: 0.6 → 0.35 ms)."""
        return (_unpacked, (pickle.dumps(self.entries, protocol=-1), self.failed))


def _unpacked(entries: bytes, failed: bool) -> Bulk:
    return Bulk(pickle.loads(entries), failed)


@dataclass(frozen=True)
class Facts:
    """The model's public facts an agent may read, as of the call."""

    round: int
    steps: int
    bus_round: int
    tags: Mapping[str, int]


class ShardModel(mesa.Model):
    """The agents' model in the shard: it mirrors the public facts (round,
    steps) the host passes with every call, and holds nothing else."""

    def __init__(self, seed: int | None) -> None:
        super().__init__(rng=seed)
        self.round = 0

    def sync(self, facts: Facts) -> None:
        self.round = facts.round
        self.steps = facts.steps


class ShardBus(MessageBus):
    """The shard's agents' bus: it checks what they send, keeps it for the
    model's bus, and holds their inboxes (reading them, and releasing late
    messages when due, as :class:`MessageBus` does: it has no fault model)."""

    def __init__(self, graph: nx.Graph, protocols: Sequence[Protocol], members: set[str],
                 elide_local: bool, elsewhere: Mapping[str, int] | None = None) -> None:
        super().__init__(graph, protocols, keep_log=False)
        self.members = members
        self.elide_local = elide_local
        #: the shard of each agent hosted by another shard (for the bulks)
        self.elsewhere = dict(elsewhere or {})
        self.outbox: list[Envelope] = []
        self.bulks: dict[int, Bulk] = {}
        self.caller = 0
        #: the sending agent's position in the whole call's list (all shards)
        self.position = 0
        self._next_key = 0
        self._kept: dict[int, tuple[int, Message]] = {}  # key → (position, message)

    def _send(self, sender: str, receiver: str, kind: str, payload: Mapping,
              labels: Mapping[str, Sequence[str]]) -> None:
        values = self.check(sender, receiver, kind, payload)
        key = self._next_key
        self._next_key += 1
        # frozen copies at send time, as the model's bus takes them
        message = Message(self.round, sender, receiver, kind, payload, tags=self.tags,
                          labels=labels)
        check_labels(self.kind(kind), message)  # all the model's bus checks, done here
        if receiver in self.members:
            self._kept[key] = (self.position, message)
        if not self.elide_local or self.kind(kind).settles:
            # the model's bus checks, logs and delivers it (money is settled from
            # a settling kind, so its ledger must see every one)
            self.outbox.append(Envelope(key, self.caller, sender, receiver, kind,
                                        dict(message.payload), dict(message.labels), values))
            return
        bulk, whole = -1, None
        if receiver in self.elsewhere:  # in this call's bulk for the receiver's shard
            entries = self.bulks.setdefault(self.elsewhere[receiver], Bulk()).entries
            entries.append((self.position, key, message))
            bulk = len(entries) - 1
        elif receiver not in self.members:  # for an agent of the model itself
            whole = message
        self.outbox.append(Envelope(key, self.caller, sender, receiver, kind, None, None,
                                    values, bulk, whole))

    def arrive(self, items: Sequence[Message | Kept | Late | FromBulk],
               bulks: Mapping[int, Bulk] | None = None) -> None:
        """What the model's bus delivered to the shard's agents, in its order
        (``bulks``: the other shards' bulks the :class:`FromBulk` items name)."""
        for item in items:
            if isinstance(item, FromBulk):
                m = (bulks or {})[item.bulk].entries[item.index][2].stamped(item.step)
                self._inboxes[m.receiver].append(m)
            elif isinstance(item, Kept):
                m = self._kept[item.key][1]
                self._inboxes[m.receiver].append(m.stamped(item.step))
            elif isinstance(item, Late):  # released by MessageBus._take when due
                self._pending.append((item.due, item.message))
            else:
                self._inboxes[item.receiver].append(item)

    def arrive_sent(self, bulks: Sequence[Bulk], step: int, own: bool) -> None:
        """Deliver, stamped ``step``, what the shard's last call kept for its own
        agents (``own``) and what the other shards' last calls sent them
        (``bulks``), in the order the call sent it: by the sending agent's
        position in the call, then in the order that agent sent.  This is the
        order in which the model's bus would have delivered them."""
        sent = [(p, key, m) for key, (p, m) in self._kept.items()] if own else []
        for bulk in bulks:
            sent.extend(bulk.entries)
        sent.sort(key=lambda entry: (entry[0], entry[1]))
        for _, _, m in sent:
            self._inboxes[m.receiver].append(m.stamped(step))

    def forget_kept(self) -> None:
        """Drop the shard's own messages once the model has answered for all of them,
        and start the next call's bulks."""
        self._kept.clear()
        self.bulks = {}


@dataclass(frozen=True)
class Phase:
    """One method called on some of the shard's agents, in order (a call is
    one phase or a chain of them: see :meth:`Shard.run`)."""

    method: str
    names: Sequence[str]
    args: tuple = ()
    kwargs: Mapping[str, Any] | None = None
    #: each agent's position in the whole call's list (over all shards); by
    #: default its place in ``names``
    positions: Sequence[int] | None = None


@dataclass(frozen=True)
class CallResult:
    """What one call on the shard gives back: per phase, each agent's return
    value (in the phase's order); the messages the last phase sent; and the
    error that stopped it (in phase ``len(results) - 1``, after the agents that
    have a result there)."""

    results: list[list[Any]]
    envelopes: list[Envelope]
    error: BaseException | None = None
    trace: str = ""
    #: per receiving shard, the messages for its agents (see :class:`FromBulk`)
    bulks: Mapping[int, Bulk] = field(default_factory=dict)
    #: the call did not run: a call it was to follow stopped on an error
    skipped: bool = False

    def __reduce__(self) -> tuple:
        """The envelopes (plain data and messages) as one ``bytes``, as a
        :class:`Bulk`'s entries; the results and the error as Ray pickles them."""
        return (_unpacked_result, (self.results, pickle.dumps(self.envelopes, protocol=-1),
                                   self.error, self.trace, self.bulks, self.skipped))


def _unpacked_result(results: list[list[Any]], envelopes: bytes, error: BaseException | None,
                     trace: str, bulks: Mapping[int, Bulk], skipped: bool) -> CallResult:
    return CallResult(results, pickle.loads(envelopes), error, trace, bulks, skipped)


class Shard:
    """A shard of agents: built here, activated by the model's calls."""

    def __init__(self, graph: nx.Graph, protocols: Sequence[Protocol], members: Sequence[str],
                 elide_local: bool, seed: int | None = None,
                 elsewhere: Mapping[str, int] | None = None) -> None:
        self.model = ShardModel(seed)
        self.bus = ShardBus(graph, protocols, set(members), elide_local, elsewhere)
        self.agents: dict[str, Any] = {}
        self.failed = False  # the last call stopped on an error

    def build(self, recipes: Sequence[tuple[str, type, tuple, dict]]) -> list[str]:
        """Build agents from ``(name, cls, args, kwargs)`` (the model and bus put in)."""
        for name, cls, args, kwargs in recipes:
            a, k = bind(args, kwargs, self.model, self.bus)
            try:
                self.agents[name] = cls(*a, **k)
            except Exception as exc:
                exc.add_note(f"(building agent {name!r} in its shard)")
                raise
        return list(self.agents)

    def run_after(self, phases: Sequence[Phase],
                  arrivals: Sequence[Message | Kept | Late | FromBulk], facts: Facts,
                  sent: Sequence[Bulk], step: int, own: bool,
                  bulks: Mapping[int, Bulk] | None = None) -> CallResult:
        """A call that follows the shards' last calls without the model in
        between (no log, no faults): ``arrivals`` first (with ``bulks`` as in
        :meth:`run`), then what those calls sent to this shard's agents — its
        own kept messages when it took part (``own``) and the other shards'
        bulks ``sent`` — stamped ``step``, the model's bus's step for them;
        then :meth:`run`.  Nothing runs if one of those calls stopped on an
        error."""
        if (own and self.failed) or any(bulk.failed for bulk in sent):
            return CallResult([], [], skipped=True)
        self.bus.arrive(arrivals, bulks)
        self.bus.arrive_sent(sent, step, own)
        return self.run(phases, [], facts)

    def run(self, phases: Sequence[Phase], arrivals: Sequence[Message | Kept | Late | FromBulk],
            facts: Facts, bulks: Mapping[int, Bulk] | None = None) -> CallResult:
        """Deliver ``arrivals``, then the phases one after the other: in each,
        ``agent.method(*args, **kwargs)`` for each agent of ``names`` in order
        (``method`` ``"attr:x"`` reads public attribute ``x``).  Only the
        last phase may send: what an earlier one sent could not reach the other
        shards before the next phase runs, so it is refused (:class:`ChainError`)."""
        self.model.sync(facts)
        self.bus.round, self.bus.tags = facts.bus_round, dict(facts.tags)
        self.bus.arrive(arrivals, bulks)
        self.bus.forget_kept()  # the model has answered for every one of them
        self.bus.outbox = []
        results: list[list[Any]] = []
        try:
            for k, phase in enumerate(phases):
                results.append([])
                for i, name in enumerate(phase.names):
                    self.bus.caller = i
                    self.bus.position = i if phase.positions is None else phase.positions[i]
                    results[-1].append(self._apply(self.agents[name], phase))
                if self.bus.outbox and k < len(phases) - 1:
                    raise ChainError(f"{phase.method!r} sent messages in a chained call "
                                     "before its last phase")
        except Exception as exc:  # handed to the model, which raises it as its own
            self.failed = True
            return CallResult(results, self.bus.outbox, exc, traceback.format_exc(),
                              self.bus.bulks)
        self.failed = False
        return CallResult(results, self.bus.outbox, bulks=self.bus.bulks)

    @staticmethod
    def _apply(agent: Any, phase: Phase) -> Any:
        if phase.method.startswith("attr:"):
            return getattr(agent, phase.method[5:])
        return getattr(agent, phase.method)(*phase.args, **(phase.kwargs or {}))


class ShardWorker:
    """What one Ray actor runs: the shards of every model that uses it (an
    executor's actors are started once and serve model after model)."""

    def __init__(self) -> None:
        self.shards: dict[int, Shard] = {}

    def open(self, host: int, graph: nx.Graph, protocols: Sequence[Protocol],
             members: Sequence[str], elide_local: bool, seed: int | None,
             recipes: Sequence[tuple[str, type, tuple, dict]],
             elsewhere: Mapping[str, int] | None = None) -> list[str]:
        """A shard for model ``host``, its agents built from ``recipes``
        (``elsewhere``: the shard of every agent hosted by another)."""
        self.shards[host] = Shard(graph, protocols, members, elide_local, seed, elsewhere)
        return self.shards[host].build(recipes)

    def run(self, host: int, shards: int, phases: Sequence[Phase],
            arrivals: Sequence[Message | Kept | Late | FromBulk], facts: Facts,
            bulk_ids: Sequence[int], *bulks: Sequence[Message]) -> list[Any]:
        """:meth:`Shard.run`; returns its result and then, as separate values, the
        bulk for each of the ``shards`` (Ray hands each to its shard's next call
        as an object of its own, without the model's process opening it)."""
        result = self.shards[host].run(phases, arrivals, facts,
                                       dict(zip(bulk_ids, bulks, strict=True)))
        return self._split(result, shards)

    def run_after(self, host: int, shards: int, phases: Sequence[Phase],
                  arrivals: Sequence[Message | Kept | Late | FromBulk], facts: Facts,
                  bulk_ids: Sequence[int], step: int, own: bool, *bulks: Bulk) -> list[Any]:
        """:meth:`Shard.run_after`, returning as :meth:`run` does: ``bulks`` are
        first the ones ``bulk_ids`` name (for ``arrivals``), then those the
        shards' last calls sent."""
        earlier = dict(zip(bulk_ids, bulks[:len(bulk_ids)], strict=True))
        result = self.shards[host].run_after(phases, arrivals, facts, bulks[len(bulk_ids):],
                                             step, own, earlier)
        return self._split(result, shards)

    @staticmethod
    def _split(result: CallResult, shards: int) -> list[Any]:
        """The result, then the bulk for each of the ``shards`` (empty where it sent
        nothing there; marked failed, for every shard, when the call failed)."""
        failed = result.error is not None
        return [replace(result, bulks={})] + [
            replace(result.bulks.get(d, Bulk()), failed=failed) for d in range(shards)]

    def close(self, host: int) -> None:
        """The model is gone: drop its agents."""
        self.shards.pop(host, None)

    def peak_rss_gb(self) -> float:
        """This worker process's peak resident memory, GB (Linux reports kB)."""
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2

    def where(self) -> str:
        """The node this worker runs on (Ray's node id, or the host name)."""
        return node_id()


def node_id() -> str:
    """Ray's id of the node this process runs on (the host name outside Ray)."""
    try:
        import ray

        return ray.get_runtime_context().get_node_id()
    except Exception:  # not in a Ray worker
        import socket

        return socket.gethostname()
