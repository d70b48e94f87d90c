"""The P2P cloud-service market as a Mesa model: one ``step()``, one ADMM round.

Wires a validated :class:`~sim.p2p.config.P2PScenario` into DC agents, a message
bus over the communication graph and the dual-consensus ADMM of
:mod:`market.admm`.

The model is the market's monitor, with a port of its own (``market``) on
the bus, linked to every DC.  It sees only messages:

- the penalty ``c``: with ``market.penalty: auto`` every DC sends its opening
  offer (its mean marginal cost of work at its LMPs) and the monitor answers
  with ``c`` = factor × mean trade limit / mean offer (the trade limits are
  the links' public capacities); a number in the scenario is announced as is;
- stopping: after each round every DC reports its trades and price estimates
  on its own links and its own parts of the dual residuals
  (:data:`market.protocols.ROUND_REPORT`); the monitor sums the trades per
  link row (primal residual, reciprocity (30)) and takes the maxima;
- settlement, from what the DCs said to each other, never from what a DC
  says of itself: each DC confirms to each partner the price it settles at
  (the estimate it last sent it) and what it buys (``trade_confirmation``);
  each partner accepts the price only if it is what it was sent
  (``trade_acceptance``).  The monitor takes the confirmations from the bus,
  which stamped their senders: a link-hour settles at the mean of the two
  confirmed prices, for the trade both confirm (the smaller of the two), so
  payments cancel exactly; an hour either side refused settles nothing.  A
  DC whose round report differs from what it confirmed is named
  inconsistent (:attr:`MarketResult.inconsistent`) and told so in its
  ``settlement``; one whose confirmation a partner refused is listed in
  :attr:`MarketResult.disputed`.  Each DC discloses its schedule (:meth:`DataCenterAgent.report`);
  its trade payments are the monitor's.

``model.steps`` (Mesa) counts ADMM rounds over the model's life; ``round`` is
the round of the current clearing.  ``run_model()`` clears to the stopping
rule or the round cap; ``step()`` after convergence does nothing and warns.
A :class:`mesa.DataCollector` records the residuals of every round.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import mesa
import networkx as nx
import numpy as np
import pandas as pd

from dcmarket.agents.p2p.datacenter import MONITOR, DataCenterAgent, DCSchedule
from dcmarket.agents.p2p.dc_physics import build_local_program, revenue
from dcmarket.market.admm import RoundRecord, default_penalty
from dcmarket.market.faults import FaultModel
from dcmarket.market.links import LinkIndex
from dcmarket.market.messages import Message, MessageBus, Protocol
from dcmarket.market.program import LinearProgram
from dcmarket.market.protocols import (
    MARKET_OFFER,
    P2P_MARKET,
    PENALTY,
    PRICE_ESTIMATE,
    ROUND_REPORT,
    SETTLEMENT,
    TRADE_ACCEPTANCE,
    TRADE_CONFIRMATION,
)
from dcmarket.market.solvers import THREADED, SolveError
from dcmarket.market.welfare import WelfareSolution, solve_centralised
from dcmarket.sim.executors import BUS, MODEL, Call, Executor
from dcmarket.sim.executors import default as default_executor
from dcmarket.sim.p2p.config import P2PScenario
from dcmarket.sim.scenario import ScenarioError, check_series


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
    #: per coupling row, what the link's first DC bought as both confirmed (M req/h)
    settled: np.ndarray | None = None
    #: DC → why the monitor named it: its round report differs from what it
    #: confirmed to its partners (certain: both are its own words)
    inconsistent: dict[str, str] = dataclasses.field(default_factory=dict)
    #: DC → the hours partners refused what it confirmed (a deviation, or, in a
    #: run that did not converge or lost messages, estimates that had moved on)
    disputed: dict[str, str] = dataclasses.field(default_factory=dict)
    #: DC → the round from which it was cut off from every neighbour (ran alone)
    cut_off: dict[str, int] = dataclasses.field(default_factory=dict)

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
        (reciprocity (30): ``q_a + q_b → 0``), the settlement price and
        ``q_settled``, what ``dc_a`` bought as both confirmed (what was paid for)."""
        rows = []
        for e, (a, b) in enumerate(self.links.links):
            if a not in self.schedules or b not in self.schedules:
                continue  # a DC that dropped out of the market
            for t in range(self.links.hours):
                row = {
                    "dc_a": a, "dc_b": b, "hour": t,
                    "q_a": float(self.schedules[a].trades[b][t]),
                    "q_b": float(self.schedules[b].trades[a][t]),
                    "price": float(self.link_prices[e * self.links.hours + t]),
                    "q_settled": float(self.settled[e * self.links.hours + t])
                    if self.settled is not None else float("nan"),
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


def check_overrides(scenario: P2PScenario, lmp: dict | None, penalty: float | None) -> None:
    """What the Python API is handed instead of the scenario's values is checked
    as the file's would be: LMPs of known DCs, one finite value per hour; a
    finite, positive penalty."""
    for name, series in (lmp or {}).items():
        if name not in scenario.names:
            raise ScenarioError(f"lmp override: unknown DC {name!r} (DCs: "
                                f"{', '.join(scenario.names)})")
        check_series(series, scenario.hours, f"lmp override for {name}", "hour", "$/MWh")
    if penalty is not None and not (np.isfinite(penalty) and penalty > 0):
        raise ScenarioError(f"penalty = {penalty}: the ADMM penalty must be a finite number "
                            "above 0 (or None for the agreed one)")


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
        faults: FaultModel | None = None,
        keep_log: bool = True,
        executor: Executor | None = None,
    ) -> None:
        super().__init__(rng=seed)
        check_overrides(scenario, lmp, penalty)
        self._lmp_override = lmp
        self.scenario = scenario
        self.round = 0
        self.clearings = 1  # the clearing under way (a new one after new LMPs)
        self.communication = scenario.communication_graph()
        self.links = LinkIndex.of(scenario.trading_graph(), scenario.hours)
        if faults is None and scenario.market.faults is not None:
            faults = scenario.market.faults.model()
        if faults is not None and faults.kinds is None:
            # faults hit what DCs tell each other; the monitor's reports are the
            # harness's own measurement of the run
            faults = dataclasses.replace(faults, kinds=frozenset({PRICE_ESTIMATE}))
        self.bus = MessageBus(self._bus_graph(), self._protocols(), faults, keep_log)
        self.bus.tags = self._opening_tags()
        self._port = self.bus.port(MONITOR)
        self.backend = backend or scenario.market.backend
        self.estimates = scenario.market.estimates
        limits = scenario.trade_limits()
        self._trade_scale = float(np.mean(list(limits.values()))) if limits else 1.0
        n_workers = workers if workers is not None else scenario.market.workers
        if self.backend not in THREADED:
            n_workers = 1  # its solves hold Python's lock: threads would only queue
        #: where the DC agents run (in process, or in Ray actors): see sim.executors
        self.host = (executor or default_executor()).host(self, self.bus, n_workers)
        self.dcs: dict[str, DataCenterAgent] = {}
        #: every DC not named here plays the truthful strategy (agents.strategies)
        strategies = scenario.agent_strategies()
        for spec in scenario.datacenters:
            own = partner_limits(limits, self.links, spec.name)
            self.dcs[spec.name] = self.host.add(
                spec.name, DataCenterAgent,
                MODEL, spec, lmp_series(scenario, lmp, spec.name), BUS, self.links, own,
                scenario.dt_h, neighbours=list(self.communication.neighbors(spec.name)),
                estimates=self.estimates, backend=self.backend,
                patience=scenario.market.patience_rounds,
                dual_relaxation=scenario.market.dual_relaxation,
                strategy=strategies.get(spec.name),
                price_tolerance=scenario.market.tol_dual,
                trade_tolerance=scenario.market.tol_primal,
            )
        self._add_hub_agents()
        configured = scenario.market.penalty
        self._fixed_penalty = penalty if penalty is not None else (
            None if configured == "auto" else float(configured))
        self.penalty = 0.0
        self.agree_penalty()
        self.history: list[RoundRecord] = []
        self._offline_last_round: set[str] = set()
        self.converged = False
        self._reports: dict[str, dict] = {}
        self._settlement: tuple[tuple[int, int], Settlement] | None = None
        #: DC → the round it was found cut off from every neighbour (running alone)
        self.cut_off: dict[str, int] = {}
        self._tol_primal = scenario.market.tol_primal
        self._tol_dual = scenario.market.tol_dual
        self._clock = 0.0
        self.datacollector = mesa.DataCollector(model_reporters={
            "round": "round",
            "primal_residual": lambda m: m._last("primal_residual"),
            "dual_disagreement": lambda m: m._last("dual_disagreement"),
            "dual_change": lambda m: m._last("dual_change"),
        })
        self._start()

    def _add_hub_agents(self) -> None:
        """Agents besides the DCs, built through the host before the market opens
        (a subclass adds its own: the grid operator)."""

    def _opening_tags(self) -> dict[str, int]:
        """The bus's protocol position before the first message (subclasses add theirs)."""
        return {}

    def _protocols(self) -> tuple[Protocol, ...]:
        """The protocols this model's bus carries (subclasses add theirs)."""
        return (P2P_MARKET,)

    def _bus_graph(self) -> nx.Graph:
        """The communication graph plus the monitor's link to every DC."""
        graph = self.communication.copy()
        graph.add_edges_from((MONITOR, dc) for dc in self.scenario.names)
        return graph

    def _last(self, field: str) -> float:
        return getattr(self.history[-1], field) if self.history else float("nan")

    def _dcs(self) -> list[DataCenterAgent]:
        """The DCs still in the market, in the order they were built (one the
        fault model took offline is not activated any more: it has crashed, as
        far as the others can tell)."""
        return [dc for dc in self.dcs.values() if not self.bus.offline(dc.name)]

    @property
    def departed(self) -> list[str]:
        """DCs that dropped out (offline under the fault model)."""
        return [n for n in self.dcs if self.bus.offline(n)]

    def restart_rounds(self) -> None:
        """Start a new clearing (e.g. after new LMPs), keeping the estimates."""
        self.clearings += 1
        self.round = 0
        self.bus.round = 0
        self.history = []
        self.converged = False
        self.running = True
        self._clock = 0.0

    def agree_penalty(self) -> float:
        """``c`` by messages: the configured number, or agreed from the DCs' offers.

        ``c`` converts a price gap into a trade volume, so its scale is a typical
        trade limit over a typical marginal cost of work.  The factor in front
        was calibrated by a scan over ×0.5–×64 on the reference case and four
        random instances (README): ×1 for global estimates, ×4 for local ones,
        where rounds fell by half with every doubling up to ×4 and rose after.
        """
        if self._fixed_penalty is not None:
            c = self._fixed_penalty
        else:
            self.host.do(self._dcs(), "send_offer")
            offers = {m.sender: float(m.payload["marginal_cost"])
                      for m in self._port.receive(MARKET_OFFER)}
            mean_offer = float(np.mean([offers[n] for n in self.scenario.names]))
            factor = 4.0 if self.estimates == "local" else 1.0
            c = factor * default_penalty(self._trade_scale, mean_offer)
        self.penalty = c
        for name in self.scenario.names:
            self._port.send(name, PENALTY, {"c": c})
        self.host.do(self._dcs(), "receive_penalty")
        return c

    def _start(self) -> None:
        """Round 0: every DC announces its starting estimate to its neighbours."""
        self.host.do(self._dcs(), "announce_estimate", self.scenario.market.initial_prices)
        self.host.do(self._dcs(), "receive_start")

    @contextlib.contextmanager
    def explained(self) -> Iterator[None]:
        """Turn a DC's infeasible solve into an error naming the input behind it."""
        try:
            yield
        except SolveError as exc:
            name = exc.who.split()[1] if exc.who.startswith("DC ") else None
            if name not in self.dcs or "nfeasible" not in exc.status:
                raise
            from dcmarket.sim.p2p.diagnose import diagnose

            limits = partner_limits(self.scenario.trade_limits(), self.links, name)
            reason = diagnose(self.scenario.spec(name),
                              lmp_series(self.scenario, self._lmp_override, name), limits,
                              self.scenario.dt_h)
            if reason is None:
                raise
            raise ScenarioError(f"{self.scenario.name}: {reason}") from exc

    def step(self) -> None:
        """One ADMM round (see :meth:`_round`), a DC's infeasible problem named."""
        with self.explained():
            self._round()

    def _round(self) -> None:
        """One ADMM round: local solves (in parallel threads when ``workers`` > 1;
        each touches only its own agent), estimates out, dual updates, reports in."""
        if self.converged:
            warnings.warn(f"the market converged in round {self.round}; step() does nothing "
                          "(new LMPs start a new clearing)", stacklevel=2)
            return
        tic = time.perf_counter()
        self.round += 1
        self.bus.round = self.round
        back = [dc for dc in self._dcs() if dc.name in self._offline_last_round]
        self.host.do(back, "rejoin")  # restarted by the harness after its time offline
        self._offline_last_round = set(self.departed)
        # the solves send nothing: they and the sends make one trip to each
        # place the DCs live (one call per Ray shard, see sim.executors), and
        # the dual steps follow with nothing of the model's in between
        dcs = self._dcs()
        self.host.chain_then([Call(dcs, "admm_local_solve", parallel=True),
                              Call(self.host.shuffled(dcs), "admm_send_estimate")],
                             Call(self.host.shuffled(dcs), "admm_dual_step"))
        record = self._read_reports()
        self.history.append(record)
        # a DC cut off from every neighbour (online, but hearing no one) leaves the
        # clearing unresolved: it waits, and the run is not called converged
        self.converged = (
            record.primal_residual <= self._tol_primal
            and record.dual_disagreement <= self._tol_dual
            and record.dual_change <= self._tol_dual
            and not self.cut_off
        )
        self.running = not self.converged
        self.datacollector.collect(self)
        self._clock += time.perf_counter() - tic

    def _read_reports(self) -> RoundRecord:
        """The round's residuals from the DCs' reports (the monitor sees nothing else)."""
        self._reports = {m.sender: m.payload for m in self._port.receive(ROUND_REPORT)}
        for name, report in self._reports.items():
            if int(report.get("cut_off", 0)):
                self.cut_off.setdefault(name, self.round)
            else:
                self.cut_off.pop(name, None)
        total = np.zeros(self.links.n_rows)
        for name, report in self._reports.items():
            total[self.links.rows_of(name)] += report["trades"]
        primal = float(np.max(np.abs(total))) if total.size else 0.0
        disagreement = max((float(r["disagreement"]) for r in self._reports.values()),
                           default=0.0)
        change = max((float(r["estimate_change"]) for r in self._reports.values()), default=0.0)
        return RoundRecord(self.round, primal, disagreement, change)

    def run(self, max_rounds: int | None = None) -> MarketResult:
        """Step until the residuals are below tolerance or the round cap is hit."""
        cap = max_rounds or self.scenario.round_cap
        while self.running and self.round < cap:
            self.step()
        return self.result()

    def run_model(self) -> None:
        """Mesa's entry point: clear to the stopping rule or the round cap."""
        self.run()

    def reported_prices(self, name: str) -> np.ndarray:
        """DC ``name``'s last reported estimates on its own links, in the global row
        space (what it says of itself: shown, checked, never settled from)."""
        prices = np.zeros(self.links.n_rows)
        if name in self._reports:
            prices[self.links.rows_of(name)] = self._reports[name]["prices"]
        return prices

    def settle(self) -> Settlement:
        """Settle the clearing from what the DCs said to each other (see the
        module docstring); once per clearing and round, so asking again
        sends nothing more."""
        key = (self.clearings, self.round)
        if self._settlement is not None and self._settlement[0] == key:
            return self._settlement[1]
        active = [dc for n, dc in self.dcs.items() if n not in self.departed]
        self.bus.forget_said(TRADE_CONFIRMATION)
        self.host.do(active, "send_confirmations")
        self.host.do(active, "answer_confirmations")
        accepted = {m.sender: np.asarray(m.payload["accepted"]) > 0.5
                    for m in self._port.receive(TRADE_ACCEPTANCE)}
        settlement = settle_links(self.links, self.bus, accepted, self._reports,
                                  self.scenario.dt_h)
        for dc in active:
            self._port.send(dc.name, SETTLEMENT, {
                "payment": settlement.payments.get(dc.name, 0.0),
                "consistent": int(dc.name not in settlement.inconsistent
                                  and dc.name not in settlement.disputed)})
        self.host.do(active, "receive_settlement")
        self._settlement = (key, settlement)
        return settlement

    def settlement_prices(self) -> np.ndarray:
        """π per coupling row: the mean of the prices the two partners confirmed to
        each other (0 on a link that settled nothing)."""
        return self.settle().prices

    def result(self) -> MarketResult:
        """Each DC's last ADMM iterate, its trade payments settled by the monitor.
        A run stopped by the round cap says ``converged=False`` with its residuals."""
        settlement = self.settle()
        prices = settlement.prices
        active = [dc for n, dc in self.dcs.items() if n not in self.departed]
        reports = dict(zip([dc.name for dc in active], self.host.do(active, "report", prices),
                           strict=True))
        schedules = {n: dataclasses.replace(s, trade_payments=settlement.payments.get(n, 0.0))
                     for n, s in reports.items() if s is not None}
        history = pd.DataFrame([r.__dict__ for r in self.history],
                               columns=["round", "primal_residual", "dual_disagreement",
                                        "dual_change"])
        return MarketResult(self.converged, self.round, schedules, prices, self.links, history,
                            self._clock, settlement.settled, dict(settlement.inconsistent),
                            dict(settlement.disputed), dict(self.cut_off))


