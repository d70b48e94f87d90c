"""The data centre of paper 002 (DC demand response with a reverse auction; docs/dr.md).

Not the DC of paper 000 (:mod:`agents.p2p.datacenter`): this one schedules
individual tasks onto a fleet of hosts, slot by slot, and takes part in the
grid's DR program with one of three strategies (Section 4):

- ``OP`` — two-stage: at each slot its price forecast marks as a DR event it
  calls its users for bids, selects winners (GA or exact MILP,
  :mod:`market.auction`), pays their fees and postpones their tasks to the
  resume slot;
- ``BS`` — best effort: at the same slots it postpones, without asking, as
  many of the slot's tasks as bring its power down to the requested
  reduction, whatever their type, to the first slot after the event, and pays
  the penalty ``φ·(t_exec − t_sub)`` for every task delayed beyond what it
  tolerates (interactive tasks tolerate none);
- ``ST`` — static: ignores DR.

A DR event is announced by the grid only when it starts; the auction must
clear before the slot's tasks are scheduled, so the DC acts on its own
forecast of the peak hours (without a forecast it cannot take part).

Private data: the host fleet, its forecast, its metered history (reference
power and expected load per slot), revenue per task, the penalty rate and its
ledgers. Cost of a slot (7): penalties + fees − task revenue + energy cost
− DR reward.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from dcmarket.agents.base import MarketAgent
from dcmarket.agents.dr.host_fleet import HostFleet
from dcmarket.agents.dr.task_streams import TASK_TYPES, TOLERANCE_SLOTS
from dcmarket.agents.strategies import SHIPPED, DRDataCentreStrategy
from dcmarket.grid.dr_program import DRProgram
from dcmarket.grid.forecast import peak_hours
from dcmarket.market.auction import (
    AuctionContext,
    Bid,
    GASettings,
    Selection,
    WinnerSelection,
    select_exact,
    select_ga,
    validate_bid,
)
from dcmarket.market.auction_payments import RULES, auction_payments
from dcmarket.market.messages import MessageBus
from dcmarket.market.protocols import (
    AWARD,
    BID,
    BILL,
    DR_CALL,
    DR_EVENT,
    DR_PROGRAM,
    DR_REWARD,
    METER_HISTORY,
    METERED_POWER,
    SUBMIT_TASKS,
)

STRATEGIES = ("OP", "BS", "ST")  # the shipped strategies' names (agents.strategies)


@dataclass
class Postponement:
    """``count`` tasks of ``user``/``kind`` moved from ``submitted`` to ``executed``."""

    user: str
    kind: str
    submitted: int
    executed: int
    count: int
    agreed: bool

    @property
    def delay(self) -> int:
        return self.executed - self.submitted

    @property
    def beyond_tolerance(self) -> bool:
        return self.delay > TOLERANCE_SLOTS[self.kind]


@dataclass(frozen=True)
class DRDisclosure:
    """What the DR data centre discloses for reports (copies)."""

    records: tuple[dict[str, float], ...]
    bids: tuple[dict[str, float], ...]
    postponements: tuple[Postponement, ...]
    selections: tuple[Selection, ...]
    problems: tuple[WinnerSelection, ...]
    reference_mw: np.ndarray
    submitted: dict[str, np.ndarray]


@dataclass(frozen=True)
class DCTerms:
    """The DC's own economics: € per task executed, € per task-slot of QoS violation."""

    revenue_per_task_eur: float
    penalty_eur_per_task_slot: float


