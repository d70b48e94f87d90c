"""The community's energy-optimisation module, EOA (paper 001, (2a), (2b), (2m)–(2q); docs/lec.md).

The EOA owns the shared battery, the small wind turbine, the shared HVAC,
the heat-recovery chain (evaporator, heat exchanger, heat upgrading), the
retailer and aFRR interfaces, and runs the DC with job pausing
(:mod:`agents.lec.dc_pausing`). Its program has the blocks

==============  ========================================================
``buy/sell``    energy from / to the retailer (prices ``c^b``, ``c^s``)
``wind``        wind power used (≤ available)
``b_ch/b_dis``  battery charge / discharge, binary ``b_mode`` (2o), ``b_soc`` (2m–2n)
``hvac``        electric power of the shared HVAC (heat ``η_HVAC·hvac``)
``h_up``        DC heat sent to upgrading (heat delivered ``η_up·h_up``); ``h_vent``
DC blocks       ``p_dc``, ``h_dc``, pausing ``x, z, w, delta``, reserve ``r``
``supply_e``    net power handed to the households (Σ_h imp − exp)
``supply_heat`` heat handed to the households (Σ_h heat)
==============  ========================================================

(2b) ``buy + wind + b_dis = sell + b_ch + p_dc + hvac + supply_e``
(+ ``η_up h_up / COP_up`` when the upgrading heat pump's COP is given);
(2p) ``supply_heat = η_up h_up + η_HVAC hvac``; heat chain ``h_dc = h_up + h_vent``.
Objective (2a): ``min Σ_t c^b_t buy_t − c^s_t sell_t − c^R_t r_t``.

Scenario switches (Table I): ``thermal_coupling`` (off = NC: the DC's heat
is vented), ``job_pausing``, ``afrr``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import mesa
import numpy as np
import scipy.sparse as sp

from dcmarket.agents.base import MarketAgent
from dcmarket.agents.lec.dc_pausing import add_dc_rows, add_dc_variables, check_workload
from dcmarket.agents.lec.specs import BatterySpec, HeatRecoverySpec, PausingDCSpec, RetailerSpec
from dcmarket.agents.lec.storage_rows import add_state_rows
from dcmarket.market.community_admm import EOA_EXCHANGE, ExchangeNode, exchange_map, residuals
from dcmarket.market.messages import MessageBus
from dcmarket.market.program import LinearProgram, ProgramBuilder
from dcmarket.market.protocols import COMMITMENT, COMMUNITY_PRICE, EXCHANGE_BID, TWIN_REPORT
from dcmarket.market.solvers import solve_lp


@dataclass(frozen=True)
class CommunityAssets:
    battery: BatterySpec
    heat: HeatRecoverySpec
    dc: PausingDCSpec
    retailer: RetailerSpec


@dataclass(frozen=True)
class CommunityProfiles:
    """Hourly inputs of the EOA (kW, €/kWh)."""

    wind_kw: np.ndarray
    dc_workload_kw: np.ndarray
    buy_eur_per_kwh: np.ndarray
    sell_eur_per_kwh: np.ndarray
    reserve_eur_per_kw: np.ndarray


@dataclass(frozen=True)
class Options:
    """Table I's scenario switches."""

    thermal_coupling: bool = True
    job_pausing: bool = True
    afrr: bool = True

    @classmethod
    def of(cls, scenario: str) -> Options:
        table = {"NC": cls(False, False, False), "TC": cls(True, False, False),
                 "TC+JP": cls(True, True, False), "TC+JP+aFRR": cls(True, True, True)}
        if scenario not in table:
            raise ValueError(f"unknown scenario {scenario!r}; choose one of {list(table)}")
        return table[scenario]

    @property
    def label(self) -> str:
        """Table I's name of these switches (``NC``, ``TC``, ``TC+JP``, ...)."""
        if not self.thermal_coupling:
            return "NC"
        return "TC" + ("+JP" if self.job_pausing else "") + ("+aFRR" if self.afrr else "")


def community_program(assets: CommunityAssets, data: CommunityProfiles,
                      options: Options) -> tuple[LinearProgram, np.ndarray]:
    """The EOA's program and the DC's pause pairs ``(t, t')``."""
    T = data.wind_kw.size
    check_workload(assets.dc, data.dc_workload_kw)
    bat, heat, ret = assets.battery, assets.heat, assets.retailer
    b = ProgramBuilder()
    b.add_variables("buy", T, 0.0, ret.connection_kw, cost=data.buy_eur_per_kwh)
    b.add_variables("sell", T, 0.0, ret.connection_kw, cost=-data.sell_eur_per_kwh)
    b.add_variables("wind", T, 0.0, data.wind_kw)
    b.add_variables("b_ch", T, 0.0, bat.converter_kw)
    b.add_variables("b_dis", T, 0.0, bat.converter_kw)
    b.add_variables("b_mode", T, 0.0, 1.0, integer=True)
    b.add_variables("b_soc", T, bat.soc_min_share * bat.capacity_kwh,
                    bat.soc_max_share * bat.capacity_kwh)
    b.add_variables("hvac", T, 0.0, heat.hvac_max_kw)
    b.add_variables("h_up", T, 0.0, heat.upgrade_max_kw if options.thermal_coupling else 0.0)
    b.add_variables("h_vent", T, 0.0, np.inf)
    pairs = add_dc_variables(b, assets.dc, data.dc_workload_kw, options.job_pausing,
                             data.reserve_eur_per_kw if options.afrr else None)
    b.add_variables("supply_e", T, -np.inf, np.inf)
    b.add_variables("supply_heat", T, 0.0, np.inf)

    balance = [("buy", 1.0), ("wind", 1.0), ("b_dis", 1.0), ("sell", -1.0), ("b_ch", -1.0),
               ("p_dc", -1.0), ("hvac", -1.0), ("supply_e", -1.0)]
    if heat.upgrade_cop is not None:  # the upgrading heat pump's electricity
        balance.append(("h_up", -heat.eta_upgrade / heat.upgrade_cop))
    b.add_rows("eoa_balance_2b", balance, 0.0, 0.0)
    b.add_rows("heat_balance_2p", [("supply_heat", 1.0), ("h_up", -heat.eta_upgrade),
                                   ("hvac", -heat.eta_hvac)], 0.0, 0.0)
    b.add_rows("heat_chain", [("h_dc", 1.0), ("h_up", -1.0), ("h_vent", -1.0)], 0.0, 0.0)
    b.add_rows("battery_charge_mode_2o", [("b_ch", 1.0), ("b_mode", -bat.converter_kw)],
               -np.inf, 0.0)
    b.add_rows("battery_discharge_mode_2o", [("b_dis", 1.0), ("b_mode", bat.converter_kw)],
               -np.inf, bat.converter_kw)
    initial = bat.soc_initial_share * bat.capacity_kwh
    add_state_rows(b, "battery_soc_2m", "b_soc",
                   [("b_ch", bat.eta_charge), ("b_dis", -1.0 / bat.eta_discharge)],
                   np.zeros(T), initial)
    last = sp.csr_matrix(([1.0], ([0], [T - 1])), shape=(1, T))
    b.add_rows("battery_soc_end", [("b_soc", last)], initial, np.inf)
    add_dc_rows(b, assets.dc, heat, data.dc_workload_kw, pairs, options.job_pausing,
                options.afrr)
    return b.build(), pairs


