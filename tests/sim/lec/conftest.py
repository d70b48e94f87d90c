"""The shipped LEC scenario, shared by the LEC tests."""

from __future__ import annotations

import pytest

from dcmarket.sim.lec.config import load_lec_scenario
from dcmarket.sim.scenario import scenario_path


@pytest.fixture(scope="module")
def scenario():
    return load_lec_scenario(scenario_path("lec_10households"))
