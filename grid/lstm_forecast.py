"""The paper's LSTM price forecaster (paper 002, Section 4.1.1; PyTorch).

Setup as the paper describes it: prices scaled to [0, 1] on the training
window (the paper used scikit-learn's scaler; here the same min–max in
NumPy), an LSTM trained with AdaDelta for ``epochs`` iterations (100 in the
paper) on the previous ``k`` days, predicting day ``k + 1``. The paper does
not say how far ahead each prediction reaches; both readings are here, named
by ``horizon``: 24, **day-ahead** (each sample is the last 24 hours, the
target the following 24, direct multi-output: the whole day is known before
it starts), and 1, **one-step-ahead** (the target is the next hour; the day is
predicted hour by hour, each hour from the actual prices up to the hour
before, :meth:`LSTMForecaster.predict_rolling`). Other choices: each hour is
fed as (price, sine and cosine of its hour of day) so the network knows where
in the day a window ends (with the price alone it learnt a flat mean on
January 2018); one LSTM layer of 32 units and a linear head; an epoch is one
shuffled pass in mini-batches of 32 windows; everything seeded
(``torch.manual_seed`` and deterministic algorithms) so a
run repeats exactly on the same machine.

PyTorch is an optional extra: ``pip install 'dcmarket[lstm]'`` (pinned to the
CPU build 2.13.0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dcmarket.grid.forecast import HOURS, ForecastError, check_history

try:
    import torch
    from torch import nn
except ImportError:  # pragma: no cover - exercised only without the extra
    torch = None
    nn = None


def _require_torch() -> None:
    if torch is None:
        raise ForecastError("the lstm forecaster needs PyTorch: pip install 'dcmarket[lstm]' "
                            "(or choose seasonal_naive / holt_winters)")


if nn is not None:

    class _PriceLSTM(nn.Module):
        def __init__(self, hidden: int, horizon: int) -> None:
            super().__init__()
            self.lstm = nn.LSTM(input_size=3, hidden_size=hidden, batch_first=True)
            self.head = nn.Linear(hidden, horizon)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out, _ = self.lstm(x)
            return self.head(out[:, -1, :])


def _with_hour_of_day(scaled: np.ndarray) -> np.ndarray:
    """Each hour as (scaled price, sin, cos of the hour of day); days start at hour 0."""
    angle = 2.0 * np.pi * (np.arange(scaled.size) % HOURS) / HOURS
    return np.stack([scaled, np.sin(angle), np.cos(angle)], axis=1)


@dataclass
class LSTMForecaster:
    """LSTM forecaster (AdaDelta, ``epochs`` passes over the training windows);
    ``horizon`` 24 predicts the next day at once, 1 the next hour."""

    seed: int = 0
    epochs: int = 100
    horizon: int = HOURS
    hidden: int = 32
    batch_size: int = 32
    name: str = "lstm"
    losses: list[float] = field(default_factory=list)
    #: called after each epoch with (epoch, mean training loss), e.g. a progress bar
    on_epoch: Callable[[int, float], None] | None = None
    _model: object | None = None
    _scale: tuple[float, float] = (0.0, 1.0)
    _last_day: np.ndarray | None = None
    _last_prices: np.ndarray | None = None

    def fit(self, history: np.ndarray) -> LSTMForecaster:
        _require_torch()
        history = check_history(history, 3, self.name)
        series = history.ravel()
        low, high = float(series.min()), float(series.max())
        span = high - low if high > low else 1.0
        self._scale = (low, span)
        scaled = (series - low) / span
        features = _with_hour_of_day(scaled)
        if self.horizon not in (1, HOURS):
            raise ForecastError(f"{self.name}: horizon {self.horizon}; 1 (one-step) or "
                                f"{HOURS} (day-ahead)")
        windows = np.lib.stride_tricks.sliding_window_view(np.arange(scaled.size),
                                                           HOURS + self.horizon)
        inputs = torch.tensor(features[windows[:, :HOURS]], dtype=torch.float32)
        targets = torch.tensor(scaled[windows[:, HOURS:]], dtype=torch.float32)

        torch.manual_seed(self.seed)
        torch.use_deterministic_algorithms(True)
        torch.set_num_threads(1)
        model = _PriceLSTM(self.hidden, self.horizon)
        optimiser = torch.optim.Adadelta(model.parameters(), lr=1.0)
        loss_fn = nn.MSELoss()
        order = torch.Generator().manual_seed(self.seed)
        self.losses = []
        for epoch in range(self.epochs):
            epoch_loss = 0.0
            for batch in torch.randperm(len(inputs), generator=order).split(self.batch_size):
                optimiser.zero_grad()
                loss = loss_fn(model(inputs[batch]), targets[batch])
                loss.backward()
                optimiser.step()
                epoch_loss += float(loss.detach()) * len(batch)
            self.losses.append(epoch_loss / len(inputs))
            if self.on_epoch is not None:
                self.on_epoch(epoch + 1, self.losses[-1])
        self._model = model
        self._last_day = features[-HOURS:].copy()
        self._last_prices = series[-HOURS:].copy()
        return self

    def predict(self) -> np.ndarray:
        """The next day (day-ahead); a one-step model needs :meth:`predict_rolling`."""
        if self._model is None or self._last_day is None:
            raise ForecastError(f"{self.name}: predict() before fit()")
        if self.horizon != HOURS:
            raise ForecastError(f"{self.name}: a one-step model predicts the day hour by hour "
                                "from the actual prices: predict_rolling(day)")
        with torch.no_grad():
            x = torch.tensor(self._last_day[None], dtype=torch.float32)
            scaled = self._model(x).numpy().ravel()
        low, span = self._scale
        return scaled.astype(float) * span + low

    def predict_rolling(self, day: np.ndarray) -> np.ndarray:
        """One-step-ahead over ``day``: hour h from the 24 actual prices before it."""
        if self._model is None or self._last_prices is None:
            raise ForecastError(f"{self.name}: predict_rolling() before fit()")
        if self.horizon != 1:
            return self.predict()
        low, span = self._scale
        series = np.concatenate([self._last_prices, np.asarray(day, float)])
        features = _with_hour_of_day((series - low) / span)  # the tail starts at hour 0
        windows = np.stack([features[h:h + HOURS] for h in range(HOURS)])
        with torch.no_grad():
            scaled = self._model(torch.tensor(windows, dtype=torch.float32)).numpy().ravel()
        return scaled.astype(float) * span + low
