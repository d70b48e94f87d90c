"""Typed, validated scenario files for the P2P cloud-service market.

A scenario is YAML validated by pydantic before anything is solved: a wrong
field, a profile of the wrong length, an unknown DC in the communication
graph, a disconnected graph or interactive work that no amount of trading can
absorb fails here, with the DC, hour or field named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import networkx as nx
import numpy as np
from pydantic import BeforeValidator, Field, field_validator, model_validator

from dcmarket.agents.p2p.dc_physics import iw_capacity
from dcmarket.agents.p2p.dc_spec import DataCenterSpec
from dcmarket.agents.spec_base import (
    PRICE_MAX_PER_MWH,
    Frozen,
    NonNegative,
    Positive,
    StrictSpec,
    check_not_reserved,
)
from dcmarket.sim.scenario import (
    ScenarioError,
    ScenarioHeader,
    check_tolerance,
    check_unique,
    read_yaml,
    validate_as,
)


def nearest_neighbour_graph(n: int, k: int, seed: int) -> nx.Graph:
    """``n`` seeded random points in the unit square, each linked to its ``k``
    nearest (a k-d tree), then components joined by their closest pair of points."""
    from scipy.spatial import cKDTree

    points = np.random.default_rng(seed).random((n, 2))
    tree = cKDTree(points)
    _, near = tree.query(points, k=min(k + 1, n))
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from((i, int(j)) for i, row in enumerate(near) for j in row[1:])
    parts = [sorted(c) for c in nx.connected_components(graph)]
    while len(parts) > 1:
        first, rest = parts[0], [i for c in parts[1:] for i in c]
        d = np.linalg.norm(points[first][:, None, :] - points[rest][None, :, :], axis=2)
        a, b = np.unravel_index(np.argmin(d), d.shape)
        graph.add_edge(first[a], rest[b])
        parts = [sorted(c) for c in nx.connected_components(graph)]
    return graph


class GraphSpec(StrictSpec):
    """A communication (or trading) graph among DCs.

    Either explicit ``edges`` or a ``topology``: ``full`` (complete graph),
    ``ring`` (in the listed order of DCs), ``random_regular`` (``degree``,
    ``seed``), ``small_world`` (Watts–Strogatz: a ring where each DC talks to
    its ``degree`` nearest, each link rewired with probability ``rewire``;
    connected) or ``geographic`` (DCs at seeded random points of the unit
    square, each linked to its ``degree`` nearest; connected through the
    nearest links between components).
    """

    topology: Literal["full", "ring", "random_regular", "small_world", "geographic",
                      "edges"] = "full"
    edges: tuple[tuple[str, str], ...] = Field(default_factory=tuple)
    degree: Annotated[int, Field(ge=1)] = 4
    rewire: Annotated[float, Field(ge=0.0, le=1.0)] = 0.1
    seed: int = 0

    @model_validator(mode="after")
    def _edges_given(self) -> GraphSpec:
        for a, b in self.edges:
            if a == b:
                raise ValueError(f"edge {a}–{b} is a self-loop (a DC cannot talk or trade "
                                 "with itself)")
        if self.topology == "edges" and not self.edges:
            raise ValueError("topology 'edges' needs a non-empty edges list")
        if self.edges and self.topology != "edges":
            raise ValueError("give either edges (with topology: edges) or a topology, not both")
        return self

    def build(self, names: list[str]) -> nx.Graph:
        if self.topology == "full":
            graph = nx.complete_graph(names)
        elif self.topology == "ring":
            graph = nx.cycle_graph(names) if len(names) > 2 else nx.path_graph(names)
        elif self.topology == "random_regular":
            regular = nx.random_regular_graph(self.degree, len(names), seed=self.seed)
            graph = nx.relabel_nodes(regular, dict(enumerate(names)))
        elif self.topology == "small_world":
            ring = nx.connected_watts_strogatz_graph(len(names), self.degree, self.rewire,
                                                     seed=self.seed)
            graph = nx.relabel_nodes(ring, dict(enumerate(names)))
        elif self.topology == "geographic":
            graph = nx.relabel_nodes(nearest_neighbour_graph(len(names), self.degree, self.seed),
                                     dict(enumerate(names)))
        else:
            graph = nx.Graph()
            graph.add_nodes_from(names)
            graph.add_edges_from(self.edges)
        return graph


class DropoutSpec(StrictSpec):
    agent: str
    at_round: Annotated[int, Field(ge=0)]
    rejoin_round: Annotated[int, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _after(self) -> DropoutSpec:
        if self.rejoin_round is not None and self.rejoin_round <= self.at_round:
            raise ValueError(f"rejoin_round {self.rejoin_round} must come after at_round "
                             f"{self.at_round}")
        return self


class FaultSpec(StrictSpec):
    """Faults on the messages between DCs (``market/faults.py``): each price
    estimate lost with probability ``loss``, delivered ``delay`` rounds late,
    doubled with probability ``duplicate``, inboxes shuffled (``reorder``);
    DCs going offline (``dropouts``). Seeded."""

    loss: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    delay: Annotated[int, Field(ge=0, le=50)] = 0
    duplicate: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    reorder: bool = False
    dropouts: tuple[DropoutSpec, ...] = Field(default_factory=tuple)
    seed: int = 0

    def model(self):
        from dcmarket.market.faults import Dropout, FaultModel

        return FaultModel(loss=self.loss, delay=self.delay, duplicate=self.duplicate,
                          reorder=self.reorder, seed=self.seed,
                          dropouts=tuple(Dropout(d.agent, d.at_round, d.rejoin_round)
                                         for d in self.dropouts))


def hyphenated(keys: object) -> object:
    """Link and line keys as the logs print them (``DC1–DC2``, an en dash) or as
    typed (``DC1-DC2``): both mean the same link."""
    if isinstance(keys, dict):
        return {str(k).replace("\u2013", "-").replace("\u2014", "-"): v for k, v in keys.items()}
    return keys


class MarketSettings(StrictSpec):
    """Dual-consensus ADMM settings (docs/p2p.md)."""

    communication: GraphSpec = GraphSpec()
    trading: GraphSpec | None = Field(None, description="default: the communication graph")
    trade_limit_share: NonNegative = Field(
        0.35, description="q^max of a link = share × the smaller DC's mean IW (31)"
    )
    trade_limits: Annotated[dict[str, NonNegative], BeforeValidator(hyphenated), Frozen] = Field(
        default_factory=dict, description="per-link override, key 'DC1-DC2' (or 'DC1–DC2', as "
                                          "the logs print it)"
    )
    penalty: Positive | Literal["auto"] = "auto"
    tol_primal: Positive = Field(
        0.5, description="M requests/h: max reciprocity violation of the ADMM iterate"
    )
    tol_dual: Positive = Field(
        5e-3, description="$ per M requests: max disagreement and change of estimates"
    )
    max_rounds: Annotated[int, Field(ge=1)] | None = Field(
        None, description="ADMM round cap per clearing; null: 500, or 100 per DC in a larger "
                          "fleet (P2PScenario.round_cap)")
    patience_rounds: Annotated[int, Field(ge=1)] = Field(
        10, description="a DC gives up on a neighbour silent for more rounds than this "
                        "(dropout); must exceed any message delay")
    faults: FaultSpec | None = Field(None, description="message faults (none by default)")

    @model_validator(mode="after")
    def _patience_above_delay(self) -> MarketSettings:
        if self.faults is not None and self.patience_rounds <= self.faults.delay:
            raise ValueError(f"market.patience_rounds = {self.patience_rounds} must exceed "
                             f"market.faults.delay = {self.faults.delay}, or every DC gives "
                             "up on its neighbours")
        return self
    backend: Literal["piqp", "clarabel", "osqp", "cvxpy"] = Field(
        "piqp", description="the DCs' local QP solver in the ADMM (piqp: the fastest "
                            "here; clarabel: the one that solves in threads)")
    workers: Annotated[int, Field(ge=1)] = Field(
        2, description="threads for the DCs' local solves within a round (used by a "
                       "back-end that releases Python's lock while it solves: clarabel)"
    )
    estimates: Literal["global", "local"] = Field(
        "local", description="global: every DC estimates every link price (the paper); "
        "local: only its own links', agreed with the partner"
    )
    initial_prices: Literal["marginal_cost", "zero"] = Field(
        "marginal_cost", description="each DC's opening estimate for its own links"
    )
    dual_relaxation: Annotated[float, Field(gt=0.0, lt=2.0)] = Field(
        1.0, description="α of the dual step p_i += α·c·Σ_j (y_i − y_j); above 1 over-relaxes "
        "(fewer rounds, larger reciprocity gap at stopping; docs/scaling.md), below 1 damps"
    )




def network_data(network: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """The ``"a-b"`` names of a network's lines and transformers and its bus
    numbers (``pandapower:<case>`` or a network file)."""
    from dcmarket.grid.network import load_network

    grid = load_network(network)[0]
    return tuple(grid.branch_names()), grid.bus_labels


class ThermalUnitSpec(StrictSpec):
    """A thermal unit: quadratic cost a·P² + b·P (before the cost factor), (24)."""

    name: str
    bus: int
    p_max_mw: Positive
    p_min_mw: NonNegative = 0.0
    a: NonNegative
    b: NonNegative


class RenewableSpec(StrictSpec):
    """A wind or PV farm: zero cost, curtailable up to its hourly availability."""

    name: str
    bus: int
    available_mw: tuple[NonNegative, ...]


class GridSpec(StrictSpec):
    """The grid operator's private data (docs/p2p.md)."""

    network: str = Field("pandapower:case_ieee30",
                         description="pandapower:<case> (e.g. pandapower:case14 … case300), or "
                                     "the path of a pandapower JSON or MATPOWER (.m, .mat) "
                                     "case file")

    @field_validator("network")
    @classmethod
    def _known_case(cls, network: str) -> str:
        from dcmarket.grid.network import check_source

        return check_source(network)
    thermal_units: tuple[ThermalUnitSpec, ...] = Field(
        default_factory=tuple,
        description="the dispatchable units with their costs; empty: the case's own "
                    "generators and external grids with its polynomial costs")
    renewables: tuple[RenewableSpec, ...] = Field(default_factory=tuple)
    load_scaling: tuple[NonNegative, ...] = Field(
        default_factory=tuple,
        description="hourly factor on the case's fixed bus loads; empty: 1 every hour"
    )
    line_ratings_mw: Annotated[dict[str, Positive], BeforeValidator(hyphenated), Frozen] = Field(
        default_factory=dict, description="'a-b' (or 'a–b') -> MW; lines not named are unrated"
    )
    cost_factor: Positive = 1.0
    value_of_lost_load: Positive | None = Field(
        1000.0, description="$/MWh before the cost factor; null: no load shedding"
    )


