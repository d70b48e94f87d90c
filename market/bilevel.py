"""The bi-level loop between the grid and the DC market (docs/p2p.md, V-B).

Plain iteration: the grid prices the DCs' demand, the DCs re-clear and bid
again; it stops when ``max_{i,t} |Pg^k − Pg^{k−1}| ≤ ε`` (49).  Because each
DC's problem is an LP its demand jumps between vertices and the plain loop can
cycle.  The bisection-assisted loop (50)–(54) watches every (DC, hour) pair:

* oscillation (50), per pair: ``Pg^k`` is back at ``Pg^{k−2}`` (within ε)
  while it differs from ``Pg^{k−1}``;
* the pair then gets an operating interval ``[lo, hi]`` from its last two
  iterates; each outer iteration the grid prices the midpoint ``m`` instead of
  the DC's bid, the DC answers ``P̃`` inside its interval, and the interval
  keeps the half on the side of ``P̃`` (``P̃ ≥ m`` → ``lo = m``, else ``hi = m``);
* when the residual has not fallen for ``stall`` iterations, every pair that is
  still moving by more than ε is boxed too (the per-pair test misses longer or
  aperiodic cycles).

Only the oscillating pairs are boxed: pinning all pairs leaves trade prices
unbounded.  A point reached with boxes is an equilibrium only with the boxes
in place; the caller reports what each DC gives up by staying inside its box.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class BisectionBoxes:
    """Operating intervals per (DC, hour); NaN where a pair is not boxed."""

    lo: np.ndarray
    hi: np.ndarray
    opened_at: dict[tuple[int, int], int] = field(default_factory=dict)

    @classmethod
    def empty(cls, n_dc: int, hours: int) -> BisectionBoxes:
        return cls(np.full((n_dc, hours), np.nan), np.full((n_dc, hours), np.nan))

    @property
    def boxed(self) -> np.ndarray:
        return ~np.isnan(self.lo)

    def open(self, pairs: np.ndarray, a: np.ndarray, b: np.ndarray, iteration: int) -> int:
        """Box the not-yet-boxed ``pairs`` (bool mask) to [min(a, b), max(a, b)]."""
        new = pairs & ~self.boxed
        self.lo[new] = np.minimum(a, b)[new]
        self.hi[new] = np.maximum(a, b)[new]
        for i, t in zip(*np.nonzero(new), strict=True):
            self.opened_at[(int(i), int(t))] = iteration
        return int(new.sum())

    def midpoints(self) -> np.ndarray:
        return 0.5 * (self.lo + self.hi)

    def narrow(self, tentative: np.ndarray, response: np.ndarray) -> None:
        """(52)–(53): keep the half of each interval on the side of the response."""
        boxed = self.boxed
        up = boxed & (response >= tentative)
        down = boxed & (response < tentative)
        self.lo[up] = tentative[up]
        self.hi[down] = tentative[down]

    def widest(self) -> float:
        return float(np.nanmax(self.hi - self.lo)) if self.boxed.any() else 0.0


def oscillating(history: list[np.ndarray], tol: float) -> np.ndarray:
    """(50) per pair: back at the value of two iterations ago, away from the last."""
    if len(history) < 3:
        return np.zeros_like(history[-1], dtype=bool)
    now, last, before = history[-1], history[-2], history[-3]
    return (np.abs(now - before) <= tol) & (np.abs(now - last) > tol)


def power_residual(new: np.ndarray, old: np.ndarray) -> float:
    """(49) max_{i,t} |Pg^k − Pg^{k−1}| in MW."""
    return float(np.max(np.abs(new - old)))


@dataclass(frozen=True)
class OuterRecord:
    iteration: int
    power_residual: float
    boxed_pairs: int
    widest_box_mw: float
    inner_rounds: int
    inner_converged: bool
