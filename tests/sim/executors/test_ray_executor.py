"""The Ray executor gives the in-process run's results and message log: the
4-DC market (with one shard per CPU and one agent per actor, under faults,
without a log), the case study's bi-level loop, the DR day and the LEC twin;
on a local Ray with 2 CPUs and once on a simulated two-node cluster."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from dcmarket.agents.strategies import StrategyError
from dcmarket.market.faults import Dropout, FaultModel
from dcmarket.market.protocols import TRADE_CONFIRMATION
from dcmarket.sim.executors import (
    Call,
    ChainError,
    ExecutorError,
    InProcess,
    executor_of,
    set_default,
    use,
)
from dcmarket.sim.executors.ray_host import RayExecutor
from dcmarket.sim.p2p.model import P2PMarketModel
from dcmarket.sim.scenario import ScenarioError
from dcmarket.sim.studies import load_any

# one Ray cluster at a time: with parallel workers (make test) every Ray test runs in
# the same worker, one after another
pytestmark = [pytest.mark.usefixtures("ray_session"), pytest.mark.xdist_group("ray")]


@pytest.fixture(scope="module")
def market():
    return load_any("p2p_4dc_fixed_lmp")[1]


def same_log(a, b) -> bool:
    """Equal message logs: every column, every value (bit for bit)."""
    fa, fb = a.bus.log_frame(), b.bus.log_frame()
    return (len(fa) > 0 and fa.drop(columns="value").equals(fb.drop(columns="value"))
            and np.array_equal(fa.value.to_numpy(), fb.value.to_numpy()))


def assert_same_market(a, b, ra, rb) -> None:
    assert (ra.rounds, ra.converged) == (rb.rounds, rb.converged)
    assert rb.welfare == pytest.approx(ra.welfare, rel=1e-9, abs=1e-9)
    np.testing.assert_allclose(rb.link_prices, ra.link_prices, rtol=1e-9, atol=1e-9)
    for name, schedule in ra.schedules.items():
        np.testing.assert_allclose(rb.schedules[name].grid_mw, schedule.grid_mw,
                                   rtol=1e-9, atol=1e-9)


#: a shard per CPU in actors, and with the model's process hosting the last one
BOTH = pytest.mark.parametrize("local", [False, True], ids=["actors", "local-shard"])


@pytest.mark.parametrize("executor", [RayExecutor(), RayExecutor(agents_per_shard=1),
                                      RayExecutor(local_shard=True),
                                      RayExecutor(agents_per_shard=1, local_shard=True)],
                         ids=["shard-per-cpu", "agent-per-actor", "local-shard",
                              "agent-per-actor-and-local"])
def test_four_dc_market_equals_the_in_process_run(market, executor):
    here = P2PMarketModel(market, executor=InProcess())
    there = P2PMarketModel(market, executor=executor)
    assert_same_market(here, there, here.run(), there.run())
    assert same_log(here, there)
    assert there.host.shard_count == (2 if executor.agents_per_shard is None else 4)
    last = there.host.shard_count - 1
    assert there.host.local_shard == (last if executor.local_shard else None)
    # the memory of the actors only, not of the model's process hosting a shard
    assert len(there.host.actors_peak_rss_gb()) == there.host.shard_count - executor.local_shard
    assert type(there.dcs["DC4"]).__name__ == "AgentProxy"  # in a shard here too


@BOTH
def test_under_faults_the_ray_run_draws_the_same_faults(market, local):
    faults = FaultModel(loss=0.1, delay=1, seed=1, dropouts=(Dropout("DC3", 30),))
    here = P2PMarketModel(market, faults=faults, executor=InProcess())
    there = P2PMarketModel(market, faults=FaultModel(loss=0.1, delay=1, seed=1,
                                                     dropouts=(Dropout("DC3", 30),)),
                           executor=RayExecutor(local_shard=local))
    ra, rb = here.run(max_rounds=2000), there.run(max_rounds=2000)
    assert_same_market(here, there, ra, rb)
    assert same_log(here, there)
    assert here.bus.header_frame().fault.notna().any()


@BOTH
def test_without_a_log_messages_within_a_shard_stay_there(market, local):
    here = P2PMarketModel(market, executor=InProcess(), keep_log=False)
    there = P2PMarketModel(market, executor=RayExecutor(local_shard=local), keep_log=False)
    assert_same_market(here, there, here.run(), there.run())
    assert (there.bus.sent_messages, there.bus.sent_values) == \
        (here.bus.sent_messages, here.bus.sent_values)
    # DC1–DC2 share a shard, DC3–DC4 the other: their estimates never left it;
    # the estimates between the shards were forwarded, the reports relayed
    host = there.host
    assert host.kept_local > 0 and host.forwarded > 0 and host.relayed > 0
    # every message but the monitor's penalty and settlement to each DC came from
    # a shard; the trade confirmations (money is settled from them) all passed the bus
    assert host.kept_local + host.forwarded + host.relayed == \
        there.bus.sent_messages - 2 * len(market.names)
    for a, b in there.links.links:
        assert there.bus.said(a, b, TRADE_CONFIRMATION) is not None


def test_the_case_study_loop_equals_the_in_process_run():
    from dcmarket.sim.p2p.case_study import run_one

    scenario = load_any("p2p_ieee30")[1]
    here = run_one(scenario, True, max_outer=3)
    with use(RayExecutor()):
        there = run_one(scenario, True, max_outer=3)
    assert here.outer.equals(there.outer)
    for name, schedule in here.schedules.items():
        assert there.schedules[name].profit == pytest.approx(schedule.profit, rel=1e-9)
    assert same_log(here.model, there.model)


def test_the_dr_day_equals_the_in_process_run():
    from dcmarket.sim.dr.model import DRModel
    from dcmarket.sim.dr.study import day_prices

    scenario = load_any("dr_2000hosts")[1]
    history, actual = day_prices(scenario)
    here = DRModel(scenario, "OP", actual, history[-1], InProcess()).run_day()
    for executor in (RayExecutor(), RayExecutor(local_shard=True)):
        there = DRModel(scenario, "OP", actual, history[-1], executor).run_day()
        assert here.slots_frame().equals(there.slots_frame())
        assert here.bids_frame().equals(there.bids_frame())
        assert same_log(here, there)


def test_the_lec_twin_equals_the_in_process_run():
    from dcmarket.sim.lec.data import block_inputs
    from dcmarket.sim.lec.model import LECModel

    scenario = load_any("lec_10households")[1]
    inputs = block_inputs(scenario, 0, 1)
    here = LECModel(scenario, inputs, "NC", InProcess())
    a = here.run_twin()
    for executor in (RayExecutor(), RayExecutor(local_shard=True)):
        there = LECModel(scenario, inputs, "NC", executor)
        b = there.run_twin()
        assert (a.rounds, a.converged) == (b.rounds, b.converged)
        assert b.objective == pytest.approx(a.objective, rel=1e-9)
        assert same_log(here, there)


def test_a_shard_s_error_reaches_the_model_as_in_process(market):
    scenario = load_any("p2p_4dc_fixed_lmp", ["datacenters.DC1.grid_max_mw=0.001"])[1]
    with pytest.raises(ScenarioError, match="grid_max_mw"):
        P2PMarketModel(scenario, executor=RayExecutor()).run()


def test_a_chain_is_one_trip_per_shard_with_the_in_process_results(market):
    ray_model = P2PMarketModel(market, executor=RayExecutor())
    here = P2PMarketModel(market, executor=InProcess())
    chains = []
    for model in (ray_model, here):
        dcs = list(model.dcs.values())
        chains.append(model.host.chain([Call(dcs, "marginal_cost_of_work"),
                                        Call(dcs[::-1], "marginal_cost_of_work")]))
    for got, want in zip(chains[0], chains[1], strict=True):
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)
    dcs = list(ray_model.dcs.values())
    with pytest.raises(ChainError, match="announce_estimate"):
        ray_model.host.chain([Call(dcs, "announce_estimate"), Call(dcs, "receive_start")])


@BOTH
def test_a_chain_then_a_call_is_the_in_process_run_and_stops_at_the_chain_s_error(market,
                                                                                  local):
    """Without a log the call after the chain starts in the shards without a trip
    back to the model: the same results and counts; an error in the chain is
    raised as in process."""
    models = [P2PMarketModel(market, executor=e, keep_log=False)
              for e in (RayExecutor(local_shard=local), InProcess())]
    answers = []
    for model in models:
        dcs = list(model.dcs.values())
        model.host.do(dcs, "admm_local_solve")
        answers.append(model.host.chain_then(
            [Call(dcs, "marginal_cost_of_work"), Call(dcs[::-1], "admm_send_estimate")],
            Call(dcs, "admm_dual_step")))
        with pytest.raises(TypeError, match="marginal_cost_of_work"):
            model.host.chain_then([Call(dcs, "marginal_cost_of_work", (1,))],
                                  Call(dcs, "admm_dual_step"))
    (first, after), (first_here, after_here) = answers
    for got, want in zip(first[0], first_here[0], strict=True):
        np.testing.assert_array_equal(got, want)
    assert after == after_here
    assert models[0].bus.sent_messages == models[1].bus.sent_messages
    # the dual steps read the estimates and reported to the monitor as in process
    assert models[0]._read_reports() == models[1]._read_reports()


@BOTH
def test_a_shard_the_chain_does_not_call_gets_what_was_waiting_for_it(market, local):
    """DC3 and DC4 (the second shard; with ``local``, the model's process's) are
    not in the chain, but DC1 and DC2's opening estimates wait for them in the
    first shard's bulk: they arrive with the call after the chain, and the
    round reports are the in-process ones."""
    reports = []
    for executor in (RayExecutor(local_shard=local), InProcess()):
        model = P2PMarketModel(market, executor=executor, keep_log=False)
        dcs = list(model.dcs.values())
        model.host.do(dcs, "announce_estimate")
        model.host.chain_then([Call(dcs[:2], "marginal_cost_of_work")],
                              Call(dcs[:2], "receive_start"))
        model.host.do(dcs[2:], "receive_start")
        for method in ("admm_local_solve", "admm_send_estimate", "admm_dual_step"):
            model.host.do(dcs, method)
        reports.append(model._read_reports())
    assert reports[0] == reports[1]


@BOTH
def test_an_agent_s_private_data_stay_in_its_shard(market, local):
    model = P2PMarketModel(market, executor=RayExecutor(local_shard=local))
    for name in ("DC1", "DC4"):  # DC4: in the model's own process with ``local``
        with pytest.raises(AttributeError, match="private data stay in its shard"):
            _ = model.dcs[name]._spec
    here = P2PMarketModel(market, executor=InProcess())
    assert model.dcs["DC2"].partners == here.dcs["DC2"].partners  # public: read from the shard


def test_what_the_ray_executor_cannot_carry_is_named(market):
    with pytest.raises(ExecutorError, match="reorder"):
        P2PMarketModel(market, faults=FaultModel(reorder=True, seed=1),
                       executor=RayExecutor())
    with pytest.raises(ExecutorError, match="agents_per_shard"):
        RayExecutor(agents_per_shard=0)
    with pytest.raises(ExecutorError, match="inprocess or ray"):
        executor_of("dask")
    with pytest.raises(ExecutorError, match="local-shard is for the ray executor"):
        executor_of("inprocess", local_shard=True)


def test_the_cli_runs_the_market_in_ray_actors(tmp_path, capsys):
    from dcmarket.sim.cli import main

    try:
        code = main(["--executor", "ray", "run", "p2p_4dc_fixed_lmp", "--out",
                     str(tmp_path / "ray")])
        refused = main(["--executor", "ray", "run", "p2p_4dc_fixed_lmp",
                        "--set", "market.faults.reorder=true"])
    finally:
        set_default(None)
    assert code == 0
    assert refused == 2 and "cannot reorder" in capsys.readouterr().err
    manifest = json.loads((tmp_path / "ray" / "manifest.json").read_text())
    assert manifest["executor"]["name"] == "ray"
    assert main(["run", "p2p_4dc_fixed_lmp", "--out", str(tmp_path / "here")]) == 0
    ray_summary = json.loads((tmp_path / "ray" / "summary.json").read_text())
    here_summary = json.loads((tmp_path / "here" / "summary.json").read_text())
    assert ray_summary["rounds"] == here_summary["rounds"]
    assert ray_summary["profit_with"] == pytest.approx(here_summary["profit_with"], rel=1e-9)
    try:  # the model's process hosting one of the shards
        assert main(["--local-shard", "run", "p2p_4dc_fixed_lmp", "--out",
                     str(tmp_path / "local")]) == 0
    finally:
        set_default(None)
    manifest = json.loads((tmp_path / "local" / "manifest.json").read_text())
    assert (manifest["executor"]["name"], manifest["executor"]["local_shard"]) == ("ray", True)
    local_summary = json.loads((tmp_path / "local" / "summary.json").read_text())
    assert local_summary["rounds"] == here_summary["rounds"]
    assert local_summary["profit_with"] == pytest.approx(here_summary["profit_with"], rel=1e-9)


def test_on_a_two_node_cluster_agents_sit_on_both_nodes_with_the_same_result():
    script = Path(__file__).with_name("two_nodes.py")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=600, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["nodes"] == 2
    assert len(set(report["placement"].values())) == 2
    assert report["rounds"][0] == report["rounds"][1]
    assert report["welfare"][1] == pytest.approx(report["welfare"][0], rel=1e-9)
    assert report["max_price_difference"] <= 1e-9
    assert report["same_log"]


def test_a_ray_started_here_runs_its_shards_at_the_model_s_priority():
    """Ray's workers default to niceness 15; the shards started by ensure_ray
    run at WORKER_NICENESS (0), as the model's own process does."""
    script = ("import os, ray\n"
              "from dcmarket.sim.executors.ray_pool import WORKER_NICENESS, ensure_ray, workers\n"
              "ensure_ray()\n"
              "nice = ray.get(workers(1, 0)[0].__ray_call__.remote(lambda self: os.nice(0)))\n"
              "print(nice, WORKER_NICENESS)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, check=True, cwd=Path(__file__).parents[3],
                          env={**os.environ, "RAY_ADDRESS": ""})
    nice, wanted = map(int, done.stdout.split()[-2:])
    assert nice == wanted == 0


