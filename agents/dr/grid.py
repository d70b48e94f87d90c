"""The grid side of the demand-response model (paper 002, Section 3.1; docs/dr.md).

Private data: the day's real-time prices and the DC's metered history, which
it receives as ``meter_history`` messages (one per past day) and from which
it computes the reference power ``P^ref_t`` (the mean of each hour over the
program's ``reference_days``). It announces the DR
program, signals a DR event at the start of every event hour (the day's
``n_events`` highest prices), bills each slot's metered energy at the
real-time price and pays the reward (1) for event hours.
"""

from __future__ import annotations

import mesa
import numpy as np

from dcmarket.agents.base import MarketAgent
from dcmarket.grid.dr_program import DRProgram, reference_power
from dcmarket.grid.forecast import peak_hours
from dcmarket.market.messages import MessageBus
from dcmarket.market.protocols import (
    BILL,
    DR_EVENT,
    DR_PROGRAM,
    DR_REWARD,
    METER_HISTORY,
    METERED_POWER,
)


class DRGridAgent(MarketAgent):
    """The utility / grid operator of paper 002."""

    def __init__(self, model: mesa.Model, name: str, bus: MessageBus, dc_name: str,
                 prices: np.ndarray, program: DRProgram) -> None:
        super().__init__(model, name, bus)
        self.dc_name = dc_name
        self._prices = np.asarray(prices, dtype=float)
        self.program = program
        self._reference: np.ndarray | None = None
        self.event_slots = peak_hours(self._prices, program.n_events)
        self.settlements: list[dict[str, float]] = []

    def announce_program(self) -> None:
        p = self.program
        self.send(self.dc_name, DR_PROGRAM, {
            "theta0_eur_per_mwh": p.theta0_eur_per_mwh, "requested_share": p.requested_share,
            "n_events": p.n_events, "er_floor": p.er_floor, "er_cap": p.er_cap})

    def read_meter_history(self) -> None:
        """The reference power ``P^ref_t`` from the DC's past meter readings."""
        days = sorted((int(m.payload["day"]), np.asarray(m.payload["power_mw_by_slot"], float))
                      for m in self.receive(METER_HISTORY))
        self._reference = reference_power(np.array([power for _, power in days]),
                                          self.program.reference_days)

    @property
    def reference_mw(self) -> np.ndarray:
        """The reference power it computed (public: it is in every DR event)."""
        if self._reference is None:
            raise RuntimeError("the DR grid has no meter history yet")
        return self._reference.copy()

    def signal(self, slot: int) -> None:
        """A DR event starts now (real time, no notice)."""
        if slot in self.event_slots:
            self.send(self.dc_name, DR_EVENT, {
                "slot": slot, "requested_mw": self.program.requested_mw(self._reference[slot]),
                "reference_mw": self._reference[slot]})

    def settle(self, slot: int) -> None:
        """Bill the metered energy and pay the reward of an event hour."""
        for meter in self.receive(METERED_POWER):
            power = float(meter.payload["power_mw"])
            price = self._prices[slot]
            energy_cost = price * power * self.program.dt_h
            self.send(self.dc_name, BILL, {"slot": slot, "price_eur_per_mwh": price,
                                                 "energy_cost_eur": energy_cost})
            reduction = requested = rate = reward = 0.0
            if slot in self.event_slots:
                requested = float(self.program.requested_mw(self._reference[slot]))
                reduction = float(self._reference[slot] - power)
                rate = float(self.program.execution_rate(reduction, requested))
                reward = float(self.program.reward_eur(reduction, requested))
                self.send(self.dc_name, DR_REWARD, {
                    "slot": slot, "reduction_mw": reduction, "execution_rate": rate,
                    "reward_eur": reward})
            self.settlements.append({"slot": slot, "price_eur_per_mwh": price,
                                     "power_mw": power, "energy_cost_eur": energy_cost,
                                     "dr_event": float(slot in self.event_slots),
                                     "requested_mw": requested, "reduction_mw": reduction,
                                     "execution_rate": rate, "reward_eur": reward})
