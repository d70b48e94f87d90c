"""A tournament of strategy files: every entrant plays the same seat over
seeded runs, each in a process of its own (``sim/strategic/sandbox.py``).

For each seat and seed the truthful run and the optimum are the
references; each entrant then plays the seat while every other agent plays
what the scenario says.  Entrants are ranked as Power TAC ranks brokers: in
each run (seat, seed) an entrant's profit becomes a z-score against the
other entrants' profits in that run, and the z-scores are summed over runs.
Beside the score: the mean profit with its 95 % confidence interval over
runs, the gain over truthful play, the efficiency W/W*, how often the
protocol converged and flagged the seat, the entrant's faults, and the
seat's ε (the best gain of the grade's deviation family, ``grading.py``).

A run the protocol did not finish (no convergence within its cap) has no
outcome: its iterates' profits would reward breaking the market.  Where the
study names the outcome that stands instead (``GradingTerms.fallback``: no
trade in the P2P market), the entrant's profit in that run is counted at it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from dcmarket.sim.scenario import ScenarioError
from dcmarket.sim.strategic.grading import (
    grade,
    grading_terms,
    role_of,
    run_protocol,
    with_strategy,
)
from dcmarket.sim.strategic.sandbox import (
    SANDBOXED_ROLES,
    Entrant,
    EntrantError,
    Fault,
    Limits,
    sandboxed,
)

#: the most entrants one tournament takes
MAX_ENTRANTS = 200


def entrants_in(directory: Path, role: str, limits: Limits) -> list[Entrant]:
    """Every ``*.py`` file in ``directory`` (not starting with ``_``), one entrant each."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ScenarioError(f"tournament: {directory} is not a folder of strategy files")
    files = sorted(p for p in directory.glob("*.py") if not p.name.startswith("_")
                   and p.is_file() and not p.is_symlink())
    if not files:
        raise ScenarioError(f"tournament: no strategy file (*.py) in {directory}")
    if len(files) > MAX_ENTRANTS:
        raise ScenarioError(f"tournament: {len(files)} entrants in {directory}; at most "
                            f"{MAX_ENTRANTS}")
    return [Entrant(p.stem, p, role, limits=limits) for p in files]


def seats_of(scenario: BaseModel, seats: str | None) -> list[str]:
    """The seats: one named agent, ``all`` (every agent of a role an entrant can
    play), or by default the first such agent."""
    playable = [a for a, r in scenario.strategy_roles().items() if r in SANDBOXED_ROLES]
    if not playable:
        raise ScenarioError(f"tournament: no agent of {scenario.name} takes an entrant "
                            f"(roles: {', '.join(SANDBOXED_ROLES)})")
    if seats is None:
        return playable[:1]
    if seats == "all":
        return playable
    chosen = [s.strip() for s in seats.split(",") if s.strip()]
    for seat in chosen:
        role_of(scenario, seat)
        if seat not in playable:
            raise ScenarioError(f"tournament: {seat} plays a {role_of(scenario, seat)}, which "
                                "an entrant cannot (its moves act on the DC itself)")
    return chosen


@dataclass
class TournamentResult:
    leaderboard: pd.DataFrame
    runs: pd.DataFrame
    faults: pd.DataFrame
    epsilon: dict[str, dict[str, Any]]
    entrants: dict[str, dict[str, Any]]
    currency: str
    seats: list[str]
    seeds: int
    seeds_vary: str
    wall_s: float


def _z(values: np.ndarray) -> np.ndarray:
    sd = values.std()
    return np.zeros_like(values) if sd <= 1e-12 * max(1.0, np.abs(values).max()) \
        else (values - values.mean()) / sd


