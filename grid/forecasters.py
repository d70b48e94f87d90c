"""Price forecasters by name (paper 002, Section 4.1.1).

One place that knows every forecaster, so that :mod:`grid.forecast` (the
statistical ones) and :mod:`grid.lstm_forecast` (PyTorch) need not import
each other.
"""

from __future__ import annotations

import numpy as np

from grid.forecast import ForecastError, HoltWinters, Oracle, PriceForecaster, SeasonalNaive


def make_forecaster(kind: str, *, seed: int = 0, epochs: int = 100,
                    actual: np.ndarray | None = None) -> PriceForecaster:
    """A forecaster by name (``seasonal_naive``, ``holt_winters``, ``lstm``, ``oracle``)."""
    if kind == "seasonal_naive":
        return SeasonalNaive()
    if kind == "holt_winters":
        return HoltWinters()
    if kind == "lstm":
        from grid.lstm_forecast import LSTMForecaster

        return LSTMForecaster(seed=seed, epochs=epochs)
    if kind == "oracle":
        if actual is None:
            raise ForecastError("oracle forecaster needs the actual prices")
        return Oracle(actual)
    raise ForecastError(f"unknown forecaster {kind!r}; choose seasonal_naive, holt_winters, "
                        "lstm or oracle")
