"""Transmission network data and PTDFs (docs/p2p.md).

The network is read from a field library — a case of ``pandapower.networks``
(``pandapower:case_ieee30``, ``pandapower:case57``, …), a pandapower JSON
file or a MATPOWER case file (``.m`` through ``matpowercaseframes``, ``.mat``;
pandapower's converter) — through pandapower's own conversion
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
from pathlib import Path

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
CASES = ("case_ieee30", "case4gs", "case5", "case6ww", "case9", "case11_iwamoto", "case14",
         "case24_ieee_rts", "case30", "case33bw", "case39", "case57", "case89pegase",
         "case118", "case145", "case_illinois200", "case300", "case1354pegase", "case1888rte",
         "case2848rte", "case2869pegase", "case3120sp", "case6470rte", "case6495rte",
         "case6515rte", "case9241pegase")
#: network files a scenario may name by path, by suffix
FILE_SUFFIXES = (".json", ".m", ".mat")
#: the largest network file read, bytes
MAX_NETWORK_BYTES = 64_000_000

# PYPOWER branch status column (pandapower.pypower.idx_brch)
_BR_STATUS = 10


class NetworkError(ValueError):
    """A network dcmarket cannot read (the message names the source and why)."""


def check_source(source: str) -> str:
    """``source`` if it names a network dcmarket reads, else :class:`NetworkError`."""
    if source.startswith("pandapower:"):
        if source.removeprefix("pandapower:") not in CASES:
            raise NetworkError(f"{source!r}: not a pandapower case dcmarket reads "
                               f"({', '.join(CASES)})")
        return source
    path = Path(source).expanduser()
    if path.suffix.lower() not in FILE_SUFFIXES:
        raise NetworkError(f"{source!r}: name a pandapower case as pandapower:<case>, or a "
                           f"network file ({', '.join(FILE_SUFFIXES)}: pandapower JSON or "
                           "MATPOWER)")
    if not path.is_file():
        raise NetworkError(f"{source}: no such network file")
    if path.stat().st_size > MAX_NETWORK_BYTES:
        raise NetworkError(f"{source}: larger than {MAX_NETWORK_BYTES:,} bytes")
    return source


def load_network(source: str) -> tuple[GridNetwork, object]:
    """The network and pandapower net of a case name (``pandapower:case57``) or a
    file (pandapower JSON, MATPOWER ``.m``/``.mat``); cached per file version."""
    check_source(source)
    if source.startswith("pandapower:"):
        return load_pandapower_case(source.removeprefix("pandapower:"))
    path = Path(source).expanduser().resolve()
    stat = path.stat()
    return _load_file(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _load_file(path: str, mtime_ns: int, size: int) -> tuple[GridNetwork, object]:
    logging.getLogger("pandapower").setLevel(logging.ERROR)
    import pandapower as pp

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if path.lower().endswith(".json"):
                net = pp.from_json(path)
            else:
                from pandapower.converter.matpower.from_mpc import from_mpc

                net = from_mpc(path, f_hz=50)
    except Exception as exc:  # a file pandapower cannot read: said with its reason
        raise NetworkError(f"{path}: not a network pandapower reads "
                           f"({type(exc).__name__}: {exc})") from None
    if not isinstance(net, pp.pandapowerNet) or net.bus.empty:
        raise NetworkError(f"{path}: no buses (not a pandapower network)")
    return _network_of(net, path), net


@functools.lru_cache(maxsize=8)
def load_pandapower_case(name: str) -> tuple[GridNetwork, object]:
    """A pandapower case and its net (cached: treat the net as read-only)."""
    if name not in CASES:
        raise NetworkError(f"unknown pandapower case {name!r} (cases: {', '.join(CASES)})")
    logging.getLogger("pandapower").setLevel(logging.ERROR)
    import pandapower.networks as pn

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = getattr(pn, name)()
    return _network_of(net, f"pandapower:{name}"), net


def _network_of(net: object, source: str) -> GridNetwork:
    """The DC view of a pandapower net.

    Read through pandapower's own conversion to its internal PYPOWER case:
    in-service branches with reactance and tap; each bus's demand is its
    in-service loads times their scaling plus its in-service shunts'
    conductance at nominal voltage, less its static generators' fixed output,
    as a DC OPF sees them.  Buses
    carry the case's own numbers (MATPOWER cases keep them as bus names; the
    IEEE 30-bus case numbers 1..30).
    """
    import pandapower as pp

    if net.ext_grid[net.ext_grid.in_service].empty and net.gen.empty:
        raise NetworkError(f"{source}: no slack (an external grid or a generator) to balance it")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            pp.rundcpp(net, numba=False)
        except Exception as exc:
            raise NetworkError(f"{source}: pandapower's DC power flow fails on it "
                               f"({type(exc).__name__}: {exc})") from None
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
        slack=_slack_position(net),
        base_mva=float(net.sn_mva),
    )
    return network


def _slack_position(net: object) -> int:
    """The reference bus: the first in-service external grid's, else the first
    slack generator's (a MATPOWER case converted by pandapower keeps either)."""
    buses = list(net.bus.index)
    grids = net.ext_grid[net.ext_grid.in_service]
    if len(grids):
        return buses.index(int(grids.bus.iloc[0]))
    slack = net.gen[net.gen.in_service & net.gen.get("slack", False)]
    return buses.index(int((slack if len(slack) else net.gen).bus.iloc[0]))


@dataclass(frozen=True)
class CaseUnit:
    """A dispatchable generator as the case gives it: bus (by the case's number),
    limits, and its polynomial cost a·P² + b·P (the case's own currency per MWh)."""

    name: str
    bus: int
    p_min_mw: float
    p_max_mw: float
    a: float
    b: float


def case_units(net: object, network: GridNetwork, source: str) -> list[CaseUnit]:
    """Every in-service generator and external grid of the case with its
    polynomial cost (``poly_cost``); a unit without one is a NetworkError
    naming it (list ``grid.thermal_units`` in the scenario instead)."""
    position = {b: i for i, b in enumerate(net.bus.index)}
    costs = {(str(r.et), int(r.element)): r for r in net.poly_cost.itertuples()} \
        if "poly_cost" in net and len(net.poly_cost) else {}
    units = []
    for table, kind in (("ext_grid", "ext_grid"), ("gen", "gen")):
        frame = net[table]
        for idx, row in frame[frame.in_service].iterrows():
            cost = costs.get((kind, int(idx)))
            name = f"{kind}{idx}" if not isinstance(row.get("name"), str) or not row["name"] \
                else str(row["name"])
            if cost is None:
                raise NetworkError(f"{source}: {kind} {idx} (bus "
                                   f"{network.bus_labels[position[row.bus]]}) has no polynomial "
                                   "cost; list grid.thermal_units in the scenario")
            p_max = float(row.get("max_p_mw", np.nan))
            p_min = max(0.0, float(row.get("min_p_mw", 0.0) or 0.0))
            if not np.isfinite(p_max) or p_max <= 0:
                p_max = float(np.sum(network.base_load_mw)) or 1.0  # an unlimited slack
            units.append(CaseUnit(name, network.bus_labels[position[row.bus]], p_min, p_max,
                                  float(cost.cp2_eur_per_mw2), float(cost.cp1_eur_per_mw)))
    return units


def load_pandapower_ieee30() -> tuple[GridNetwork, object]:
    """The IEEE 30-bus case (the reference case's network)."""
    return load_pandapower_case("case_ieee30")
