"""Reverse auction for postponing DC users' tasks (paper 002, Section 4.1.2; docs/dr.md).

At a demand-response slot the DC (the buyer) calls for bids; each user (a
seller) answers ``⟨n_u, c_u⟩``: how many of its batch tasks it lets the DC
postpone to the announced resume slot, and the fee it asks. Winner selection
``x_u ∈ {0, 1}`` maximises the DC's saving at that slot (the negative of the
slot cost (7) relative to not postponing):

    S(x) = p̂_t·(P_t(L_t) − P_t(L_t − q))·Δt          energy avoided now
         − p̂_r·(P_r(L_r + q) − P_r(L_r))·Δt          energy paid at the resume slot
         + θ_t(P^ref_t − P_t(L_t − q)) − θ_t(P^ref_t − P_t(L_t))   DR reward (1)
         − Σ_u x_u c_u                                 fees,    q = Σ_u x_u n_u,

subject to the budget rule (9) ``Σ_u x_u c_u ≤ r · q`` (fees never exceed
the revenue of the postponed tasks) and the resume slot's capacity
``L_r + q ≤ N · cores``. Powers follow the host fleet's linear model with
consolidation (the DC's host fleet, any :class:`PowerModel`), whose host count is a
ceiling, and the reward has a threshold and a cap, so ``S`` is neither linear
nor concave: hence the paper's genetic algorithm.

Two selectors of the same problem:

- :func:`select_ga` — the paper's binary GA (Algorithm 1): roulette
  selection, one-point crossover with probability ``pc``, point mutation
  with probability ``pm``, optional elitism, seeded generator.
- :func:`select_exact` — the same problem as a MILP solved by HiGHS (host
  counts as integers pinned to the ceiling, the reward's threshold as a
  binary): the oracle the GA is tested against.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from dcmarket.grid.dr_program import DRProgram
from dcmarket.market.program import ProgramBuilder
from dcmarket.market.solvers import solve_lp


class BidError(ValueError):
    """A bid the auction refuses; the message names the user, slot and field."""


@dataclass(frozen=True)
class Bid:
    """User ``user``'s offer at DR slot ``slot``: tasks by type and the fee asked (€)."""

    user: str
    slot: int
    n_sensitive: int
    n_insensitive: int
    fee_eur: float

    @property
    def n_tasks(self) -> int:
        return self.n_sensitive + self.n_insensitive


def validate_bid(bid: Bid, submitted: dict[str, int]) -> None:
    """Refuse a bid that offers tasks the user did not submit, or asks a negative fee."""
    where = f"bid of user {bid.user!r} at slot {bid.slot}"
    if not np.isfinite(bid.fee_eur) or bid.fee_eur < 0:
        raise BidError(f"{where}: fee_eur must be a non-negative number, got {bid.fee_eur}")
    for kind, offered in (("sensitive", bid.n_sensitive), ("insensitive", bid.n_insensitive)):
        if offered < 0:
            raise BidError(f"{where}: n_{kind} must be ≥ 0, got {offered}")
        if offered > submitted.get(kind, 0):
            raise BidError(f"{where}: n_{kind} = {offered} exceeds the {submitted.get(kind, 0)} "
                           f"{kind} tasks the user submitted in that slot")


class PowerModel(Protocol):
    """What the auction needs of a DC's hosts: task capacity and the power of a load."""

    capacity: int

    def power_mw(self, load: np.ndarray | int) -> np.ndarray | float: ...


@dataclass(frozen=True)
class AuctionContext:
    """The DC's private view of one DR slot (forecast prices, its loads, the DR terms)."""

    fleet: PowerModel
    program: DRProgram
    slot: int
    resume_slot: int
    load_now: int
    load_resume: int
    price_now: float
    price_resume: float
    reference_mw: float
    revenue_per_task: float

    @property
    def requested_mw(self) -> float:
        return float(self.program.requested_mw(self.reference_mw))

    @property
    def spare_capacity(self) -> int:
        return self.fleet.capacity - self.load_resume


@dataclass
class Selection:
    """Winners of one auction and the DC's saving ``S(x)`` (€)."""

    winners: np.ndarray
    value_eur: float
    method: str
    seconds: float
    history: list[float] = field(default_factory=list)
    mip_gap: float = 0.0

    def settled_against(self, exact: Selection, rel_tol: float = 1e-2) -> bool:
        """Whether this selection's saving is within ``rel_tol`` of the exact
        optimum's (the GA's honest convergence test where the MILP is at hand)."""
        return self.value_eur >= exact.value_eur - rel_tol * max(1.0, abs(exact.value_eur))


