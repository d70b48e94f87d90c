"""Messages between agents, the bus that carries them, and the message log.

The only thing that crosses between agents is a :class:`Message`.  The
:class:`MessageBus` runs over a ``networkx.Graph`` (the communication graph):
it delivers only between neighbours and only kinds that the protocol
declared, copies every payload at send time (so a sender mutating its own
arrays afterwards changes nothing on the receiving side) and logs every
message.

Log schema (:meth:`MessageBus.log_frame`, one row per message):

==============  ========================================================
column          meaning
==============  ========================================================
``round``       protocol round (e.g. ADMM iteration ``k``)
``sender``      agent name
``receiver``    agent name
``kind``        declared message kind (``"price_estimate"``, ...)
``payload.K``   one column per payload key ``K``: a float for a scalar
                value, a list of floats for an array (nested, flattened
                row-major; Parquet stores it as ``list<double>``)
==============  ========================================================

Extra integer columns can be attached per message through ``tags`` (e.g. the
outer iteration of a bi-level loop); they appear before the payload columns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from market.atomic import atomic_path


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
class MessageKind:
    """One kind of message: its name, the public payload fields it may carry, who
    sends it to whom and what it means (for the docs and the log's readers)."""

    name: str
    fields: tuple[str, ...]
    doc: str = ""


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
    """``(round, sender, receiver, kind, payload)``; payload frozen at creation."""

    round: int
    sender: str
    receiver: str
    kind: str
    payload: Mapping[str, Any]
    tags: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        frozen = {str(k): _frozen_copy(v) for k, v in self.payload.items()}
        object.__setattr__(self, "payload", MappingProxyType(frozen))
        object.__setattr__(self, "tags", MappingProxyType(dict(self.tags)))

    def copy(self) -> Message:
        """An independent copy (its own read-only arrays)."""
        return Message(self.round, self.sender, self.receiver, self.kind, self.payload, self.tags)


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

    def send(self, receiver: str, kind: str, payload: Mapping) -> None:
        self._send(receiver, kind, payload)

    def broadcast(self, kind: str, payload: Mapping, to: Iterable[str]) -> None:
        """Send the same payload to each of ``to`` (each must be a neighbour)."""
        for receiver in to:
            self._send(receiver, kind, payload)

    def receive(self, kind: str | None = None) -> list[Message]:
        """Take (and remove) the messages waiting for this port's owner."""
        return self._receive(kind)


class MessageBus:
    """Delivers messages along the edges of ``graph`` and keeps the log.

    The protocols' message kinds are declared when the bus is built (or by
    :meth:`declare` before the first message); once a message has been sent
    they are frozen.  Each agent gets one :class:`Port`.  A payload may carry
    only its kind's declared public fields; the receiver and the log each
    get their own read-only copy.
    """

    def __init__(self, graph: nx.Graph, protocols: Iterable[Protocol]) -> None:
        self.graph = graph
        self._fields: dict[str, tuple[str, ...]] = {}
        self.protocols: list[Protocol] = []
        self._started = False
        self.declare(*protocols)
        self._inboxes: dict[str, list[Message]] = defaultdict(list)
        self._ports: set[str] = set()
        self._log: list[Message] = []
        self.round = 0
        self.tags: dict[str, int] = {}

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(self._fields)

    def declare(self, *protocols: Protocol) -> None:
        """Add protocols; refused once the first message has been sent."""
        if self._started:
            raise ProtocolError(f"message kinds are frozen once the protocol has started; "
                                f"cannot declare {[p.name for p in protocols]}")
        for protocol in protocols:
            for kind in protocol.kinds:
                if kind.name in self._fields and self._fields[kind.name] != kind.fields:
                    raise ProtocolError(f"message kind {kind.name!r} declared twice, differently")
                self._fields[kind.name] = kind.fields
            self.protocols.append(protocol)

    def port(self, name: str) -> Port:
        """The one port of agent ``name`` (a second port for the same name is refused)."""
        if name not in self.graph:
            raise ProtocolError(f"unknown agent {name!r} (not in the communication graph)")
        if name in self._ports:
            raise ProtocolError(f"agent {name!r} already has a port")
        self._ports.add(name)
        return Port(name, lambda receiver, kind, payload: self._send(name, receiver, kind, payload),
                    lambda kind=None: self._take(name, kind))

    def _send(self, sender: str, receiver: str, kind: str, payload: Mapping) -> None:
        if receiver not in self.graph:
            raise ProtocolError(f"unknown agent {receiver!r} (not in the communication graph)")
        if not self.graph.has_edge(sender, receiver):
            raise ProtocolError(f"{sender!r} may not send to {receiver!r}: they are not neighbours")
        if kind not in self._fields:
            raise ProtocolError(
                f"message kind {kind!r} from {sender!r} was not declared "
                f"(declared: {sorted(self._fields)})"
            )
        extra = set(payload) - set(self._fields[kind])
        if extra:
            raise ProtocolError(f"{sender!r} → {receiver!r}: {kind!r} carries undeclared fields "
                                f"{sorted(extra)} (public fields: {list(self._fields[kind])})")
        self._started = True
        message = Message(self.round, sender, receiver, kind, payload, tags=self.tags)
        self._inboxes[receiver].append(message)
        self._log.append(message.copy())

    def _take(self, receiver: str, kind: str | None) -> list[Message]:
        inbox = self._inboxes[receiver]
        wanted = [kind is None or m.kind == kind for m in inbox]
        self._inboxes[receiver] = [m for m, w in zip(inbox, wanted, strict=True) if not w]
        return [m for m, w in zip(inbox, wanted, strict=True) if w]

    @property
    def log(self) -> list[Message]:
        return list(self._log)

    def __len__(self) -> int:
        return len(self._log)

    def log_frame(self, include_payload: bool = True) -> pd.DataFrame:
        """The log as a tidy frame (schema in the module docstring)."""
        return messages_frame(self._log, include_payload)


def messages_frame(messages: Iterable[Message], include_payload: bool = True) -> pd.DataFrame:
    rows = []
    for m in messages:
        row: dict[str, Any] = {"round": m.round, "sender": m.sender, "receiver": m.receiver,
                               "kind": m.kind}
        row.update(m.tags)
        if include_payload:
            for key, value in m.payload.items():
                row[f"payload.{key}"] = value.ravel().tolist() if isinstance(value, np.ndarray) \
                    else value
        rows.append(row)
    frame = pd.DataFrame(rows, columns=None if rows else ["round", "sender", "receiver", "kind"])
    for column in ("sender", "receiver", "kind"):
        frame[column] = frame[column].astype("string")
    return frame


def write_frame(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a frame to ``.parquet`` or ``.csv`` atomically (temp file, then rename).

    In CSV, list-valued payload columns are written as JSON arrays.
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
    """Read a frame written by :func:`write_frame` (lists restored from CSV)."""
    import json

    path = Path(path)
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        for column in frame.columns:
            if column.startswith("payload.") and frame[column].dtype == object:
                frame[column] = frame[column].map(
                    lambda v: v.tolist() if isinstance(v, np.ndarray) else v
                )
    else:
        frame = pd.read_csv(path)
        for column in frame.columns:
            if column.startswith("payload.") and frame[column].dtype != float:
                frame[column] = frame[column].map(
                    lambda v: json.loads(v) if isinstance(v, str) else v
                )
    for column in ("sender", "receiver", "kind"):
        if column in frame:
            frame[column] = frame[column].astype("string")
    return frame


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    import json

    out = frame.copy()
    for column in out.columns:
        if out[column].map(lambda v: isinstance(v, list)).any():
            out[column] = out[column].map(json.dumps)
    return out
