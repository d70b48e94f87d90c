"""The ADMM local-step back-ends: PIQP (the default) against Clarabel as the oracle."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

from dcmarket.agents.p2p.dc_physics import build_local_program
from dcmarket.market.solvers import ClarabelQP, PiqpQP, SolveError
from dcmarket.sim.p2p.model import P2PMarketModel


def _local_qp(reference, seed: int = 3):
    """DC1's local problem with the ADMM quadratic on its trades and a random
    linear term on them, as a round of the market builds it."""
    spec = reference.datacenters[0]
    partners = {dc.name: 50.0 for dc in reference.datacenters[1:]}
    lp = build_local_program(spec, np.full(spec.hours, 40.0), partners)
    trades = np.arange(lp.n_cols)[lp.blocks["trades"]]
    diag = np.zeros(lp.n_cols)
    diag[trades] = 2.0 / (4.0 * 600.0 * 3)
    rng = np.random.default_rng(seed)
    q = lp.cost.copy()
    q[trades] += rng.normal(0.0, 5.0, trades.size)
    return lp, sp.diags(diag, format="csc"), q, trades


def _objective(P, q, x):
    return 0.5 * x @ (P @ x) + q @ x


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_piqp_reaches_clarabels_optimum(reference, seed):
    lp, P, q, trades = _local_qp(reference, seed)
    x_piqp = PiqpQP(lp, P, "DC1").solve(q)
    x_clarabel = ClarabelQP(lp, P, "DC1").solve(q)
    f_piqp, f_clarabel = _objective(P, q, x_piqp), _objective(P, q, x_clarabel)
    assert f_piqp <= f_clarabel + 1e-7 * abs(f_clarabel)
    # feasible: rows and bounds to the solver's tolerance
    Ax = lp.A @ x_piqp
    assert np.all(Ax >= lp.row_lower - 1e-6) and np.all(Ax <= lp.row_upper + 1e-6)
    assert np.all(x_piqp >= lp.col_lower - 1e-6) and np.all(x_piqp <= lp.col_upper + 1e-6)
    # the trades are unique (strictly convex there): both solvers find them
    scale = np.max(np.abs(x_clarabel[trades]))
    assert np.max(np.abs(x_piqp[trades] - x_clarabel[trades])) <= 1e-3 * scale


def test_a_solve_piqp_cannot_finish_falls_back_to_clarabel(reference):
    lp, P, q, _ = _local_qp(reference)
    qp = PiqpQP(lp, P, "DC1")
    qp._solver.settings.max_iter = 2  # PIQP stops unsolved
    x = qp.solve(q)
    assert qp.fallbacks == 1
    expected = ClarabelQP(lp, P, "DC1").solve(q)
    assert _objective(P, q, x) == pytest.approx(_objective(P, q, expected), rel=1e-9)


def test_an_infeasible_local_problem_is_named(reference):
    lp, P, q, _ = _local_qp(reference)
    lower = lp.col_lower.copy()
    lower[lp.blocks["grid"]] = lp.col_upper[lp.blocks["grid"]] + 1.0  # lower above upper
    bad = replace(lp, col_lower=lower)
    with pytest.raises(SolveError, match="DC1"):
        PiqpQP(bad, P, "DC1").solve(q)


def test_piqp_solves_in_one_thread_clarabel_in_the_pool(reference):
    """PIQP holds Python's lock while it solves, so the model gives it no
    thread pool; Clarabel keeps the scenario's workers."""
    piqp_model = P2PMarketModel(reference)
    assert piqp_model.backend == "piqp"
    assert piqp_model.host._pool is None
    clarabel_model = P2PMarketModel(reference, backend="clarabel")
    assert clarabel_model.host._pool is not None
