"""Messages between agents, the bus that carries them, and the message log.

The only thing that crosses between agents is a :class:`Message`.  The
:class:`MessageBus` runs over a ``networkx.Graph`` (the communication graph):
it delivers only between neighbours and only kinds that the protocol
declared, copies every payload at send time (so a sender mutating its own
arrays afterwards changes nothing on the receiving side) and logs every
message.  Each payload field is declared with its unit and the axes of its
values (:class:`Field`), so the log can say what every number is.

Log schema (:meth:`MessageBus.log_frame`; stored as ``messages.parquet`` in a
run folder; one row per value of each payload field, "long form")
======================================================================

==============  ==========  ================================================
column          type        meaning
==============  ==========  ================================================
``step``        int64       global step counter: 1 + the number of times the
                            protocol position (outer, round, slot) changed
                            before this message
``msg``         int64       message number, 0, 1, … in sending order
``outer``       Int64       outer iteration of a bi-level loop (null elsewhere)
``round``       int64       protocol round (ADMM iteration, twin round, slot)
``slot``        Int64       the DR day's hour slot (null elsewhere)
``sender``      string      agent name
``receiver``    string      agent name
``kind``        string      declared message kind (``price_estimate``, ...)
``fault``       string      what the fault model did to it (``lost``, ``late 1``,
                            ``doubled``, ``offline``); null when delivered as sent
``field``       string      payload field (``y``, ``lmp``, ``fee_eur``, ...)
``unit``        string      the field's unit (``$/M req``, ``MW``, ``tasks``)
``i``           int64       position of the value in the field (0 for a scalar)
``link``        string      trading link ``DC1–DC2`` where the field has one
``hour``        Int64       hour of the horizon (0 = first) where it has one
``value``       float64     the value
``value_int``   Int64       the same value for integer fields (counts, slots)
==============  ==========  ================================================

String columns are Arrow-backed in memory (``string[pyarrow]``).  pandas
(``pd.read_parquet``) and DuckDB (``SELECT * FROM 'messages.parquet'``) read
it as is.  :func:`messages_of` turns it back into one row per message.
"""

from __future__ import annotations

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

from market.atomic import atomic_path
from market.faults import FaultModel

#: The most values one message may carry (a DC's whole price vector on a large
#: graph is well below; a runaway or hostile payload is refused).
MAX_VALUES = 1_000_000

#: Axes a field's values may be labelled with (each a column of the log).
AXES = ("link", "hour")
#: The protocol-position tags a model may set on the bus (each a column of the log).
TAGS = ("outer", "slot")
LOG_COLUMNS = ("step", "msg", "outer", "round", "slot", "sender", "receiver", "kind",
               "fault", "field", "unit", "i", "link", "hour", "value", "value_int")
HEADER_COLUMNS = ("step", "msg", "outer", "round", "slot", "sender", "receiver", "kind",
                  "fault")


class ProtocolError(ValueError):
    """A message that the communication graph or the protocol does not allow."""


def _frozen_copy(value: Any) -> Any:
    if isinstance(value, np.ndarray | list | tuple):
        array = np.array(value, dtype=float, copy=True)
        array.flags.writeable = False
        return array
    if isinstance(value, int | float | np.number):
        return float(value)
    raise ProtocolError(f"payload values must be numbers or arrays, got {type(value).__name__}")


@dataclass(frozen=True)
class Field:
    """One public payload field: its unit and the axes its values run along.

    ``axes=("hour",)`` labels value ``k`` of a vector with hour ``k``;
    ``("link", "hour")`` needs the sender to pass each value's link
    (:meth:`Port.send`'s ``labels``); ``()`` is a scalar.  ``integer`` marks
    counts and slot numbers (logged in ``value_int`` too).
    """

    name: str
    unit: str = ""
    axes: tuple[str, ...] = ()
    integer: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.axes) - set(AXES)
        if unknown:
            raise ValueError(f"field {self.name!r}: unknown axes {sorted(unknown)} (known: {AXES})")


@dataclass(frozen=True)
class MessageKind:
    """One kind of message: its name, the public payload fields it may carry, who
    sends it to whom and what it means (for the docs and the log's readers).
    A field given as a plain name is a unitless value without axes."""

    name: str
    fields: tuple[Field | str, ...]
    doc: str = ""

    def __post_init__(self) -> None:
        fields = tuple(f if isinstance(f, Field) else Field(str(f)) for f in self.fields)
        object.__setattr__(self, "fields", fields)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@dataclass(frozen=True)
