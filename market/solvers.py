"""Solver back-ends for :class:`~market.program.LinearProgram`.

* :func:`solve_lp` — one-shot LP with HiGHS (dual simplex / IPM, exact
  vertex solutions and row duals): stand-alone DC solves and the centralised
  social-welfare twin; and MILPs by HiGHS's branch and bound, with its
  parallel tree search when given ``threads`` > 1.
* :class:`OsqpWarmQP` — the ADMM local step with OSQP.  Its matrix never changes
  between rounds, only the linear term does, so the OSQP workspace is set up once and
  every round calls ``update(q=...)`` and re-solves warm-started from the
  previous round's primal/dual pair.
* :class:`PiqpQP` — the default: PIQP's own API (Schwan, Jiang, Kuhn & Jones,
  "PIQP: a proximal interior-point quadratic programming solver", IEEE CDC
  2023).  Interior point like Clarabel, but it takes the column bounds as
  bounds (Clarabel needs them as 480 extra cone rows on a 24-hour DC), so a
  solve is half the time (0.67 against 1.37 ms on the 16-DC instance) and its
  objective is as good or better (to 3e-9 relative).  A solve PIQP does not
  finish falls back to :class:`ClarabelQP`.
* :class:`ClarabelQP` — Clarabel's own API, interior point, accurate to 1e-8;
  it solves in threads (it releases Python's lock).  The ADMM needs exact
  trades: the quadratic on the trades is weak (1/(4c|N_i|)), so an objective
  error ε moves them by ~√(ε·4c|N_i|).
  OSQP at eps 1e-5 was off by ~0.01 M requests/h and its polishing failed on
  these degenerate LPs; HiGHS's QP solver left 8e-5 of constraint violation.
* :class:`CvxpyWarmQP` — the same QP through cvxpy (Clarabel) with the linear
  term as a ``Parameter`` (DPP: compiled once, re-solved with new numbers).
  ``benchmarks/admm_clearing.py --compare-backends`` measures the four.

A non-optimal status raises :class:`SolveError` naming the agent and status.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

import clarabel
import cvxpy as cp
import highspy
import numpy as np
import osqp
import piqp
import scipy.sparse as sp

from dcmarket.market.program import LinearProgram


class SolveError(RuntimeError):
    """A solve that did not end optimal; the message names who and what."""

    def __init__(self, who: str, status: str, detail: str = "") -> None:
        self.who, self.status, self.detail = who, status, detail
        text = f"{who}: solver status {status!r}"
        super().__init__(f"{text}; {detail}" if detail else text)

    def __reduce__(self) -> tuple:  # pickled (from a Ray shard) with its fields
        return (type(self), (self.who, self.status, self.detail))


@dataclass(frozen=True)
class LPSolution:
    x: np.ndarray
    row_dual: np.ndarray
    objective: float
    mip_gap: float = 0.0


#: back-ends whose solve releases Python's lock, so that DCs solve in threads
#: (PIQP's Python binding holds it: its threads only add overhead)
THREADED = frozenset({"clarabel"})


#: threads of HiGHS's process-wide scheduler as this module last set it (None: not
#: set here; another caller, e.g. cvxpy, may have started it with HiGHS's default)
_scheduler_threads: int | None = None
_scheduler_lock = threading.Lock()


def _use_scheduler(threads: int) -> None:
    """Make HiGHS's global scheduler run ``threads`` threads: HiGHS refuses a
    ``threads`` option other than the scheduler's, which is started once per
    process, so a different count restarts it (between solves: the module's
    MILPs are solved one at a time)."""
    global _scheduler_threads
    with _scheduler_lock:
        if _scheduler_threads != threads:
            highspy.Highs.resetGlobalScheduler(True)
            _scheduler_threads = threads


def highs_model(lp: LinearProgram) -> highspy.HighsLp:
    """``lp`` as HiGHS's model (its integer columns marked when it is a MILP)."""
    model = highspy.HighsLp()
    A = lp.A.tocsc()
    model.num_col_, model.num_row_ = lp.n_cols, lp.n_rows
    model.col_cost_ = lp.cost
    model.col_lower_, model.col_upper_ = lp.col_lower, lp.col_upper
    model.row_lower_, model.row_upper_ = lp.row_lower, lp.row_upper
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = A.indptr
    model.a_matrix_.index_ = A.indices
    model.a_matrix_.value_ = A.data
    if lp.is_mip:
        model.integrality_ = [highspy.HighsVarType.kInteger if i else
                              highspy.HighsVarType.kContinuous for i in lp.integer]
    return model


