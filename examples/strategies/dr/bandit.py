"""An epsilon-greedy bandit over markups: each call it bids one arm's markup,
and each award tells it what that arm earned (payment minus true cost).
What it learned lives in the module, so it carries from one run to the next
within one process (a tournament keeps each entrant's process)."""

import random

from dcmarket import DRUserStrategy

ARMS = (1.0, 1.1, 1.2, 1.5, 2.0)
EARNED = dict.fromkeys(ARMS, 0.0)  # € earned over truthful play, per arm
TRIED = dict.fromkeys(ARMS, 0)
RNG = random.Random(0)


class MarkupBandit(DRUserStrategy):
    name = "example_bandit"

    def configure(self, explore=0.2):
        self.explore = float(explore)
        self.arm = ARMS[0]

    def fee(self, true_cost_eur, n_tasks, delay_slots):
        untried = [a for a in ARMS if TRIED[a] == 0]
        if untried:
            self.arm = untried[0]
        elif RNG.random() < self.explore:
            self.arm = RNG.choice(ARMS)
        else:
            self.arm = max(ARMS, key=lambda a: EARNED[a] / TRIED[a])
        return self.arm * true_cost_eur

    def award(self, won, payment_eur, true_cost_eur):
        TRIED[self.arm] += 1
        EARNED[self.arm] += payment_eur - true_cost_eur if won else 0.0
