"""What a study tells the grader: the protocol a strategy plays in, the
optimum it is measured against, the deviation family of each role, what a
seed varies and how the protocol itself flags a deviation.

Each study provides ``terms(scenario) -> GradingTerms`` (the registry's
``grading`` part, ``sim/<study>/grading.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from dcmarket.market.outcome import Outcome


@dataclass(frozen=True)
class GradingTerms:
    """How strategies are graded in one scenario of a study."""

    #: the mechanism a strategy plays in (the study's own protocol)
    protocol: str
    #: the mechanism whose welfare is W* (a centralised optimum on true data)
    optimum: str
    #: role → the deviation family: strategy specs, each a point of a stated grid
    families: Mapping[str, tuple[dict[str, Any], ...]]
    #: the scenario of seed k (k = 0 is the scenario as given)
    seeded: Callable[[BaseModel, int], BaseModel]
    #: one line: what a seed varies in this scenario ("nothing: deterministic")
    seeds_vary: str
    #: the protocol's own check: why it flagged ``agent`` in ``outcome``, or None
    detect: Callable[[Outcome, str], str | None]
    #: options every run of the study's mechanisms takes (e.g. a shared forecast)
    options: Mapping[str, Any] = field(default_factory=dict)
    #: one line: what W* is here, and what it is not
    optimum_note: str = ""
    #: the mechanism whose outcome stands when the protocol fails to converge
    #: (a tournament counts an entrant that broke the market at it), and each
    #: agent's outside option in a comparison (individual rationality), if any
    fallback: str | None = None
    #: the versions of the scenario a comparison runs every mechanism on, by
    #: label: (scenario, options); default: the scenario as given
    variants: Callable[[], dict[str, tuple[BaseModel, dict[str, Any]]]] | None = None


def not_converged(outcome: Outcome, unit: str = "rounds") -> str | None:
    """The first detection every iterative protocol has: it did not converge."""
    if outcome.converged:
        return None
    return f"the protocol did not converge ({outcome.rounds} {unit})"