def highs_start(h: highspy.Highs, x: np.ndarray) -> None:
    """Give HiGHS the point ``x`` to start from (a MILP's first incumbent)."""
    first = highspy.HighsSolution()
    first.col_value = list(x)
    first.value_valid = True
    h.setSolution(first)


def solve_lp(lp: LinearProgram, who: str, time_limit_s: float = 300.0,
             mip_gap: float = 1e-4, threads: int | None = None,
             start: np.ndarray | None = None) -> LPSolution:
    """Solve ``lp`` with HiGHS (branch and bound when ``lp.integer`` marks columns).

    ``row_dual`` follows HiGHS's convention (c − Aᵀ·row_dual = reduced cost),
    i.e. it is ∂objective/∂(row bound): a binding ``≤`` row of a minimisation
    has a non-positive dual. A MILP has no duals (``row_dual`` is empty): a
    price from a MILP needs the LP with its integers fixed, re-solved.
    ``mip_gap`` is HiGHS's relative gap; the reached gap is returned.
    ``threads`` > 1 runs a MILP's branch and bound as HiGHS's parallel tree
    search on that many threads (HiGHS ≥ 1.15: its option ``parallel = on``);
    ``None`` or 1 keeps HiGHS's serial search, and an LP is always solved by
    the serial dual simplex.  The reached gap is the same contract either way.
    ``start``: a feasible point HiGHS's branch and bound begins from (its first
    incumbent).
    """
    if threads is not None and threads < 1:
        raise ValueError(f"{who}: threads must be at least 1, got {threads}")
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    if lp.is_mip:
        h.setOptionValue("mip_rel_gap", float(mip_gap))
        if threads is not None and threads > 1:
            _use_scheduler(threads)
            h.setOptionValue("threads", int(threads))
            h.setOptionValue("parallel", "on")
    h.passModel(highs_model(lp))
    if start is not None:
        highs_start(h, start)
    run_status = h.run()
    status = h.getModelStatus()
    if run_status == highspy.HighsStatus.kError:
        raise SolveError(who, f"HiGHS error ({h.modelStatusToString(status)})")
    if status != highspy.HighsModelStatus.kOptimal:
        detail = _infeasible_groups(lp) if "nfeasible" in h.modelStatusToString(status) else ""
        raise SolveError(who, h.modelStatusToString(status), detail)
    sol = h.getSolution()
    info = h.getInfo()
    return LPSolution(
        x=np.asarray(sol.col_value),
        row_dual=np.zeros(0) if lp.is_mip else np.asarray(sol.row_dual),
        objective=float(info.objective_function_value),
        mip_gap=float(info.mip_gap) if lp.is_mip else 0.0,
    )


def _infeasible_groups(lp: LinearProgram) -> str:
    """Name the row groups whose removal alone restores feasibility."""
    culprits = []
    for name, rows in lp.row_groups.items():
        keep = np.ones(lp.n_rows, bool)
        keep[rows] = False
        relaxed = replace(lp, cost=np.zeros(lp.n_cols), A=lp.A[keep],
                          row_lower=lp.row_lower[keep], row_upper=lp.row_upper[keep],
                          row_groups={})
        try:
            solve_lp(relaxed, "relaxation")
        except SolveError:
            continue
        culprits.append(name)
    return "constraints in conflict: " + (", ".join(culprits) or "several groups at once")


class OsqpWarmQP:
    """``min ½xᵀPx + qᵀx`` over the LP's rows and bounds, set up once in OSQP.

    OSQP is a first-order method; tolerances are set explicitly (its defaults
    are loose) and solution polishing recovers the active set exactly, which
    the outer ADMM needs to reach its own tolerance.
    """

    def __init__(self, lp: LinearProgram, P: sp.spmatrix, who: str, eps: float = 1e-5) -> None:
        self.who = who
        n = lp.n_cols
        A = sp.vstack([lp.A, sp.identity(n, format="csr")]).tocsc()
        self._lower = np.concatenate([lp.row_lower, lp.col_lower])
        self._upper = np.concatenate([lp.row_upper, lp.col_upper])
        self._solver = osqp.OSQP()
        self._solver.setup(
            sp.triu(P).tocsc(), lp.cost.copy(), A, self._lower, self._upper,
            eps_abs=eps, eps_rel=eps, polishing=True, max_iter=50_000,
            verbose=False, warm_starting=True, adaptive_rho=True,
        )

    def solve(self, linear_cost: np.ndarray) -> np.ndarray:
        self._solver.update(q=linear_cost)
        result = self._solver.solve(raise_error=False)
        status = result.info.status
        if status not in ("solved", "solved inaccurate"):
            raise SolveError(self.who, f"OSQP {status}")
        return np.asarray(result.x)