class Protocol:
    """The typed declaration of a protocol: every kind of message it sends."""

    name: str
    kinds: tuple[MessageKind, ...]

    def __post_init__(self) -> None:
        names = [k.name for k in self.kinds]
        if len(set(names)) != len(names):
            raise ValueError(f"protocol {self.name}: duplicate message kinds {names}")


@dataclass(frozen=True, eq=False)
class Message:
    """``(round, sender, receiver, kind, payload)``; payload frozen at creation.

    ``tags`` carry the protocol position besides the round (``outer``,
    ``slot``), ``labels`` the link of each value of a field that has a link
    axis, and ``step`` the bus's global step counter.
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
        object.__setattr__(self, "tags", MappingProxyType(dict(self.tags)))
        object.__setattr__(self, "labels", MappingProxyType(
            {str(k): v if isinstance(v, tuple) and all(type(x) is str for x in v[:1])
             else tuple(str(x) for x in v) for k, v in self.labels.items()}))

    def __reduce__(self) -> tuple:  # pickled (to another process) as its fields
        return (Message, (self.round, self.sender, self.receiver, self.kind, dict(self.payload),
                          dict(self.tags), dict(self.labels), self.step, self.fault))

    def copy(self) -> Message:
        """An independent copy: its own read-only arrays; the header, the tags
        and the labels (immutable) are shared."""
        clone = object.__new__(Message)
        clone.__dict__.update(self.__dict__)
        clone.__dict__["payload"] = MappingProxyType(
            {k: _frozen_copy(v) for k, v in self.payload.items()})
        return clone


class Port:
    """An agent's only connection to the others: send as itself, read its own inbox.

    The bus stamps the sender from the port (no agent can send as another),
    and :meth:`receive` reads only the port owner's inbox.  The round and the
    tags (e.g. the outer iteration) come from the bus, set by the model.
    """

    __slots__ = ("_receive", "_send", "name")

    def __init__(self, name: str, send: Any, receive: Any) -> None:
        self.name = name
        self._send = send
        self._receive = receive

    def send(self, receiver: str, kind: str, payload: Mapping,
             labels: Mapping[str, Sequence[str]] | None = None) -> None:
        """Send ``payload`` to a neighbour; ``labels`` give the link of each value
        of a field declared with a ``link`` axis."""
        self._send(receiver, kind, payload, labels or {})

    def receive(self, kind: str | None = None) -> list[Message]:
        """Take (and remove) the messages waiting for this port's owner."""
        return self._receive(kind)


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
    only its kind's declared public fields; the receiver and the log each
    get their own read-only copy.  The model sets :attr:`round` and
    :attr:`tags` (``outer``, ``slot``) as the protocol moves on.
    """

    def __init__(self, graph: nx.Graph, protocols: Iterable[Protocol],
                 faults: FaultModel | None = None, keep_log: bool = True) -> None:
        self.graph = graph
        #: ``False`` keeps only the counts below (for runs too large to log)
        self.keep_log = keep_log
        self.sent_messages = 0
        self.sent_values = 0  # numbers carried, over all messages
        self.faults = faults
        self._pending: list[tuple[int, Message]] = []
        self._kinds: dict[str, MessageKind] = {}
        self.protocols: list[Protocol] = []
        self._started = False
        self.declare(*protocols)
        self._inboxes: dict[str, list[Message]] = defaultdict(list)
        self._ports: set[str] = set()
        self._log: list[Message] = []
        self.round = 0
        self.tags: dict[str, int] = {}
        self._step = 0
        self._position: tuple | None = None
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
        return Port(name, lambda receiver, kind, payload, labels:
                    self._send(name, receiver, kind, payload, labels),
                    lambda kind=None: self._take(name, kind))

    def _send(self, sender: str, receiver: str, kind: str, payload: Mapping,
              labels: Mapping[str, Sequence[str]]) -> None:
        values = self.check(sender, receiver, kind, payload)
        self._advance()
        event, copies, due = ("", 1, self.round) if self.faults is None else \
            self.faults.fate(kind, sender, receiver, self.round)
        message = Message(self.round, sender, receiver, kind, payload, tags=self.tags,
                          labels=labels, step=self._step, fault=event)
        _check_labels(self._kinds[kind], message)
        self.sent_messages += 1
        self.sent_values += values
        if self.router is not None and self.router.hosts(receiver):
            self.router.deliver(message, copies, due)
        else:
            self._post(receiver, message, copies, due)
        if self.keep_log:
            self._log.append(message.copy())

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
        extra = set(payload) - set(declared.field_names)
        if extra:
            raise ProtocolError(f"{sender!r} → {receiver!r}: {kind!r} carries undeclared fields "
                                f"{sorted(extra)} (public fields: {list(declared.field_names)})")
        return self._check_values(sender, receiver, kind, payload)

    def relay(self, sender: str, receiver: str, kind: str, payload: Mapping,
              labels: Mapping[str, Sequence[str]]) -> None:
        """Send as ``sender`` on behalf of its host (an executor relaying what an
        agent in another process sent); checked, stamped and logged as any send."""
        self._send(sender, receiver, kind, payload, labels)

    def tally(self, values: int) -> None:
        """Count a message delivered where it was sent (between agents of one
        shard, with no log and no faults): it never came through here."""
        self._advance()
        self.sent_messages += 1
        self.sent_values += values

    def _advance(self) -> None:
        """A message is being sent: the kinds are frozen, the step moves on with the
        protocol position."""
        self._started = True
        position = (self.round, tuple(sorted(self.tags.items())))
        if position != self._position:
            self._step += 1
            self._position = position

    def _post(self, receiver: str, message: Message, copies: int, due: int) -> None:
        for _ in range(copies):
            if due <= self.round:
                self._inboxes[receiver].append(message.copy())
            else:
                self._pending.append((due, message.copy()))

    def offline(self, agent: str) -> bool:
        """Whether the fault model has taken ``agent`` offline by now (for the model,
        which stops activating it)."""
        return self.faults is not None and self.faults.offline(agent, self.round)

    @staticmethod
    def _check_values(sender: str, receiver: str, kind: str, payload: Mapping) -> int:
        """Finite real numbers only, and not too many of them; returns how many."""
        total = 0
        for name, value in payload.items():
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

    def header_frame(self) -> pd.DataFrame:
        """One row per message, without the payload (who sent what kind when)."""
        return header_frame(self._log)


def _check_labels(kind: MessageKind, message: Message) -> None:
    for f in kind.fields:
        if f.name not in message.payload:
            continue
        size = np.size(message.payload[f.name])
        if "link" in f.axes:
            links = message.labels.get(f.name)
            if links is None or len(links) != size:
                raise ProtocolError(
                    f"{message.sender!r} → {message.receiver!r}: {kind.name}.{f.name} has "
                    f"{size} values on a link axis but "
                    f"{'no' if links is None else len(links)} link labels")
        elif f.name in message.labels:
            raise ProtocolError(f"{kind.name}.{f.name} has no link axis; labels are not allowed")


def _category(codes: np.ndarray, names: Sequence[str]) -> pd.arrays.ArrowStringArray:
    """Strings from dictionary codes (−1 = missing), Arrow-backed: compact, and
    grouping by them works as on plain strings."""
    import pyarrow as pa

    codes = np.asarray(codes, dtype=np.int32)
    indices = pa.array(codes, mask=codes < 0)
    strings = pa.DictionaryArray.from_arrays(indices, pa.array(list(names), pa.string()))
    return pd.arrays.ArrowStringArray(strings.cast(pa.string()))


def _codes(values: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    names: dict[str, int] = {}
    codes = np.fromiter((names.setdefault(v, len(names)) for v in values), dtype=np.int32,
                        count=len(values))
    return codes, list(names)


def _position_columns(messages: Sequence[Message]) -> dict[str, Any]:
    columns: dict[str, Any] = {
        "step": np.array([m.step for m in messages], dtype=np.int64),
        "msg": np.arange(len(messages), dtype=np.int64),
        "outer": pd.array([m.tags.get("outer") for m in messages], dtype="Int64"),
        "round": np.array([m.round for m in messages], dtype=np.int64),
        "slot": pd.array([m.tags.get("slot") for m in messages], dtype="Int64"),
    }
    for name in ("sender", "receiver", "kind"):
        columns[name] = _category(*_codes([getattr(m, name) for m in messages]))
    faults = [m.fault or None for m in messages]
    columns["fault"] = pd.array(faults, dtype="string[pyarrow]")
    return columns


def header_frame(messages: Sequence[Message]) -> pd.DataFrame:
    """One row per message: position, sender, receiver, kind."""
    return pd.DataFrame(_position_columns(list(messages)), columns=list(HEADER_COLUMNS))


def log_frame(messages: Sequence[Message], kinds: Mapping[str, MessageKind]) -> pd.DataFrame:
    """Messages in long form, one row per value of each payload field."""
    messages = list(messages)
    fields: dict[tuple[str, str], int] = {}  # (field, unit) → code
    links: dict[str, int] = {}
    which, field_code, position, link_code, hours, values, integer = ([] for _ in range(7))
    for number, m in enumerate(messages):
        for f in kinds[m.kind].fields:
            if f.name not in m.payload:
                continue
            v = np.ravel(m.payload[f.name])
            n = v.size
            which.append(np.full(n, number, dtype=np.int64))
            field_code.append(np.full(n, fields.setdefault((f.name, f.unit), len(fields))))
            position.append(np.arange(n))
            values.append(v)
            integer.append(np.full(n, f.integer))
            if "link" in f.axes:
                labels = m.labels[f.name]
                link_code.append(np.array([links.setdefault(x, len(links)) for x in labels]))
                hours.append(_hours_within_links(labels) if "hour" in f.axes
                             else np.full(n, -1))
            else:
                link_code.append(np.full(n, -1))
                hours.append(np.arange(n) if "hour" in f.axes else np.full(n, -1))
    if not which:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in LOG_COLUMNS})
    rows = np.concatenate(which)
    frame = header_frame(messages).iloc[rows].reset_index(drop=True)
    codes = np.concatenate(field_code)
    frame["field"] = _category(codes, [name for name, _ in fields])
    frame["unit"] = _category(codes, [unit for _, unit in fields])
    frame["i"] = np.concatenate(position).astype(np.int64)
    frame["link"] = _category(np.concatenate(link_code), list(links))
    hour = np.concatenate(hours)
    frame["hour"] = pd.arrays.IntegerArray(hour, hour < 0)
    value = np.concatenate(values).astype(float)
    frame["value"] = value
    is_int = np.concatenate(integer) & np.isfinite(value)
    frame["value_int"] = pd.arrays.IntegerArray(
        np.where(is_int, np.round(np.where(is_int, value, 0.0)), 0).astype(np.int64), ~is_int)
    return frame[list(LOG_COLUMNS)]


def _hours_within_links(links: Sequence[str]) -> np.ndarray:
    """Hour of each value of a link-major vector: counts up within each link's run."""
    hours = np.zeros(len(links), dtype=np.int64)
    for k in range(1, len(links)):
        hours[k] = hours[k - 1] + 1 if links[k] == links[k - 1] else 0
    return hours


