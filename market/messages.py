"""Messages between agents, the bus that carries them, and the message log.

The only thing that crosses between agents is a :class:`Message`.  The
:class:`MessageBus` runs over a ``networkx.Graph`` (the communication graph):
it delivers only between neighbours and only kinds that the protocol
declared, copies every payload at send time (so a sender mutating its own
arrays afterwards changes nothing on the receiving side) and logs every
message.  Each payload field is declared with its unit and the axes of its
values (:class:`Field`), so the log can say what every number is.

The log's schema and its frames: :mod:`market.message_log`.
"""

from __future__ import annotations

import math
import secrets
import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from typing import Protocol as TypingProtocol

import networkx as nx
import numpy as np
import pandas as pd

from dcmarket.market.faults import FaultModel
from dcmarket.market.message_kinds import (  # noqa: F401 - the declarations, re-exported
    AXES,
    TAGS,
    Field,
    MessageKind,
    Protocol,
    ProtocolError,
)
from dcmarket.market.message_log import (  # noqa: F401 - the log's API, re-exported
    HEADER_COLUMNS,
    LOG_COLUMNS,
    header_frame,
    log_frame,
    messages_of,
    read_frame,
    write_frame,
    write_log,
)

#: The most values one message may carry (a DC's whole price vector on a large
#: graph is well below; a runaway or hostile payload is refused).
MAX_VALUES = 1_000_000

_ARRAYS = (np.ndarray, list, tuple)
_NUMBERS = (int, float, np.number)


def _frozen_copy(value: Any) -> Any:
    """A payload value as the message keeps it: a float, or an array over an
    immutable ``bytes`` buffer (one copy, taken here).  Such an array cannot be
    made writeable again — nor can its base or any view of it — so every
    holder of the message (the receiver, the log, a duplicate) can share it."""
    if type(value) is float:  # the common scalar, first
        return value
    if isinstance(value, _ARRAYS):
        array = np.asarray(value, dtype=float)
        frozen = np.frombuffer(array.tobytes(), dtype=float)
        return frozen if array.ndim == 1 else frozen.reshape(array.shape)
    if isinstance(value, _NUMBERS):
        return float(value)
    raise ProtocolError(f"payload values must be numbers or arrays, got {type(value).__name__}")


_NO_LABELS: Mapping[str, tuple[str, ...]] = MappingProxyType({})


@dataclass(frozen=True, eq=False, slots=True)
class Message:
    """``(round, sender, receiver, kind, payload)``; payload frozen at creation.

    ``tags`` carry the protocol position besides the round (``outer``,
    ``slot``), ``labels`` the link of each value of a field that has a link
    axis, and ``step`` the bus's global step counter.  Slots, and read-only
    tags shared by the messages of one protocol position, keep a long log
    light for Python's garbage collector (at 64 DCs it took a tenth of a round).
    """

    round: int
    sender: str
    receiver: str
    kind: str
    payload: Mapping[str, Any]
    tags: Mapping[str, int] = field(default_factory=dict)
    labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    step: int = 0
    fault: str = ""

    def __post_init__(self) -> None:
        frozen = {str(k): _frozen_copy(v) for k, v in self.payload.items()}
        object.__setattr__(self, "payload", MappingProxyType(frozen))
        if not isinstance(self.tags, MappingProxyType):  # else: the bus's shared view
            object.__setattr__(self, "tags", MappingProxyType(dict(self.tags)))
        object.__setattr__(self, "labels", MappingProxyType(
            {str(k): v if isinstance(v, tuple) and (not v or type(v[0]) is str)
             else tuple(str(x) for x in v) for k, v in self.labels.items()})
            if self.labels else _NO_LABELS)

    def __reduce__(self) -> tuple:  # pickled (to another process) as its fields
        return (Message, (self.round, self.sender, self.receiver, self.kind, dict(self.payload),
                          dict(self.tags), dict(self.labels), self.step, self.fault))

    def stamped(self, step: int) -> Message:
        """This message with the bus's step ``step`` (a shard delivering what the
        model's bus stamped); the rest is immutable and shared, not copied."""
        clone = object.__new__(Message)
        for name in self.__slots__:
            object.__setattr__(clone, name, getattr(self, name))
        object.__setattr__(clone, "step", step)
        return clone


#: port key → (the bus, the port's owner): a private module table, so no
#: attribute of a port leads to the bus (module globals are reachable
#: in-process, docs/privacy.md); keys are unguessable
_PORTS: dict[int, tuple[weakref.ref, str]] = {}


