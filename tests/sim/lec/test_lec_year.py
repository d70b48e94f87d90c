"""The LEC year (sim.lec.year): blocks kept and resumed, and solved in processes."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from dcmarket.sim.lec.year import run_year


def test_long_run_resumes_without_redoing_finished_blocks(scenario, tmp_path):
    short = scenario.model_copy(update={"scenarios": ["NC", "TC"]})
    said: list[str] = []
    first = run_year(short, tmp_path, blocks=2, block_days=1, progress=said.append)
    assert len(said) == 2 and not any("kept" in s for s in said)
    said.clear()
    (tmp_path / "blocks" / "block_01.json").unlink()
    again = run_year(short, tmp_path, blocks=2, block_days=1, progress=said.append)
    assert "kept" in said[0] and "kept" not in said[1]
    assert np.allclose(first.to_numpy(float), again.to_numpy(float))
    blocks = [json.loads((tmp_path / "blocks" / f"block_0{k}.json").read_text())["cases"]
              for k in range(2)]
    assert first.loc["operating_cost_eur", "TC"] == pytest.approx(
        sum(b["TC"]["operating_cost_eur"] for b in blocks))


def test_resume_recomputes_blocks_of_another_scenario_or_unreadable(scenario, tmp_path):
    short = scenario.model_copy(update={"scenarios": ["NC"]})
    first = run_year(short, tmp_path, blocks=2, block_days=1, progress=lambda s: None)
    (tmp_path / "blocks" / "block_00.json").write_text('{"cases": {"NC": {"operati')  # cut
    other = short.model_copy(update={"seed": short.seed + 1})
    said: list[str] = []
    run_year(other, tmp_path, blocks=2, block_days=1, progress=said.append)
    assert said[0] == "block 1/2: unreadable; computed again"
    assert "block 2/2: made from another scenario; computed again" in said
    said.clear()
    again = run_year(short, tmp_path, blocks=2, block_days=1, progress=said.append)
    assert [s for s in said if "computed again" in s] == [
        f"block {k}/2: made from another scenario; computed again" for k in (1, 2)]
    assert np.allclose(first.to_numpy(float), again.to_numpy(float))


def test_blocks_solved_in_processes_give_the_sequential_year(scenario, tmp_path):
    """Two blocks in two worker processes against the same blocks solved one
    after another here (the oracle): the same Table I, each block's file written."""
    short = scenario.model_copy(update={"scenarios": ["NC", "TC+JP+aFRR"]})
    assert short.solver.threads == 1
    here = run_year(short, tmp_path / "here", blocks=2, block_days=1, progress=lambda s: None)
    said: list[str] = []
    apart = run_year(short, tmp_path / "apart", blocks=2, block_days=1, progress=said.append,
                     jobs=2)
    assert sorted(s.split(" (")[0] for s in said) == ["block 1/2", "block 2/2"]
    gap = short.solver.mip_gap
    assert np.allclose(apart.loc["operating_cost_eur"].to_numpy(float),
                       here.loc["operating_cost_eur"].to_numpy(float), rtol=2 * gap)
    for k in range(2):
        cases = json.loads((tmp_path / "apart" / "blocks" / f"block_0{k}.json").read_text())
        assert cases["cases"]["TC+JP+aFRR"]["threads"] == 1  # the scenario's serial search


def test_a_year_refuses_fewer_than_one_job(scenario, tmp_path):
    with pytest.raises(ValueError, match="jobs must be at least 1"):
        run_year(scenario, tmp_path, blocks=1, block_days=1, jobs=0)


def test_jobs_outside_the_year_are_refused_by_the_cli(tmp_path, capsys):
    from dcmarket.sim.cli import main

    assert main(["lec", "--mode", "day", "--jobs", "2", "--out", str(tmp_path / "d")]) == 2
    assert "--jobs: only --mode year" in capsys.readouterr().err


def test_a_failed_block_keeps_the_blocks_being_solved_and_raises():
    """collect(): the block that fails is raised after the others already
    running are kept; blocks not started are cancelled."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from dcmarket.sim.lec.year import collect

    started = threading.Event()

    def slow_ok():
        started.set()
        time.sleep(0.3)
        return {"NC": {}}, 0.3

    def fails():
        started.wait(5)
        raise RuntimeError("community MILP TC+JP+aFRR, 2018-05-16 +15 d: 'Time limit reached'")

    kept = []
    with ThreadPoolExecutor(2) as pool:
        pending = {pool.submit(slow_ok): 0, pool.submit(fails): 1}
        pending[pool.submit(slow_ok)] = 2  # queued behind the two: never starts
        with pytest.raises(RuntimeError, match="Time limit reached"):
            collect(pending, lambda k, cases, s: kept.append(k))
    assert kept == [0]


def test_a_longer_time_limit_or_more_threads_keep_the_finished_blocks(scenario, tmp_path):
    from dcmarket.sim.lec.year import block_digest

    effort = scenario.model_copy(update={"solver": scenario.solver.model_copy(
        update={"time_limit_s": 1800.0, "threads": 2, "time_chunks_h": 0})})
    assert block_digest(effort) == block_digest(scenario)
    tighter = scenario.model_copy(update={"solver": scenario.solver.model_copy(
        update={"mip_gap": 1e-6})})
    assert block_digest(tighter) != block_digest(scenario)
