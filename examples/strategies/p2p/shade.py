"""Shades its price estimates: a little lower where it buys, higher where it
sells, and confirms what it sent.  Its partners' estimates never agree with
its own, so dual-consensus ADMM does not converge: the protocol catches it."""

import numpy as np

from dcmarket import DataCentreStrategy


class Shade(DataCentreStrategy):
    name = "example_shade"

    def configure(self, delta=0.05):
        self.delta = float(delta)

    def estimate(self, partner, y, trades):
        return y - self.delta * np.sign(trades)

    def report(self, prices, trades):
        return prices - self.delta * np.sign(trades), trades

    def confirmation(self, partner, price, q):
        return price - self.delta * np.sign(q), q