class ClarabelQP:
    """The same QP with Clarabel's own API: an interior-point method, exact to
    1e-8, set up once (factorisation structure kept) and re-solved after
    ``update(q=...)``, without iterative refinement unless a solve stalls.
    Interior point cannot warm-start, but its iteration count barely depends
    on the data, which keeps rounds predictable.

    If Clarabel stalls (``InsufficientProgress``, seen on 1 solve in ~10⁴ on
    the 64-DC case and with LMPs of a few hundred $/MWh) the round is re-solved
    by a fresh workspace with more iterative refinement, then at tolerance
    1e-6; only if that fails too does the solve raise.  ``fallbacks`` counts them.
    """

    def __init__(self, lp: LinearProgram, P: sp.spmatrix, who: str, tol: float = 1e-8) -> None:
        self.who = who
        self.fallbacks = 0
        n = lp.n_cols
        eq = lp.row_lower == lp.row_upper
        upper = ~eq & np.isfinite(lp.row_upper)
        lower = ~eq & np.isfinite(lp.row_lower)
        identity = sp.identity(n, format="csr")
        fixed = lp.col_lower == lp.col_upper  # e.g. the indoor set-point: one equality
        col_up = np.isfinite(lp.col_upper) & ~fixed
        col_lo = np.isfinite(lp.col_lower) & ~fixed
        equality = sp.vstack([lp.A[eq], identity[fixed]])
        inequality = sp.vstack([lp.A[upper], -lp.A[lower], identity[col_up], -identity[col_lo]])
        self._data = (
            sp.triu(P).tocsc(),
            sp.vstack([equality, inequality]).tocsc(),
            np.concatenate([lp.row_upper[eq], lp.col_upper[fixed], lp.row_upper[upper],
                            -lp.row_lower[lower], lp.col_upper[col_up], -lp.col_lower[col_lo]]),
            [clarabel.ZeroConeT(equality.shape[0]),
             clarabel.NonnegativeConeT(inequality.shape[0])],
        )
        self._solver = self._workspace(lp.cost.copy(), tol)

    def _workspace(self, q: np.ndarray, tol: float, refine: bool = False) -> clarabel.DefaultSolver:
        P, A, b, cones = self._data
        settings = clarabel.DefaultSettings()
        settings.verbose = False
        settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = tol
        # No iterative refinement of the KKT solves on the first try: the local QPs
        # are small and well scaled, Clarabel's stopping test still holds every
        # solve to ``tol``, and a solve takes half the time (1.0 against 2.1 ms
        # on the 16-DC instance, the same 14 iterations, objectives equal to
        # 1e-8).  A stalled solve is retried with refinement (below).
        settings.iterative_refinement_enable = refine
        if refine:  # more iterative refinement of each KKT solve
            settings.iterative_refinement_reltol = 1e-14
            settings.iterative_refinement_abstol = 1e-14
            settings.iterative_refinement_max_iter = 50
        return clarabel.DefaultSolver(P, q, A, b, cones, settings)

    def solve(self, linear_cost: np.ndarray) -> np.ndarray:
        self._solver.update(q=linear_cost)
        solution = self._solver.solve()
        # Fallbacks for a stalled solve (seen with LMPs of a few hundred $/MWh,
        # where the dual residual floors near 1e-7): more iterative refinement,
        # then tolerance 1e-6.
        for tol, refine in ((1e-8, True), (1e-6, True)):
            if str(solution.status) in ("Solved", "AlmostSolved"):
                break
            self.fallbacks += 1
            solution = self._workspace(linear_cost, tol, refine).solve()
        status = str(solution.status)
        if status not in ("Solved", "AlmostSolved"):
            raise SolveError(self.who, f"Clarabel {status}")
        return np.asarray(solution.x)


