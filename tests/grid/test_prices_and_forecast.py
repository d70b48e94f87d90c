"""SMARD price history, forecasters and the DR program's reward rule (paper 002)."""

from __future__ import annotations

import numpy as np
import pytest

from dcmarket.grid.dr_program import DRProgram, reference_power
from dcmarket.grid.forecast import (
    ForecastError,
    HoltWinters,
    SeasonalNaive,
    mape,
    peak_hours,
)
from dcmarket.grid.forecasters import forecast_day, make_forecaster
from dcmarket.grid.prices import PriceDataError, daily_price_matrix, price_days, smard_prices


def test_smard_history_has_every_hour_of_both_years():
    for year in (2015, 2018):
        prices = smard_prices(year, "DE")
        assert len(prices) == 8760 and prices.index.tz is not None
        assert daily_price_matrix(prices).shape == (365, 24)
    assert smard_prices(2018, "DE").notna().all()


def test_gaps_in_the_history_are_refused_not_filled():
    gaps = smard_prices(2015, "DE").isna()
    assert gaps.sum() == 96  # SMARD has no DE-AT-LU price on the first four days of 2015
    with pytest.raises(PriceDataError, match="prices missing on 2015-01-01"):
        price_days(2015, "DE", "2015-01-01", 10)
    assert price_days(2015, "DE", "2015-01-05", 10).shape == (10, 24)


def test_dst_days_are_filled_and_averaged():
    prices = smard_prices(2018, "DE")
    matrix = daily_price_matrix(prices)
    spring = matrix.loc["2018-03-25"].to_numpy()
    assert np.isfinite(spring).all()
    assert spring[2] == pytest.approx(0.5 * (spring[1] + spring[3]))  # no 02:00 that day
    local = prices.tz_convert("Europe/Berlin")["2018-10-28"]
    twice = local[local.index.hour == 2].to_numpy()
    assert len(twice) == 2
    assert matrix.loc["2018-10-28", 2] == pytest.approx(twice.mean())


def test_bad_price_requests_are_named():
    with pytest.raises(PriceDataError, match="zone 'XX'"):
        smard_prices(2018, "XX")
    with pytest.raises(PriceDataError, match="2016"):
        smard_prices(2016)
    with pytest.raises(PriceDataError, match="only 2 available"):
        price_days(2018, "DE", "2018-12-30", 5)


def test_seasonal_naive_repeats_the_last_day():
    history = np.arange(72, dtype=float).reshape(3, 24)
    assert np.array_equal(SeasonalNaive().fit(history).predict(), history[-1])


def test_holt_winters_learns_a_pure_daily_cycle():
    hours = np.arange(24 * 14)
    series = 40 + 10 * np.sin(2 * np.pi * hours / 24)
    forecast = HoltWinters().fit(series.reshape(14, 24)).predict()
    assert mape(forecast, series[:24]) < 1.0
    assert np.argmax(forecast) == 6 and np.argmin(forecast) == 18


def test_forecasters_refuse_short_or_gappy_histories():
    with pytest.raises(ForecastError, match="at least 2 training days"):
        HoltWinters().fit(np.ones((1, 24)))
    with pytest.raises(ForecastError, match="missing"):
        SeasonalNaive().fit(np.full((2, 24), np.nan))
    with pytest.raises(ForecastError, match="days × 24"):
        SeasonalNaive().fit(np.ones(24))
    with pytest.raises(ForecastError, match="unknown forecaster"):
        make_forecaster("prophet")


def test_lstm_trains_deterministically_and_learns():
    pytest.importorskip("torch")
    history = price_days(2018, "DE", "2018-01-01", 15).to_numpy()
    first = make_forecaster("lstm", seed=3, epochs=8).fit(history)
    again = make_forecaster("lstm", seed=3, epochs=8).fit(history)
    assert np.array_equal(first.predict(), again.predict())
    assert first.losses[-1] < first.losses[0]
    assert first.predict().shape == (24,) and np.isfinite(first.predict()).all()


def test_one_step_lstm_sees_only_the_hours_before():
    """Hour h of a one-step forecast depends on the actual prices up to h − 1 only."""
    pytest.importorskip("torch")
    days = price_days(2018, "DE", "2018-01-01", 11).to_numpy()
    history, day = days[:-1], days[-1]
    model = make_forecaster("lstm", seed=1, epochs=3, horizon="one_step").fit(history)
    base = forecast_day(model, day)
    changed = day.copy()
    changed[12:] += 50.0
    moved = forecast_day(model, changed)
    assert np.array_equal(base[:13], moved[:13])  # hours 0..12 saw nothing of the change
    assert not np.allclose(base[13:], moved[13:])
    with pytest.raises(ForecastError, match="predict_rolling"):
        model.predict()


def test_persistence_is_the_hour_before():
    days = price_days(2018, "DE", "2018-01-01", 4).to_numpy()
    forecast = forecast_day(make_forecaster("persistence").fit(days[:-1]), days[-1])
    assert forecast[0] == days[-2][-1]
    assert np.array_equal(forecast[1:], days[-1][:-1])


def test_peak_hours_and_mape():
    prices = np.array([1.0] * 24)
    prices[[3, 10, 20]] = [5.0, 7.0, 6.0]
    assert peak_hours(prices, 2).tolist() == [10, 20]
    assert mape(np.array([110.0, 90.0]), np.array([100.0, 100.0])) == pytest.approx(10.0)


def test_reward_rule_threshold_and_cap():
    program = DRProgram(theta0_eur_per_mwh=100.0, requested_share=0.2)
    requested = 2.0
    assert program.reward_eur(0.99, requested) == 0.0          # ER < 0.5
    assert program.reward_eur(1.0, requested) == pytest.approx(100.0)   # ER = 0.5
    assert program.reward_eur(2.0, requested) == pytest.approx(200.0)
    assert program.reward_eur(5.0, requested) == pytest.approx(240.0)   # capped at 1.2
    assert program.execution_rate(1.0, requested) == pytest.approx(0.5)
    assert reference_power(np.arange(48.0).reshape(2, 24), days=2)[0] == pytest.approx(12.0)
    with pytest.raises(ValueError, match="5 days"):
        reference_power(np.ones((3, 24)))
