"""Users' task streams for the DC demand-response model (paper 002, Section 3.2, Fig. 2).

Each user submits, in every slot ``t`` of the day, interactive tasks
``I_u(t)`` and batch tasks ``B_u(t)`` in the ratio 1 : 1.5; batch tasks are
delay-sensitive (may be postponed up to 4 slots) or delay-insensitive (up to
8 slots). A task occupies one core of a host for one slot.

No Python package ships the Google cluster trace the paper used, so the
streams come from a documented, seeded generator shaped like the paper's
Fig. 2: the DC's total arrivals follow a daily profile (low at night, a
broad day-time plateau), each user gets a fixed share of it (Dirichlet), and
every (user, slot, type) count is a Poisson draw around its mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TASK_TYPES = ("interactive", "sensitive", "insensitive")
TOLERANCE_SLOTS = {"interactive": 0, "sensitive": 4, "insensitive": 8}

# Daily shape of arrivals (relative to the day's mean), slot 0 = 00:00-01:00.
DAILY_SHAPE = np.array([
    0.72, 0.66, 0.62, 0.60, 0.62, 0.70, 0.84, 0.98, 1.08, 1.15, 1.20, 1.22,
    1.20, 1.22, 1.24, 1.22, 1.18, 1.14, 1.10, 1.06, 1.02, 0.96, 0.88, 0.80,
])
DAILY_SHAPE = DAILY_SHAPE / DAILY_SHAPE.mean()


@dataclass(frozen=True)
class TaskStream:
    """One user's tasks per slot and type: ``counts[type_index, slot]`` (integers)."""

    counts: np.ndarray

    def __post_init__(self) -> None:
        counts = np.asarray(self.counts)
        if counts.ndim != 2 or counts.shape[0] != len(TASK_TYPES):
            raise ValueError(f"task counts must be {len(TASK_TYPES)} × slots, got {counts.shape}")
        if (counts < 0).any():
            raise ValueError("task counts must be non-negative")
        object.__setattr__(self, "counts", counts.astype(np.int64))

    @property
    def n_slots(self) -> int:
        return self.counts.shape[1]

    def at(self, slot: int) -> dict[str, int]:
        return {kind: int(self.counts[i, slot]) for i, kind in enumerate(TASK_TYPES)}


def generate_task_streams(
    rng: np.random.Generator,
    n_users: int,
    mean_tasks_per_slot: float,
    n_slots: int = 24,
    interactive_to_batch: float = 1.0 / 1.5,
    sensitive_share_of_batch: float = 0.5,
    user_concentration: float = 4.0,
    shape: np.ndarray | None = None,
) -> list[TaskStream]:
    """Seeded task streams of ``n_users`` users for one day.

    ``mean_tasks_per_slot`` is the DC-wide mean over the day;
    ``interactive_to_batch`` the ratio I : B (paper: 1 : 1.5);
    ``user_concentration`` the Dirichlet parameter of the users' shares
    (larger = more even); ``shape`` the day's profile over the slots (default
    :data:`DAILY_SHAPE`; a measured one, e.g. a cluster's utilisation, is
    rescaled to mean 1 so the day's mean stays ``mean_tasks_per_slot``).
    """
    if shape is None:
        shape = np.resize(DAILY_SHAPE, n_slots)
    else:
        shape = np.asarray(shape, float)
        if shape.shape != (n_slots,) or not np.all(np.isfinite(shape)) or shape.min() < 0 \
                or shape.mean() <= 0:
            raise ValueError(f"shape: {n_slots} finite non-negative values with a positive "
                             "mean expected")
        shape = shape / shape.mean()
    shares = rng.dirichlet(np.full(n_users, user_concentration))
    interactive = interactive_to_batch / (1.0 + interactive_to_batch)
    batch = 1.0 - interactive
    type_split = np.array([interactive, batch * sensitive_share_of_batch,
                           batch * (1.0 - sensitive_share_of_batch)])
    means = (mean_tasks_per_slot * shares[:, None, None] * type_split[None, :, None]
             * shape[None, None, :])
    counts = rng.poisson(means)
    return [TaskStream(c) for c in counts]
