"""The data-centre agent of the P2P cloud-service market (paper ``000``).

It holds its private :class:`~agents.dc_spec.DataCenterSpec` and the LMPs at
its own bus, owns its local problem (MODEL.md part A, (1)–(23), plus trades
(31), (33)) and takes part in the dual-consensus ADMM by sending only its
price estimate ``y_i``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import mesa
import numpy as np

from agents.base import MarketAgent
from agents.p2p.dc_physics import build_local_program, mwh_per_work, revenue
from agents.p2p.dc_spec import DataCenterSpec
from market.admm import DualConsensusNode
from market.links import LinkIndex
from market.messages import MessageBus
from market.program import LinearProgram
from market.solvers import solve_lp

PRICE_ESTIMATE = "price_estimate"
DEMAND_BID = "demand_bid"  # DC -> grid operator: hourly grid import (MW)
LMP = "lmp"  # grid operator -> DC: the LMP series at the DC's own bus


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
    ) -> None:
        super().__init__(model, spec.name, bus)
        self._spec = spec
        self._lmp = np.asarray(lmp, float)
        self._links = links
        self._dt = dt
        self.partners = links.partners(spec.name)
        self._limits = {j: trade_limits[j] for j in self.partners}
        self.program: LinearProgram = build_local_program(spec, self._lmp, self._limits, dt)
        self.node: DualConsensusNode | None = None
        self.grid_box: tuple[np.ndarray, np.ndarray] | None = None

    # ----- stand-alone operation -------------------------------------------------
    def solve_alone(self, lmp: np.ndarray | None = None) -> DCSchedule:
        """Best schedule without trading (q = 0), eq. (13), at ``lmp`` (default: own)."""
        lmp_used = self._lmp if lmp is None else np.asarray(lmp, float)
        lp = build_local_program(self._spec, lmp_used, dict.fromkeys(self.partners, 0.0), self._dt,
                                 self.grid_box)
        solution = solve_lp(lp, f"DC {self.name} (stand-alone)")
        return self.schedule_of(solution.x, lp=lp, lmp=lmp_used)

    def best_response(self, link_prices: np.ndarray) -> DCSchedule:
        """Re-optimise alone against fixed link prices π (one per link and hour)."""
        priced = self._priced(self.program, link_prices)
        solution = solve_lp(priced, f"DC {self.name} (best response)")
        return self.schedule_of(solution.x, link_prices=link_prices)

    def _priced(self, lp: LinearProgram, link_prices: np.ndarray | None) -> LinearProgram:
        """``lp`` with the buyer's payment π·q (35) added to the trades' cost."""
        if link_prices is None or not self.partners:
            return lp
        cost = lp.cost.copy()
        cost[lp.blocks["trades"]] += link_prices[self._links.rows_of(self.name)]
        return replace(lp, cost=cost)

    # ----- the grid level: demand bids out, LMPs in (MODEL.md part C, V-B) --------
    def send_demand_bid(self, operator: str, demand: np.ndarray) -> None:
        """Send the hourly grid import (MW) to the grid operator."""
        self.send(self.model.round, operator, DEMAND_BID, {"pg": demand})

    def receive_lmp(
        self, grid_box: tuple[np.ndarray, np.ndarray] | None = None, penalty: float | None = None
    ) -> None:
        """Take the LMP series at the own bus and re-price the local problem, with
        the bisection box and ADMM penalty of this outer iteration."""
        (message,) = self.receive(LMP)
        self.set_operating_conditions(np.asarray(message.payload["lmp"]), grid_box, penalty)

    def set_operating_conditions(
        self, lmp: np.ndarray, grid_box: tuple[np.ndarray, np.ndarray] | None,
        penalty: float | None = None,
    ) -> None:
        """New LMPs and/or bisection box: rebuild the local problem; the ADMM
        state (estimates y, p) is kept as a warm start."""
        self._lmp = np.asarray(lmp, float)
        self.grid_box = grid_box
        self.program = build_local_program(self._spec, self._lmp, self._limits, self._dt,
                                           grid_box)
        if self.node is not None:
            old = self.node
            self.join_market(penalty or old.penalty, old.shared_rows, old.backend)
            self.node.y, self.node.p = old.y, old.p
            self.node.neighbour_sum = old.neighbour_sum

    def profit_given_up_in_box(self, schedule: DCSchedule,
                               link_prices: np.ndarray | None) -> float:
        """What the bisection box costs this DC: the profit of its best response
        without the box (same LMPs, same link prices, or alone when ``None``)
        minus the profit of ``schedule``.  ~0 means the point is an equilibrium
        for this DC even without its box."""
        limits = self._limits if link_prices is not None else dict.fromkeys(self.partners, 0.0)
        lp = build_local_program(self._spec, self._lmp, limits, self._dt, None)
        free = self._priced(lp, link_prices)
        best = self.schedule_of(solve_lp(free, f"DC {self.name} (without box)").x, lp=lp,
                                link_prices=link_prices)
        return best.profit - schedule.profit

    # ----- dual-consensus ADMM (MODEL.md part C) ---------------------------------
    def join_market(self, penalty: float, shared_rows: dict[str, np.ndarray], backend: str) -> None:
        """Set up the ADMM state; ``shared_rows[j]``: the price rows exchanged with ``j``."""
        lp = self.program
        self.node = DualConsensusNode(
            name=self.name,
            lp=lp,
            trade_cols=np.arange(lp.n_cols)[lp.blocks["trades"]],
            trade_rows=self._links.rows_of(self.name),
            n_prices=self._links.n_rows,
            shared_rows=shared_rows,
            penalty=penalty,
            backend=backend,
        )

    def admm_local_solve(self) -> None:
        """Steps 1–2: the local QP and the new estimate (pure computation, so
        the model may run the DCs' solves in parallel)."""
        self.node.primal_step()

    def admm_send_estimate(self) -> None:
        """Step 3: send ``y_i`` (its shared rows) to every neighbour, the round's
        only message."""
        for neighbour in self.node.shared_rows:
            self.send(self.model.round, neighbour, PRICE_ESTIMATE,
                      {"y": self.node.estimate_for(neighbour)})

    def admm_dual_step(self) -> None:
        """Step 4 with the estimates just received."""
        inbox = self.receive(PRICE_ESTIMATE)
        self.node.dual_step({m.sender: m.payload["y"] for m in inbox})

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
        if initial == "marginal_cost" and self.partners:
            y0 = np.zeros(self.node.n_prices)
            mc = self.marginal_cost_of_work()
            y0[self._links.rows_of(self.name)] = np.tile(mc, len(self.partners))
            self.node.start(y0=y0)
        self.admm_send_estimate()

    def receive_start(self) -> None:
        inbox = self.receive(PRICE_ESTIMATE)
        self.node.receive_estimates({m.sender: m.payload["y"] for m in inbox})

    # ----- reporting ----------------------------------------------------------------
    def schedule_of(
        self,
        x: np.ndarray,
        lp: LinearProgram | None = None,
        lmp: np.ndarray | None = None,
        link_prices: np.ndarray | None = None,
    ) -> DCSchedule:
        """Read a solution vector of the local program into a :class:`DCSchedule`."""
        lp = lp or self.program
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
