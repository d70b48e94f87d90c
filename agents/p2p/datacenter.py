"""The data-centre agent of the P2P cloud-service market (paper ``000``).

Private (underscore attributes, reachable only from inside the agent): its
:class:`~agents.p2p.dc_spec.DataCenterSpec` (servers, power, cooling, workload,
tariffs), the LMPs at its bus, its local problem (docs/p2p.md: (1)–(23) plus
trades (31), (33)), its bisection box and its ADMM state ``y_i``, ``p_i``.

What it sends (:data:`market.protocols.P2P_MARKET`, :data:`~market.protocols.BILEVEL`):
its price estimates to its neighbours; its opening offer and, after each
round, a report (its trades and prices on its own links, its own residual
parts) to the market monitor; its demand bid to the grid operator.  It
receives price estimates, the agreed penalty, LMPs and a bisection box.
What it discloses for reports (its schedule, its profit) is returned by its
public methods.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import mesa
import numpy as np

from dcmarket.agents.base import MarketAgent
from dcmarket.agents.p2p.dc_physics import (
    build_local_program,
    it_mwh_per_work,
    mwh_per_work,
    revenue,
)
from dcmarket.agents.p2p.dc_spec import DataCenterSpec
from dcmarket.agents.strategies import DataCentreStrategy, TruthfulDataCentre
from dcmarket.market.admm import DualConsensusNode, values_at
from dcmarket.market.links import LinkIndex
from dcmarket.market.messages import MessageBus
from dcmarket.market.program import LinearProgram
from dcmarket.market.protocols import (
    BISECTION_BOX,
    DEMAND_BID,
    LMP,
    MARKET_OFFER,
    PENALTY,
    PRICE_ESTIMATE,
    ROUND_REPORT,
    SETTLEMENT,
    TRADE_ACCEPTANCE,
    TRADE_CONFIRMATION,
)
from dcmarket.market.solvers import solve_lp

MONITOR = "market"  # the model's own port: the market monitor


@dataclass(frozen=True)
class DCSchedule:
    """A DC's hourly operating point and its money (arrays over hours)."""

    name: str
    interactive: np.ndarray  # I_t: the DC's own users' IW arrivals, M requests/h
    lambda_I: np.ndarray  # M requests/h processed, interactive
    lambda_B: np.ndarray  # M requests/h processed, batch
    servers: np.ndarray  # active servers (count, continuous)
    cooling_mw: np.ndarray
    indoor_c: np.ndarray
    grid_mw: np.ndarray
    trades: dict[str, np.ndarray]  # partner -> q_ij,t (bought, M requests/h)
    revenue: float
    depreciation: float
    electricity: float
    trade_payments: float  # Σ π·q paid (negative: received)

    @property
    def profit(self) -> float:
        """(20)–(23) with trade payments (35)."""
        return self.revenue - self.depreciation - self.electricity - self.trade_payments

    @property
    def energy_mwh(self) -> float:
        return float(self.grid_mw.sum())


