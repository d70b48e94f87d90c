"""The hosts of the demand-response DC as arrays (paper 002, Section 3.3, eqs. (5)–(6)).

``N`` hosts with ``cores`` task slots each. The slot's tasks are packed
first-fit onto the fewest hosts (the consolidation a power-aware scheduler
such as CloudSim Plus's does), so host ``n`` has CPU utilisation
``u_n ∈ [0, 1]``. A powered host draws the linear model (5)

    P_n,t = P^max · (c + (1 − c) · u_n,t),

and the DC ``E_t = Σ_n P_n,t · Δt`` (6). Hosts left without work are switched
off (``idle_hosts="off"``, default) or idle at ``c · P^max``
(``idle_hosts="idle"``). Hosts stay arrays here, never 2,000 agents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HostFleet:
    """``n_hosts`` identical hosts; power in MW."""

    n_hosts: int
    cores: int
    p_max_w: float
    static_share: float
    idle_hosts: str = "off"

    def __post_init__(self) -> None:
        if self.n_hosts < 1 or self.cores < 1:
            raise ValueError("a fleet needs at least one host with one core")
        if not 0.0 <= self.static_share <= 1.0:
            raise ValueError(f"static_share must lie in [0, 1], got {self.static_share}")
        if self.idle_hosts not in ("off", "idle"):
            raise ValueError(f"idle_hosts must be 'off' or 'idle', got {self.idle_hosts!r}")

    @property
    def capacity(self) -> int:
        """Tasks that fit in one slot."""
        return self.n_hosts * self.cores

    @property
    def p_max_mw(self) -> float:
        return self.p_max_w * 1e-6

    def utilisation(self, tasks: int) -> np.ndarray:
        """Per-host utilisation ``u_n`` after first-fit packing of ``tasks`` tasks."""
        self._check(tasks)
        full, rest = divmod(int(tasks), self.cores)
        u = np.zeros(self.n_hosts)
        u[:full] = 1.0
        if rest:
            u[full] = rest / self.cores
        return u

    def host_power_mw(self, tasks: int) -> np.ndarray:
        """``P_n,t`` of every host (5), MW."""
        u = self.utilisation(tasks)
        powered = u > 0 if self.idle_hosts == "off" else np.ones_like(u, bool)
        return np.where(powered, self.p_max_mw * (self.static_share
                                                   + (1.0 - self.static_share) * u), 0.0)

    def power_mw(self, tasks: np.ndarray | int) -> np.ndarray | float:
        """DC power for a number of tasks (vectorised closed form of Σ_n (5))."""
        tasks = np.asarray(tasks)
        self._check(tasks)
        c, p = self.static_share, self.p_max_mw
        dynamic = (1.0 - c) * p * tasks / self.cores
        if self.idle_hosts == "off":
            static = c * p * np.ceil(tasks / self.cores)
        else:
            static = np.full(tasks.shape, c * p * self.n_hosts)
        out = static + dynamic
        return float(out) if out.ndim == 0 else out

    def hosts_on(self, tasks: int) -> int:
        return int(np.ceil(tasks / self.cores)) if self.idle_hosts == "off" else self.n_hosts

    def _check(self, tasks: np.ndarray | int) -> None:
        tasks = np.asarray(tasks)
        if (tasks < 0).any() or (tasks > self.capacity).any():
            worst = int(tasks.max()) if (tasks > self.capacity).any() else int(tasks.min())
            raise ValueError(f"{worst} tasks in a slot: the fleet holds 0..{self.capacity}")