class WinnerSelection:
    """``S(x)`` and its constraints for a set of bids; evaluates whole populations at once."""

    def __init__(self, context: AuctionContext, bids: list[Bid]) -> None:
        for bid in bids:  # what the API is handed is checked as the users' messages are
            if not np.isfinite(bid.fee_eur) or bid.fee_eur < 0:
                raise BidError(f"bid of user {bid.user!r}: fee_eur must be a finite number "
                               f"≥ 0, got {bid.fee_eur}")
            if bid.n_sensitive < 0 or bid.n_insensitive < 0:
                raise BidError(f"bid of user {bid.user!r}: task counts must be ≥ 0, got "
                               f"{bid.n_sensitive}, {bid.n_insensitive}")
        self.context = context
        self.bids = bids
        self.n = np.array([b.n_tasks for b in bids], dtype=np.int64)
        self.fee = np.array([b.fee_eur for b in bids], dtype=float)

    @property
    def n_users(self) -> int:
        return len(self.bids)

    def evaluate(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(S(x), violation)`` for each row of the 0/1 matrix ``X`` (violation 0 = feasible).

        The violation adds the budget excess (€) and the capacity excess
        (tasks, valued at the revenue per task).
        """
        ctx, fleet = self.context, self.context.fleet
        X = np.atleast_2d(X).astype(np.int64)
        q = X @ self.n
        fees = X @ self.fee
        over = np.maximum(0, ctx.load_resume + q - fleet.capacity)
        q_fit = q - over
        dt = ctx.program.dt_h
        p_now0 = fleet.power_mw(ctx.load_now)
        p_now = fleet.power_mw(ctx.load_now - q_fit)
        p_res0 = fleet.power_mw(ctx.load_resume)
        p_res = fleet.power_mw(ctx.load_resume + q_fit)
        requested = ctx.requested_mw
        reward = (ctx.program.reward_eur(ctx.reference_mw - p_now, requested)
                  - ctx.program.reward_eur(ctx.reference_mw - p_now0, requested))
        value = (ctx.price_now * (p_now0 - p_now) * dt - ctx.price_resume * (p_res - p_res0) * dt
                 + reward - fees)
        budget = np.maximum(0.0, fees - ctx.revenue_per_task * q)
        violation = budget + over * max(ctx.revenue_per_task, 1e-9)
        return np.asarray(value, float), np.asarray(violation, float)

    def value(self, winners: np.ndarray) -> float:
        value, violation = self.evaluate(np.asarray(winners)[None, :])
        if violation[0] > 1e-9:
            raise BidError(f"winner set at slot {self.context.slot} breaks the budget rule (9) "
                           f"or the resume slot's capacity (violation {violation[0]:.3g})")
        return float(value[0])


@dataclass(frozen=True)
class GASettings:
    """Algorithm 1's parameters: population ``M``, generations ``I``, ``pc``, ``pm``."""

    population: int = 30
    generations: int = 50
    crossover_prob: float = 0.8
    mutation_prob: float = 0.2
    elitism: bool = True
    #: grow the budget with the number of bidders U: at least ⌈U/10⌉ individuals
    #: and ⌈U/5⌉ generations (the paper's 30 × 50 is for its 10 users)
    scale_with_bidders: bool = True

    def for_bidders(self, users: int) -> GASettings:
        """The budget for an auction of ``users`` bidders (see ``scale_with_bidders``)."""
        if not self.scale_with_bidders:
            return self
        return dataclasses.replace(self, population=max(self.population, math.ceil(users / 10)),
                                   generations=max(self.generations, math.ceil(users / 5)))

    def __post_init__(self) -> None:
        if self.population < 2 or self.generations < 1:
            raise ValueError("the GA needs a population ≥ 2 and at least one generation")
        for name in ("crossover_prob", "mutation_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"GA {name} must lie in [0, 1]")
        if self.crossover_prob == 0.0 and self.mutation_prob == 0.0:
            raise ValueError("the GA needs crossover_prob > 0 or mutation_prob > 0")


class _Roulette:
    """Roulette-wheel selection over one generation's fitness.

    The wheel (the cumulative weights) is built once per generation; a spin
    draws uniforms and looks them up, the same draws and the same picks as
    ``rng.choice(n, size=k, p=weights / total)`` would make, without its
    per-call checks (which cost more than the GA's own work on many users).
    """

    def __init__(self, rng: np.random.Generator, fitness: np.ndarray) -> None:
        self.rng, self.n = rng, fitness.size
        weights = fitness - fitness.min()
        total = weights.sum()
        self.cdf = None
        if total > 0 and np.isfinite(total):
            cdf = np.cumsum(weights / total)
            self.cdf = cdf / cdf[-1]

    def spin(self, k: int) -> np.ndarray:
        if self.cdf is None:  # every individual alike: uniform choice
            return self.rng.integers(0, self.n, size=k)
        return self.cdf.searchsorted(self.rng.random(k), side="right")


def select_ga(problem: WinnerSelection, rng: np.random.Generator,
              settings: GASettings = GASettings()) -> Selection:
    """Binary GA (paper 002, Algorithm 1); returns the best feasible individual seen.

    When the budget grows with the bidders (:meth:`GASettings.for_bidders`),
    the first individual is the best cheapest-first prefix
    (:func:`greedy_winners`) instead of a random one: on 1,000 users a random
    start left the GA 1–24 % under the exact optimum, depending on the day's
    event hours. The paper's own budget (its 10 users) runs Algorithm 1 as
    published.

    Fitness is ``S(x)`` for a feasible individual and, for one that breaks
    (9) or the capacity, the population's worst feasible value minus its
    violation, so roulette selection still sees it but below every feasible one.
    ``history`` holds the best feasible value after each generation (Fig. 12).
    """
    start = time.perf_counter()
    U = problem.n_users
    if U == 0:
        return Selection(np.zeros(0, bool), 0.0, "ga", time.perf_counter() - start)
    grown = settings.for_bidders(U)
    population = rng.random((grown.population, U)) < 0.5
    if grown != settings:  # beyond the paper's budget: start from the best greedy set too
        population[0] = greedy_winners(problem)
    settings = grown
    best = np.zeros(U, bool)
    best_value = float(problem.evaluate(best[None, :])[0][0])
    history: list[float] = []
    for _ in range(settings.generations):
        value, violation = problem.evaluate(population)
        feasible = violation <= 1e-9
        if feasible.any():
            i = int(np.argmax(np.where(feasible, value, -np.inf)))
            if value[i] > best_value:
                best_value, best = float(value[i]), population[i].copy()
        floor = value[feasible].min() if feasible.any() else 0.0
        fitness = np.where(feasible, value, floor - 1.0 - violation)
        history.append(best_value)
        population = _next_generation(rng, population, fitness, best, settings)
    return Selection(best, best_value, "ga", time.perf_counter() - start, history)


def greedy_winners(problem: WinnerSelection) -> np.ndarray:
    """The best feasible set among the cheapest-first prefixes of the bids (fee per
    task, ascending), all evaluated at once; the empty set if none is better."""
    order = np.argsort(problem.fee / np.maximum(problem.n, 1), kind="stable")
    prefixes = np.zeros((problem.n_users + 1, problem.n_users), bool)
    prefixes[:, order] = np.tri(problem.n_users + 1, problem.n_users, -1, dtype=bool)
    value, violation = problem.evaluate(prefixes)
    return prefixes[int(np.argmax(np.where(violation <= 1e-9, value, -np.inf)))]


def _next_generation(rng: np.random.Generator, population: np.ndarray, fitness: np.ndarray,
                     best: np.ndarray, settings: GASettings) -> np.ndarray:
    """Algorithm 1's offspring loop, writing children into one preallocated array:
    after the elite, repeat "with probability p_c, cross two roulette-chosen
    parents at one point (two children); with probability p_m, flip one point
    of a roulette-chosen parent (one child)" until the population is full."""
    size, U = population.shape
    wheel = _Roulette(rng, fitness)
    children = np.empty((size + 2, U), dtype=bool)  # room for a last pair
    filled = 0
    if settings.elitism:
        children[0] = best
        filled = 1
    while filled < size:
        if rng.random() < settings.crossover_prob and U > 1:
            a, b = population[wheel.spin(2)]
            cut = int(rng.integers(1, U))
            children[filled, :cut], children[filled, cut:] = a[:cut], b[cut:]
            children[filled + 1, :cut], children[filled + 1, cut:] = b[:cut], a[cut:]
            filled += 2
        if rng.random() < settings.mutation_prob:
            children[filled] = population[wheel.spin(1)[0]]
            point = int(rng.integers(0, U))
            children[filled, point] = not children[filled, point]
            filled += 1
    return children[:size]


def select_exact(problem: WinnerSelection, time_limit_s: float = 120.0,
                 mip_gap: float = 1e-5) -> Selection:
    """The winner-selection MILP with HiGHS (oracle for the GA).

    Variables: ``x_u`` binary; host counts ``h_t``, ``h_r`` integer and pinned
    to ``⌈load/cores⌉`` by two rows each (so a negative price cannot buy
    phantom hosts); ``y`` binary = the reward's ER threshold is met; ``g`` the
    paid reduction (MW), ``g ≤ ΔP_t + M(1−y)``, ``g ≤ 1.2 ΔP^req y``,
    ``ΔP_t ≥ 0.5 ΔP^req − M(1−y)``. With idle hosts kept on, host counts are
    constants and drop out. Solved to a relative gap of ``mip_gap`` (1e-5:
    proving 1e-6 on 1,000 users took HiGHS over two minutes at one slot, the
    host-count staircase makes many winner sets nearly tie); the reached gap is
    in the result. A time-out raises :class:`~market.solvers.SolveError`.
    """
    start = time.perf_counter()
    ctx, fleet, prog = problem.context, problem.context.fleet, problem.context.program
    U = problem.n_users
    if U == 0:
        return Selection(np.zeros(0, bool), 0.0, "exact", time.perf_counter() - start)
    dt, k = prog.dt_h, fleet.cores
    per_task = (1.0 - fleet.static_share) * fleet.p_max_mw / k
    per_host = fleet.static_share * fleet.p_max_mw if fleet.idle_hosts == "off" else 0.0
    always_on = 0.0 if fleet.idle_hosts == "off" else fleet.static_share * fleet.p_max_mw \
        * fleet.n_hosts
    n, fee = problem.n.astype(float), problem.fee
    ref, req = ctx.reference_mw, ctx.requested_mw
    big_m = ref + fleet.power_mw(fleet.capacity) + 1.0
    L, Lr = ctx.load_now, ctx.load_resume

    b = ProgramBuilder()
    b.add_variables("x", U, 0.0, 1.0, cost=-(per_task * (ctx.price_now - ctx.price_resume)
                                            * dt * n - fee), integer=True)
    b.add_variables("h_now", 1, 0.0, fleet.n_hosts, cost=ctx.price_now * per_host * dt,
                    integer=True)
    b.add_variables("h_resume", 1, 0.0, fleet.n_hosts, cost=ctx.price_resume * per_host * dt,
                    integer=True)
    b.add_variables("y", 1, 0.0, 1.0, integer=True)
    b.add_variables("g", 1, 0.0, prog.er_cap * req, cost=-prog.theta0_eur_per_mwh * dt)
    row = n[None, :]
    b.add_rows("budget_rule_9", [("x", fee[None, :] - ctx.revenue_per_task * row)],
               -np.inf, 0.0, n_rows=1)
    b.add_rows("resume_capacity", [("x", row)], -np.inf, fleet.capacity - Lr, n_rows=1)
    if per_host > 0:
        b.add_rows("hosts_now_ceiling", [("h_now", float(k)), ("x", row)], L, L + k - 1)
        b.add_rows("hosts_resume_ceiling", [("h_resume", float(k)), ("x", -row)], Lr,
                   Lr + k - 1)
    # ΔP_t = ref − always_on − per_host·h_now − per_task·(L − n·x)
    base = ref - always_on - per_task * L
    b.add_rows("reward_le_reduction",
               [("g", 1.0), ("h_now", per_host), ("x", -per_task * row), ("y", big_m)],
               -np.inf, big_m + base, n_rows=1)
    b.add_rows("reward_cap", [("g", 1.0), ("y", -prog.er_cap * req)], -np.inf, 0.0)
    b.add_rows("reward_threshold",
               [("h_now", -per_host), ("x", per_task * row), ("y", -(prog.er_floor * req + big_m))],
               -big_m - base, np.inf, n_rows=1)
    lp = b.build()
    solution = solve_lp(lp, f"DC winner selection at slot {ctx.slot}", time_limit_s,
                        mip_gap=mip_gap)
    winners = lp.block(solution.x, "x") > 0.5
    return Selection(winners, problem.value(winners), "exact", time.perf_counter() - start,
                     mip_gap=solution.mip_gap)