class DataCenterAgent(MarketAgent):
    """DC ``i``: private spec, LMPs at its bus, its local problem and ADMM state."""

    def __init__(
        self,
        model: mesa.Model,
        spec: DataCenterSpec,
        lmp: np.ndarray,
        bus: MessageBus,
        links: LinkIndex,
        trade_limits: dict[str, float],
        dt: float = 1.0,
        neighbours: list[str] | None = None,
        estimates: str = "local",
        backend: str = "piqp",
        patience: int = 10,
        dual_relaxation: float = 1.0,
        strategy: DataCentreStrategy | None = None,
        price_tolerance: float = 0.0,
        trade_tolerance: float = 0.0,
    ) -> None:
        super().__init__(model, spec.name, bus)
        self._spec = spec
        self._lmp = np.asarray(lmp, float)
        self._links = links
        self._dt = dt
        #: what it says and offers (truthful: what it computes); see agents.strategies
        self._strategy = strategy if strategy is not None else TruthfulDataCentre()
        self.partners = links.partners(spec.name)  # public: the trading graph
        self._limits = self._strategy.trade_limits({j: trade_limits[j] for j in self.partners})
        self._grid_box: tuple[np.ndarray, np.ndarray] | None = None
        self._program: LinearProgram = self._market_program()
        self._neighbours, self._estimates = sorted(neighbours or []), estimates
        self._all_limits = dict(self._limits)
        self._shared = self._shared_rows(self._neighbours, estimates)
        self._backend = backend
        self._node: DualConsensusNode | None = None
        self._parked: DualConsensusNode | None = None  # its node while cut off
        #: while cut off: (the program it was solved on, its solution), solved once
        #: per program (the program changes with LMPs, limits and readmissions)
        self._alone: tuple[LinearProgram, np.ndarray] | None = None
        self._penalty: float | None = None
        self._stale = True  # the ADMM QP must be (re)built before its next use
        self._previous_y: tuple[np.ndarray, np.ndarray] | None = None  # (rows, y)
        self._demand: np.ndarray | None = None
        #: each neighbour's newest price estimate: (round sent, y, owner's edge dual)
        self._latest: dict[str, tuple[int, np.ndarray, np.ndarray | None]] = {}
        self._heard: dict[str, int] = {}  # the round each neighbour was last heard in
        self._max_delay = 0  # the oldest estimate seen on arrival, rounds
        self._label_cache: dict[bytes, tuple[str, ...]] = {}
        self._patience = patience
        self._dual_relaxation = dual_relaxation  # α of the dual step (1: the paper's)
        # a partner's confirmation against what it sent and what this DC traded
        self._price_tolerance, self._trade_tolerance = price_tolerance, trade_tolerance
        self.departed: set[str] = set()  # neighbours it has given up on (public)

    def _market_program(self) -> LinearProgram:
        """Its local problem in the market (1)–(23), (31), (33) at its LMPs, limits
        and box, with the cost its strategy optimises (its true one if truthful)."""
        lp = build_local_program(self._spec, self._lmp, self._limits, self._dt, self._grid_box)
        cost = self._strategy.cost(lp.cost)
        return lp if cost is lp.cost else replace(lp, cost=np.asarray(cost, float))

    def _shared_rows(self, neighbours: list[str], estimates: str) -> dict[str, np.ndarray]:
        """Rows of the price vector exchanged with each neighbour: all of them in
        the paper's *global* variant, the links both hold in the *local* one."""
        everything = np.arange(self._links.n_rows)
        shared = {}
        for neighbour in neighbours:
            if estimates == "global":
                shared[neighbour] = everything
            else:
                own = set(self._links.rows_of(self.name)) & set(self._links.rows_of(neighbour))
                if own:
                    shared[neighbour] = np.array(sorted(own), dtype=int)
        return shared

    # ----- stand-alone operation -------------------------------------------------
    def solve_alone(self, lmp: np.ndarray | None = None) -> DCSchedule:
        """Best schedule without trading (q = 0), eq. (13), at ``lmp`` (default: own)."""
        lmp_used = self._lmp if lmp is None else np.asarray(lmp, float)
        lp = build_local_program(self._spec, lmp_used, dict.fromkeys(self.partners, 0.0), self._dt,
                                 self._grid_box)
        solution = solve_lp(lp, f"DC {self.name} (stand-alone)")
        schedule = self._schedule_of(solution.x, lp=lp, lmp=lmp_used)
        if lmp is None:
            self._demand = schedule.grid_mw
        return schedule

    def best_response(self, link_prices: np.ndarray) -> DCSchedule:
        """Re-optimise alone against fixed link prices π (one per link and hour)."""
        priced = self._priced(self._program, link_prices)
        solution = solve_lp(priced, f"DC {self.name} (best response)")
        return self._schedule_of(solution.x, link_prices=link_prices)

    def _priced(self, lp: LinearProgram, link_prices: np.ndarray | None) -> LinearProgram:
        """``lp`` with the buyer's payment π·q (35) added to the trades' cost."""
        if link_prices is None or not self.partners:
            return lp
        cost = lp.cost.copy()
        cost[lp.blocks["trades"]] += link_prices[self._links.rows_of(self.name)]
        return replace(lp, cost=cost)

    # ----- the grid level: demand bids out, LMPs and boxes in (docs/p2p.md, (49)–(54))
    def send_demand_bid(self, operator: str) -> None:
        """Send the hourly grid import (MW) of its current schedule to the grid operator."""
        if self._demand is None:
            self.solve_alone()
        self.send(operator, DEMAND_BID, {"pg": self._demand})

    def receive_prices(self) -> None:
        """Take the LMP series at its bus and any bisection box, and re-price its
        local problem; the ADMM estimates are kept as a warm start."""
        (message,) = self.receive(LMP)
        boxes = self.receive(BISECTION_BOX)
        box = None
        if boxes:
            p = boxes[-1].payload
            boxed = np.asarray(p["boxed"]) > 0
            box = (np.where(boxed, p["lo"], np.nan), np.where(boxed, p["hi"], np.nan))
        self._lmp = np.asarray(message.payload["lmp"], float)
        self._grid_box = box
        # a new clearing starts (its rounds count from 0 again): estimates of the
        # last one are no longer news, and every neighbour is heard from afresh
        self._latest.clear()
        self._heard = dict.fromkeys(self._shared, self.model.round)
        self._program = self._market_program()
        self._stale = True

    def profit_given_up_in_box(self, schedule: DCSchedule,
                               link_prices: np.ndarray | None) -> float:
        """What the bisection box costs this DC: the profit of its best response
        without the box (same LMPs, same link prices, or alone when ``None``)
        minus the profit of ``schedule``.  ~0 means the point is an equilibrium
        for this DC even without its box."""
        limits = self._limits if link_prices is not None else dict.fromkeys(self.partners, 0.0)
        lp = build_local_program(self._spec, self._lmp, limits, self._dt, None)
        free = self._priced(lp, link_prices)
        best = self._schedule_of(solve_lp(free, f"DC {self.name} (without box)").x, lp=lp,
                                 link_prices=link_prices)
        return best.profit - schedule.profit

    # ----- the penalty, agreed by messages ------------------------------------------
    def send_offer(self) -> None:
        """Tell the monitor its opening offer: depreciation plus the IT-side energy
        of work (cooling excluded) at its mean LMP, $ per M requests.  The penalty
        ``c`` is agreed from the offers; its factor was calibrated on this scale."""
        offer = float(np.mean(self._lmp)) * it_mwh_per_work(self._spec) + self._spec.depreciation
        self.send(MONITOR, MARKET_OFFER, {"marginal_cost": float(self._strategy.offer(offer))})

    def receive_penalty(self) -> None:
        """Take the agreed ADMM penalty ``c``; the QP is rebuilt if it changed."""
        (message,) = self.receive(PENALTY)
        c = float(message.payload["c"])
        if c != self._penalty:
            self._penalty = c
            self._stale = True

    # ----- dual-consensus ADMM (docs/p2p.md) ----------------------------------------
    def _admm(self) -> DualConsensusNode | None:
        """The ADMM node on the current program and penalty, built once per change
        of either (new LMPs, box or ``c``); the estimates ``y``, ``p`` and the
        neighbours' sum carry over as a warm start.  ``None`` while the DC is cut
        off from every neighbour: it then runs alone (no trade) and waits; its
        last node is kept for when a neighbour speaks again."""
        if not self._shared:
            if self._node is not None:
                self._parked = self._node
            self._node, self._stale = None, True
            return None
        if self._stale or self._node is None:
            lp, old = self._program, self._node or self._parked
            T = self._links.hours
            present = np.repeat([j not in self.departed for j in self.partners], T)
            self._node = DualConsensusNode(
                name=self.name,
                lp=lp,
                trade_cols=np.arange(lp.n_cols)[lp.blocks["trades"]][present],
                trade_rows=self._links.rows_of(self.name)[present],
                n_prices=self._links.n_rows,
                shared_rows=self._shared,
                penalty=self._penalty,
                backend=self._backend,
            )
            if old is not None:
                self._node.carry_over(old)
            self._stale = False
        return self._node

    def admm_local_solve(self) -> None:
        """Steps 1–2: the local QP and the new estimate (pure computation, so
        the model may run the DCs' solves in parallel)."""
        node = self._admm()
        if node is None:  # cut off: its best schedule alone (every link's limit is 0)
            self._alone_solution()
            return
        self._previous_y = (node.rows, node.y.copy())  # a node never changes its rows
        node.primal_step()

    def _alone_solution(self) -> np.ndarray:
        """Its best schedule alone on the current program (every departed link's
        limit is 0), solved once per program while it is cut off."""
        if self._alone is None or self._alone[0] is not self._program:
            x = solve_lp(self._program, f"DC {self.name} (cut off, alone)").x
            self._alone = (self._program, x)
        return self._alone[1]

    def admm_send_estimate(self) -> None:
        """Step 3: send ``y_i`` (its shared rows) to every neighbour, the round's
        only message between DCs."""
        node, strategy = self._node, self._strategy
        if node is None:
            return
        for neighbour, rows in node.shared_rows.items():
            y = node.estimate_for(neighbour)
            if not strategy.truthful:
                y = np.asarray(strategy.estimate(neighbour, y, node.trades_at(node.rows[rows])),
                               float)
            payload = {"y": y}
            if node.owns(neighbour):
                payload["edge_dual"] = node.edge_dual[neighbour]
            labels = self._labels(node.rows[rows])  # shared_rows are places in node.rows
            self.send(neighbour, PRICE_ESTIMATE, payload,
                      labels=dict.fromkeys(payload, labels))

    def admm_dual_step(self) -> None:
        """Step 4 with the estimates just received, then the round report to the monitor."""
        fresh = self._take_estimates()
        if self._node is not None:
            self._give_up_on_silent_neighbours()
        node, own = self._node, self._links.rows_of(self.name)
        if node is None:  # cut off: it reports no trade, and that it is alone
            self._demand = self._alone_solution()[self._program.blocks["grid"]]
            zeros = np.zeros(own.size)
            prices, trades = self._strategy.report(zeros, zeros)
            self.send(MONITOR, ROUND_REPORT, {
                "trades": trades, "prices": prices, "estimate_change": 0.0,
                "disagreement": 0.0, "cut_off": 1},
                labels=dict.fromkeys(("trades", "prices"), self._labels(own)))
            return
        latest = {j: self._latest[j][1] if j in self._latest else node.y[rows]
                  for j, rows in node.shared_rows.items()}
        disagreement = node.dual_step(
            latest, {j: fresh[j][2] for j in fresh if fresh[j][2] is not None},
            relaxation=self._dual_relaxation / (1.0 + 3.0 * self._max_delay))
        self._demand = None if node.x is None else node.x[self._program.blocks["grid"]]
        prices, trades = self._strategy.report(node.y_at(own), node.trades_at(own))
        self.send(MONITOR, ROUND_REPORT, {
            "trades": trades, "prices": prices,
            "estimate_change": self._estimate_change(node),
            "disagreement": disagreement},
            labels=dict.fromkeys(("trades", "prices"), self._labels(own)))

    def _estimate_change(self, node: DualConsensusNode) -> float:
        """max |y_i^k − y_i^{k−1}| over the rows held now or before (a row no
        longer held counts as 0 now, as a dropped link's price is)."""
        rows, before = self._previous_y
        if rows is node.rows:  # the same node: the same rows
            return float(np.max(np.abs(node.y - before), initial=0.0))
        union = np.union1d(rows, node.rows)
        now = node.y_at(union)
        return float(np.max(np.abs(now - values_at(rows, before, union)), initial=0.0))

    def _labels(self, rows: np.ndarray) -> tuple[str, ...]:
        """The link of each global coupling row (public: the trading graph),
        remembered per row set."""
        key = rows.tobytes()
        if key not in self._label_cache:
            self._label_cache[key] = self._links.link_labels(rows)
        return self._label_cache[key]

    def marginal_cost_of_work(self) -> np.ndarray:
        """$ per M requests of IW served here in each hour, from private data only:
        depreciation plus the energy of the servers, their share of the network,
        auxiliaries and the cooling that removes their heat at steady state (2)–(5)."""
        return self._spec.depreciation + self._lmp * mwh_per_work(self._spec)

    def announce_estimate(self, initial: str = "marginal_cost") -> None:
        """Round 0: pick the starting estimate and tell the neighbours.

        ``marginal_cost`` starts the DC's own links at its own marginal cost of
        work (private knowledge, a sensible opening offer); ``zero`` starts at 0.
        """
        node = self._admm()
        if initial == "marginal_cost" and self.partners:
            y0 = np.zeros(node.n_prices)
            mc = self.marginal_cost_of_work()
            y0[self._links.rows_of(self.name)] = np.tile(mc, len(self.partners))
            node.start(y0=y0)
        self.admm_send_estimate()

    def receive_start(self) -> None:
        self._take_estimates()
        node = self._node
        node.receive_estimates({j: self._latest[j][1] if j in self._latest else node.y[rows]
                                for j, rows in node.shared_rows.items()})

    def _take_estimates(self) -> dict[str, tuple[int, np.ndarray, np.ndarray | None]]:
        """Read the price estimates that arrived: keep each neighbour's newest (a
        message may come late, twice or not at all); return the ones newer than
        what was held, by neighbour: (round sent, y, owner's edge dual)."""
        fresh: dict[str, tuple[int, np.ndarray, np.ndarray | None]] = {}
        for m in self.receive(PRICE_ESTIMATE):
            if m.sender in self.departed:
                self._readmit(m.sender)  # it is back
            if self._node is None or m.sender not in self._node.shared_rows:
                continue
            held = self._latest.get(m.sender)
            if held is not None and held[0] >= m.round:
                continue
            dual = m.payload.get("edge_dual")
            entry = (m.round, np.asarray(m.payload["y"], float),
                     None if dual is None else np.asarray(dual, float))
            self._latest[m.sender] = entry
            self._heard[m.sender] = self.model.round
            self._max_delay = max(self._max_delay, self.model.round - m.round)
            fresh[m.sender] = entry
        return fresh

    def _readmit(self, neighbour: str) -> None:
        """A neighbour given up on speaks again: trade and agree prices with it
        again, its edge's duals starting from 0 (the owner's copy re-aligns them)."""
        self.departed.discard(neighbour)
        self._shared = self._shared_rows(self._neighbours, self._estimates)
        self._shared = {j: r for j, r in self._shared.items() if j not in self.departed}
        if neighbour in self._all_limits:
            self._limits[neighbour] = self._all_limits[neighbour]
        self._program = self._market_program()
        self._stale = True
        self._admm()

    def rejoin(self) -> None:
        """Back after being offline (the harness restarts it): every neighbour is
        heard from afresh, so none is given up on for the time it was away."""
        self._heard = dict.fromkeys(self._shared, self.model.round)
        self._latest.clear()

    def _give_up_on_silent_neighbours(self) -> None:
        """A neighbour silent for more than ``patience`` rounds has left (the
        documented rule for dropout; patience must exceed any message delay):
        no more trade with it (limit 0) and no more consensus on its rows, so
        the market re-clears among the others."""
        now = self.model.round
        silent = [j for j in self._node.shared_rows
                  if now - self._heard.get(j, 0) > self._patience]
        if not silent:
            return
        for j in silent:
            self.departed.add(j)
            self._shared.pop(j, None)
            self._latest.pop(j, None)
            if j in self._limits:
                self._limits[j] = 0.0
        self._program = self._market_program()
        self._stale = True
        self._admm()

    # ----- settlement: what it confirms to each partner, and what it accepts ------------
    def _link_rows(self, partner: str) -> np.ndarray:
        """The global rows of its link with ``partner`` (one per hour)."""
        return self._links.rows_of(self.name)[self._links.partner_slice(self.name, partner)]

    def send_confirmations(self) -> None:
        """At settlement, tell each partner still in the market, per hour of their
        link, the price it settles at (its estimate, the one it last sent) and
        what it buys (negative: sells)."""
        node = self._node
        if node is None or node.x is None:
            return
        for partner in self.partners:
            if partner in self.departed or partner not in node.shared_rows:
                continue
            rows = self._link_rows(partner)
            price, q = self._strategy.confirmation(partner, node.y_at(rows), node.trades_at(rows))
            labels = self._labels(rows)
            self.send(partner, TRADE_CONFIRMATION, {"price": price, "q": q},
                      labels={"price": labels, "q": labels})

    def answer_confirmations(self) -> None:
        """Accept, per hour, each partner's confirmation if its price is the estimate
        the partner sent it in the market (within the dual tolerance) and its
        quantity is the other side of this DC's own trade (within the primal
        tolerance; both looser with late messages); tell the monitor, one flag
        per row of its own links."""
        own = self._links.rows_of(self.name)
        accepted = np.zeros(own.size)
        node = self._node
        for m in self.receive(TRADE_CONFIRMATION):
            if node is None or m.sender not in self.partners or m.sender not in self._latest:
                continue
            rows = self._link_rows(m.sender)
            shared = node.rows[node.shared_rows[m.sender]]
            heard = values_at(shared, self._latest[m.sender][1], rows)
            late = 1.0 + self._max_delay
            price_ok = np.abs(np.asarray(m.payload["price"]) - heard) <= (
                self._price_tolerance * late + 1e-9 * (1.0 + np.abs(heard)))
            mine = node.trades_at(rows)
            trade_ok = np.abs(np.asarray(m.payload["q"]) + mine) <= (
                self._trade_tolerance * late + 1e-9 * (1.0 + np.abs(mine)))
            ok = (price_ok & trade_ok).astype(float)
            ok = np.asarray(self._strategy.acceptance(m.sender, ok), float)
            accepted[self._links.partner_slice(self.name, m.sender)] = ok
        self.send(MONITOR, TRADE_ACCEPTANCE, {"accepted": accepted},
                  labels={"accepted": self._labels(own)})

    def receive_settlement(self) -> float:
        """Take the monitor's settlement: what it pays for its trades, $."""
        messages = self.receive(SETTLEMENT)
        return float(messages[-1].payload["payment"]) if messages else 0.0

    # ----- reporting ----------------------------------------------------------------
    def report(self, link_prices: np.ndarray | None) -> DCSchedule | None:
        """Its last ADMM iterate as a schedule priced at ``link_prices`` (what it
        discloses at settlement); ``None`` before its first round."""
        if self._node is None and self._alone is not None:  # cut off: alone
            return self._schedule_of(self._alone[1], link_prices=link_prices)
        if self._node is None or self._node.x is None:
            return None
        return self._schedule_of(self._node.x, link_prices=link_prices)

    def _schedule_of(
        self,
        x: np.ndarray,
        lp: LinearProgram | None = None,
        lmp: np.ndarray | None = None,
        link_prices: np.ndarray | None = None,
    ) -> DCSchedule:
        """Read a solution vector of the local program into a :class:`DCSchedule`."""
        lp = lp or self._program
        lmp = self._lmp if lmp is None else lmp
        dt = self._dt
        block = {name: x[s] for name, s in lp.blocks.items()}
        T = self._spec.hours
        trades = {j: block["trades"][n * T:(n + 1) * T] for n, j in enumerate(self.partners)}
        payments = 0.0
        if link_prices is not None and self.partners:
            payments = float(link_prices[self._links.rows_of(self.name)] @ block["trades"]) * dt
        work = block["lambda_I"] + block["lambda_B"]
        return DCSchedule(
            name=self.name,
            interactive=np.asarray(self._spec.interactive, float),
            lambda_I=block["lambda_I"],
            lambda_B=block["lambda_B"],
            servers=(block["servers_I"] + block["servers_B"]) * 1e3,
            cooling_mw=block["cooling"],
            indoor_c=block["indoor"],
            grid_mw=block["grid"],
            trades=trades,
            revenue=revenue(self._spec, dt),
            depreciation=float(self._spec.depreciation * work.sum() * dt),
            electricity=float(lmp @ block["grid"] * dt),
            trade_payments=payments,
        )
