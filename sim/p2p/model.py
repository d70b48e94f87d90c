"""The P2P cloud-service market as a Mesa model: one ``step()``, one ADMM round.

Wires a validated :class:`~sim.config.P2PScenario` into DC agents, a message
bus over the communication graph and the dual-consensus ADMM of
:mod:`market.admm`.  Stopping is observed from outside the agents (the model
plays the role of the simulation's monitor): the round's residuals are
recorded and the run stops when they are below the scenario's tolerances or
the round cap is hit, in which case the result says ``converged=False``.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import mesa
import networkx as nx
import numpy as np
import pandas as pd

from agents.p2p.datacenter import PRICE_ESTIMATE, DataCenterAgent, DCSchedule
from agents.p2p.dc_physics import DCCoefficients, build_local_program, revenue
from market.admm import RoundRecord, default_penalty, residuals
from market.links import LinkIndex
from market.messages import MessageBus
from market.welfare import WelfareSolution, solve_centralised
from sim.p2p.config import P2PScenario


@dataclass(frozen=True)
class MarketResult:
    """Outcome of a market clearing (a decentralised run or the twin)."""

    converged: bool
    rounds: int
    schedules: dict[str, DCSchedule]
    link_prices: np.ndarray  # settlement price per coupling row, $ per M requests
    links: LinkIndex
    history: pd.DataFrame  # one row per round: residuals
    clearing_s: float

    @property
    def welfare(self) -> float:
        """Σ_i profit_i (36); trade payments cancel."""
        return sum(s.revenue - s.depreciation - s.electricity for s in self.schedules.values())

    @property
    def profits(self) -> dict[str, float]:
        return {n: s.profit for n, s in self.schedules.items()}

    def trades_frame(self) -> pd.DataFrame:
        """One row per link and hour, seen from the link's first DC ``dc_a``:
        ``q_a`` it bought from ``dc_b``, ``q_b`` what ``dc_b`` bought from it
        (reciprocity (30): ``q_a + q_b → 0``) and the settlement price."""
        rows = []
        for e, (a, b) in enumerate(self.links.links):
            for t in range(self.links.hours):
                row = {
                    "dc_a": a, "dc_b": b, "hour": t,
                    "q_a": float(self.schedules[a].trades[b][t]),
                    "q_b": float(self.schedules[b].trades[a][t]),
                    "price": float(self.link_prices[e * self.links.hours + t]),
                }
                rows.append(row)
        return pd.DataFrame(rows)

    def reciprocity_gap(self) -> float:
        """max |q_ij + q_ji| over links and hours (30), M requests/h."""
        frame = self.trades_frame()
        return float((frame.q_a + frame.q_b).abs().max()) if len(frame) else 0.0

    def lost_work(self) -> np.ndarray:
        """Σ_i λI_i,t − Σ_i I_i,t per hour (34); zero when no work is lost."""
        processed = sum(s.lambda_I for s in self.schedules.values())
        return processed - sum(s.interactive for s in self.schedules.values())


def lmp_series(scenario: P2PScenario, override: dict | None, name: str) -> np.ndarray:
    """DC ``name``'s LMPs: ``override[name]`` if given, else the scenario's."""
    return np.asarray((override or {}).get(name, scenario.lmp[name]), float)


def partner_limits(limits: dict, links: LinkIndex, name: str) -> dict[str, float]:
    """q^max (31) of each of ``name``'s links, keyed by the partner."""
    return {j: limits[tuple(sorted((name, j)))] for j in links.partners(name)}


