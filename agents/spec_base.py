"""The one base for every validated spec and scenario section, and unit-typed aliases.

Every private spec an agent holds (a DC's servers, a household's EV, ...) and
every scenario section is a :class:`StrictSpec`: unknown fields are errors
(a typo never silently falls back to a default) and a validated spec cannot
be changed afterwards.  The aliases say what a number may be, so that a
field's constraint is read from its type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

#: a share or probability, in [0, 1]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
#: an efficiency, in (0, 1]
Efficiency = Annotated[float, Field(gt=0.0, le=1.0)]
#: a strictly positive quantity (a rating, a capacity, a price scale)
Positive = Annotated[float, Field(gt=0.0)]
#: a quantity that may be zero but not negative (a cost, an energy)
NonNegative = Annotated[float, Field(ge=0.0)]
#: an outdoor air temperature, °C: the range of recorded weather on Earth
OutdoorC = Annotated[float, Field(ge=-90.0, le=60.0)]
#: a room temperature (a data hall, a home), °C: what people or servers can stand
IndoorC = Annotated[float, Field(ge=0.0, le=50.0)]


#: the largest money amount per unit a scenario may state ($ or € per unit of
#: work or energy): far above any real tariff, far below what overflows a sum
MONEY_MAX = 1e9
#: the largest price magnitude per MWh (value-of-lost-load prices and negative
#: prices stay well inside)
PRICE_MAX_PER_MWH = 1e6
Money = Annotated[float, Field(ge=0.0, le=MONEY_MAX)]

#: an agent's name: letters, digits and ``_``, starting with a letter, at most
#: 64 characters.  Names travel into ``--set`` paths (split on ``.``), link keys
#: (``DC1-DC3``, split on ``-``), the log, CSV files and terminals, so nothing
#: else is safe: no control character, no newline, no leading ``= + - @``
#: (a spreadsheet formula), no ``.`` or ``-``.
AGENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")


def check_agent_name(value: object) -> str:
    """``value`` if it is an agent name (:data:`AGENT_NAME`), else a ValueError."""
    if not isinstance(value, str) or not AGENT_NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not an agent name: letters, digits and _, starting "
                         "with a letter, at most 64 characters")
    return value


AgentName = Annotated[str, AfterValidator(check_agent_name)]


def check_not_reserved(names: list[str], reserved: tuple[str, ...], where: str) -> None:
    """No agent may take a name its protocol gives an agent of its own."""
    taken = sorted(set(names) & set(reserved))
    if taken:
        raise ValueError(f"{where}: {', '.join(taken)} is reserved by the protocol "
                         f"(reserved: {', '.join(reserved)})")


def one_of(value: str, choices: list[str], what: str, shown: int = 6) -> str:
    """``value`` if it is among ``choices`` (what a library ships), else a
    ValueError naming it and a few of the choices."""
    if value not in choices:
        more = ", …" if len(choices) > shown else ""
        raise ValueError(f"{value!r} is not {what} ({', '.join(choices[:shown])}{more})")
    return value


class FrozenMap(dict):
    """A mapping that refuses changes (a validated scenario's dictionaries);
    copies, pickles and serialises as a plain dict does."""

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("a validated scenario cannot be changed; make a validated copy "
                        "with model_copy(update=...)")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse
    __ior__ = _refuse

    def __reduce__(self) -> tuple:
        return (FrozenMap, (dict(self),))

    def __copy__(self) -> FrozenMap:
        return self

    def __deepcopy__(self, memo: dict) -> FrozenMap:
        return self


#: put on a ``dict[...]`` field: the validated mapping cannot be changed
Frozen = AfterValidator(FrozenMap)


class StrictSpec(BaseModel):
    """Frozen, no extra fields, finite numbers only: the base of every spec and
    scenario section.  Sequences are tuples and mappings :class:`FrozenMap`,
    so nothing inside a validated scenario can be changed either; a copy with
    changes is validated again (``model_copy`` re-runs every check), so no
    path leads around validation."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False,
                              revalidate_instances="always")

    def model_copy(self, *, update: Mapping[str, Any] | None = None,
                   deep: bool = False) -> Self:
        """A validated copy: ``update`` goes through every field check and validator."""
        if not update:
            return super().model_copy(deep=deep)
        data = {name: getattr(self, name) for name in type(self).model_fields}
        return type(self).model_validate({**data, **update})


class Interval(StrictSpec):
    """``[low, high]``, ordered; subclasses narrow the bounds' types."""

    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) is below low ({self.low})")
        return self
