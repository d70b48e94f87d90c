"""One interface for every mechanism: iterative protocols step, one-shot
clearings clear, and both end in an :class:`~market.outcome.Outcome`.

- :class:`IterativeMechanism`: ``start()`` builds the agents and opens the
  protocol, ``step()`` advances it by one of its steps (an ADMM round, an
  outer iteration, a slot), ``converged`` / ``done`` say where it stands and
  ``outcome()`` reads the result; ``run()`` steps to the end.
- :class:`OneShotMechanism`: ``clear()`` computes the result at once (a
  centralised optimum, an equilibrium, a sealed-bid clearing, no trade).

Each study lists its mechanisms by name (``sim/<study>/mechanisms.py``);
:func:`run_mechanism` runs either kind to its outcome.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod

from dcmarket.market.outcome import Outcome


class Mechanism(ABC):  # noqa: B024 - the common base of the two kinds below
    """A named way of clearing one fleet."""

    #: the mechanism's name in tables (``admm_local``, ``centralised``, …)
    name: str = ""
    #: one line: what it is
    description: str = ""


class OneShotMechanism(Mechanism):
    @abstractmethod
    def clear(self) -> Outcome:
        """The outcome, computed at once."""


class IterativeMechanism(Mechanism):
    @abstractmethod
    def start(self) -> None:
        """Build the agents and open the protocol (idempotent)."""

    @abstractmethod
    def step(self) -> None:
        """One step of the protocol."""

    @property
    @abstractmethod
    def converged(self) -> bool:
        """Whether the protocol's stopping rule holds."""

    @property
    def done(self) -> bool:
        """Whether stepping further does nothing (converged, or the cap hit)."""
        return self.converged

    @abstractmethod
    def outcome(self) -> Outcome:
        """The result as it stands (a run stopped early says ``converged=False``)."""

    def run(self) -> Outcome:
        """Step until :attr:`done`, then the outcome."""
        self.start()
        while not self.done:
            self.step()
        return self.outcome()


def run_mechanism(mechanism: Mechanism) -> Outcome:
    """Any mechanism to its outcome, timed (a mechanism's own clock wins) and
    checked (no number that is not finite)."""
    tic = time.perf_counter()
    if isinstance(mechanism, IterativeMechanism):
        outcome = mechanism.run()
    elif isinstance(mechanism, OneShotMechanism):
        outcome = mechanism.clear()
    else:
        raise TypeError(f"{mechanism!r} is neither iterative nor one-shot")
    if not outcome.wall_s:
        from dataclasses import replace

        outcome = replace(outcome, wall_s=time.perf_counter() - tic)
    return outcome.check()
