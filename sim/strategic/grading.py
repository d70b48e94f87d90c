"""Grade one agent's strategy: against playing truthfully, against the
optimum, against the best single deviation of a stated family (docs/strategies.md).

For the strategic agent ``i`` over seeds ``k = 0 … K−1`` (what a seed
varies: the study's :class:`~sim.strategic.terms.GradingTerms`):

- its profit playing the strategy against playing truthfully (every other
  agent as the scenario says), in the study's currency and in per cent, and
  every other agent's change;
- the welfare W of the strategic run against W* of the optimum on true data
  (efficiency W / W*);
- ε: the best gain over truthful play that any single deviation of the
  family reaches — over the deviations after which the protocol still
  converges; one that breaks convergence is listed as such and counts as
  detected (its numbers are not an outcome);
- whether the protocol's own checks flagged the strategy and each deviation.

Every number comes from the mechanisms' :class:`~market.outcome.Outcome`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel

from dcmarket.market.mechanism import run_mechanism
from dcmarket.market.outcome import Outcome
from dcmarket.sim.scenario import ScenarioError
from dcmarket.sim.strategic.terms import GradingTerms


def grading_terms(scenario: BaseModel, **hints: Any) -> GradingTerms:
    """The study's grading terms for ``scenario`` (the registry's ``grading`` part);
    ``hints``: what a run already has that the terms may reuse (a trained forecast)."""
    from dcmarket.sim.registry import study

    return study(scenario.study).load("grading")(scenario, **hints)


def with_strategy(scenario: BaseModel, agent: str, spec: Any | None) -> BaseModel:
    """``scenario`` with ``agent`` playing ``spec`` (None: truthful), every
    other agent's strategy kept."""
    strategies = {k: v for k, v in scenario.strategy.items() if k != agent}
    if spec is not None:
        strategies[agent] = spec
    return scenario.model_copy(update={"strategy": strategies})


def role_of(scenario: BaseModel, agent: str) -> str:
    roles = scenario.strategy_roles()
    if agent not in roles:
        shown = ", ".join(list(roles)[:8]) + (" …" if len(roles) > 8 else "")
        raise ScenarioError(f"no agent {agent!r} takes a strategy in {scenario.name} "
                            f"(agents: {shown})")
    return roles[agent]


def run_protocol(scenario: BaseModel, mechanism: str, options: Mapping[str, Any]) -> Outcome:
    """One run of a study's mechanism on ``scenario`` to its checked Outcome."""
    from dcmarket.sim.api import mechanism_of

    return run_mechanism(mechanism_of(scenario, mechanism, **options))


def strategy_label(scenario: BaseModel, agent: str, spec: Any | None) -> str:
    from dcmarket.agents.strategies import TRUTHFUL
    from dcmarket.agents.strategy_registry import strategy_of

    role = role_of(scenario, agent)
    if spec is None:
        return TRUTHFUL[role]().label()
    return strategy_of(spec, role, f"strategy.{agent}").label()


@dataclass
class Deviation:
    """One point of the deviation family, averaged over the seeds."""

    label: str
    spec: dict[str, Any]
    gain: float
    gain_pct: float | None
    converged: bool
    flagged: str | None

    def row(self) -> dict[str, Any]:
        return {"deviation": self.label, "gain": self.gain if self.converged else None,
                "gain_pct": self.gain_pct if self.converged else None,
                "converged": self.converged, "detected": self.flagged is not None,
                "detection": self.flagged or ""}


@dataclass
class Grade:
    """What ``dcmarket grade`` reports (see the module docstring)."""

    scenario: str
    study: str
    agent: str
    role: str
    strategy: str
    currency: str
    protocol: str
    optimum: str
    optimum_note: str
    seeds: int
    seeds_vary: str
    profit_truthful: float
    profit_strategic: float
    others_change: dict[str, float]
    welfare: float
    welfare_truthful: float
    welfare_optimum: float
    converged: bool
    flagged: str | None
    deviations: list[Deviation] = field(default_factory=list)
    per_seed: list[dict[str, Any]] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def gain(self) -> float:
        return self.profit_strategic - self.profit_truthful

    @property
    def gain_pct(self) -> float | None:
        return _pct(self.gain, self.profit_truthful)

    @property
    def efficiency(self) -> float:
        return _efficiency(self.welfare, self.welfare_optimum)

    @property
    def efficiency_truthful(self) -> float:
        return _efficiency(self.welfare_truthful, self.welfare_optimum)

    @property
    def epsilon(self) -> tuple[float, str | None]:
        """The best gain of a converged deviation (0 if none gains), and which."""
        best = max((d for d in self.deviations if d.converged), key=lambda d: d.gain,
                   default=None)
        if best is None or best.gain <= 0:
            return 0.0, None
        return best.gain, best.label

    def to_dict(self) -> dict[str, Any]:
        u = self.currency.lower()
        epsilon, argmax = self.epsilon
        return {
            "scenario": self.scenario, "study": self.study, "agent": self.agent,
            "role": self.role, "strategy": self.strategy, "currency": self.currency,
            "protocol": self.protocol, "optimum": self.optimum,
            "optimum_note": self.optimum_note, "seeds": self.seeds,
            "seeds_vary": self.seeds_vary,
            f"profit_truthful_{u}": self.profit_truthful,
            f"profit_strategic_{u}": self.profit_strategic,
            f"gain_{u}": self.gain, "gain_pct": self.gain_pct,
            f"others_change_{u}": self.others_change,
            f"welfare_{u}": self.welfare, f"welfare_truthful_{u}": self.welfare_truthful,
            f"welfare_optimum_{u}": self.welfare_optimum,
            "efficiency": self.efficiency, "efficiency_truthful": self.efficiency_truthful,
            "converged": self.converged, "detected": self.flagged is not None,
            "detection": self.flagged or "",
            f"epsilon_{u}": epsilon,
            "epsilon_pct": _pct(epsilon, self.profit_truthful),
            "epsilon_deviation": argmax,
            "deviations": [d.row() for d in self.deviations],
            "per_seed": self.per_seed, "wall_s": self.wall_s,
        }


