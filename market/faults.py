"""A seeded fault model for the message bus: lost, late, doubled and
reordered messages, and agents that drop out.

The bus applies it to every message of the kinds it names (by default all):
each message is lost with probability ``loss``, otherwise delivered
``delay`` rounds late (0: in the round it was sent) and, with probability
``duplicate``, twice; ``reorder`` shuffles each inbox when it is read.  An
agent in ``dropouts`` is offline from its round on (until it rejoins, if it
does): everything it would send or receive is lost, and the model does not
activate it.  Every fault
is an event in the message log (column ``fault``), so a run under faults
can be read and replayed: the same seed gives the same faults.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class FaultError(ValueError):
    """A fault model that cannot be applied (a probability outside [0, 1), …)."""


@dataclass(frozen=True)
class Dropout:
    """Agent ``agent`` goes offline at round ``at_round`` and, if
    ``rejoin_round`` is given, comes back then."""

    agent: str
    at_round: int
    rejoin_round: int | None = None

    def __post_init__(self) -> None:
        if self.at_round < 0:
            raise FaultError(f"dropout of {self.agent}: at_round must be ≥ 0, got {self.at_round}")
        if self.rejoin_round is not None and self.rejoin_round <= self.at_round:
            raise FaultError(f"dropout of {self.agent}: rejoin_round {self.rejoin_round} must "
                             f"come after at_round {self.at_round}")

    def covers(self, round_: int) -> bool:
        return round_ >= self.at_round and (self.rejoin_round is None
                                            or round_ < self.rejoin_round)


@dataclass(frozen=True)
class FaultModel:
    loss: float = 0.0
    delay: int = 0
    duplicate: float = 0.0
    reorder: bool = False
    kinds: frozenset[str] | None = None
    dropouts: tuple[Dropout, ...] = ()
    seed: int = 0
    _rng: np.random.Generator = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("loss", "duplicate"):
            value = getattr(self, name)
            if not (np.isfinite(value) and 0.0 <= value < 1.0):
                raise FaultError(f"fault model: {name} must be in [0, 1), got {value}")
        if int(self.delay) != self.delay or self.delay < 0:
            raise FaultError(f"fault model: delay must be a whole number of rounds ≥ 0, "
                             f"got {self.delay}")
        object.__setattr__(self, "_rng", np.random.default_rng(self.seed))

    def applies_to(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds

    def offline(self, agent: str, round_: int) -> bool:
        return any(d.agent == agent and d.covers(round_) for d in self.dropouts)

    def fate(self, kind: str, sender: str, receiver: str, round_: int) -> tuple[str, int, int]:
        """``(event, copies, due round)`` of one message: ``event`` is "" for a
        plain delivery, else what happened to it (it goes in the log)."""
        if not self.applies_to(kind):
            return "", 1, round_
        if self.offline(sender, round_) or self.offline(receiver, round_):
            return "offline", 0, round_
        if self._rng.random() < self.loss:
            return "lost", 0, round_
        copies = 2 if self._rng.random() < self.duplicate else 1
        events = [f"late {self.delay}"] if self.delay else []
        if copies == 2:
            events.append("doubled")
        return ", ".join(events), copies, round_ + self.delay

    def shuffle(self, items: list) -> list:
        if not self.reorder or len(items) < 2:
            return items
        order = self._rng.permutation(len(items))
        return [items[i] for i in order]