@dataclass(frozen=True)
class Settlement:
    """What the monitor settled: per coupling row the price and what the link's
    first DC bought (both confirmed), each DC's payment ($, negative: received)
    and the DCs it named, with the reason."""

    prices: np.ndarray
    settled: np.ndarray
    payments: dict[str, float]
    inconsistent: dict[str, str]
    disputed: dict[str, str] = dataclasses.field(default_factory=dict)


def settle_links(links: LinkIndex, bus: MessageBus, accepted: dict[str, np.ndarray],
                 reports: dict[str, dict], dt: float) -> Settlement:
    """Money from the confirmations on the bus, per link-hour (payments cancel
    exactly: the buyer pays the seller one amount):

    - both sides' confirmations accepted by the other: the mean of the two
      confirmed prices, for the trade both confirm (a buys ``min(q_a, −q_b)``
      when a buys and b sells, and the reverse);
    - only one side's accepted: that side's price and quantity (what the other
      said is not what it sent or did, so it does not count);
    - neither: as if both were, and both are named.

    Named as well: a DC whose last round report differs from what it confirmed."""
    T = links.hours
    prices, settled = np.zeros(links.n_rows), np.zeros(links.n_rows)
    payments: dict[str, float] = {}
    named: dict[str, list[str]] = {}
    disputed: dict[str, list[str]] = {}
    for e, (a, b) in enumerate(links.links):
        said_a = bus.said(a, b, TRADE_CONFIRMATION)
        said_b = bus.said(b, a, TRADE_CONFIRMATION)
        if said_a is None or said_b is None:
            continue  # a DC that left the market, or one that did not confirm
        rows = slice(e * T, (e + 1) * T)
        ok_a = _accepted_by(accepted, links, b, a)  # b accepts what a confirmed
        ok_b = _accepted_by(accepted, links, a, b)
        for who, partner, ok in ((a, b, ok_a), (b, a, ok_b)):
            if not ok.all():
                disputed.setdefault(who, []).append(
                    f"{partner} refused what it confirmed in {int((~ok).sum())} hour(s)")
        pa, qa = (np.asarray(said_a.payload[k], float) for k in ("price", "q"))
        pb, qb = (np.asarray(said_b.payload[k], float) for k in ("price", "q"))
        both = np.where((qa > 0) & (qb < 0), np.minimum(qa, -qb),
                        np.where((qa < 0) & (qb > 0), -np.minimum(-qa, qb), 0.0))
        only_a, only_b = ok_a & ~ok_b, ok_b & ~ok_a
        bought = np.where(only_a, qa, np.where(only_b, -qb, both))
        price = np.where(only_a, pa, np.where(only_b, pb, 0.5 * (pa + pb)))
        prices[rows], settled[rows] = price, bought
        paid = float(price @ bought) * dt
        payments[a] = payments.get(a, 0.0) + paid
        payments[b] = payments.get(b, 0.0) - paid
        for who, partner, said in ((a, b, said_a), (b, a, said_b)):
            if not _report_matches(reports.get(who), links, who, partner, said):
                named.setdefault(who, []).append(
                    f"its round report to the monitor differs from what it confirmed to {partner}")
    return Settlement(prices, settled, payments,
                      {who: "; ".join(reasons) for who, reasons in sorted(named.items())},
                      {who: "; ".join(reasons) for who, reasons in sorted(disputed.items())})