class PiqpQP:
    """``min ½xᵀPx + qᵀx`` over the LP's rows and bounds with PIQP's sparse
    solver: equality rows as ``A x = b``, the other rows as ``h_l ≤ G x ≤ h_u``
    and the column bounds as bounds.  Set up once; each round changes only the
    linear term (``update(c=...)``).  Tolerances 1e-9 (absolute, and on the
    duality gap): the trades' quadratic is weak, so the objective must be
    exact for the trades to be (see the module's notes).  A solve that does
    not end ``solved`` is re-done by :class:`ClarabelQP` (built on first
    need; ``fallbacks`` counts them), and only its failure raises.
    """

    def __init__(self, lp: LinearProgram, P: sp.spmatrix, who: str, tol: float = 1e-9) -> None:
        self.who, self.fallbacks = who, 0
        self._lp, self._P = lp, P
        self._clarabel: ClarabelQP | None = None
        eq = lp.row_lower == lp.row_upper
        A = lp.A.tocsr()
        solver = piqp.SparseSolver()
        settings = solver.settings
        settings.verbose = False
        settings.eps_abs = tol
        settings.eps_rel = 0.0
        settings.eps_duality_gap_abs = settings.eps_duality_gap_rel = tol
        solver.setup(sp.csc_matrix(P), lp.cost.copy(), A[eq].tocsc(), lp.row_lower[eq].copy(),
                     A[~eq].tocsc(), lp.row_lower[~eq].copy(), lp.row_upper[~eq].copy(),
                     lp.col_lower.copy(), lp.col_upper.copy())
        self._solver = solver

    def solve(self, linear_cost: np.ndarray) -> np.ndarray:
        self._solver.update(c=linear_cost)
        if self._solver.solve() == piqp.PIQP_SOLVED:
            return np.array(self._solver.result.x)
        self.fallbacks += 1
        if self._clarabel is None:
            self._clarabel = ClarabelQP(self._lp, self._P, self.who)
        return self._clarabel.solve(linear_cost)


def cvxpy_constraints(x: cp.Variable, lp: LinearProgram) -> list:
    """``row_lower ≤ A x ≤ row_upper`` and the column bounds of ``lp`` on ``x``
    as cvxpy constraints, finite sides only (equal sides as one equality)."""
    out = []
    equal = lp.row_lower == lp.row_upper
    if equal.any():
        out.append(lp.A[equal] @ x == lp.row_lower[equal])
    for side, sign in ((lp.row_lower, 1.0), (lp.row_upper, -1.0)):
        keep = ~equal & np.isfinite(side)
        if keep.any():
            out.append(sign * (lp.A[keep] @ x) >= sign * side[keep])
    for side, sign in ((lp.col_lower, 1.0), (lp.col_upper, -1.0)):
        keep = np.isfinite(side)
        if keep.any():
            out.append(sign * x[np.flatnonzero(keep)] >= sign * side[keep])
    return out


class CvxpyWarmQP:
    """The same QP through cvxpy: the linear term is one DPP ``Parameter``."""

    def __init__(
        self, lp: LinearProgram, P: sp.spmatrix, who: str, solver: str = "CLARABEL"
    ) -> None:
        self.who, self._solver = who, solver
        self._x = cp.Variable(lp.n_cols)
        self._q = cp.Parameter(lp.n_cols)
        diag = P.diagonal()
        quad_cols = np.flatnonzero(diag)
        objective = self._q @ self._x
        if quad_cols.size:
            weights = np.sqrt(diag[quad_cols] / 2.0)
            objective = objective + cp.sum_squares(cp.multiply(weights, self._x[quad_cols]))
        constraints = cvxpy_constraints(self._x, lp)
        self._problem = cp.Problem(cp.Minimize(objective), constraints)
        if not self._problem.is_dpp():
            raise AssertionError("local ADMM problem must be DPP")

    def solve(self, linear_cost: np.ndarray) -> np.ndarray:
        self._q.value = linear_cost
        self._problem.solve(solver=self._solver, warm_start=True)
        if self._problem.status not in ("optimal", "optimal_inaccurate"):
            raise SolveError(self.who, f"cvxpy/{self._solver} {self._problem.status}")
        return np.asarray(self._x.value)