STRATEGY_FILE = '''
import numpy as np
from dcmarket.agents.strategies import DataCentreStrategy


class Cautious(DataCentreStrategy):
    """Offers half of each link and opens 50 % above its marginal cost."""

    name = "cautious"

    def configure(self, share=0.5):
        self.share = share

    def trade_limits(self, limits):
        return {j: q * self.share for j, q in limits.items()}

    def offer(self, marginal_cost):
        return 1.5 * marginal_cost
'''


def test_a_strategy_from_a_file_travels_to_the_workers(tmp_path):
    """Strategies pickle by value: the same non-truthful run in-process and on Ray
    (one agent per actor), and the strategy really acted."""
    rules = tmp_path / "my_rules.py"
    rules.write_text(STRATEGY_FILE)
    _, scenario, _ = load_any("p2p_4dc_fixed_lmp", (f"strategy.DC2={rules}:Cautious",))
    here = P2PMarketModel(scenario, executor=InProcess())
    there = P2PMarketModel(scenario, executor=RayExecutor(agents_per_shard=1))
    ra, rb = here.run(), there.run()
    assert_same_market(here, there, ra, rb)
    assert same_log(here, there)
    truthful = P2PMarketModel(load_any("p2p_4dc_fixed_lmp")[1], executor=InProcess()).run()
    assert abs(ra.welfare - truthful.welfare) > 1e-3 * abs(truthful.welfare)