class P2PMarketModel(mesa.Model):
    """DC agents clearing the P2P market by dual-consensus ADMM over messages."""

    def __init__(
        self,
        scenario: P2PScenario,
        lmp: dict[str, np.ndarray] | None = None,
        backend: str | None = None,
        penalty: float | None = None,
        seed: int = 0,
        workers: int | None = None,
    ) -> None:
        super().__init__(rng=seed)
        self.scenario = scenario
        self.round = 0
        self.communication = scenario.communication_graph()
        self.links = LinkIndex.of(scenario.trading_graph(), scenario.hours)
        self.bus = MessageBus(self._bus_graph(), kinds=[PRICE_ESTIMATE])
        lmps = {n: lmp_series(scenario, lmp, n) for n in scenario.names}
        limits = scenario.trade_limits()
        self.dcs: dict[str, DataCenterAgent] = {}
        for spec in scenario.datacenters:
            own = partner_limits(limits, self.links, spec.name)
            self.dcs[spec.name] = DataCenterAgent(
                self, spec, lmps[spec.name], self.bus, self.links, own, scenario.dt_h
            )
        configured = scenario.market.penalty
        self.penalty = penalty or (configured if configured != "auto"
                                   else self._auto_penalty(lmps, limits))
        self.backend = backend or scenario.market.backend
        self.estimates = scenario.market.estimates
        for name, dc in self.dcs.items():
            dc.join_market(self.penalty, self._shared_rows(name), self.backend)
        self.history: list[RoundRecord] = []
        self.converged = False
        self._tol_primal = scenario.market.tol_primal
        self._tol_dual = scenario.market.tol_dual
        self._clock = 0.0
        n_workers = workers if workers is not None else scenario.market.workers
        self._pool = ThreadPoolExecutor(n_workers) if n_workers > 1 else None
        self._start()

    def _bus_graph(self) -> nx.Graph:
        """The graph messages travel on (subclasses add other agents)."""
        return self.communication

    def restart_rounds(self) -> None:
        """Start a new clearing (e.g. after new LMPs), keeping the estimates."""
        self.round = 0
        self.history = []
        self.converged = False
        self.running = True
        self._clock = 0.0

    def _auto_penalty(self, lmps: dict[str, np.ndarray], limits: dict) -> float:
        """``c`` from the instance's trade volume and marginal cost of work.

        ``c`` converts a price gap into a trade volume, so its scale is a typical
        trade limit over a typical marginal cost of work.  The factor in front
        was calibrated by a scan over ×0.5–×64 on the reference case and four
        random instances (README): ×1 for global estimates, ×4 for local ones,
        where rounds fell by half with every doubling up to ×4 and rose after.
        """
        trade_scale = float(np.mean(list(limits.values()))) if limits else 1.0
        costs = []
        for spec in self.scenario.datacenters:
            k = DCCoefficients.of(spec)
            mwh_per_work = (1 + k.aux) * (k.server_mw / k.iw_rate + k.dynamic_mwh)
            costs.append(float(np.mean(lmps[spec.name])) * mwh_per_work + spec.depreciation)
        factor = 4.0 if self.scenario.market.estimates == "local" else 1.0
        return factor * default_penalty(trade_scale, float(np.mean(costs)))

    def _shared_rows(self, name: str) -> dict[str, np.ndarray]:
        """Rows of the price vector that ``name`` exchanges with each neighbour."""
        everything = np.arange(self.links.n_rows)
        shared = {}
        for neighbour in sorted(self.communication.neighbors(name)):
            if self.estimates == "global":
                shared[neighbour] = everything
            else:
                own = set(self.links.rows_of(name)) & set(self.links.rows_of(neighbour))
                if own:
                    shared[neighbour] = np.array(sorted(own), dtype=int)
        return shared

    def _start(self) -> None:
        """Round 0: every DC announces its starting estimate to its neighbours."""
        self._dcs().do("announce_estimate", self.scenario.market.initial_prices)
        self._dcs().do("receive_start")

    def _dcs(self) -> mesa.agent.AgentSet:
        return self.agents_by_type[DataCenterAgent]

    def step(self) -> None:
        """One ADMM round: local solves (in parallel threads when ``workers`` > 1;
        each touches only its own agent), estimates out, then dual updates."""
        tic = time.perf_counter()
        self.round += 1
        previous = {n: dc.node.y.copy() for n, dc in self.dcs.items()}
        dcs = list(self._dcs())
        if self._pool is None:
            for dc in dcs:
                dc.admm_local_solve()
        else:
            list(self._pool.map(DataCenterAgent.admm_local_solve, dcs))
        self._dcs().shuffle_do("admm_send_estimate")
        self._dcs().shuffle_do("admm_dual_step")
        nodes = {n: dc.node for n, dc in self.dcs.items()}
        record = residuals(self.round, nodes, previous, list(self.communication.edges))
        self.history.append(record)
        self.converged = (
            record.primal_residual <= self._tol_primal
            and record.dual_disagreement <= self._tol_dual
            and record.dual_change <= self._tol_dual
        )
        self.running = not self.converged
        self._clock += time.perf_counter() - tic

    def run(self, max_rounds: int | None = None) -> MarketResult:
        """Step until the residuals are below tolerance or the round cap is hit."""
        cap = max_rounds or self.scenario.market.max_rounds
        while self.running and self.round < cap:
            self.step()
        return self.result()

    def settlement_prices(self) -> np.ndarray:
        """π per coupling row: the mean of the two trading partners' estimates."""
        T = self.links.hours
        prices = np.zeros(self.links.n_rows)
        for e, (a, b) in enumerate(self.links.links):
            rows = slice(e * T, (e + 1) * T)
            prices[rows] = 0.5 * (self.dcs[a].node.y[rows] + self.dcs[b].node.y[rows])
        return prices

    def result(self) -> MarketResult:
        """Each DC's last ADMM iterate, priced at the settlement prices.  A run
        stopped by the round cap says ``converged=False`` with its residuals."""
        prices = self.settlement_prices()
        schedules = {
            n: dc.schedule_of(dc.node.x, link_prices=prices)
            for n, dc in self.dcs.items() if dc.node.x is not None
        }
        history = pd.DataFrame([r.__dict__ for r in self.history])
        return MarketResult(self.converged, self.round, schedules, prices, self.links, history,
                            self._clock)


def standalone_schedules(model: P2PMarketModel) -> dict[str, DCSchedule]:
    """Every DC alone (no trading) at its own LMPs."""
    return {n: dc.solve_alone() for n, dc in model.dcs.items()}


def centralised_twin(
    scenario: P2PScenario, lmp: dict[str, np.ndarray] | None = None
) -> tuple[WelfareSolution, float]:
    """Solve the social-welfare problem (36) in one shot; returns it and Σ revenue."""
    links = LinkIndex.of(scenario.trading_graph(), scenario.hours)
    limits = scenario.trade_limits()
    programs = {}
    for spec in scenario.datacenters:
        own = partner_limits(limits, links, spec.name)
        series = lmp_series(scenario, lmp, spec.name)
        programs[spec.name] = build_local_program(spec, series, own, scenario.dt_h)
    total_revenue = sum(revenue(spec, scenario.dt_h) for spec in scenario.datacenters)
    return solve_centralised(programs, links), total_revenue
