"""The one base for every validated spec and scenario section, and unit-typed aliases.

Every private spec an agent holds (a DC's servers, a household's EV, ...) and
every scenario section is a :class:`StrictSpec`: unknown fields are errors
(a typo never silently falls back to a default) and a validated spec cannot
be changed afterwards.  The aliases say what a number may be, so that a
field's constraint is read from its type.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: a share or probability, in [0, 1]
Share = Annotated[float, Field(ge=0.0, le=1.0)]
#: an efficiency, in (0, 1]
Efficiency = Annotated[float, Field(gt=0.0, le=1.0)]
#: a strictly positive quantity (a rating, a capacity, a price scale)
Positive = Annotated[float, Field(gt=0.0)]
#: a quantity that may be zero but not negative (a cost, an energy)
NonNegative = Annotated[float, Field(ge=0.0)]


class StrictSpec(BaseModel):
    """Frozen, no extra fields: the base of every spec and scenario section."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Interval(StrictSpec):
    """``[low, high]``, ordered; subclasses narrow the bounds' types."""

    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Interval:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) is below low ({self.low})")
        return self
