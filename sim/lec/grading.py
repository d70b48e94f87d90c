"""How a household's strategy is graded in the energy community (paper 001;
sim/strategic).

The protocol is the exchange ADMM between the households and the EOA; W* is
the community MILP of the same Table I case.  A household deviates by
scaling the offer it tells the EOA.  The protocol flags it only by not
converging (the EOA sees offers, never the household's program).
"""

from __future__ import annotations

from dcmarket.sim.lec.config import LECScenario
from dcmarket.sim.strategic.terms import GradingTerms, not_converged

FAMILIES = {"household": tuple({"name": "scale_offer", "factor": f}
                               for f in (0.8, 0.9, 1.1, 1.2))}


def _seeded(scenario: LECScenario, seed: int) -> LECScenario:
    return scenario if seed == 0 else scenario.model_copy(update={"seed": scenario.seed + seed})


def terms(scenario: LECScenario, **hints) -> GradingTerms:
    return GradingTerms(
        protocol="exchange_admm", optimum="centralised_milp", families=FAMILIES,
        seeded=_seeded,
        seeds_vary=("the households' draw (seed + k)" if scenario.household_list is None
                    else "nothing: the households are listed (seeds repeat one run)"),
        detect=lambda outcome, agent: not_converged(outcome, "iterations"),
        variants=lambda: {option: (scenario, {"option": option})
                          for option in scenario.scenarios},
        optimum_note="the community MILP of the same Table I case",
        options={"option": hints["option"]} if hints.get("option") else {})
