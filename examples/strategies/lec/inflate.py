"""Tells the EOA 10 % more than its best response (its commitment stays what
it does): the exchange converges more slowly, if at all."""

from dcmarket import HouseholdStrategy


class Inflate(HouseholdStrategy):
    name = "example_inflate"

    def configure(self, factor=1.1):
        self.factor = float(factor)

    def offer(self, electricity_kw, heat_kw):
        return self.factor * electricity_kw, self.factor * heat_kw
