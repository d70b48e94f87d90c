"""What any mechanism ends with: one :class:`Outcome`.

Every mechanism of every study — a decentralised protocol, its centralised
twin, an equilibrium, an auction, no trade at all — returns an ``Outcome``,
and tables, reports, comparisons and grades read from it, so a number means
the same thing whichever mechanism produced it:

- ``agents``: one row per agent: its role, ``profit_<cur>`` (what it ends
  with, money in the study's currency) and ``payment_<cur>`` (what it paid
  other agents or the operator for the mechanism's trades; negative:
  received), plus any study-specific columns;
- ``welfare_parts``: the parts of welfare, each in the currency, signed so
  that welfare is their sum.  Without a grid it is the agents' profits
  (payments between them cancel).  With a grid in the loop: the DCs'
  profits, the generators' surplus, the operator's merchandising surplus,
  minus the fixed loads' electricity bill and the cost of any shed load — so
  welfare is the DCs' net value minus generation and lost-load cost, the
  objective of the centralised optimum (paper 000, (36) with (24)–(28));
- ``prices`` (long: item, hour, price, unit) and ``allocation`` (long:
  agent, hour, quantity, value, unit);
- ``rounds``, ``messages``, ``values_sent``, ``converged``, ``wall_s``.

``budget_balance`` is what the mechanism's operator keeps (Σ payments: what
the agents paid in all): 0 when agents pay each other, negative when the
operator pays in (VCG's deficit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

#: the currency code of each study's money (column suffixes are lower case)
CURRENCIES = ("USD", "EUR")


class OutcomeError(ValueError):
    """An outcome that cannot be trusted: a number that is not finite, a
    payment without a payer, a column without its currency."""


@dataclass(frozen=True)
class Outcome:
    """One mechanism's result (see the module docstring)."""

    mechanism: str
    study: str
    currency: str
    agents: pd.DataFrame
    welfare_parts: dict[str, float]
    converged: bool
    rounds: int = 0
    messages: int = 0
    values_sent: int = 0
    wall_s: float = 0.0
    prices: pd.DataFrame = field(default_factory=pd.DataFrame)
    allocation: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: what else the mechanism says (e.g. agents the monitor named inconsistent)
    notes: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.currency not in CURRENCIES:
            raise OutcomeError(f"{self.mechanism}: currency {self.currency!r} (one of "
                               f"{', '.join(CURRENCIES)})")
        for column in (self.profit_column, self.payment_column):
            if column not in self.agents.columns:
                raise OutcomeError(f"{self.mechanism}: the agents' table has no {column!r}")

    # ----- money -----------------------------------------------------------------
    @property
    def unit(self) -> str:
        return self.currency.lower()

    @property
    def profit_column(self) -> str:
        return f"profit_{self.unit}"

    @property
    def payment_column(self) -> str:
        return f"payment_{self.unit}"

    @property
    def profits(self) -> dict[str, float]:
        """Agent → profit, in :attr:`currency`."""
        return {str(k): float(v) for k, v in self.agents[self.profit_column].items()}

    @property
    def payments(self) -> dict[str, float]:
        """Agent → what it paid (negative: received), in :attr:`currency`."""
        return {str(k): float(v) for k, v in self.agents[self.payment_column].items()}

    @property
    def welfare(self) -> float:
        """The sum of :attr:`welfare_parts` (see the module docstring)."""
        return float(sum(self.welfare_parts.values()))

    @property
    def budget_balance(self) -> float:
        """What the mechanism's operator keeps (Σ payments; negative: pays in)."""
        return float(sum(self.payments.values()))

    def efficiency(self, optimum: Outcome) -> float:
        """W / W* against ``optimum`` (the centralised optimum on the same fleet);
        where welfare is a cost (W* < 0: the energy community), W* / W, so that
        1 is the optimum and less is worse either way."""
        if optimum.currency != self.currency:
            raise OutcomeError(f"{self.mechanism} in {self.currency} against "
                               f"{optimum.mechanism} in {optimum.currency}")
        best, mine = optimum.welfare, self.welfare
        if best > 0:
            return mine / best
        return best / mine if best < 0 and mine < 0 else float("nan")

    def individual_rationality(self, alone: Outcome, tolerance: float = 1e-6
                               ) -> dict[str, float]:
        """Agents worse off than in ``alone`` (no trade), by how much (currency)."""
        mine, theirs = self.profits, alone.profits
        return {n: theirs[n] - p for n, p in mine.items()
                if n in theirs and p < theirs[n] - tolerance * max(1.0, abs(theirs[n]))}

    # ----- checks and serialisation -------------------------------------------------
    def check(self) -> Outcome:
        """Refuse an outcome with a number that is not finite (a run never says
        "converged" with one)."""
        bad = [f"welfare part {k}" for k, v in self.welfare_parts.items()
               if not math.isfinite(v)]
        numeric = self.agents.select_dtypes("number")
        for column in numeric.columns:
            values = numeric[column].to_numpy(float)
            bad += [f"{column} of {name}" for name, v in zip(numeric.index, values, strict=True)
                    if not math.isfinite(v)]
        if bad:
            raise OutcomeError(f"{self.mechanism}: not finite: {', '.join(bad[:5])}")
        return self

    def summary(self) -> dict[str, Any]:
        """One JSON-safe row: the mechanism, its welfare and parts, money, effort."""
        u = self.unit
        return {
            "mechanism": self.mechanism, "study": self.study, "currency": self.currency,
            f"welfare_{u}": self.welfare,
            **{f"{k}_{u}": v for k, v in self.welfare_parts.items()},
            f"budget_balance_{u}": self.budget_balance,
            "converged": bool(self.converged), "rounds": int(self.rounds),
            "messages": int(self.messages), "values_sent": int(self.values_sent),
            "wall_s": float(self.wall_s),
            **{f"profit_{u}.{k}": v for k, v in self.profits.items()},
        }


def agents_table(profits: dict[str, float], payments: dict[str, float], currency: str,
                 roles: dict[str, str] | str, **columns: dict[str, float]) -> pd.DataFrame:
    """The agents' table of an :class:`Outcome`, one row per agent in
    ``profits``' order (a missing payment is 0)."""
    u = currency.lower()
    names = list(profits)
    frame = pd.DataFrame({
        "role": [roles if isinstance(roles, str) else roles[n] for n in names],
        f"profit_{u}": [float(profits[n]) for n in names],
        f"payment_{u}": [float(payments.get(n, 0.0)) for n in names],
        **{k: [float(v.get(n, np.nan)) for n in names] for k, v in columns.items()},
    }, index=pd.Index(names, name="agent"))
    return frame
