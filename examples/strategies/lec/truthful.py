"""Offers its best response: the paper's household."""

from dcmarket import HouseholdStrategy


class Truthful(HouseholdStrategy):
    name = "example_truthful"
