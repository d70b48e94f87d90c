"""Strategies: every decision an agent makes, behind one small object.

An agent holds its private data and runs its protocol; *what it says* — the
estimates and reports a P2P data centre sends, the trade capacity it offers,
the cost it optimises with, a DC user's bid, the DR data centre's OP / BS /
ST plan, a household's offer — is asked of its strategy.  The truthful
strategy of each role says what the papers' agents say; every other one is a
deviation a study can measure (``docs/api.md``, ``docs/strategies.md``).

A strategy is named per agent in a scenario (``strategy: {DC2: {name: shade,
delta: 0.3}}``, or ``--strategy DC2=shade``) and built by
:func:`agents.strategy_registry.strategy_of`: a shipped name below, a class in
a file (``my_rules.py:Shade``), in an importable module (``pkg.mod:Shade``) or
under the entry-point group ``dcmarket.strategies``.

A strategy travels to another process (a Ray worker) *by value*: it pickles as
its origin (the source text of its file, or its module and class name) and its
parameters, and is rebuilt there; a strategy that cannot be rebuilt is an
error in that process, never a silent fall-back to truthful behaviour.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from dcmarket.agents.strategy_origin import StrategyError, origin_of, rebuilt


class Strategy:
    """The base of every strategy: a role, a name and its parameters.

    Subclasses set :attr:`role` (through their role's base class) and
    :attr:`name`, and take their parameters as keyword arguments of
    :meth:`configure` (checked there; a wrong one is a :class:`StrategyError`).
    """

    role: ClassVar[str] = ""
    name: ClassVar[str] = ""
    #: the truthful strategy of its role (what the papers' agents do)
    truthful: ClassVar[bool] = False

    def __init__(self, **params: Any) -> None:
        self.params = dict(params)
        try:
            self.configure(**params)
        except TypeError as exc:
            raise StrategyError(f"strategy {self.label()!r}: {exc}") from None

    def configure(self) -> None:
        """Take the parameters (none by default)."""

    def label(self) -> str:
        """The name with its parameters, as tables and the manifest show it."""
        name = self.name or type(self).__name__
        if not self.params:
            return name
        return f"{name}(" + ", ".join(f"{k}={v!r}" for k, v in sorted(self.params.items())) + ")"

    def __repr__(self) -> str:
        return f"<{self.role} strategy {self.label()}>"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.params == self.params

    def __hash__(self) -> int:
        return hash((type(self).__qualname__, tuple(sorted(self.params.items()))))

    def __reduce__(self) -> tuple:
        """Pickled as its origin and parameters (see the module docstring)."""
        return (rebuilt, (origin_of(type(self)), self.params))


def _positive(value: float, what: str) -> float:
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise StrategyError(f"{what} = {value}: a finite number above 0 expected")
    return value


def _finite(value: float, what: str) -> float:
    value = float(value)
    if not np.isfinite(value):
        raise StrategyError(f"{what} = {value}: a finite number expected")
    return value


# ------------------------------------------------------------- P2P data centre
class DataCentreStrategy(Strategy):
    """What a P2P data centre (paper 000) says and how it acts in the market.

    Every hook gets what the truthful DC would do and returns what it does;
    the truthful strategy returns it unchanged.  Arrays run over the rows the
    message carries (link × hour), ``trades`` being the DC's own purchase on
    each row (negative: a sale; 0 on rows it does not trade on).
    """

    role = "p2p_datacentre"

    def trade_limits(self, limits: Mapping[str, float]) -> dict[str, float]:
        """The capacity q^max (31) it offers on each link, by partner."""
        return dict(limits)

    def cost(self, cost: np.ndarray) -> np.ndarray:
        """The cost vector its local problem (1)–(23) is optimised with."""
        return cost

    def offer(self, marginal_cost: float) -> float:
        """Its opening offer, $ per M requests (the penalty is agreed from the offers)."""
        return marginal_cost

    def estimate(self, partner: str, y: np.ndarray, trades: np.ndarray) -> np.ndarray:
        """The price estimate y_i it sends ``partner`` (ADMM step 3, (45))."""
        return y

    def report(self, prices: np.ndarray, trades: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(prices, trades) it reports to the monitor after a round."""
        return prices, trades

    def confirmation(self, partner: str, price: np.ndarray, q: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
        """(price, q) it confirms to ``partner`` at settlement, per hour of their link."""
        return price, q

    def acceptance(self, partner: str, accepted: np.ndarray) -> np.ndarray:
        """Which hours of ``partner``'s confirmation it accepts (1) at settlement."""
        return accepted


class TruthfulDataCentre(DataCentreStrategy):
    """Says what it computes: the paper's DC."""

    name, truthful = "truthful", True


class Shade(DataCentreStrategy):
    """Shifts the estimates it sends by ``delta`` $/M req against its trades
    (lower where it buys, higher where it sells), and confirms what it sent."""

    name = "shade"

    def configure(self, delta: float = 0.3) -> None:
        self.delta = _finite(delta, "shade.delta")

    def estimate(self, partner: str, y: np.ndarray, trades: np.ndarray) -> np.ndarray:
        return y - self.delta * np.sign(trades)

    def report(self, prices: np.ndarray, trades: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return prices - self.delta * np.sign(trades), trades

    def confirmation(self, partner: str, price: np.ndarray, q: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
        return price - self.delta * np.sign(q), q


class Scale(DataCentreStrategy):
    """Multiplies the estimates it sends (and reports and confirms) by ``factor``."""

    name = "scale"

    def configure(self, factor: float = 1.1) -> None:
        self.factor = _positive(factor, "scale.factor")

    def estimate(self, partner: str, y: np.ndarray, trades: np.ndarray) -> np.ndarray:
        return self.factor * y

    def report(self, prices: np.ndarray, trades: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.factor * prices, trades

    def confirmation(self, partner: str, price: np.ndarray, q: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
        return self.factor * price, q


class Withhold(DataCentreStrategy):
    """Offers only ``1 − share`` of each link's capacity (all links, or ``links``):
    a legitimate move no settlement rule removes (docs/p2p.md)."""

    name = "withhold"

    def configure(self, share: float = 0.5, links: list[str] | None = None) -> None:
        share = float(share)
        if not 0.0 <= share <= 1.0:
            raise StrategyError(f"withhold.share = {share}: a share in [0, 1] expected")
        self.share, self.links = share, None if links is None else {str(x) for x in links}

    def trade_limits(self, limits: Mapping[str, float]) -> dict[str, float]:
        return {j: q * (1.0 - self.share) if self.links is None or j in self.links else q
                for j, q in limits.items()}


class MisreportCost(DataCentreStrategy):
    """Acts as if its costs were ``factor`` times what they are (its local
    problem and its opening offer)."""

    name = "misreport_cost"

    def configure(self, factor: float = 1.2) -> None:
        self.factor = _positive(factor, "misreport_cost.factor")

    def cost(self, cost: np.ndarray) -> np.ndarray:
        return self.factor * cost

    def offer(self, marginal_cost: float) -> float:
        return self.factor * marginal_cost


class ReportShift(DataCentreStrategy):
    """Runs the market truthfully but shifts the prices in its round reports to
    the monitor by ``delta`` against its trades (the self-report attack: the
    monitor settles from what DCs sent each other, so it gains nothing and is
    named inconsistent)."""

    name = "report_shift"

    def configure(self, delta: float = 0.3) -> None:
        self.delta = _finite(delta, "report_shift.delta")

    def report(self, prices: np.ndarray, trades: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return prices - self.delta * np.sign(trades), trades


class QuoteShift(DataCentreStrategy):
    """Runs the market truthfully but confirms its partners a price shifted by
    ``delta`` against its trades at settlement (the partner does not accept a
    price it was never sent: the link settles nothing)."""

    name = "quote_shift"

    def configure(self, delta: float = 0.3) -> None:
        self.delta = _finite(delta, "quote_shift.delta")

    def confirmation(self, partner: str, price: np.ndarray, q: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
        return price - self.delta * np.sign(q), q


# ------------------------------------------------------------------ DR users
class DRUserStrategy(Strategy):
    """What a DC user (paper 002) asks for postponing tasks."""

    role = "dr_user"

    def fee(self, true_cost_eur: float, n_tasks: int, delay_slots: int) -> float:
        """The fee c_u it bids, € (its true cost of the delay is ``true_cost_eur``)."""
        return true_cost_eur

    def award(self, won: bool, payment_eur: float, true_cost_eur: float) -> None:
        """What the DC answered to its last bid (an adaptive strategy learns here):
        whether it won, what it is paid, and its true cost of that delay."""


class TruthfulBid(DRUserStrategy):
    """Bids its true cost of delay (the paper's user)."""

    name, truthful = "truthful", True


class Markup(DRUserStrategy):
    """Bids ``factor`` times its true cost of delay."""

    name = "markup"

    def configure(self, factor: float = 1.2) -> None:
        self.factor = _positive(factor, "markup.factor")

    def fee(self, true_cost_eur: float, n_tasks: int, delay_slots: int) -> float:
        return self.factor * true_cost_eur


# ------------------------------------------------------------ DR data centre
class DRDataCentreStrategy(Strategy):
    """How the DR data centre (paper 002) meets a predicted DR event.

    :attr:`name` is the strategy's label in the study's tables (OP, BS, ST).
    """

    role = "dr_datacentre"

    def predicts_events(self) -> bool:
        """Whether it acts on its price forecast at all."""
        return True

    def resume_slot(self, slot: int, first_free: int, events: set[int],
                    forecast: np.ndarray, tolerance: Mapping[str, int],
                    n_slots: int) -> int | None:
        """Where the tasks postponed from ``slot`` resume (``first_free``: the first
        slot after the predicted event window); ``None``: no room."""
        return first_free

    def at_event(self, dc: Any, slot: int, resume: int) -> None:
        """Act at a predicted event slot (``dc`` offers ``call_auction`` and
        ``postpone_best_effort``)."""


class Optimised(DRDataCentreStrategy):
    """OP: a reverse auction among its users at each predicted event slot,
    postponing to the cheapest forecast slot within the batch tolerance."""

    name, truthful = "OP", True

    def resume_slot(self, slot: int, first_free: int, events: set[int],
                    forecast: np.ndarray, tolerance: Mapping[str, int],
                    n_slots: int) -> int | None:
        reach = tolerance["sensitive"] if first_free - slot <= tolerance["sensitive"] \
            else tolerance["insensitive"]
        window = [s for s in range(first_free, min(slot + reach, n_slots - 1) + 1)
                  if s not in events]
        return min(window, key=lambda s: (forecast[s], s)) if window else None

    def at_event(self, dc: Any, slot: int, resume: int) -> None:
        dc.call_auction(slot, resume)


class BestEffort(DRDataCentreStrategy):
    """BS: postpones enough new tasks for the requested reduction, types ignored,
    to the first slot after the event window, paying the SLA penalty."""

    name = "BS"

    def at_event(self, dc: Any, slot: int, resume: int) -> None:
        dc.postpone_best_effort(slot, resume)


class Static(DRDataCentreStrategy):
    """ST: ignores the DR program."""

    name = "ST"

    def predicts_events(self) -> bool:
        return False


# ------------------------------------------------------------------ households
class HouseholdStrategy(Strategy):
    """What a household of the energy community (paper 001) offers the EOA."""

    role = "household"

    def offer(self, electricity_kw: np.ndarray, heat_kw: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
        """(electricity, heat) it tells the EOA it takes per hour, kW."""
        return electricity_kw, heat_kw


class TruthfulOffer(HouseholdStrategy):
    """Offers its best response (the paper's household)."""

    name, truthful = "truthful", True


class ScaleOffer(HouseholdStrategy):
    """Tells the EOA ``factor`` times its best response (exchange ADMM bids only;
    its commitment stays what it does)."""

    name = "scale_offer"

    def configure(self, factor: float = 1.1) -> None:
        self.factor = _positive(factor, "scale_offer.factor")

    def offer(self, electricity_kw: np.ndarray, heat_kw: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
        return self.factor * electricity_kw, self.factor * heat_kw


#: role → the truthful strategy's class
TRUTHFUL: dict[str, type[Strategy]] = {
    cls.role: cls for cls in (TruthfulDataCentre, TruthfulBid, Optimised, TruthfulOffer)}

#: role → name → class: the shipped strategies
SHIPPED: dict[str, dict[str, type[Strategy]]] = {}
for _cls in (TruthfulDataCentre, Shade, Scale, Withhold, MisreportCost, ReportShift, QuoteShift,
             TruthfulBid, Markup, Optimised, BestEffort, Static, TruthfulOffer, ScaleOffer):
    SHIPPED.setdefault(_cls.role, {})[_cls.name] = _cls
del _cls
