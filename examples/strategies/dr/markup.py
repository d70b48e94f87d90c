"""Bids 1.2 times its true cost: under pay-as-bid a winner keeps the markup,
until the markup prices it out of the winner set."""

from dcmarket import DRUserStrategy


class Markup(DRUserStrategy):
    name = "example_markup"

    def configure(self, factor=1.2):
        self.factor = float(factor)

    def fee(self, true_cost_eur, n_tasks, delay_slots):
        return self.factor * true_cost_eur
