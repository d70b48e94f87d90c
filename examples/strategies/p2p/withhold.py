"""Offers only three quarters of each link's capacity: a move no settlement
rule can refuse (it is the DC's own capacity), which raises the scarcity
price on its links when it is a net buyer or seller there."""

from dcmarket import DataCentreStrategy


class WithholdQuarter(DataCentreStrategy):
    name = "example_withhold"

    def configure(self, share=0.25):
        self.share = float(share)

    def trade_limits(self, limits):
        return {partner: q * (1.0 - self.share) for partner, q in limits.items()}
