"""A household of the energy community (paper 001, (2c)–(2l); docs/lec.md).

Private data: the :class:`~agents.lec.specs.HouseholdSpec` (demand size and
flexibility, PV, EV, thermal model) and its profiles (base demand ``d^0``,
PV output, outdoor temperature). Its program (:meth:`HouseholdAgent.program`)
has the blocks

=========  ===========================================================
``d``      consumption; ``d = d^0 + up − down`` (2d), daily total kept (2e)
``imp``    power taken from the EOA module; ``exp`` power given to it
``curt``   PV curtailed
``ev_ch``  EV charging, ``ev_dis`` vehicle-to-house; binary ``ev_mode``
           forbids both at once (2f), zero when away (2h)
``ev_soc`` EV state of charge (2g), limits (2i), back at its start by the end
``heat``   heat received from the shared heating (2j); ``cool`` electric
           power of the private cooling; ``theta`` indoor temperature (2k–2l)
=========  ===========================================================

(2c): ``d + ev_ch + cool + exp = pv − curt + ev_dis + imp``. What the
household exchanges with the community — ``imp − exp`` and ``heat`` per hour —
is all that leaves it: as a bid in the decentralised twin (it runs its own
exchange-ADMM steps, :meth:`HouseholdAgent.bid`, and commits its own
integer-feasible profile, :meth:`HouseholdAgent.commit`), or through the
coupling rows of the centralised MILP, which the model builds from the
scenario as the omniscient oracle.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np
import scipy.sparse as sp

from dcmarket.agents.base import MarketAgent
from dcmarket.agents.lec.specs import HouseholdSpec
from dcmarket.agents.lec.storage_rows import add_state_rows, day_sum_matrix
from dcmarket.agents.strategies import HouseholdStrategy, TruthfulOffer
from dcmarket.market.community_admm import HOUSEHOLD_EXCHANGE, ExchangeNode, exchange_map
from dcmarket.market.messages import MessageBus
from dcmarket.market.program import LinearProgram, ProgramBuilder
from dcmarket.market.protocols import COMMITMENT, COMMUNITY_PRICE, EXCHANGE_BID


@dataclass(frozen=True)
class HouseholdProfiles:
    """Hourly inputs of one household over the horizon (kW, °C)."""

    base_demand_kw: np.ndarray
    pv_kw: np.ndarray
    outdoor_c: np.ndarray

    def __post_init__(self) -> None:
        T = self.base_demand_kw.size
        if T % 24 or self.pv_kw.size != T or self.outdoor_c.size != T:
            raise ValueError("household profiles must be whole days of equal length")


def household_program(spec: HouseholdSpec, data: HouseholdProfiles) -> LinearProgram:
    """The household's constraints (2c)–(2l) as a sparse program (no cost of its own)."""
    T = data.base_demand_kw.size
    d0, pv = data.base_demand_kw, data.pv_kw
    ev, th = spec.ev, spec.thermal
    b = ProgramBuilder()
    b.add_variables("d", T, (1 - spec.flex_share) * d0, (1 + spec.flex_share) * d0)
    b.add_variables("up", T, 0.0, spec.flex_share * d0)
    b.add_variables("down", T, 0.0, spec.flex_share * d0)
    b.add_variables("imp", T, 0.0, spec.connection_kw)
    b.add_variables("exp", T, 0.0, spec.connection_kw)
    b.add_variables("curt", T, 0.0, pv)
    home = np.array([ev.home(t % 24) for t in range(T)]) if ev else np.zeros(T, bool)
    home_hours = np.flatnonzero(home)
    if ev:
        b.add_variables("ev_ch", T, 0.0, ev.charger_kw * home)
        b.add_variables("ev_dis", T, 0.0, ev.charger_kw * home * ev.vehicle_to_house)
        b.add_variables("ev_mode", home_hours.size, 0.0, 1.0, integer=True)
        b.add_variables("ev_soc", T, ev.soc_min_share * ev.capacity_kwh,
                        ev.soc_max_share * ev.capacity_kwh)
    b.add_variables("heat", T, 0.0, th.heat_max_kw)
    b.add_variables("cool", T, 0.0, th.cooling_max_kw)
    b.add_variables("theta", T, th.comfort_min_c, th.comfort_max_c)

    terms = [("d", 1.0), ("cool", 1.0), ("exp", 1.0), ("imp", -1.0), ("curt", 1.0)]
    if ev:
        terms += [("ev_ch", 1.0), ("ev_dis", -1.0)]
    b.add_rows("balance_2c", terms, pv, pv)
    b.add_rows("flexible_demand_2d", [("d", 1.0), ("up", -1.0), ("down", 1.0)], d0, d0)
    days = day_sum_matrix(T)
    b.add_rows("daily_total_2e", [("up", days), ("down", -days)], 0.0, 0.0)
    if ev:
        select = sp.csr_matrix((np.ones(home_hours.size), (home_hours, np.arange(home_hours.size))),
                               shape=(T, home_hours.size))
        rows = select.T.tocsr()
        b.add_rows("ev_charge_mode_2f", [("ev_ch", rows), ("ev_mode", -ev.charger_kw)], -np.inf,
                   0.0)
        b.add_rows("ev_discharge_mode_2f", [("ev_dis", rows), ("ev_mode", ev.charger_kw)],
                   -np.inf, ev.charger_kw)
        arrivals = np.array([t % 24 == ev.arrival_h for t in range(T)], float)
        initial = ev.soc_initial_share * ev.capacity_kwh
        add_state_rows(b, "ev_soc_2g", "ev_soc",
                       [("ev_ch", ev.eta_charge), ("ev_dis", -1.0 / ev.eta_discharge)],
                       -ev.driving_kwh * arrivals, initial)
        last = sp.csr_matrix(([1.0], ([0], [T - 1])), shape=(1, T))
        b.add_rows("ev_soc_end", [("ev_soc", last)], initial, np.inf)
    decay = 1.0 - 1.0 / (th.resistance_k_per_kw * th.capacitance_kwh_per_k)
    gain = 1.0 / th.capacitance_kwh_per_k
    add_state_rows(b, "indoor_temperature_2k", "theta",
                   [("heat", gain), ("cool", -gain * th.cooling_cop)],
                   (1.0 - decay) * data.outdoor_c, th.initial_c, decay)
    return b.build()


