"""The DR day on prices of one's own (docs/data.md): a file holding the
shipped SMARD prices — in €/kWh, stamped in UTC — gives the day and its
history exactly as the shipped source does (the oracle), and a day the file
does not hold whole, or too short a history, is named before solving."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import dcmarket
from dcmarket.grid.prices import smard_prices
from dcmarket.sim.dr.study import day_prices
from dcmarket.sim.scenario import ScenarioError


@pytest.fixture(scope="module")
def price_file(tmp_path_factory):
    utc = smard_prices(2018, "DE").loc["2017-12-31 23:00":"2018-02-02 00:00"]
    path = tmp_path_factory.mktemp("prices") / "prices.parquet"
    pd.DataFrame({"stamp": utc.index, "eur_per_kwh": utc.to_numpy() / 1000}).to_parquet(path)
    return path


def own(path, *settings):
    return dcmarket.load("dr_2000hosts", *settings, f"prices={{source: file, file: {path}, "
                         "column: eur_per_kwh, unit: €/kWh, time: stamp, "
                         "timezone: Europe/Berlin}")


def test_a_price_file_gives_the_shipped_day_and_history(price_file):
    shipped = dcmarket.load("dr_2000hosts")
    mine = own(price_file)
    (h0, a0), (h1, a1) = day_prices(shipped), day_prices(mine)
    np.testing.assert_allclose(a1, a0, atol=1e-9)
    np.testing.assert_allclose(h1, h0[-len(h1):], atol=1e-9)
    assert len(h1) == 31  # January, the days before 1 February
    outcome = dcmarket.run(own(price_file, "forecast.method=seasonal_naive"), "op_exact")
    assert outcome.converged


def test_a_day_not_held_whole_or_too_little_history_is_named(price_file):
    with pytest.raises(ScenarioError, match="day 2018-03-01 is not a whole day of"):
        own(price_file, "day=2018-03-01")
    with pytest.raises(ScenarioError, match="31 training days are needed before 2018-01-20"):
        own(price_file, "day=2018-01-20")
    with pytest.raises(ScenarioError, match="a price file needs its time column"):
        dcmarket.load("dr_2000hosts", f"prices={{source: file, file: {price_file}, "
                                      "column: eur_per_kwh, unit: €/kWh}")
