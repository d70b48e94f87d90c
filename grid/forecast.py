"""Day-ahead price forecasters behind one interface (paper 002, Section 4.1.1).

A forecaster is trained on the previous ``k`` days of hourly prices (a
``k × 24`` array) and predicts the 24 prices of day ``k + 1``. Three kinds:

- ``seasonal_naive`` — tomorrow repeats today (the baseline every forecast
  must beat);
- ``holt_winters`` — additive Holt–Winters exponential smoothing with a
  24-hour season (statsmodels), a well-kept statistical model;
- ``lstm`` — the paper's long short-term memory network (PyTorch, optional
  extra ``dcmarket[lstm]``; see :mod:`grid.lstm_forecast`; :func:`grid.forecasters.make_forecaster`
  picks one by name).

``oracle`` returns the true prices: a perfect-foresight bound for studies.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Protocol

import numpy as np

HOURS = 24


class ForecastError(ValueError):
    """A forecaster that cannot be trained or asked as requested."""


class PriceForecaster(Protocol):
    """Trained on ``k`` days, predicts the next day's 24 hourly prices."""

    name: str

    def fit(self, history: np.ndarray) -> PriceForecaster: ...

    def predict(self) -> np.ndarray: ...


def check_history(history: np.ndarray, min_days: int = 1, who: str = "forecaster") -> np.ndarray:
    """A finite ``days × 24`` history with at least ``min_days`` days."""
    history = np.asarray(history, dtype=float)
    if history.ndim != 2 or history.shape[1] != HOURS:
        raise ForecastError(f"{who}: price history must be days × 24, got shape {history.shape}")
    if history.shape[0] < min_days:
        raise ForecastError(f"{who}: needs at least {min_days} training days, "
                            f"the price history has {history.shape[0]}")
    if not np.isfinite(history).all():
        raise ForecastError(f"{who}: price history has missing values")
    return history


@dataclass
class SeasonalNaive:
    """Tomorrow's price in hour ``h`` is today's price in hour ``h``."""

    name: str = "seasonal_naive"
    _last: np.ndarray | None = None

    def fit(self, history: np.ndarray) -> SeasonalNaive:
        self._last = check_history(history, 1, self.name)[-1].copy()
        return self

    def predict(self) -> np.ndarray:
        if self._last is None:
            raise ForecastError(f"{self.name}: predict() before fit()")
        return self._last.copy()


@dataclass
class HoltWinters:
    """Additive Holt–Winters smoothing, season 24 h (statsmodels ``ExponentialSmoothing``).

    Fitted by statsmodels' maximum likelihood on the flattened history; needs
    two full seasons (2 days) at least.
    """

    name: str = "holt_winters"
    damped_trend: bool = True
    _fit: object | None = None

    def fit(self, history: np.ndarray) -> HoltWinters:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        series = check_history(history, 2, self.name).ravel()
        model = ExponentialSmoothing(series, trend="add", damped_trend=self.damped_trend,
                                     seasonal="add", seasonal_periods=HOURS,
                                     initialization_method="estimated")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter on short series
            self._fit = model.fit()
        return self

    def predict(self) -> np.ndarray:
        if self._fit is None:
            raise ForecastError(f"{self.name}: predict() before fit()")
        return np.asarray(self._fit.forecast(HOURS), dtype=float)


@dataclass
class Oracle:
    """Perfect foresight: returns the prices it is given (an upper bound for studies)."""

    actual: np.ndarray
    name: str = "oracle"

    def fit(self, history: np.ndarray) -> Oracle:
        check_history(history, 0, self.name)
        return self

    def predict(self) -> np.ndarray:
        return np.asarray(self.actual, dtype=float).copy()


@dataclass
class Persistence:
    """One-step-ahead baseline: each hour's price is the hour before's (the last
    hour of the history for the day's first hour)."""

    name: str = "persistence"
    horizon: int = 1
    _last: float | None = None

    def fit(self, history: np.ndarray) -> Persistence:
        self._last = float(check_history(history, 1, self.name).ravel()[-1])
        return self

    def predict(self) -> np.ndarray:
        raise ForecastError(f"{self.name}: a one-step forecaster predicts the day hour by "
                            "hour from the actual prices: predict_rolling(day)")

    def predict_rolling(self, day: np.ndarray) -> np.ndarray:
        if self._last is None:
            raise ForecastError(f"{self.name}: predict_rolling() before fit()")
        return np.concatenate([[self._last], np.asarray(day, float)[:-1]])


def mape(forecast: np.ndarray, actual: np.ndarray) -> float:
    """Mean absolute percentage error in % (hours with a zero price are skipped)."""
    forecast, actual = np.asarray(forecast, float), np.asarray(actual, float)
    keep = np.abs(actual) > 1e-9
    return float(100.0 * np.mean(np.abs(forecast[keep] - actual[keep]) / np.abs(actual[keep])))


def peak_hours(prices: np.ndarray, n_events: int) -> np.ndarray:
    """The ``n_events`` highest-priced hours, ascending (ties: earlier hour first)."""
    prices = np.asarray(prices, dtype=float)
    order = np.lexsort((np.arange(prices.size), -prices))
    return np.sort(order[:n_events])