class HouseholdAgent(MarketAgent):
    """A household: private spec, profiles, program and twin state; sends only its
    exchange profile (``exchange_bid``, then its ``commitment``) to the EOA."""

    def __init__(self, model: mesa.Model, name: str, bus: MessageBus, spec: HouseholdSpec,
                 profiles: HouseholdProfiles, eoa: str, rho: float,
                 strategy: HouseholdStrategy | None = None) -> None:
        super().__init__(model, name, bus)
        self._spec = spec
        self._profiles = profiles
        self._eoa = eoa
        self._T = profiles.base_demand_kw.size
        self._rho = rho
        self._node: ExchangeNode | None = None
        self._x: np.ndarray | None = None
        #: what it offers the EOA (truthful: its best response); see agents.strategies
        self._strategy = strategy if strategy is not None else TruthfulOffer()

    def _exchange(self) -> ExchangeNode:
        """Its program and relaxed QP, built at its first twin step (a run of the
        centralised MILP alone never needs them)."""
        if self._node is None:
            program = household_program(self._spec, self._profiles)
            self._node = ExchangeNode(self.name, program,
                                      exchange_map(program, HOUSEHOLD_EXCHANGE, self._T),
                                      self._rho)
        return self._node

    def _signal(self) -> tuple[np.ndarray, np.ndarray]:
        (msg,) = self.receive(COMMUNITY_PRICE)
        p = msg.payload
        mean = np.concatenate([p["mean_electricity_kw"], p["mean_heat_kw"]])
        u = np.concatenate([p["u_electricity"], p["u_heat"]])
        return mean, u

    def bid(self) -> None:
        """One exchange-ADMM step: best response to the community signal, bid out."""
        mean, u = self._signal()
        profile = self._exchange().local_step(mean, u)
        T = self._T
        electricity, heat = self._strategy.offer(profile[:T], profile[T:])
        self.send(self._eoa, EXCHANGE_BID, {"electricity_kw": electricity, "heat_kw": heat})

    def commit(self) -> None:
        """Project onto its integer-feasible set at the final prices and commit."""
        _, u = self._signal()
        node = self._exchange()
        self._x = node.commit(node.rho * u)
        profile, T = node.profile, self._T
        self.send(self._eoa, COMMITMENT,
                  {"electricity_kw": profile[:T], "heat_kw": profile[T:]})

    def report(self) -> dict[str, np.ndarray]:
        """Its committed schedule by block (what it discloses for the study's results)."""
        if self._x is None:
            raise RuntimeError(f"household {self.name!r} has not committed yet")
        return {b: self._x[s].copy() for b, s in self._exchange().program.blocks.items()}
