"""Tells the EOA only 90 % of its best response, to look smaller than it is."""

from dcmarket import HouseholdStrategy


class HoldBack(HouseholdStrategy):
    name = "example_hold_back"

    def configure(self, factor=0.9):
        self.factor = float(factor)

    def offer(self, electricity_kw, heat_kw):
        return self.factor * electricity_kw, self.factor * heat_kw
