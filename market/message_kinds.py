"""What a protocol declares: its kinds of message, each with its public payload
fields, their units and the axes their values run along (so the message log
can say what every number is).  The bus that checks messages against these
declarations: :mod:`market.messages`."""

from __future__ import annotations

from dataclasses import dataclass

#: Axes a field's values may be labelled with (each a column of the log).
AXES = ("link", "hour")
#: The protocol-position tags a model may set on the bus (each a column of the log).
TAGS = ("outer", "slot")


class ProtocolError(ValueError):
    """A message that the communication graph or the protocol does not allow."""


@dataclass(frozen=True)
class Field:
    """One public payload field: its unit and the axes its values run along.

    ``axes=("hour",)`` labels value ``k`` of a vector with hour ``k``;
    ``("link", "hour")`` needs the sender to pass each value's link
    (:meth:`market.messages.Port.send`'s ``labels``); ``()`` is a scalar.  ``integer`` marks
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
    A field given as a plain name is a unitless value without axes.

    ``settles``: money is settled from messages of this kind, so the bus keeps
    the newest one of each (sender, receiver) for the monitor whether or not
    it keeps a log (:meth:`market.messages.MessageBus.said`), and no executor
    hands one from agent to agent past the model's bus."""

    name: str
    fields: tuple[Field | str, ...]
    doc: str = ""
    settles: bool = False

    def __post_init__(self) -> None:
        fields = tuple(f if isinstance(f, Field) else Field(str(f)) for f in self.fields)
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "_names", frozenset(f.name for f in fields))

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
