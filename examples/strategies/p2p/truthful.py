"""Says what it computes: the paper's data centre (every hook left as it is)."""

from dcmarket import DataCentreStrategy


class Truthful(DataCentreStrategy):
    name = "example_truthful"
