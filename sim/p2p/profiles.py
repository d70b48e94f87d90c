"""Seeded generators of hourly profiles (workload, temperature, prices).

Shapes follow paper ``000``'s Fig. 3: interactive work is low near 04 h and
high near 16 h; batch work is flatter.  Every random number comes from the
``numpy.random.Generator`` passed in, so a seed reproduces a profile exactly.
These are documented synthetic shapes, used where a test or a sweep needs
many instances; measured weather and grid data come in with the grid model.
"""

from __future__ import annotations

import numpy as np


def diurnal_shape(hours: int, low_hour: float = 4.0, dt: float = 1.0) -> np.ndarray:
    """0 at ``low_hour``, 1 twelve hours later (raised cosine, period 24 h)."""
    t = np.arange(hours) * dt
    return 0.5 * (1.0 - np.cos(2.0 * np.pi * (t - low_hour) / 24.0))


def interactive_profile(
    rng: np.random.Generator, hours: int, peak: float, low_share: float = 0.35,
    noise: float = 0.04, peak_hour: float = 16.0,
) -> np.ndarray:
    """IW arrivals (M requests/h): ``peak`` near ``peak_hour`` (16 h), ``low_share·peak``
    twelve hours earlier."""
    base = peak * (low_share + (1.0 - low_share) * diurnal_shape(hours, peak_hour - 12.0))
    return np.maximum(base * (1.0 + noise * rng.standard_normal(hours)), 0.0)


def batch_profile(
    rng: np.random.Generator, hours: int, mean: float, swing: float = 0.3, noise: float = 0.1,
    peak_hour: float = 14.0,
) -> np.ndarray:
    """BW arrivals (M requests/h) around ``mean``, ``±swing/2`` peaking at ``peak_hour``."""
    base = mean * (1.0 + swing * (diurnal_shape(hours, low_hour=peak_hour - 12.0) - 0.5))
    return np.maximum(base * (1.0 + noise * rng.standard_normal(hours)), 0.0)


def temperature_profile(
    rng: np.random.Generator, hours: int, mean: float, swing: float = 4.0, noise: float = 0.3
) -> np.ndarray:
    """Outdoor temperature (°C), warmest near 15 h."""
    shape = diurnal_shape(hours, low_hour=3.0) - 0.5
    return mean + 2.0 * swing * shape + noise * rng.standard_normal(hours)


def lmp_profile(
    rng: np.random.Generator, hours: int, level: float, swing: float = 0.4,
    afternoon_premium: float = 0.0, noise: float = 0.03,
) -> np.ndarray:
    """A bus price ($/MWh) following load, plus an optional congestion premium
    in hours 11–18 (the hours the paper's case congests)."""
    t = np.arange(hours) % 24
    price = level * (1.0 - swing / 2 + swing * diurnal_shape(hours, low_hour=4.0))
    price = price + afternoon_premium * ((t >= 11) & (t <= 18))
    return np.maximum(price * (1.0 + noise * rng.standard_normal(hours)), 0.0)
