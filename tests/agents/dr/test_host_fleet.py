"""The host fleet: Σ of the per-host linear model (5) and its closed form agree."""

from __future__ import annotations

import numpy as np
import pytest

from dcmarket.agents.dr.host_fleet import HostFleet
from dcmarket.agents.dr.task_streams import TASK_TYPES, generate_task_streams


@pytest.mark.parametrize("idle", ["off", "idle"])
def test_fleet_power_is_the_sum_of_host_powers(idle):
    fleet = HostFleet(50, 8, 200.0, 0.6, idle)
    for tasks in (0, 1, 7, 8, 9, 123, 400):
        u = fleet.utilisation(tasks)
        assert u.sum() * fleet.cores == pytest.approx(tasks)
        assert (u <= 1).all()
        per_host = np.where((u > 0) | (idle == "idle"), 200e-6 * (0.6 + 0.4 * u), 0.0)
        assert fleet.power_mw(tasks) == pytest.approx(per_host.sum())
        assert fleet.host_power_mw(tasks).sum() == pytest.approx(per_host.sum())


def test_fleet_refuses_more_tasks_than_cores():
    fleet = HostFleet(2, 4, 100.0, 0.5)
    with pytest.raises(ValueError, match=r"holds 0\.\.8"):
        fleet.power_mw(9)


def test_task_streams_follow_the_paper_ratio():
    streams = generate_task_streams(np.random.default_rng(0), 10, 8000.0)
    totals = sum(s.counts for s in streams).sum(axis=1)
    interactive, batch = totals[0], totals[1:].sum()
    assert interactive / batch == pytest.approx(1 / 1.5, rel=0.03)
    assert len(TASK_TYPES) == 3 and all(s.n_slots == 24 for s in streams)
    assert sum(s.counts for s in streams).sum() / 24 == pytest.approx(8000, rel=0.02)
