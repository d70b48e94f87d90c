"""Price forecasters by name (paper 002, Section 4.1.1).

One place that knows every forecaster, so that :mod:`grid.forecast` (the
statistical ones) and :mod:`grid.lstm_forecast` (PyTorch) need not import
each other.
"""

from __future__ import annotations

import numpy as np

from dcmarket.grid.forecast import (
    ForecastError,
    HoltWinters,
    Oracle,
    Persistence,
    PriceForecaster,
    SeasonalNaive,
)

ONE_STEP = ("persistence",)  # forecasters that only predict the next hour


def make_forecaster(kind: str, *, seed: int = 0, epochs: int = 100,
                    actual: np.ndarray | None = None,
                    horizon: str = "day_ahead") -> PriceForecaster:
    """A forecaster by name (``seasonal_naive``, ``holt_winters``, ``lstm``,
    ``persistence``, ``oracle``); ``horizon`` (``day_ahead`` or ``one_step``)
    chooses the LSTM's reading of the paper."""
    if kind == "seasonal_naive":
        return SeasonalNaive()
    if kind == "holt_winters":
        return HoltWinters()
    if kind == "persistence":
        return Persistence()
    if kind == "lstm":
        from dcmarket.grid.lstm_forecast import LSTMForecaster

        return LSTMForecaster(seed=seed, epochs=epochs, horizon=1 if horizon == "one_step"
                              else 24)
    if kind == "oracle":
        if actual is None:
            raise ForecastError("oracle forecaster needs the actual prices")
        return Oracle(actual)
    raise ForecastError(f"unknown forecaster {kind!r}; choose seasonal_naive, holt_winters, "
                        "lstm, persistence or oracle")


def forecast_day(forecaster: PriceForecaster, actual: np.ndarray) -> np.ndarray:
    """The day's forecast: at once (day-ahead) or hour by hour from the actual
    prices up to the hour before (one-step-ahead)."""
    if getattr(forecaster, "horizon", 24) == 1:
        return forecaster.predict_rolling(actual)
    return forecaster.predict()