def test_a_strategy_the_workers_cannot_load_is_an_error_not_truthful(tmp_path, monkeypatch):
    """A module only the model's process can import: building the agent in its
    actor fails by name, never falling back to the truthful DC."""
    package = tmp_path / "only_here"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "rules.py").write_text(STRATEGY_FILE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(Path(__file__).parent)
    _, scenario, _ = load_any("p2p_4dc_fixed_lmp", ("strategy.DC2=only_here.rules:Cautious",))
    with pytest.raises(StrategyError, match=r"only_here\.rules:Cautious cannot be loaded in "
                       r"process \d+.*No module named 'only_here'"):
        P2PMarketModel(scenario, executor=RayExecutor(agents_per_shard=1)).run()


@pytest.mark.parametrize("address, words", [
    ("127.0.0.1:1", "nothing answers there within"),
    ("not an address", "expected host:port"),
    ("10.0.0.5:99999", "expected host:port"),
], ids=["unreachable", "malformed", "bad-port"])
def test_a_bad_ray_address_fails_fast_by_name(address, words, capsys):
    """No hang, no traceback: exit 2 within seconds naming the address (run in a
    process without Ray started, as a user's command is)."""
    code = ("import sys; from dcmarket.sim.cli import main; "
            f"sys.exit(main(['--executor', 'ray', '--ray-address', {address!r}, 'run']))")
    tic = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert time.perf_counter() - tic < 60
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and repr(address) in lines[0] and words in lines[0], done.stderr


def test_a_lost_worker_ends_the_run_naming_its_shard_agents_and_round(market):
    import ray as ray_module

    from dcmarket.sim.executors import WorkerLostError

    model = P2PMarketModel(market, executor=RayExecutor(agents_per_shard=1))
    model.step()
    shard = model.host.shard_of("DC3")
    ray_module.kill(model.host._actors[shard])
    with pytest.raises(WorkerLostError, match=rf"shard {shard} \(agents DC3\) was lost in "
                                              r"round 2"):
        model.step()
