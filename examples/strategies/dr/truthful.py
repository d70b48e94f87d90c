"""Bids its true cost of delay: the paper's user."""

from dcmarket import DRUserStrategy


class Truthful(DRUserStrategy):
    name = "example_truthful"