class Port:
    """An agent's only connection to the others: send as itself, read its own inbox.

    The bus stamps the sender from the port (no agent can send as another),
    and :meth:`receive` reads only the port owner's inbox.  The round and the
    tags (e.g. the outer iteration) come from the bus, set by the model.  A
    port holds an opaque key, not the bus, and cannot be changed.
    """

    __slots__ = ("_key",)

    def __init__(self, key: int) -> None:
        object.__setattr__(self, "_key", key)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a port cannot be changed")

    def _target(self) -> tuple[MessageBus, str]:
        bus_ref, owner = _PORTS[object.__getattribute__(self, "_key")]
        bus = bus_ref()
        if bus is None:
            raise ProtocolError(f"the bus of {owner!r} is gone")
        return bus, owner

    @property
    def name(self) -> str:
        return self._target()[1]

    def send(self, receiver: str, kind: str, payload: Mapping,
             labels: Mapping[str, Sequence[str]] | None = None) -> None:
        """Send ``payload`` to a neighbour; ``labels`` give the link of each value
        of a field declared with a ``link`` axis."""
        bus, owner = self._target()
        bus._send(owner, receiver, kind, payload, labels or {})

    def receive(self, kind: str | None = None) -> list[Message]:
        """Take (and remove) the messages waiting for this port's owner."""
        bus, owner = self._target()
        return bus._take(owner, kind)


class Router(TypingProtocol):
    """Takes over delivery to agents hosted in another process (see
    :mod:`sim.executors`): ``copies`` of ``message``, due in round ``due``."""

    def hosts(self, agent: str) -> bool: ...

    def deliver(self, message: Message, copies: int, due: int) -> None: ...