def tournament(directory: Path, scenario: BaseModel, seeds: int = 1, seats: str | None = None,
               limits: Limits | None = None, progress: Callable[[str], None] | None = None
               ) -> TournamentResult:
    """Run the tournament (see the module docstring)."""
    limits = limits or Limits()
    tic = time.perf_counter()
    say = progress or (lambda _: None)
    chosen = seats_of(scenario, seats)
    roles = {role_of(scenario, s) for s in chosen}
    terms = grading_terms(scenario)
    by_role = {role: entrants_in(directory, role, limits) for role in roles}
    rows, epsilon, currency = [], {}, ""
    try:
        for seat in chosen:
            role = role_of(scenario, seat)
            truthful = with_strategy(scenario, seat, None)
            say(f"{seat}: the deviation family (ε)")
            g = grade(truthful, seat, 1).to_dict()
            u = g["currency"].lower()
            epsilon[seat] = {"epsilon": g[f"epsilon_{u}"], "deviation": g["epsilon_deviation"]}
            for k in range(seeds):
                base = terms.seeded(truthful, k)
                truth = run_protocol(base, terms.protocol, terms.options)
                currency = truth.currency
                best = run_protocol(base, terms.optimum, terms.options)
                failed = run_protocol(base, terms.fallback, terms.options) \
                    if terms.fallback else None
                for entrant in by_role[role]:
                    run = f"{seat}/seed{k}"
                    say(f"{run}: {entrant.name}")
                    strategy = sandboxed(entrant, run)
                    try:
                        entrant.start()
                    except EntrantError as exc:
                        entrant.faults.append(Fault(entrant.name, run, "start", str(exc)))
                        strategy.down = True
                    before = len(entrant.faults)
                    outcome = run_protocol(with_strategy(base, seat, strategy), terms.protocol,
                                           terms.options)
                    flagged = terms.detect(outcome, seat)
                    stands = outcome
                    if not outcome.converged and failed is not None:
                        stands = failed  # a market that failed: its fallback stands
                    rows.append({
                        "seat": seat, "seed": k, "entrant": entrant.name,
                        "profit": stands.profits[seat],
                        "profit_reported": outcome.profits[seat],
                        "counted_as": "" if stands is outcome
                        else f"{terms.fallback} (the protocol did not converge)",
                        "profit_truthful": truth.profits[seat],
                        "welfare": stands.welfare, "welfare_optimum": best.welfare,
                        "efficiency": stands.efficiency(best), "converged": outcome.converged,
                        "flagged": flagged or "", "faults": len(entrant.faults) - before,
                        "fell_back": bool(strategy.down)})
    finally:
        for entrants in by_role.values():
            for entrant in entrants:
                entrant.stop()
    runs = pd.DataFrame(rows)
    runs["gain"] = runs.profit - runs.profit_truthful
    runs["z"] = runs.groupby(["seat", "seed"]).profit.transform(lambda s: _z(s.to_numpy()))
    everyone = [e for entrants in by_role.values() for e in entrants]
    faults = pd.DataFrame([f.__dict__ for e in everyone for f in e.faults],
                          columns=["entrant", "run", "hook", "reason"])
    board = []
    for name, group in runs.groupby("entrant"):
        n = len(group)
        half = 1.96 * group.profit.std(ddof=1) / np.sqrt(n) if n > 1 else float("nan")
        board.append({"entrant": name, "score": float(group.z.sum()),
                      "profit_mean": float(group.profit.mean()), "profit_ci95": float(half),
                      "gain_mean": float(group.gain.mean()),
                      "efficiency_mean": float(group.efficiency.mean()),
                      "converged_share": float(group.converged.mean()),
                      "flagged_runs": int((group.flagged != "").sum()),
                      "faults": int((faults.entrant == name).sum()), "runs": n})
    leaderboard = pd.DataFrame(board).sort_values(["score", "profit_mean"], ascending=False)
    leaderboard.insert(0, "rank", np.arange(1, len(leaderboard) + 1))
    info = {e.name: {"file": e.path.name, "sha256": e.sha256, "role": e.role,
                     "label": e.label or e.name} for e in everyone}
    return TournamentResult(leaderboard.reset_index(drop=True), runs, faults, epsilon, info,
                            currency, chosen, seeds, terms.seeds_vary,
                            time.perf_counter() - tic)
