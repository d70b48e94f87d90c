"""One fleet, every mechanism: ``dcmarket compare`` (docs/compare.md).

For each variant of the scenario the study names (the DR day under its
day-ahead and its one-step forecast, each Table I case of the community; a
P2P market has one), every mechanism the study registers runs to its
:class:`~market.outcome.Outcome`, and each becomes one row: welfare and
efficiency W/W* against the study's optimum, its parts, money (payments,
what the operator keeps), individual-rationality violations against each
agent's outside option, the best gain of one agent's deviation family
(``sim/strategic/grading.py``), energy and peak, rounds, messages and
values sent, wall time and convergence.  Nothing is recomputed by hand: a
row is an Outcome's numbers, so a mechanism that registers appears.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pydantic import BaseModel

from dcmarket.market.mechanism import run_mechanism
from dcmarket.market.outcome import Outcome
from dcmarket.sim.scenario import ScenarioError
from dcmarket.sim.strategic.grading import grade, grading_terms, role_of

#: bytes a value takes on the wire (float64), for the bytes column
BYTES_PER_VALUE = 8


@dataclass
class Comparison:
    """Every mechanism's Outcome per variant, and the table built from them."""

    scenario: str
    study: str
    currency: str
    optimum: str
    fallback: str | None
    incentives_agent: str | None
    outcomes: dict[str, dict[str, Outcome]]  # variant → mechanism → Outcome
    #: the agents whose individual rationality counts (those that take a strategy:
    #: not a program's operator, which pays by design)
    participants: tuple[str, ...] = ()
    epsilon: dict[tuple[str, str], float | None] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    #: (variant, mechanism) → agent → the values it sent (None: a one-shot clearing,
    #: to which every agent hands its whole program)
    revealed: dict[tuple[str, str], dict[str, int] | None] = field(default_factory=dict)
    wall_s: float = 0.0

    def table(self) -> pd.DataFrame:
        """One row per (variant, mechanism): see the module docstring."""
        u = self.currency.lower()
        rows = []
        for variant, found in self.outcomes.items():
            best = found.get(self.optimum)
            alone = found.get(self.fallback) if self.fallback else None
            for name, o in found.items():
                ir = None
                if alone is not None:
                    ir = {a: v for a, v in o.individual_rationality(alone, 1e-6).items()
                          if not self.participants or a in self.participants}
                eps = self.epsilon.get((variant, name), "not measured"
                                       if self.incentives_agent is None
                                       or name not in (self.optimum, self.fallback)
                                       else "n/a: no reports")
                energy, peak = _energy(o)
                rows.append({
                    "variant": variant, "mechanism": name,
                    "description": self.descriptions.get(name, ""),
                    f"welfare_{u}": o.welfare,
                    "efficiency": o.efficiency(best) if best is not None else np.nan,
                    **{f"{k}_{u}": v for k, v in o.welfare_parts.items()},
                    f"payments_{u}": float(sum(abs(p) for p in o.payments.values())) / 2,
                    f"budget_balance_{u}": o.budget_balance,
                    "ir_violations": len(ir) if ir is not None else np.nan,
                    f"ir_shortfall_{u}": float(sum(ir.values())) if ir else 0.0,
                    f"best_misreport_gain_{u}": eps,
                    "energy_mwh": energy, "peak_mw": peak,
                    "rounds": o.rounds, "messages": o.messages, "values_sent": o.values_sent,
                    "bytes_sent": o.values_sent * BYTES_PER_VALUE,
                    "wall_s": o.wall_s, "converged": bool(o.converged),
                })
        return pd.DataFrame(rows)

    def profits(self) -> pd.DataFrame:
        """Long: variant, mechanism, agent, profit (the currency in the column) and
        the values the agent revealed (``whole program`` to a one-shot clearing)."""
        u = self.currency.lower()
        rows = []
        for v, found in self.outcomes.items():
            for m, o in found.items():
                sent = self.revealed.get((v, m))
                for a, p in o.profits.items():
                    rows.append({"variant": v, "mechanism": m, "agent": a, f"profit_{u}": p,
                                 "values_revealed": "whole program" if sent is None
                                 else str(sent.get(a, 0))})
        return pd.DataFrame(rows)


def _energy(outcome: Outcome) -> tuple[float, float]:
    """Energy (MWh over the horizon) and peak (MW, the largest hour of the sum)
    of the allocation's MW rows, where the mechanism reports them."""
    a = outcome.allocation
    if a.empty or "unit" not in a or not (a.unit == "MW").any():
        return np.nan, np.nan
    mw = a[a.unit == "MW"].groupby("hour").value.sum()
    return float(mw.sum()), float(mw.max())


def incentive_agent(scenario: BaseModel, terms, asked: str | None) -> str | None:
    """Whose deviation family the comparison measures: ``asked`` (``none``:
    nobody), else the first agent with a family in the scenario."""
    if asked == "none":
        return None
    if asked is not None:
        role_of(scenario, asked)
        return asked
    return next((a for a, r in scenario.strategy_roles().items() if r in terms.families), None)


def compare(scenario: BaseModel, mechanisms: list[str] | None = None,
            incentives: str | None = None,
            progress: Callable[[str], None] | None = None) -> Comparison:
    """Run every (or each named) mechanism on every variant (module docstring)."""
    from dcmarket.sim.registry import study

    tic = time.perf_counter()
    say = progress or (lambda _: None)
    terms = grading_terms(scenario)
    variants = terms.variants() if terms.variants else {"": (scenario, dict(terms.options))}
    agent = incentive_agent(scenario, terms, incentives)
    make = study(scenario.study).load("mechanisms")
    outcomes: dict[str, dict[str, Outcome]] = {}
    epsilon: dict[tuple[str, str], float | None] = {}
    descriptions: dict[str, str] = {}
    revealed: dict[tuple[str, str], dict[str, int] | None] = {}
    currency = ""
    for label, (variant, options) in variants.items():
        found = make(variant, **options)
        names = list(mechanisms) if mechanisms else list(found)
        unknown = [n for n in names if n not in found]
        if unknown:
            raise ScenarioError(f"--mechanisms: {', '.join(unknown)} do(es) not apply to "
                                f"{scenario.name} (mechanisms: {', '.join(found)})")
        for reference in {terms.optimum, terms.fallback} - {None}:
            if reference not in names and reference in found:
                names.append(reference)  # efficiency and IR need them
        outcomes[label] = {}
        for name in names:
            say(f"{label or scenario.name}: {name}")
            mechanism = found[name]()
            descriptions[name] = getattr(mechanism, "description", "")
            outcomes[label][name] = run_mechanism(mechanism)
            bus = getattr(getattr(mechanism, "model", None), "bus", None)
            revealed[(label, name)] = dict(bus.values_by_sender) if bus is not None else (
                {} if name == terms.fallback else None)  # alone: nothing; a clearing: all
            currency = outcomes[label][name].currency
            if agent is not None and name not in (terms.optimum, terms.fallback):
                say(f"{label or scenario.name}: {name}: {agent}'s deviation family")
                g = grade(variant, agent, 1, protocol=name, options=options).to_dict()
                epsilon[(label, name)] = g[f"epsilon_{g['currency'].lower()}"]
    return Comparison(scenario.name, scenario.study, currency, terms.optimum, terms.fallback,
                      agent, outcomes, tuple(scenario.strategy_roles()), epsilon, descriptions,
                      revealed, time.perf_counter() - tic)