class DRDataCenterAgent(MarketAgent):
    """The 2,000-host DC of paper 002; one :meth:`plan`/:meth:`execute` pair per slot."""

    def __init__(self, model: mesa.Model, name: str, bus: MessageBus, grid_name: str,
                 user_names: list[str], fleet: HostFleet, terms: DCTerms,
                 strategy: str | DRDataCentreStrategy,
                 forecast: np.ndarray | None, history_load: np.ndarray,
                 selector: str = "ga", ga: GASettings | None = None,
                 rng: np.random.Generator | None = None, payment: str = "pay_as_bid") -> None:
        super().__init__(model, name, bus)
        if isinstance(strategy, str):
            if strategy not in STRATEGIES:
                raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
            strategy = SHIPPED["dr_datacentre"][strategy]()
        if selector not in ("ga", "exact"):
            raise ValueError(f"selector must be 'ga' or 'exact', got {selector!r}")
        if payment not in RULES or (payment == "vcg" and selector != "exact"):
            raise ValueError(f"payment must be one of {RULES} ('vcg' with the exact "
                             f"selector); got {payment!r} with {selector!r}")
        self._payment_rule = payment
        self.grid_name = grid_name
        self.user_names = list(user_names)
        self._fleet = fleet
        self._terms = terms
        self._strategy = strategy
        self.strategy = strategy.name  # its label in the study's tables (OP, BS, ST)
        self._forecast = None if forecast is None else np.asarray(forecast, float)
        history_load = np.asarray(history_load)
        self.n_slots = history_load.shape[1]
        self._expected_load = history_load.mean(axis=0)
        self._history_mw = np.asarray(fleet.power_mw(history_load), float)  # days × slots
        self._reference_mw = self._history_mw.mean(axis=0)
        self._selector = selector
        self._ga = ga if ga is not None else GASettings()
        self._rng = rng if rng is not None else np.random.default_rng(0)
        self.program: DRProgram | None = None
        self._submitted: dict[str, np.ndarray] = {}
        self._incoming = np.zeros(self.n_slots + 1, dtype=np.int64)  # postponed into a slot
        self._postponements: list[Postponement] = []
        self._records: list[dict[str, float]] = []
        self._bids: list[dict[str, float]] = []
        self._selections: list[Selection] = []
        self._problems: list[WinnerSelection] = []  # each auction's problem, for inspection
        self._events_signalled: list[int] = []
        self._slot: dict[str, float] = {}

    # ----------------------------------------------------------- disclosure
    def disclose(self) -> DRDisclosure:
        """What it discloses for the study's results (its private state stays
        its own): copies of its slot records, the bids it received with their
        outcome, its postponements, its auctions and its reference power."""
        return DRDisclosure(
            records=tuple(dict(r) for r in self._records),
            bids=tuple(dict(b) for b in self._bids),
            postponements=tuple(self._postponements),
            selections=tuple(self._selections),
            problems=tuple(self._problems),
            reference_mw=np.array(self._reference_mw, copy=True),
            submitted={u: c.copy() for u, c in self._submitted.items()})

    def last_record(self) -> dict[str, float]:
        """A copy of its latest slot record (what it discloses after each slot)."""
        return dict(self._records[-1])

    # ----------------------------------------------------------- program
    def send_meter_history(self) -> None:
        """Its metered power of each past day, to the grid (for the reference power)."""
        n = len(self._history_mw)
        for d, power in enumerate(self._history_mw):
            self.send(self.grid_name, METER_HISTORY, {"day": d - n, "power_mw_by_slot": power})

    def read_program(self) -> None:
        """Take the DR program's public terms from the grid's announcement."""
        for msg in self.receive(DR_PROGRAM):
            p = msg.payload
            self.program = DRProgram(theta0_eur_per_mwh=p["theta0_eur_per_mwh"],
                                     requested_share=p["requested_share"],
                                     n_events=int(p["n_events"]), er_floor=p["er_floor"],
                                     er_cap=p["er_cap"])

    @property
    def predicted_event_slots(self) -> np.ndarray:
        """Slots the DC prepares for: its forecast's peak hours (none for ST or no forecast)."""
        if not self._strategy.predicts_events() or self._forecast is None \
                or self.program is None:
            return np.zeros(0, dtype=int)
        return peak_hours(self._forecast, self.program.n_events)

    # ----------------------------------------------------------- one slot
    def plan(self, slot: int) -> None:
        """Read this slot's submissions; at a predicted event, postpone (OP: first the call)."""
        self._read_submissions(slot)
        self._events_signalled += [int(m.payload["slot"]) for m in self.receive(DR_EVENT)]
        self._slot = {"slot": slot, "fees_eur": 0.0, "postponed_out": 0, "bidders": 0,
                      "winners": 0, "resume_slot": -1}
        resume = self._resume_slot(slot)
        if resume is None:
            return
        self._slot["resume_slot"] = resume
        self._strategy.at_event(self, slot, resume)

    def call_auction(self, slot: int, resume: int) -> None:
        """OP's move at an event slot: a DR call to every user (bids come back)."""
        for user in self.user_names:
            self.send(user, DR_CALL, {"slot": slot, "resume_slot": resume})

    def postpone_best_effort(self, slot: int, resume: int) -> None:
        """BS's move at an event slot (:meth:`_postpone_best_effort`)."""
        self._postpone_best_effort(slot, resume)

    def select_winners(self, slot: int) -> None:
        """OP: validate the bids, select winners, send awards, move the winners' tasks."""
        bids = [self._bid_from(msg) for msg in self.receive(BID)]
        if not bids:
            return
        resume = int(self._slot["resume_slot"])
        context = AuctionContext(
            fleet=self._fleet, program=self.program, slot=slot, resume_slot=resume,
            load_now=self._load(slot),
            load_resume=self._expected_resume_load(resume),
            price_now=float(self._forecast[slot]), price_resume=float(self._forecast[resume]),
            reference_mw=float(self._reference_mw[slot]),
            revenue_per_task=self._terms.revenue_per_task_eur)
        problem = WinnerSelection(context, bids)
        selection = select_ga(problem, self._rng, self._ga) if self._selector == "ga" \
            else select_exact(problem)
        self._selections.append(selection)
        self._problems.append(problem)
        paid = auction_payments(self._payment_rule, problem, selection, select_exact)
        for bid, won, payment in zip(bids, selection.winners, paid.tolist(), strict=True):
            self.send(bid.user, AWARD, {"slot": slot, "won": float(won),
                                              "n_tasks": bid.n_tasks if won else 0,
                                              "payment_eur": payment, "resume_slot": resume})
            self._bids.append({"slot": slot, "user": bid.user, "n_sensitive": bid.n_sensitive,
                              "n_insensitive": bid.n_insensitive, "fee_eur": bid.fee_eur,
                              "won": bool(won), "payment_eur": payment})
            if won:
                for kind, count in (("sensitive", bid.n_sensitive),
                                    ("insensitive", bid.n_insensitive)):
                    self._move(bid.user, kind, slot, resume, count, agreed=True)
                self._slot["fees_eur"] += payment
        self._slot["bidders"] = len(bids)
        self._slot["winners"] = int(selection.winners.sum())

    def execute(self, slot: int) -> None:
        """Run the slot's tasks on the hosts and send the meter reading to the grid."""
        load = self._load(slot)
        overflow = max(0, load - self._fleet.capacity)
        if overflow:
            self._defer_overflow(slot, overflow)
            load -= overflow
        power = float(self._fleet.power_mw(load))
        executed_here = [p for p in self._postponements if p.executed == slot]
        penalties = sum(self._terms.penalty_eur_per_task_slot * p.delay * p.count
                        for p in executed_here if p.beyond_tolerance and not p.agreed)
        new = {kind: int(sum(self._submitted[u][i, slot] for u in self.user_names))
               for i, kind in enumerate(TASK_TYPES)}
        out = {kind: sum(p.count for p in self._postponements
                         if p.submitted == slot and p.kind == kind) for kind in TASK_TYPES}
        self._slot.update({
            **{f"run_{kind}_new": new[kind] - out[kind] for kind in TASK_TYPES},
            "run_resumed": int(self._incoming[slot]) - overflow,
            "load_tasks": load, "hosts_on": self._fleet.hosts_on(load),
            "mean_host_utilisation": float(self._fleet.utilisation(load).mean()),
            "power_mw": power, "penalties_eur": penalties,
            "revenue_eur": self._terms.revenue_per_task_eur * load,
            "predicted_event": float(slot in self.predicted_event_slots),
        })
        self.send(self.grid_name, METERED_POWER, {"slot": slot, "power_mw": power})

    def book(self, slot: int) -> None:
        """Record the grid's bill and reward; close the slot's cost (7)."""
        rec = self._slot
        for bill in self.receive(BILL):
            rec["energy_cost_eur"] = float(bill.payload["energy_cost_eur"])
            rec["price_eur_per_mwh"] = float(bill.payload["price_eur_per_mwh"])
        rec["price_forecast_eur_per_mwh"] = self._forecast_or_nan(slot)
        rec["reward_eur"] = 0.0
        rec["execution_rate"] = np.nan
        for msg in self.receive(DR_REWARD):
            rec["reward_eur"] += float(msg.payload["reward_eur"])
            rec["execution_rate"] = float(msg.payload["execution_rate"])
        rec["dr_event"] = float(slot in self._events_signalled)
        rec["reference_mw"] = float(self._reference_mw[slot])
        rec["cost_eur"] = (rec["penalties_eur"] + rec["fees_eur"] - rec["revenue_eur"]
                           + rec["energy_cost_eur"] - rec["reward_eur"])
        self._records.append(rec)

    # ----------------------------------------------------------- helpers
    def _read_submissions(self, slot: int) -> None:
        for msg in self.receive(SUBMIT_TASKS):
            counts = self._submitted.setdefault(
                msg.sender, np.zeros((len(TASK_TYPES), self.n_slots), dtype=np.int64))
            counts[:, slot] = [int(msg.payload[kind]) for kind in TASK_TYPES]
        for user in self.user_names:
            self._submitted.setdefault(user, np.zeros((len(TASK_TYPES), self.n_slots), np.int64))

    def _load(self, slot: int) -> int:
        new = sum(int(self._submitted[u][:, slot].sum()) for u in self.user_names)
        moved_out = sum(p.count for p in self._postponements if p.submitted == slot)
        return new - moved_out + int(self._incoming[slot])

    def _expected_resume_load(self, slot: int) -> int:
        """Tasks expected in ``slot``: the historical mean plus what is already moved there."""
        return int(np.rint(self._expected_load[slot])) + int(self._incoming[slot])

    def _resume_slot(self, slot: int) -> int | None:
        """Where postponed tasks go: after the predicted event window, inside the day.

        OP: the cheapest forecast slot among the non-event slots within the
        batch tolerance (4 slots, or 8 when the window is longer than 4); BS:
        the first slot after the window. ``None``: not an event slot, or no room.
        """
        events = set(self.predicted_event_slots.tolist())
        if slot not in events:
            return None
        first = slot + 1
        while first in events:
            first += 1
        if first >= self.n_slots:
            return None
        return self._strategy.resume_slot(slot, first, events, self._forecast,
                                          TOLERANCE_SLOTS, self.n_slots)

    def _postpone_best_effort(self, slot: int, resume: int) -> None:
        """BS: postpone enough of the slot's new tasks for ER = 1, types ignored."""
        load = self._load(slot)
        target_mw = self._reference_mw[slot] - self.program.requested_mw(self._reference_mw[slot])
        loads = np.arange(load + 1)
        fits = loads[np.asarray(self._fleet.power_mw(loads)) <= target_mw + 1e-12]
        keep = int(fits.max()) if fits.size else 0
        room = self._fleet.capacity - self._expected_resume_load(resume)
        pools = np.array([self._submitted[u][i, slot] for u in self.user_names
                          for i in range(len(TASK_TYPES))], dtype=np.int64)
        wanted = int(min(load - keep, pools.sum(), max(room, 0)))
        if wanted <= 0:
            return
        share = pools * wanted / pools.sum()
        counts = np.floor(share).astype(np.int64)
        order = np.argsort(-(share - counts), kind="stable")
        counts[order[: wanted - counts.sum()]] += 1
        for j, count in enumerate(counts):
            user, kind = self.user_names[j // len(TASK_TYPES)], TASK_TYPES[j % len(TASK_TYPES)]
            self._move(user, kind, slot, resume, int(count), agreed=False)

    def _move(self, user: str, kind: str, slot: int, resume: int, count: int,
              agreed: bool) -> None:
        if count <= 0:
            return
        self._postponements.append(Postponement(user, kind, slot, resume, count, agreed))
        self._incoming[resume] += count
        self._slot["postponed_out"] = self._slot.get("postponed_out", 0) + count

    def _defer_overflow(self, slot: int, overflow: int) -> None:
        """More work than hosts: push resumed tasks on by one slot (not agreed: penalised)."""
        if slot + 1 >= self.n_slots:
            raise RuntimeError(f"DC {self.name!r}: {overflow} tasks above capacity in the last "
                               f"slot {slot}; nothing can take them")
        left = overflow
        for p in [p for p in self._postponements if p.executed == slot]:
            take = min(left, p.count)
            if take:
                p.count -= take
                self._postponements.append(Postponement(p.user, p.kind, p.submitted, slot + 1,
                                                       take, agreed=False))
                left -= take
        if left:
            raise RuntimeError(f"DC {self.name!r}: {left} new tasks above capacity at slot "
                               f"{slot}")
        self._incoming[slot] -= overflow
        self._incoming[slot + 1] += overflow

    def _bid_from(self, msg) -> Bid:
        p = msg.payload
        bid = Bid(user=msg.sender, slot=int(p["slot"]), n_sensitive=int(p["n_sensitive"]),
                  n_insensitive=int(p["n_insensitive"]), fee_eur=float(p["fee_eur"]))
        submitted = {kind: int(self._submitted[msg.sender][i, bid.slot])
                     for i, kind in enumerate(TASK_TYPES)}
        validate_bid(bid, submitted)
        return bid

    def _forecast_or_nan(self, slot: int) -> float:
        return float(self._forecast[slot]) if self._forecast is not None else np.nan