def _pct(gain: float, base: float) -> float | None:
    """``gain`` in per cent of ``|base|``; None where the base is (numerically) 0 — a
    truthful bidder paid as bid ends with nothing, and no per cent of it means anything."""
    return 100.0 * gain / abs(base) if abs(base) > 1e-9 else None


def _efficiency(welfare: float, optimum: float) -> float:
    if optimum > 0:
        return welfare / optimum
    return optimum / welfare if optimum < 0 and welfare < 0 else float("nan")


def grade(scenario: BaseModel, agent: str, seeds: int = 1, family: bool = True,
          progress: Callable[[str], None] | None = None, protocol: str | None = None,
          options: Mapping[str, Any] | None = None) -> Grade:
    """Grade ``agent``'s strategy in ``scenario`` (the one the scenario names
    for it, or truthful) over ``seeds`` seeds (see the module docstring);
    ``protocol``: another of the study's mechanisms than its own, ``options``:
    the mechanisms' options instead of the terms' (a comparison's variant)."""
    from dataclasses import replace

    if seeds < 1:
        raise ScenarioError(f"--seeds {seeds}: at least 1")
    tic = time.perf_counter()
    say = progress or (lambda _: None)
    role = role_of(scenario, agent)
    terms = grading_terms(scenario)
    if protocol is not None or options is not None:
        terms = replace(terms, protocol=protocol or terms.protocol,
                        options=terms.options if options is None else options)
    spec = scenario.strategy.get(agent)
    truthful = with_strategy(scenario, agent, None)
    deviations = terms.families.get(role, ()) if family else ()
    runs: dict[str, list[Outcome]] = {"truthful": [], "strategic": [], "optimum": []}
    dev_runs: list[list[Outcome]] = [[] for _ in deviations]
    per_seed = []
    for k in range(seeds):
        base, played = terms.seeded(truthful, k), terms.seeded(scenario, k)
        say(f"seed {k}: truthful, the strategy, the optimum")
        truth = run_protocol(base, terms.protocol, terms.options)
        mine = run_protocol(played, terms.protocol, terms.options) if spec is not None \
            else truth
        best = run_protocol(base, terms.optimum, terms.options)
        for name, outcome in (("truthful", truth), ("strategic", mine), ("optimum", best)):
            runs[name].append(outcome)
        for d, dev in enumerate(deviations):
            say(f"seed {k}: deviation {d + 1}/{len(deviations)} {dev}")
            dev_runs[d].append(run_protocol(with_strategy(base, agent, dev), terms.protocol,
                                             terms.options))
        per_seed.append({"seed": k, "profit_truthful": truth.profits[agent],
                         "profit_strategic": mine.profits[agent],
                         "welfare": mine.welfare, "welfare_optimum": best.welfare,
                         "converged": bool(mine.converged)})

    def mean(outcomes: list[Outcome], what: Callable[[Outcome], float]) -> float:
        return float(np.mean([what(o) for o in outcomes]))

    truth_profit = mean(runs["truthful"], lambda o: o.profits[agent])
    others = {n: mean(runs["strategic"], lambda o, n=n: o.profits[n])
              - mean(runs["truthful"], lambda o, n=n: o.profits[n])
              for n in runs["truthful"][0].profits if n != agent}
    flags = [terms.detect(o, agent) for o in runs["strategic"]] if spec is not None else []
    rows = []
    for dev, outcomes in zip(deviations, dev_runs, strict=True):
        converged = all(o.converged for o in outcomes)
        gain = mean(outcomes, lambda o: o.profits[agent]) - truth_profit
        flagged = next((f for f in (terms.detect(o, agent) for o in outcomes) if f), None)
        rows.append(Deviation(strategy_label(scenario, agent, dev), dict(dev), gain,
                              _pct(gain, truth_profit), converged, flagged))
    return Grade(
        scenario=scenario.name, study=scenario.study, agent=agent, role=role,
        strategy=strategy_label(scenario, agent, spec),
        currency=runs["truthful"][0].currency, protocol=terms.protocol,
        optimum=terms.optimum, optimum_note=terms.optimum_note, seeds=seeds,
        seeds_vary=terms.seeds_vary, profit_truthful=truth_profit,
        profit_strategic=mean(runs["strategic"], lambda o: o.profits[agent]),
        others_change=others, welfare=mean(runs["strategic"], lambda o: o.welfare),
        welfare_truthful=mean(runs["truthful"], lambda o: o.welfare),
        welfare_optimum=mean(runs["optimum"], lambda o: o.welfare),
        converged=all(o.converged for o in runs["strategic"]),
        flagged=next((f for f in flags if f), None), deviations=rows, per_seed=per_seed,
        wall_s=time.perf_counter() - tic)
