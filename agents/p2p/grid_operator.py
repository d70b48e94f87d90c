"""The grid operator (upper level of paper ``000``; docs/p2p.md, part B and (49)–(54)).

Private: the network, the generators, the fixed loads, the renewable
availability, the DCs' demand history and the bisection boxes.  Each outer
iteration it prices the DCs' demand (the DC-OPF (24)–(28) for all hours) and
answers each DC with the LMP series at its own bus (``lmp``, (29)) and, for a
DC with oscillating hours, its bisection box (``bisection_box``).  After the
DCs have cleared they bid their new demand (``demand_bid``); the operator
compares it with the last (49), watches every (DC, hour) pair for oscillation
(50), opens and narrows boxes (51)–(54) and reports the outer residual to the
monitor (``outer_report``).  Nothing else crosses between the levels.
"""

from __future__ import annotations

import time

import mesa
import numpy as np
import pandas as pd

from dcmarket.agents.base import MarketAgent
from dcmarket.grid.dcopf import DCOPF, OPFResult
from dcmarket.market.bilevel import BisectionBoxes, oscillating, power_residual
from dcmarket.market.messages import MessageBus
from dcmarket.market.protocols import BISECTION_BOX, DEMAND_BID, LMP, OUTER_REPORT


class GridOperatorAgent(MarketAgent):
    def __init__(
        self,
        model: mesa.Model,
        name: str,
        bus: MessageBus,
        opf: DCOPF,
        fixed_load_mw: np.ndarray,
        available_mw: np.ndarray,
        dc_buses: dict[str, int],
        monitor: str,
        tol_mw: float,
        stall: int,
        bisection: bool = True,
    ) -> None:
        super().__init__(model, name, bus)
        self._opf = opf
        self._fixed_load = np.asarray(fixed_load_mw, float)  # hours × buses
        self._available = np.asarray(available_mw, float)  # hours × units
        self._dc_position = {dc: opf.network.position(b) for dc, b in dc_buses.items()}
        self._dcs = list(dc_buses)
        self._monitor = monitor
        self._tol = tol_mw
        self._stall = stall
        self._bisection = bisection
        self._demand: np.ndarray | None = None  # DCs × hours, last bids
        self._opening: dict[str, np.ndarray] = {}
        self._history: list[np.ndarray] = []
        self._residuals: list[float] = []
        self._tentative: np.ndarray | None = None
        self._boxes = BisectionBoxes.empty(len(self._dcs), opf.hours)
        self._iteration = 0
        self.last: OPFResult | None = None  # the posted OPF result (public prices)
        self.solve_s = 0.0  # time spent in OPF solves

    def _bids(self) -> tuple[np.ndarray, np.ndarray]:
        """The DCs' demand bids and which arrived.  The documented rule for a bid
        that did not arrive: it counts as that DC's previous bid, and neither
        moves that DC's boxes nor lets the loop stop in that iteration."""
        bids = {m.sender: np.asarray(m.payload["pg"], float) for m in self.receive(DEMAND_BID)}
        arrived = np.array([dc in bids for dc in self._dcs])
        return np.array([bids[dc] if dc in bids else self._demand[i]
                         for i, dc in enumerate(self._dcs)]), arrived

    def take_first_bids(self) -> list[str]:
        """Collect the DCs' opening bids (the demand the first OPF prices);
        returns the DCs whose opening bid has not arrived yet (the model asks
        them again: the loop starts only once every DC has bid)."""
        for m in self.receive(DEMAND_BID):
            self._opening[m.sender] = np.asarray(m.payload["pg"], float)
        missing = [dc for dc in self._dcs if dc not in self._opening]
        if not missing:
            self._demand = np.array([self._opening[dc] for dc in self._dcs])
            self._history = [self._demand.copy()]
        return missing

    def post_prices(self) -> OPFResult:
        """Solve the OPF for the demand to price (box midpoints where boxed) and
        send each DC its LMPs and, where it has boxed hours, its box."""
        self._iteration += 1
        boxed = self._boxes.boxed
        self._tentative = np.where(boxed, self._boxes.midpoints(), self._demand)
        load = self._fixed_load.copy()
        for i, dc in enumerate(self._dcs):
            load[:, self._dc_position[dc]] += self._tentative[i]
        tic = time.perf_counter()
        self.last = self._opf.solve(load, self._available)
        self.solve_s += time.perf_counter() - tic
        for i, dc in enumerate(self._dcs):
            self.send(dc, LMP, {"lmp": self.last.lmp[:, self._dc_position[dc]]})
            if boxed[i].any():
                self.send(dc, BISECTION_BOX, {  # finite on the wire: 0 where no box
                    "lo": np.where(boxed[i], self._boxes.lo[i], 0.0),
                    "hi": np.where(boxed[i], self._boxes.hi[i], 0.0),
                    "boxed": boxed[i].astype(float)})
        return self.last

    def assess(self) -> None:
        """Take the DCs' new bids: narrow boxes, test (49)–(50), open boxes, report."""
        new, arrived = self._bids()
        kept = (self._boxes.lo[~arrived].copy(), self._boxes.hi[~arrived].copy())
        if self._boxes.boxed.any():
            self._boxes.narrow(self._tentative, new)
        residual = power_residual(new, self._demand)
        self._history.append(new.copy())
        swinging = oscillating(self._history, self._tol) & arrived[:, None]
        if self._bisection:
            self._boxes.open(swinging, new, self._demand, self._iteration)
            if self._stalled(residual):
                moving = (np.abs(new - self._demand) > self._tol) & arrived[:, None]
                self._boxes.open(moving, new, self._demand, self._iteration)
        self._boxes.lo[~arrived], self._boxes.hi[~arrived] = kept  # no news, no change
        self._residuals.append(residual)
        self._demand = new
        self.send(self._monitor, OUTER_REPORT, {
            "power_residual": residual, "boxed": int(self._boxes.boxed.sum()),
            "widest_box_mw": self._boxes.widest(), "oscillating": int(swinging.sum()),
            "missing_bids": int((~arrived).sum())})

    def _stalled(self, residual: float) -> bool:
        past = self._residuals  # the earlier iterations' residuals
        return len(past) >= 2 * self._stall and residual >= min(past[:-self._stall])

    def bisected_pairs(self) -> pd.DataFrame:
        """Which (DC, hour) pairs were boxed, from which iteration, final box."""
        rows = [{"dc": self._dcs[i], "hour": t, "opened_at": k,
                 "lo_mw": self._boxes.lo[i, t], "hi_mw": self._boxes.hi[i, t]}
                for (i, t), k in sorted(self._boxes.opened_at.items())]
        return pd.DataFrame(rows, columns=["dc", "hour", "opened_at", "lo_mw", "hi_mw"])
