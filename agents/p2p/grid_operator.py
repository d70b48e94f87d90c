"""The grid operator (upper level of paper ``000``, MODEL.md part B).

It alone holds the network, the generators, the fixed loads and the
renewable availability.  Each outer iteration it reads the DCs' demand bids
(``demand_bid``: hourly MW), solves the DC-OPF (24)–(28) for all hours and
answers each DC with the LMP series at that DC's own bus (``lmp``, (29)).
Nothing else crosses between the levels.
"""

from __future__ import annotations

import time

import mesa
import numpy as np

from agents.base import MarketAgent
from agents.p2p.datacenter import DEMAND_BID, LMP
from grid.dcopf import DCOPF, OPFResult
from market.messages import MessageBus


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
    ) -> None:
        super().__init__(model, name, bus)
        self._opf = opf
        self._fixed_load = np.asarray(fixed_load_mw, float)  # hours × buses
        self._available = np.asarray(available_mw, float)  # hours × units
        self._dc_position = {dc: opf.network.position(b) for dc, b in dc_buses.items()}
        self.last: OPFResult | None = None
        self.solve_s = 0.0  # time spent in OPF solves

    def dc_demand(self, bids: dict[str, np.ndarray]) -> np.ndarray:
        """Fixed loads plus each DC's bid at its bus (hours × buses)."""
        demand = self._fixed_load.copy()
        for dc, pg in bids.items():
            demand[:, self._dc_position[dc]] += pg
        return demand

    def clear(self) -> OPFResult:
        """Read every DC's bid, solve the OPF, send each DC its LMPs."""
        bids = {m.sender: np.asarray(m.payload["pg"]) for m in self.receive(DEMAND_BID)}
        missing = set(self._dc_position) - set(bids)
        if missing:
            raise RuntimeError(f"grid operator: no demand bid from {sorted(missing)}")
        tic = time.perf_counter()
        self.last = self._opf.solve(self.dc_demand(bids), self._available)
        self.solve_s += time.perf_counter() - tic
        for dc, position in self._dc_position.items():
            self.send(self.model.round, dc, LMP, {"lmp": self.last.lmp[:, position]})
        return self.last