class BilevelSettings(StrictSpec):
    """The outer loop (docs/p2p.md (49)–(54))."""

    tol_mw: Positive = 0.1
    max_outer: Annotated[int, Field(ge=1)] = 60
    bisection: bool = True
    stall: Annotated[int, Field(ge=1)] = 6
    box_tol_mw: Positive | None = Field(
        None, description="the loop stops only when every bisection box is narrower than "
        "this (MODEL: 'until every interval is narrower than ε'); null: tol_mw")

    @property
    def box_tolerance(self) -> float:
        return self.tol_mw if self.box_tol_mw is None else self.box_tol_mw


class P2PScenario(ScenarioHeader):
    """DCs, their bus LMPs (an input until a grid operator provides them) and the market."""

    study: Literal["p2p"] = Field("p2p", description="which study runs it")
    name: str = "p2p"
    hours: Annotated[int, Field(ge=1, le=8784)]  # up to a leap year, hour by hour
    dt_h: Positive = 1.0
    datacenters: tuple[DataCenterSpec, ...] = Field(min_length=2)
    lmp: Annotated[dict[str, tuple[float, ...]], Frozen] = Field(
        description="$/MWh at each DC's bus, per hour (with a grid: the starting guess)"
    )
    market: MarketSettings = MarketSettings()
    grid: GridSpec | None = None
    bilevel: BilevelSettings = BilevelSettings()

    def strategy_roles(self) -> dict[str, str]:
        return dict.fromkeys((dc.name for dc in self.datacenters), "p2p_datacentre")

    @property
    def round_cap(self) -> int:
        """ADMM's round cap per clearing: ``market.max_rounds``, or by default 500
        growing with the fleet (100 rounds per DC): a larger fleet's consensus
        takes more rounds, and a fixed 500 left an 8-DC market "not converged"."""
        given = self.market.max_rounds
        return given if given is not None else max(500, 100 * len(self.datacenters))

    @model_validator(mode="after")
    def _check(self) -> P2PScenario:
        names = [dc.name for dc in self.datacenters]
        check_unique(names, "datacenters", "DC")
        # the market monitor's and the grid operator's ports (sim.p2p.model, .coordination)
        check_not_reserved(names, ("market", "GridOperator"), "datacenters")
        self.check_strategies()
        for dc in self.datacenters:
            if dc.hours != self.hours:
                raise ValueError(
                    f"datacenters.{dc.name}: profiles have {dc.hours} hours, scenario has "
                    f"{self.hours}"
                )
            series = self.lmp.get(dc.name)
            if series is None:
                raise ValueError(f"lmp: no LMP series for DC {dc.name}")
            if len(series) != self.hours:
                raise ValueError(
                    f"lmp.{dc.name}: {len(series)} values, expected {self.hours}"
                )
            worst = max(series, key=abs)
            if abs(worst) > PRICE_MAX_PER_MWH:
                raise ValueError(f"lmp.{dc.name}: {worst:g} $/MWh is beyond ±"
                                 f"{PRICE_MAX_PER_MWH:g} $/MWh (a price no market posts)")
        for key in self.lmp:
            if key not in names:
                raise ValueError(f"lmp.{key}: unknown DC (known: {names})")
        self._check_graphs(names)
        if self.market.faults is not None:
            for drop in self.market.faults.dropouts:
                if drop.agent not in names:
                    raise ValueError(f"market.faults.dropouts: unknown DC {drop.agent!r} "
                                     f"(DCs: {', '.join(names)})")
        self._check_iw_capacity()
        self._check_tolerances()
        if self.grid is not None:
            self._check_grid()
        return self

    def _check_tolerances(self) -> None:
        """A tolerance must be small against the quantity it bounds, or a run
        "converges" in one round without clearing anything."""
        work = float(np.mean([np.mean(dc.interactive) for dc in self.datacenters]))
        price = float(np.mean([dc.depreciation + dc.fee for dc in self.datacenters]))
        power = float(np.mean([dc.grid_max_mw for dc in self.datacenters]))
        checks = (("market.tol_primal", self.market.tol_primal, work, "M req/h",
                   "the mean interactive workload"),
                  ("market.tol_dual", self.market.tol_dual, price, "$/M req",
                   "the mean fee plus depreciation"),
                  ("bilevel.tol_mw", self.bilevel.tol_mw, power, "MW",
                   "the mean grid-import limit"))
        for where, tol, scale, unit, what in checks:
            check_tolerance(where, tol, scale, unit, what,
                            "a run would stop before clearing anything")

    def _check_grid(self) -> None:
        grid = self.grid
        if grid.load_scaling and len(grid.load_scaling) != self.hours:
            raise ValueError(
                f"grid.load_scaling: {len(grid.load_scaling)} values, expected {self.hours}"
            )
        for farm in grid.renewables:
            if len(farm.available_mw) != self.hours:
                raise ValueError(f"grid.renewables.{farm.name}.available_mw: "
                                 f"{len(farm.available_mw)} values, expected {self.hours}")
        branches, buses = network_data(grid.network)
        lines = set(branches)
        for name in grid.line_ratings_mw:
            ends = name.split("-")
            if len(ends) != 2 or (name not in lines and f"{ends[1]}-{ends[0]}" not in lines):
                raise ValueError(f"grid.line_ratings_mw.{name}: no such line or transformer in "
                                 f"{grid.network} (name it by its buses, e.g. 10-17)")
        placed = [(f"datacenters.{dc.name}.bus", dc.bus) for dc in self.datacenters]
        placed += [(f"grid.thermal_units.{u.name}.bus", u.bus) for u in grid.thermal_units]
        placed += [(f"grid.renewables.{r.name}.bus", r.bus) for r in grid.renewables]
        for where, bus in placed:
            if bus not in buses:
                raise ValueError(f"{where}: bus {bus} does not exist in {grid.network} "
                                 f"(buses {buses[0]}..{buses[-1]}, by the case's numbers)")

    def _check_graphs(self, names: list[str]) -> None:
        for label, spec in (("communication", self.market.communication),
                            ("trading", self.market.trading)):
            if spec is None:
                continue
            for a, b in spec.edges:
                for end in (a, b):
                    if end not in names:
                        raise ValueError(f"market.{label}.edges: unknown DC {end!r} in ({a}, {b})")
            if spec.topology == "random_regular" and (
                spec.degree >= len(names) or spec.degree * len(names) % 2
            ):
                raise ValueError(
                    f"market.{label}: no {spec.degree}-regular graph on {len(names)} DCs"
                )
            graph = spec.build(names)
            if not nx.is_connected(graph):
                parts = [sorted(c) for c in nx.connected_components(graph)]
                raise ValueError(f"market.{label}: graph is not connected, components {parts}")
        if self.market.trading is not None:
            communication = self.market.communication.build(names)
            for a, b in self.market.trading.build(names).edges:
                if not communication.has_edge(a, b):
                    raise ValueError(
                        f"market.trading: {a} and {b} trade but are not neighbours in the "
                        "communication graph, so they cannot sign a contract"
                    )
        for key in self.market.trade_limits:
            ends = key.split("-")
            if len(ends) != 2 or not all(e in names for e in ends):
                raise ValueError(f"market.trade_limits.{key}: expected 'DCa-DCb' of known DCs")

    def _check_iw_capacity(self) -> None:
        """IW above what a DC can serve even when it sells off all it may (31)."""
        limits = self.trade_limits()
        for dc in self.datacenters:
            out = sum(v for (a, b), v in limits.items() if dc.name in (a, b))
            capacity = iw_capacity(dc)
            for t, load in enumerate(dc.interactive):
                if load - out > capacity * (1 + 1e-9):
                    raise ValueError(
                        f"datacenters.{dc.name}.interactive[{t}] = {load:.1f} M requests/h is "
                        f"above what DC {dc.name} can serve at QoS ({capacity:.1f}) even after "
                        f"moving {out:.1f} to its trading partners in hour {t}"
                    )

    # ----- derived ---------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [dc.name for dc in self.datacenters]

    def communication_graph(self) -> nx.Graph:
        return self.market.communication.build(self.names)

    def trading_graph(self) -> nx.Graph:
        spec = self.market.trading or self.market.communication
        return spec.build(self.names)

    def trade_limits(self) -> dict[tuple[str, str], float]:
        """q^max per link (31), keyed by the sorted pair of names."""
        mean_iw = {dc.name: sum(dc.interactive) / dc.hours for dc in self.datacenters}
        limits = {}
        for a, b in self.trading_graph().edges:
            key = tuple(sorted((a, b)))
            explicit = self.market.trade_limits.get(f"{key[0]}-{key[1]}",
                                                    self.market.trade_limits.get(f"{key[1]}-{key[0]}"))
            limits[key] = explicit if explicit is not None else (
                self.market.trade_limit_share * min(mean_iw[a], mean_iw[b])
            )
        return limits

    def spec(self, name: str) -> DataCenterSpec:
        return next(dc for dc in self.datacenters if dc.name == name)


def load_scenario(path: str | Path) -> P2PScenario:
    """Read and validate a scenario file; errors name the file and the field."""
    return parse_scenario_file(read_yaml(path), str(path))


def parse_scenario_file(raw: object, source: str) -> P2PScenario:
    """A scenario as written in a file: its named sources (weather, workload
    generators, farm output) checked, read into series, then the whole validated."""
    from dcmarket.sim.p2p.resolve import ScenarioSources, resolve_sources

    validate_as(ScenarioSources, raw, source)
    base = Path(source.split(" (")[0]).parent  # a file's series are found beside it
    try:
        raw = resolve_sources(raw, base if base.is_dir() else None)
    except (KeyError, ValueError, FileNotFoundError) as exc:
        raise ScenarioError(f"{source}: {exc}") from exc
    return parse_scenario(raw, source)


def parse_scenario(raw: object, source: str = "<scenario>") -> P2PScenario:
    return validate_as(P2PScenario, raw, source)
