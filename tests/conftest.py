"""Shared fixtures: seeded instances built from the shipped generators."""

from __future__ import annotations

import pytest

from dcmarket.sim.p2p.config import P2PScenario, parse_scenario
from dcmarket.sim.p2p.instances import reference_scenario


@pytest.fixture(scope="session")
def reference() -> P2PScenario:
    return parse_scenario(reference_scenario())


@pytest.fixture(scope="session")
def reference_raw() -> dict:
    return reference_scenario()