class MessageBus:
    """Delivers messages along the edges of ``graph`` and keeps the log.

    The protocols' message kinds are declared when the bus is built (or by
    :meth:`declare` before the first message); once a message has been sent
    they are frozen.  Each agent gets one :class:`Port`.  A payload may carry
    only its kind's declared public fields, copied once at sending into
    immutable arrays that the receiver and the log share.  The model sets
    :attr:`round` and :attr:`tags` (``outer``, ``slot``) as the protocol
    moves on.
    """

    def __init__(self, graph: nx.Graph, protocols: Iterable[Protocol],
                 faults: FaultModel | None = None, keep_log: bool = True) -> None:
        self.graph = graph
        #: ``False`` keeps only the counts below (for runs too large to log)
        self.keep_log = keep_log
        self.sent_messages = 0
        self.sent_values = 0  # numbers carried, over all messages
        #: numbers each agent sent, by sender (what it revealed to the others)
        self.values_by_sender: dict[str, int] = {}
        self.faults = faults
        self._pending: list[tuple[int, Message]] = []
        self._kinds: dict[str, MessageKind] = {}
        self.protocols: list[Protocol] = []
        self._started = False
        self.declare(*protocols)
        self._inboxes: dict[str, list[Message]] = defaultdict(list)
        self._ports: set[str] = set()
        self._log: list[Message] = []
        #: the newest message of each settling kind per (sender, receiver, kind)
        self._ledger: dict[tuple[str, str, str], Message] = {}
        self.round = 0
        self.tags: dict[str, int] = {}
        self._step = 0
        self._tags_view: Mapping[str, int] = MappingProxyType({})
        #: (round, tags) of the last message: the step moves on when it changes
        self._position: tuple[int, Mapping[str, int]] | None = None
        #: where messages to agents hosted elsewhere go (an executor's router, see
        #: :mod:`sim.executors`); ``None``: every agent reads its inbox here
        self.router: Router | None = None

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._kinds)

    def kind(self, name: str) -> MessageKind:
        return self._kinds[name]

    def declare(self, *protocols: Protocol) -> None:
        """Add protocols; refused once the first message has been sent."""
        if self._started:
            raise ProtocolError(f"message kinds are frozen once the protocol has started; "
                                f"cannot declare {[p.name for p in protocols]}")
        for protocol in protocols:
            for kind in protocol.kinds:
                if kind.name in self._kinds and self._kinds[kind.name] != kind:
                    raise ProtocolError(f"message kind {kind.name!r} declared twice, differently")
                self._kinds[kind.name] = kind
            self.protocols.append(protocol)

    def port(self, name: str) -> Port:
        """The one port of agent ``name`` (a second port for the same name is refused)."""
        if name not in self.graph:
            raise ProtocolError(f"unknown agent {name!r} (not in the communication graph)")
        if name in self._ports:
            raise ProtocolError(f"agent {name!r} already has a port")
        self._ports.add(name)
        key = secrets.randbits(128)
        _PORTS[key] = (weakref.ref(self), name)
        weakref.finalize(self, _PORTS.pop, key, None)
        return Port(key)

    def _send(self, sender: str, receiver: str, kind: str, payload: Mapping,
              labels: Mapping[str, Sequence[str]]) -> None:
        values = self.check(sender, receiver, kind, payload)
        self._advance()
        event, copies, due = ("", 1, self.round) if self.faults is None else \
            self.faults.fate(kind, sender, receiver, self.round)
        message = Message(self.round, sender, receiver, kind, payload, tags=self._tags_view,
                          labels=labels, step=self._step, fault=event)
        check_labels(self._kinds[kind], message)
        self.sent_messages += 1
        self.sent_values += values
        self.values_by_sender[sender] = self.values_by_sender.get(sender, 0) + values
        self._deliver(message, copies, due)
        if self.keep_log:
            # a copy of its own: what a receiver does to the message it holds (even
            # with object.__setattr__) never reaches the log; payloads are immutable
            self._log.append(message.stamped(message.step))
        if self._kinds[kind].settles:
            self._ledger[(sender, receiver, kind)] = message

    def said(self, sender: str, receiver: str, kind: str) -> Message | None:
        """The newest message of settling ``kind`` that ``sender`` sent ``receiver``
        (stamped by this bus: the sender is who sent it), or ``None``."""
        if not self._kinds[kind].settles:
            raise ProtocolError(f"{kind!r} is not a settling kind: the bus keeps no ledger of it")
        return self._ledger.get((sender, receiver, kind))

    def forget_said(self, kind: str) -> None:
        """Start a new settlement of ``kind``: what was said before no longer counts."""
        self._ledger = {key: m for key, m in self._ledger.items() if key[2] != kind}

    def check(self, sender: str, receiver: str, kind: str, payload: Mapping) -> int:
        """Refuse what the graph or the protocol does not allow; returns how many
        values the payload carries."""
        if receiver not in self.graph:
            raise ProtocolError(f"unknown agent {receiver!r} (not in the communication graph)")
        if not self.graph.has_edge(sender, receiver):
            raise ProtocolError(f"{sender!r} may not send to {receiver!r}: they are not neighbours")
        if kind not in self._kinds:
            raise ProtocolError(
                f"message kind {kind!r} from {sender!r} was not declared "
                f"(declared: {sorted(self._kinds)})"
            )
        declared = self._kinds[kind]
        extra = payload.keys() - declared._names
        if extra:
            raise ProtocolError(f"{sender!r} → {receiver!r}: {kind!r} carries undeclared fields "
                                f"{sorted(extra)} (public fields: {list(declared.field_names)})")
        return self._check_values(sender, receiver, kind, payload)

    def relay(self, sender: str, receiver: str, kind: str, payload: Mapping,
              labels: Mapping[str, Sequence[str]]) -> None:
        """Send as ``sender`` on behalf of its host (an executor relaying what an
        agent in another process sent); checked, stamped and logged as any send.
        Only for an agent the router hosts elsewhere: no one here can relay as
        an agent of this process (the host checks the channel a relayed message
        came by, sim.executors.ray_host)."""
        if self.router is None or not self.router.hosts(sender):
            raise ProtocolError(f"relay as {sender!r} refused: it is not an agent hosted in "
                                "another process")
        self._send(sender, receiver, kind, payload, labels)

    def tally(self, values: int, sender: str | None = None) -> int:
        """Count a message that does not come through here (with no log and no
        faults, a message between agents hosted elsewhere, checked where it was
        sent); returns the step it is stamped with."""
        self._advance()
        self.sent_messages += 1
        self.sent_values += values
        if sender is not None:
            self.values_by_sender[sender] = self.values_by_sender.get(sender, 0) + values
        return self._step

    def accept(self, message: Message, values: int) -> None:
        """Deliver ``message`` (``values`` numbers) as checked and frozen where it
        was sent: with no log and no faults, what an agent hosted elsewhere sent
        to one hosted here.  Counted, stamped with this bus's step and posted;
        not checked again."""
        if self.keep_log or self.faults is not None:
            raise RuntimeError("accept() is for a bus with no log and no fault model; "
                               "relay() checks and logs what comes from elsewhere")
        self._deliver(message.stamped(self.tally(values, message.sender)), 1, self.round)

    def next_step(self) -> int:
        """The step the next message will be stamped with (at the round and tags
        set now), without sending one."""
        return self._step + ((self.round, self.tags) != self._position)

    def _advance(self) -> None:
        """A message is being sent: the kinds are frozen, the step moves on with the
        protocol position."""
        self._started = True
        if (self.round, self.tags) != self._position:
            self._step += 1
            self._tags_view = MappingProxyType(dict(self.tags))
            self._position = (self.round, self._tags_view)

    def _deliver(self, message: Message, copies: int, due: int) -> None:
        """To the receiver's host (an executor's router) or its inbox here."""
        if self.router is not None and self.router.hosts(message.receiver):
            self.router.deliver(message, copies, due)
        else:
            self._post(message.receiver, message, copies, due)

    def _post(self, receiver: str, message: Message, copies: int, due: int) -> None:
        for _ in range(copies):
            if due <= self.round:
                self._inboxes[receiver].append(message)
            else:
                self._pending.append((due, message))

    def offline(self, agent: str) -> bool:
        """Whether the fault model has taken ``agent`` offline by now (for the model,
        which stops activating it)."""
        return self.faults is not None and self.faults.offline(agent, self.round)

    @staticmethod
    def _check_values(sender: str, receiver: str, kind: str, payload: Mapping) -> int:
        """Finite real numbers only, and not too many of them; returns how many."""
        total = 0
        for name, value in payload.items():
            # the common finite float needs no array (a kind has a few fields:
            # scalars alone never reach MAX_VALUES)
            if type(value) is float and math.isfinite(value):
                total += 1
                continue
            try:
                values = np.asarray(value, dtype=float)
            except (TypeError, ValueError):
                raise ProtocolError(f"{sender!r} → {receiver!r}: {kind}.{name} is not a number "
                                    f"or an array of numbers ({type(value).__name__})") from None
            total += values.size
            if total > MAX_VALUES:
                raise ProtocolError(f"{sender!r} → {receiver!r}: {kind} carries more than "
                                    f"{MAX_VALUES:,} values")
            if np.isfinite(values).all():
                continue
            bad = np.flatnonzero(~np.isfinite(values.ravel()))
            if bad.size:
                raise ProtocolError(f"{sender!r} → {receiver!r}: {kind}.{name}[{bad[0]}] = "
                                    f"{values.ravel()[bad[0]]} (payloads carry finite numbers)")
        return total

    def _take(self, receiver: str, kind: str | None) -> list[Message]:
        if self._pending:  # late messages whose round has come
            due = [(r, m) for r, m in self._pending if r <= self.round]
            self._pending = [(r, m) for r, m in self._pending if r > self.round]
            for _, m in sorted(due, key=lambda rm: rm[0]):
                self._inboxes[m.receiver].append(m)
        inbox = self._inboxes[receiver]
        if self.faults is not None:
            inbox = self._inboxes[receiver] = self.faults.shuffle(inbox)
        wanted = [kind is None or m.kind == kind for m in inbox]
        self._inboxes[receiver] = [m for m, w in zip(inbox, wanted, strict=True) if not w]
        return [m for m, w in zip(inbox, wanted, strict=True) if w]

    @property
    def log(self) -> list[Message]:
        return list(self._log)

    def __len__(self) -> int:
        return len(self._log)

    def log_frame(self) -> pd.DataFrame:
        """The log in long form, one row per value (schema in the module docstring)."""
        return log_frame(self._log, self._kinds)

    def write_log(self, path: str | Path) -> Path:
        """The log in long form to a file, written in parts (bounded memory)."""
        return write_log(self._log, self._kinds, path)

    def header_frame(self) -> pd.DataFrame:
        """One row per message, without the payload (who sent what kind when)."""
        return header_frame(self._log)


def check_labels(kind: MessageKind, message: Message) -> None:
    """A field on a link axis has one link label per value; no other field has labels."""
    for f in kind.fields:
        if f.name not in message.payload:
            continue
        value = message.payload[f.name]  # frozen: a float or a float array
        size = 1 if type(value) is float else np.size(value)
        if "link" in f.axes:
            links = message.labels.get(f.name)
            if links is None or len(links) != size:
                raise ProtocolError(
                    f"{message.sender!r} → {message.receiver!r}: {kind.name}.{f.name} has "
                    f"{size} values on a link axis but "
                    f"{'no' if links is None else len(links)} link labels")
        elif f.name in message.labels:
            raise ProtocolError(f"{kind.name}.{f.name} has no link axis; labels are not allowed")