class CommunityAgent(MarketAgent):
    """The EOA module: shared assets, the DC, the retailer and aFRR interfaces, and
    the coordinator of the twin's exchange ADMM (it alone sees the households' bids)."""

    def __init__(self, model: mesa.Model, name: str, bus: MessageBus, assets: CommunityAssets,
                 profiles: CommunityProfiles, options: Options, households: list[str],
                 rho: float, monitor: str,
                 solver: tuple[float, float | None, int | None]) -> None:
        super().__init__(model, name, bus)
        self._assets = assets
        self._profiles = profiles
        self._options = options
        self._households = list(households)
        self._monitor = monitor
        self._rho = rho
        self._mip_gap, self._time_limit, self._threads = solver
        T = profiles.buy_eur_per_kwh.size
        self._T = T
        self._node: ExchangeNode | None = None
        start_price = np.concatenate([0.5 * (profiles.buy_eur_per_kwh
                                             + profiles.sell_eur_per_kwh), np.zeros(T)])
        self._u = start_price / rho
        self._mean = np.zeros(2 * T)
        self._previous: list[np.ndarray] | None = None  # last round's profiles
        self._values: dict[str, np.ndarray] | None = None
        self.objective: float | None = None  # the EOA's cost after scheduling (public result)

    def _exchange(self) -> ExchangeNode:
        """Its program and relaxed QP, built at its first twin step (a run of the
        centralised MILP alone never needs them)."""
        if self._node is None:
            program, _ = community_program(self._assets, self._profiles, self._options)
            self._node = ExchangeNode(self.name, program,
                                      exchange_map(program, EOA_EXCHANGE, self._T), self._rho)
        return self._node

    def send_prices(self) -> None:
        """The community signal to every household: mean imbalance ā and u."""
        T = self._T
        for house in self._households:
            self.send(house, COMMUNITY_PRICE, {
                "mean_electricity_kw": self._mean[:T], "mean_heat_kw": self._mean[T:],
                "u_electricity": self._u[:T], "u_heat": self._u[T:]})

    def update(self) -> None:
        """Its own step, the households' bids in, ā and u updated, residuals to the monitor."""
        own = self._exchange().local_step(self._mean, self._u)
        bids = {m.sender: np.concatenate([m.payload["electricity_kw"], m.payload["heat_kw"]])
                for m in self.receive(EXCHANGE_BID)}
        missing = set(self._households) - set(bids)
        if missing:
            raise RuntimeError(f"EOA: no exchange bid from {sorted(missing)}")
        profiles = [bids[h] for h in self._households]
        mean, primal, dual = residuals([*profiles, own], self._previous, self._mean)
        self._previous = [*profiles, own]
        self._mean = mean
        self._u = self._u + mean
        self.send(self._monitor, TWIN_REPORT, {
            "primal_kw": primal, "dual_kw": dual,
            "mean_price_eur_per_kwh": float(self._rho * self._u[:self._T].mean())})

    def schedule(self) -> None:
        """Take the households' commitments and schedule its own assets (its MILP)."""
        supply = np.zeros(2 * self._T)
        for m in self.receive(COMMITMENT):
            supply += np.concatenate([m.payload["electricity_kw"], m.payload["heat_kw"]])
        lp, T = self._exchange().program, self._T
        lower, upper = lp.col_lower.copy(), lp.col_upper.copy()
        for block, part in (("supply_e", 0), ("supply_heat", 1)):
            lower[lp.blocks[block]] = upper[lp.blocks[block]] = supply[part * T:(part + 1) * T]
        fixed = replace(lp, col_lower=lower, col_upper=upper)
        solution = solve_lp(fixed, f"EOA schedule after the twin ({self._options.label})",
                            self._time_limit, mip_gap=self._mip_gap, threads=self._threads)
        self._values = {b: solution.x[sl].copy() for b, sl in lp.blocks.items()}
        self.objective = solution.objective

    def report(self) -> dict[str, np.ndarray]:
        """Its schedule by block (what it discloses for the study's results)."""
        if self._values is None:
            raise RuntimeError("the EOA has not scheduled yet")
        return {b: v.copy() for b, v in self._values.items()}
