"""Bisection bookkeeping of the bi-level loop, docs/p2p.md (49)–(54)."""

from __future__ import annotations

import numpy as np
import pytest

from dcmarket.market.bilevel import BisectionBoxes, oscillating, power_residual


def test_oscillation_is_detected_per_pair():
    a = np.array([[24.5, 10.0]])
    b = np.array([[3.4, 10.0]])
    history = [a, b, a.copy()]
    mask = oscillating(history, tol=0.1)
    assert mask.tolist() == [[True, False]]  # only the pair that came back and moved
    assert not oscillating(history[:2], tol=0.1).any()


def test_bisection_keeps_the_half_on_the_side_of_the_response():
    boxes = BisectionBoxes.empty(1, 2)
    opened = boxes.open(np.array([[True, False]]), np.array([[24.5, 0]]),
                        np.array([[3.4, 0]]), iteration=3)
    assert opened == 1 and boxes.opened_at == {(0, 0): 3}
    m = boxes.midpoints()
    assert m[0, 0] == (24.5 + 3.4) / 2 and np.isnan(m[0, 1])
    boxes.narrow(m, np.array([[20.0, 5.0]]))  # response above the midpoint: lo = m
    assert boxes.lo[0, 0] == m[0, 0] and boxes.hi[0, 0] == 24.5
    m2 = boxes.midpoints()
    boxes.narrow(m2, np.array([[m2[0, 0] - 1, 5.0]]))  # below: hi = m
    assert boxes.hi[0, 0] == m2[0, 0]
    assert boxes.widest() == pytest.approx((24.5 - (24.5 + 3.4) / 2) / 2)
    assert np.isnan(boxes.lo[0, 1])  # the unboxed pair stays free


def test_power_residual_is_the_largest_change():
    assert power_residual(np.array([[1.0, 5.0]]), np.array([[1.5, 2.0]])) == 3.0
