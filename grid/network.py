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


#: pandapower cases a scenario may name as ``pandapower:<case>``
CASES = ("case_ieee30", "case9", "case14", "case30", "case39", "case57", "case118", "case300")

# PYPOWER branch status column (pandapower.pypower.idx_brch)
_BR_STATUS = 10


@functools.lru_cache(maxsize=8)
def load_pandapower_case(name: str) -> tuple[GridNetwork, object]:
    """A pandapower case and its net (cached: treat the net as read-only).

    Read through pandapower's own conversion to its internal PYPOWER case:
    in-service branches with reactance and tap; each bus's demand is its
    in-service loads times their scaling plus its in-service shunts'
    conductance at nominal voltage, less its static generators' fixed output,
    as a DC OPF sees them.  Buses
    carry the case's own numbers (MATPOWER cases keep them as bus names; the
    IEEE 30-bus case numbers 1..30).
    """
    if name not in CASES:
        raise ValueError(f"unknown pandapower case {name!r} (cases: {', '.join(CASES)})")
    # pandapower warns that numba is missing; a DC power flow does not need it
    logging.getLogger("pandapower").setLevel(logging.ERROR)
    import pandapower as pp
    import pandapower.networks as pn

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = getattr(pn, name)()
        pp.rundcpp(net, numba=False)
    ppc = net._ppc  # pandapower's internal PYPOWER case, built from the net's own data
    branch = np.real(ppc["branch"])
    branch = branch[branch[:, _BR_STATUS] > 0]
    tap = branch[:, _TAP].copy()
    tap[tap == 0] = 1.0
    lookup = net._pd2ppc_lookups["bus"]
    position_of_ppc = {int(lookup[b]): i for i, b in enumerate(net.bus.index)}
    position = {b: i for i, b in enumerate(net.bus.index)}
    load = np.zeros(len(net.bus))
    for _, row in net.load[net.load.in_service].iterrows():
        load[position[row.bus]] += row.p_mw * row.scaling
    for _, row in net.shunt[net.shunt.in_service].iterrows():  # conductance at 1 p.u.
        load[position[row.bus]] += row.p_mw * row.step
    for _, row in net.sgen[net.sgen.in_service].iterrows():  # fixed injections
        load[position[row.bus]] -= row.p_mw * row.scaling
    names = net.bus.name
    numbered = names.map(lambda v: isinstance(v, int | np.integer)).all() and names.min() >= 1
    labels = tuple(int(v) for v in names) if numbered else \
        tuple(int(b) + 1 for b in net.bus.index)
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


def load_pandapower_ieee30() -> tuple[GridNetwork, object]:
    """The IEEE 30-bus case (the reference case's network)."""
    return load_pandapower_case("case_ieee30")
