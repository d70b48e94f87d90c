"""Transmission network data and PTDFs (docs/p2p.md).

The network is read from a field library — pandapower's IEEE 30-bus case
(``pandapower.networks.case_ieee30``) — through pandapower's own conversion
to its internal PYPOWER case (per-unit series reactance and off-nominal tap
ratio of every line and transformer).  Transformer taps belong in the PTDF:
leaving them out moved LMPs by 0.5 $/MWh against pandapower's DC OPF.

Buses are labelled by their IEEE numbers (1..30); positions in arrays follow
pandapower's bus order (label − 1 for this case).
"""

from __future__ import annotations

import functools
import logging
import warnings
from dataclasses import dataclass, field

import numpy as np

# PYPOWER branch columns (pandapower.pypower.idx_brch)
_F_BUS, _T_BUS, _BR_X, _TAP = 0, 1, 3, 8


@dataclass(frozen=True)
class GridNetwork:
    """Buses, branches with reactance, tap and rating, the slack and base loads."""

    bus_labels: tuple[int, ...]
    branch_from: np.ndarray  # bus positions
    branch_to: np.ndarray
    reactance_pu: np.ndarray
    tap_ratio: np.ndarray
    base_load_mw: np.ndarray  # per bus
    slack: int = 0  # bus position
    base_mva: float = 100.0
    rating_mw: np.ndarray = field(default=None)  # type: ignore[assignment]  # inf: unrated

    def __post_init__(self) -> None:
        if self.rating_mw is None:
            object.__setattr__(self, "rating_mw", np.full(self.n_branches, np.inf))

    @property
    def n_buses(self) -> int:
        return len(self.bus_labels)

    @property
    def n_branches(self) -> int:
        return self.branch_from.size

    def position(self, label: int) -> int:
        """Array position of the bus with IEEE number ``label``."""
        try:
            return self.bus_labels.index(label)
        except ValueError:
            raise ValueError(
                f"bus {label} does not exist (buses {self.bus_labels[0]}..{self.bus_labels[-1]})"
            ) from None

    def branch_names(self) -> list[str]:
        return [f"{self.bus_labels[f]}-{self.bus_labels[t]}"
                for f, t in zip(self.branch_from, self.branch_to, strict=True)]

    def branch_index(self, name: str) -> int:
        """Position of branch ``"a-b"`` (either orientation)."""
        a, b = (int(v) for v in name.split("-"))
        for i, (f, t) in enumerate(zip(self.branch_from, self.branch_to, strict=True)):
            if {self.bus_labels[f], self.bus_labels[t]} == {a, b}:
                return i
        raise ValueError(f"no line or transformer between buses {a} and {b}")

    def with_ratings(self, ratings: dict[str, float]) -> GridNetwork:
        """A copy with ratings (MW) for the named branches; others unrated."""
        rating = np.full(self.n_branches, np.inf)
        for name, value in ratings.items():
            if not value > 0:
                raise ValueError(f"line rating {name}: {value} MW must be positive")
            rating[self.branch_index(name)] = value
        return GridNetwork(self.bus_labels, self.branch_from, self.branch_to, self.reactance_pu,
                           self.tap_ratio, self.base_load_mw, self.slack, self.base_mva, rating)

    def ptdf(self) -> np.ndarray:
        """Power transfer distribution factors H (branches × buses), slack column 0.

        Branch susceptance b_l = 1/(x_l·τ_l); B_f = diag(b)·A, B_bus = Aᵀ·diag(b)·A
        with A the branch-bus incidence; H = B_f[:, ns]·B_bus[ns, ns]⁻¹ over the
        non-slack buses ``ns``.  Flow on l from an injection at n withdrawn at
        the slack is H[l, n] (positive in the from→to direction).
        """
        n, m = self.n_buses, self.n_branches
        b = 1.0 / (self.reactance_pu * self.tap_ratio)
        A = np.zeros((m, n))
        A[np.arange(m), self.branch_from] = 1.0
        A[np.arange(m), self.branch_to] = -1.0
        Bf = b[:, None] * A
        Bbus = A.T @ Bf
        keep = np.array([i for i in range(n) if i != self.slack])
        H = np.zeros((m, n))
        H[:, keep] = np.linalg.solve(Bbus[np.ix_(keep, keep)], Bf[:, keep].T).T
        return H


@functools.lru_cache(maxsize=1)
def load_pandapower_ieee30() -> tuple[GridNetwork, object]:
    """The IEEE 30-bus case from pandapower and the pandapower net itself
    (cached: treat the net as read-only, deep-copy it to modify it)."""
    # pandapower warns that numba is missing; a 30-bus DC power flow does not need it
    logging.getLogger("pandapower").setLevel(logging.ERROR)
    import pandapower as pp
    import pandapower.networks as pn

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = pn.case_ieee30()
        pp.rundcpp(net, numba=False)  # the DC power flow is tiny; numba is not needed
    ppc = net._ppc  # pandapower's internal PYPOWER case, built from the net's own data
    branch = np.real(ppc["branch"])
    tap = branch[:, _TAP].copy()
    tap[tap == 0] = 1.0
    lookup = net._pd2ppc_lookups["bus"]
    position_of_ppc = {int(lookup[b]): i for i, b in enumerate(net.bus.index)}
    load = np.zeros(len(net.bus))
    for _, row in net.load.iterrows():
        load[list(net.bus.index).index(row.bus)] += row.p_mw * row.scaling
    labels = tuple(int(b) + 1 for b in net.bus.index)
    network = GridNetwork(
        bus_labels=labels,
        branch_from=np.array([position_of_ppc[int(f)] for f in branch[:, _F_BUS]]),
        branch_to=np.array([position_of_ppc[int(t)] for t in branch[:, _T_BUS]]),
        reactance_pu=branch[:, _BR_X],
        tap_ratio=tap,
        base_load_mw=load,
        slack=list(net.bus.index).index(int(net.ext_grid.bus.iloc[0])),
        base_mva=float(net.sn_mva),
    )
    return network, net