def messages_of(log: pd.DataFrame) -> pd.DataFrame:
    """One row per message from a long-form log: the header columns and, per
    field, a scalar or a list of its values (the log's wide view)."""
    if log.empty:
        return pd.DataFrame(columns=list(HEADER_COLUMNS))
    header = log.drop_duplicates("msg")[list(HEADER_COLUMNS)].set_index("msg", drop=False)
    for name, rows in log.groupby("field", sort=False):
        per = rows.groupby("msg")["value"].agg(list)
        header[str(name)] = per.map(lambda v: v[0] if len(v) == 1 else v)
    return header.reset_index(drop=True)


def write_frame(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a frame to ``.parquet`` or ``.csv`` atomically (temp file, then rename).

    In CSV, list-valued columns are written as JSON arrays.
    """
    path = Path(path)
    if path.suffix not in (".parquet", ".csv"):
        raise ValueError(f"unsupported log format {path.suffix!r}: use .parquet or .csv")
    with atomic_path(path) as tmp:
        if path.suffix == ".parquet":
            frame.to_parquet(tmp, index=False)
        else:
            _csv_ready(frame).to_csv(tmp, index=False)
    return path


def read_frame(path: str | Path) -> pd.DataFrame:
    """Read a message log written by :func:`write_frame` (types restored from CSV)."""
    path = Path(path)
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    for column in frame.columns:
        if column in ("sender", "receiver", "kind", "fault", "field", "unit", "link"):
            strings = frame[column].astype("string")
            if column == "unit":  # CSV reads an empty unit back as missing
                strings = strings.fillna("")
            frame[column] = strings.astype("string[pyarrow]")
        elif column in ("outer", "slot", "hour", "value_int"):
            frame[column] = frame[column].astype("Int64")
    return frame


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    import json

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object and out[column].map(lambda v: isinstance(v, list)).any():
            out[column] = out[column].map(json.dumps)
    return out
