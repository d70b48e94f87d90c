"""Shared fixtures: seeded instances built from the shipped generators."""

from __future__ import annotations

import gc
import warnings

import pytest

from dcmarket.sim.p2p.config import P2PScenario, parse_scenario
from dcmarket.sim.p2p.instances import reference_scenario


@pytest.fixture(scope="session")
def reference() -> P2PScenario:
    return parse_scenario(reference_scenario())


@pytest.fixture(scope="session")
def reference_raw() -> dict:
    return reference_scenario()


@pytest.fixture(scope="module")
def ray_session():
    """One local Ray instance with 2 CPUs and no dashboard for the module."""
    ray = pytest.importorskip("ray")
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    if started:
        ray.shutdown()
        # Ray's pipes and log files of the session are collected here, not
        # during a later test that records every warning
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
