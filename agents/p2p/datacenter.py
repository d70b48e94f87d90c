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

from agents.base import MarketAgent
from agents.p2p.dc_physics import build_local_program, it_mwh_per_work, mwh_per_work, revenue
from agents.p2p.dc_spec import DataCenterSpec
from market.admm import DualConsensusNode
from market.links import LinkIndex
from market.messages import MessageBus
from market.program import LinearProgram
from market.protocols import (
    BISECTION_BOX,
    DEMAND_BID,
    LMP,
    MARKET_OFFER,
    PENALTY,
    PRICE_ESTIMATE,
    ROUND_REPORT,
)
from market.solvers import solve_lp

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
        backend: str = "clarabel",
    ) -> None:
        super().__init__(model, spec.name, bus)
        self._spec = spec
        self._lmp = np.asarray(lmp, float)
        self._links = links
        self._dt = dt
        self.partners = links.partners(spec.name)  # public: the trading graph
        self._limits = {j: trade_limits[j] for j in self.partners}
        self._program: LinearProgram = build_local_program(spec, self._lmp, self._limits, dt)
        self._shared = self._shared_rows(sorted(neighbours or []), estimates)
        self._backend = backend
        self._node: DualConsensusNode | None = None
        self._penalty: float | None = None
        self._stale = True  # the ADMM QP must be (re)built before its next use
        self._previous_y: np.ndarray | None = None
        self._grid_box: tuple[np.ndarray, np.ndarray] | None = None
        self._demand: np.ndarray | None = None

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
            lo, hi = boxes[-1].payload["lo"], boxes[-1].payload["hi"]
            box = (np.asarray(lo, float), np.asarray(hi, float))
        self._lmp = np.asarray(message.payload["lmp"], float)
        self._grid_box = box
        self._program = build_local_program(self._spec, self._lmp, self._limits, self._dt, box)
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
        self.send(MONITOR, MARKET_OFFER, {"marginal_cost": offer})

    def receive_penalty(self) -> None:
        """Take the agreed ADMM penalty ``c``; the QP is rebuilt if it changed."""
        (message,) = self.receive(PENALTY)
        c = float(message.payload["c"])
        if c != self._penalty:
            self._penalty = c
            self._stale = True

    # ----- dual-consensus ADMM (docs/p2p.md) ----------------------------------------
    def _admm(self) -> DualConsensusNode:
        """The ADMM node on the current program and penalty, built once per change
        of either (new LMPs, box or ``c``); the estimates ``y``, ``p`` and the
        neighbours' sum carry over as a warm start."""
        if self._stale or self._node is None:
            lp, old = self._program, self._node
            self._node = DualConsensusNode(
                name=self.name,
                lp=lp,
                trade_cols=np.arange(lp.n_cols)[lp.blocks["trades"]],
                trade_rows=self._links.rows_of(self.name),
                n_prices=self._links.n_rows,
                shared_rows=self._shared,
                penalty=self._penalty,
                backend=self._backend,
            )
            if old is not None:
                self._node.y, self._node.p = old.y, old.p
                self._node.neighbour_sum = old.neighbour_sum
            self._stale = False
        return self._node

    def admm_local_solve(self) -> None:
        """Steps 1–2: the local QP and the new estimate (pure computation, so
        the model may run the DCs' solves in parallel)."""
        node = self._admm()
        self._previous_y = node.y.copy()
        node.primal_step()

    def admm_send_estimate(self) -> None:
        """Step 3: send ``y_i`` (its shared rows) to every neighbour, the round's
        only message between DCs."""
        for neighbour in self._node.shared_rows:
            rows = self._node.shared_rows[neighbour]
            self.send(neighbour, PRICE_ESTIMATE, {"y": self._node.estimate_for(neighbour)},
                      labels={"y": self._links.link_labels(rows)})

    def admm_dual_step(self) -> None:
        """Step 4 with the estimates just received, then the round report to the monitor."""
        inbox = {m.sender: np.asarray(m.payload["y"]) for m in self.receive(PRICE_ESTIMATE)}
        self._node.dual_step(inbox)
        node, own = self._node, self._links.rows_of(self.name)
        disagreement = max((float(np.max(np.abs(node.y[node.shared_rows[j]] - y)))
                            for j, y in inbox.items() if y.size), default=0.0)
        self._demand = None if node.x is None else node.x[self._program.blocks["grid"]]
        self.send(MONITOR, ROUND_REPORT, {
            "trades": node.own_trades_vector()[own], "prices": node.y[own],
            "estimate_change": float(np.max(np.abs(node.y - self._previous_y), initial=0.0)),
            "disagreement": disagreement},
            labels=dict.fromkeys(("trades", "prices"), self._links.link_labels(own)))

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
        inbox = self.receive(PRICE_ESTIMATE)
        self._node.receive_estimates({m.sender: m.payload["y"] for m in inbox})

    # ----- reporting ----------------------------------------------------------------
    def report(self, link_prices: np.ndarray | None) -> DCSchedule | None:
        """Its last ADMM iterate as a schedule priced at ``link_prices`` (what it
        discloses at settlement); ``None`` before its first round."""
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
