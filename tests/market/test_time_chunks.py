"""A time-indexed MILP in chunks of hours (market.time_chunks): the bound is a
bound, the certified schedule is the whole MILP's optimum within the gap."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp

from dcmarket.agents.lec.community import CommunityAssets, Options, community_program
from dcmarket.agents.lec.household import household_program
from dcmarket.market.community_milp import EOA, community_milp, mode_columns
from dcmarket.market.program import LinearProgram
from dcmarket.market.solvers import solve_lp
from dcmarket.market.time_chunks import (
    chunk_lagrangian,
    column_hours,
    quiet_cuts,
    solve_in_chunks,
    spanning_rows,
)
from dcmarket.sim.lec.config import load_lec_scenario
from dcmarket.sim.lec.data import block_inputs
from dcmarket.sim.scenario import scenario_path

DAYS = 3
GAP = 1e-4


@pytest.fixture(scope="module")
def block():
    """The shipped community's TC+JP+aFRR program over 3 days of September, the
    storage modes relaxed (as the default solve's first attempt): the DC's
    pause binaries are its integers."""
    scenario = load_lec_scenario(scenario_path("lec_10households"))
    inputs = block_inputs(scenario, 241, DAYS)  # from 13 Sep 2018 (the scenario starts 15 Jan)
    assets = CommunityAssets(scenario.battery, scenario.heat, scenario.dc, scenario.retailer)
    households = {spec.name: household_program(spec, profiles) for spec, profiles
                  in zip(inputs.households, inputs.household_profiles, strict=True)}
    eoa, pairs = community_program(assets, inputs.community, Options.of("TC+JP+aFRR"))
    lp, offsets = community_milp(households, eoa)
    relax = mode_columns({**households, EOA: eoa}, offsets, lp.n_cols)
    lp = replace(lp, integer=lp.integer & ~relax)
    x_cols = np.arange(lp.n_cols)[offsets[EOA]][eoa.blocks["x"]]
    return lp, inputs.hours, pairs, x_cols


@pytest.fixture(scope="module")
def whole(block):
    lp, *_ = block
    return solve_lp(lp, "whole MILP", time_limit_s=600.0, mip_gap=1e-7)


def test_column_hours_follow_the_hourly_blocks_and_a_pause_pair_its_start(block):
    lp, T, pairs, x_cols = block
    hours = column_hours(lp, T)
    for name, s in lp.blocks.items():
        if s.stop - s.start == T:
            assert np.array_equal(hours[s], np.arange(T)), name
    assert np.array_equal(hours[x_cols], pairs[:, 0])


def test_quiet_cuts_fall_where_the_integers_rest_near_each_multiple():
    activity = np.ones(96)
    activity[20:30] = 0.0   # near 24: quiet from 20 to 29, the six hours around 26 all quiet
    activity[50:60] = 0.0   # near 48: hours 53–56 have six quiet hours around them
    cuts = quiet_cuts(activity, 24)
    assert cuts[0] in range(23, 27) and activity[cuts[0] - 3:cuts[0] + 3].sum() == 0.0
    assert cuts[1] in range(53, 57) and activity[cuts[1] - 3:cuts[1] + 3].sum() == 0.0
    assert cuts[2] == 72  # all hours alike: the nominal hour
    assert quiet_cuts(np.zeros(40), 24).tolist() == [24]  # a last chunk of 16 h: kept
    assert quiet_cuts(np.zeros(30), 24).size == 0  # a last chunk of 6 h is under half


def test_the_chunk_bound_lies_between_the_relaxation_and_the_optimum(block, whole):
    lp, T, _, _ = block
    relaxed = solve_lp(replace(lp, integer=None), "relaxation")
    part = column_hours(lp, T) // 24
    split = chunk_lagrangian(lp, part, relaxed.row_dual, "test", 300.0, 1e-7)
    lower = split.lower
    assert lower <= split.upper + 1e-9
    optimum_at_least = whole.objective * (1.0 - whole.mip_gap) - 1e-6
    assert lower <= optimum_at_least + 1e-6 * abs(whole.objective)
    assert lower >= relaxed.objective - 1e-6 * abs(relaxed.objective)  # L(y_LP) ≥ LP
    assert lower > relaxed.objective + 0.5 * (optimum_at_least - relaxed.objective)


def test_any_priced_split_of_a_small_milp_bounds_its_enumerated_optimum():
    """Random MILPs of 6 binaries and 6 continuous columns over two 'hours',
    coupled by two rows, priced at random duals of the sign each row allows:
    the bound never exceeds the optimum found by enumerating the binaries."""
    rng = np.random.default_rng(7)
    for _ in range(15):
        n = 12
        integer = np.r_[np.ones(6, bool), np.zeros(6, bool)]
        part = np.r_[np.zeros(3, int), np.ones(3, int), np.zeros(3, int), np.ones(3, int)]
        own = [np.r_[np.ones(3), 0, 0, 0, -rng.uniform(1, 3, 3), 0, 0, 0],
               np.r_[0, 0, 0, np.ones(3), 0, 0, 0, -rng.uniform(1, 3, 3)]]
        link = [rng.normal(size=n), rng.normal(size=n)]
        A = sp.csr_matrix(np.vstack(own + link))
        lp = LinearProgram(rng.normal(size=n), A, np.array([0.0, 0.0, -np.inf, -2.0]),
                           np.array([np.inf, np.inf, 1.5, np.inf]), np.zeros(n),
                           np.r_[np.ones(6), np.full(6, 2.0)], {}, {}, integer)
        best = np.inf
        for bits in range(64):
            z = np.array([(bits >> i) & 1 for i in range(6)], float)
            fixed = replace(lp, integer=None, col_lower=np.r_[z, np.zeros(6)],
                            col_upper=np.r_[z, np.full(6, 2.0)])
            try:
                best = min(best, solve_lp(fixed, "enumeration").objective)
            except Exception:
                continue
        if not np.isfinite(best):
            continue
        duals = np.r_[0.0, 0.0, -rng.uniform(0, 5), rng.uniform(0, 5)]
        lower = chunk_lagrangian(lp, part, duals, "random", 60.0, 1e-9).lower
        assert spanning_rows(lp, part)[0].tolist() == [False, False, True, True]
        assert lower <= best + 1e-7


def test_the_certified_schedule_is_the_whole_milps_optimum_within_the_gap(block, whole):
    lp, T, _, _ = block
    solution, how = solve_in_chunks(lp, T, "test", 36, GAP, 600.0)
    assert how.chunks == 2 and how.certified
    assert how.describe() == "2 chunks, certified"
    assert 0.0 <= solution.mip_gap <= GAP
    assert how.lower <= solution.objective * (1.0 - solution.mip_gap) + 1e-6
    assert solution.objective == pytest.approx(whole.objective, rel=GAP)
    residual = lp.A @ solution.x
    assert np.all(residual >= lp.row_lower - 1e-6) and np.all(residual <= lp.row_upper + 1e-6)
    ints = solution.x[lp.integer]
    assert np.allclose(ints, np.round(ints))


def test_an_uncertified_schedule_hands_over_to_the_whole_milp(block, whole):
    lp, T, _, _ = block
    solution, how = solve_in_chunks(lp, T, "test", 36, 1e-9, 600.0)
    assert not how.certified
    assert how.describe() == "2 chunks, not certified, then the whole MILP"
    assert solution.objective == pytest.approx(whole.objective, rel=1e-6)


def test_under_two_chunks_the_milp_is_solved_whole(block, whole):
    lp, T, _, _ = block
    solution, how = solve_in_chunks(lp, T, "test", 48, GAP, 600.0)
    assert how.chunks == 0 and how.describe() == "whole MILP"
    assert solution.objective == pytest.approx(whole.objective, rel=GAP)


def test_a_chunk_without_a_schedule_hands_over_to_the_whole_milp(block, whole, monkeypatch):
    import dcmarket.market.time_chunks as time_chunks
    from dcmarket.market.solvers import SolveError

    def no_schedule(lp, who, time_limit_s, mip_gap):
        raise SolveError(who, "Time limit reached")

    monkeypatch.setattr(time_chunks, "_solve_for_bound", no_schedule)
    lp, T, _, _ = block
    solution, how = solve_in_chunks(lp, T, "test", 36, GAP, 600.0)
    assert how.describe() == "2 chunks, not certified, then the whole MILP"
    assert solution.objective == pytest.approx(whole.objective, rel=GAP)