def _accepted_by(accepted: dict[str, np.ndarray], links: LinkIndex, who: str,
                 partner: str) -> np.ndarray:
    """The hours of the link with ``partner`` in which ``who`` accepted its price."""
    flags = accepted.get(who)
    if flags is None:
        return np.zeros(links.hours, bool)
    return flags[links.partner_slice(who, partner)]


def _report_matches(report: dict | None, links: LinkIndex, who: str, partner: str,
                    said: Message) -> bool:
    """Whether ``who``'s last round report says, on its link with ``partner``, the
    prices and trades it confirmed to that partner."""
    if report is None:
        return False
    part = links.partner_slice(who, partner)
    return all(np.allclose(np.asarray(report[field])[part], said.payload[key],
                           rtol=1e-9, atol=1e-9)
               for field, key in (("prices", "price"), ("trades", "q")))


def standalone_schedules(model: P2PMarketModel) -> dict[str, DCSchedule]:
    with model.explained():
        return _standalone(model)


def _standalone(model: P2PMarketModel) -> dict[str, DCSchedule]:
    """Every DC alone (no trading) at its own LMPs (one after the other: each is
    a HiGHS LP, and HiGHS instances in threads of one process are not safe;
    ERGO-Code/HiGHS#3141)."""
    dcs = list(model.dcs.values())
    return dict(zip(model.dcs, model.host.do(dcs, "solve_alone"), strict=True))


def market_programs(scenario: P2PScenario, lmp: dict[str, np.ndarray] | None = None
                    ) -> tuple[LinkIndex, dict[str, LinearProgram]]:
    """The links and every DC's local program (1)–(23), (31), (33) at its LMPs
    and link limits: what the centralised twin (36) stacks."""
    links = LinkIndex.of(scenario.trading_graph(), scenario.hours)
    limits = scenario.trade_limits()
    return links, {spec.name: build_local_program(
        spec, lmp_series(scenario, lmp, spec.name), partner_limits(limits, links, spec.name),
        scenario.dt_h) for spec in scenario.datacenters}


def centralised_twin(
    scenario: P2PScenario, lmp: dict[str, np.ndarray] | None = None
) -> tuple[WelfareSolution, float]:
    """Solve the social-welfare problem (36) in one shot; returns it and Σ revenue."""
    links, programs = market_programs(scenario, lmp)
    total_revenue = sum(revenue(spec, scenario.dt_h) for spec in scenario.datacenters)
    return solve_centralised(programs, links), total_revenue
