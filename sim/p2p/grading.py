"""How a P2P data centre's strategy is graded (paper 000; sim/strategic).

The protocol is the scenario's own (ADMM at fixed LMPs, the bi-level loop
with the grid); W* is the centralised optimum (36) on true costs at fixed
LMPs, the competitive equilibrium with the grid.  The deviation family is a
grid over the shipped deviations of a DC: shading its estimates, withholding
link capacity, misreporting its cost.  The protocol flags a DC when it does
not converge, when the monitor finds its round reports inconsistent with
what it confirmed, or when a partner refuses its confirmation (docs/p2p.md).
"""

from __future__ import annotations

from dcmarket.market.outcome import Outcome
from dcmarket.sim.p2p.config import P2PScenario
from dcmarket.sim.strategic.terms import GradingTerms, not_converged

#: the deviation family of a P2P DC: each shipped deviation on a grid
FAMILY = (
    *({"name": "shade", "delta": d} for d in (0.05, 0.1, 0.2, 0.4)),
    *({"name": "withhold", "share": s} for s in (0.25, 0.5, 0.75)),
    *({"name": "misreport_cost", "factor": f} for f in (0.8, 0.9, 1.1, 1.25)),
)


def detect(outcome: Outcome, agent: str) -> str | None:
    """Why the protocol flagged ``agent``: no convergence, the monitor's
    consistency check, a partner's refusal; None if nothing did."""
    found = not_converged(outcome)
    if found:
        return found
    for kind in ("inconsistent", "disputed"):
        reason = outcome.notes.get(kind, {}).get(agent)
        if reason:
            return f"{kind}: {reason}"
    return None


def _seeded(scenario: P2PScenario, seed: int) -> P2PScenario:
    faults = scenario.market.faults
    if seed == 0 or faults is None:
        return scenario
    return scenario.model_copy(update={"market": scenario.market.model_copy(update={
        "faults": faults.model_copy(update={"seed": faults.seed + seed})})})


def terms(scenario: P2PScenario, **hints) -> GradingTerms:
    grid = scenario.grid is not None
    protocol = ("bilevel_bisection" if scenario.bilevel.bisection else "bilevel_plain") \
        if grid else f"admm_{scenario.market.estimates}"
    return GradingTerms(
        protocol=protocol,
        optimum="competitive_equilibrium" if grid else "centralised",
        families={"p2p_datacentre": FAMILY},
        seeded=_seeded,
        seeds_vary=("the message faults' draws (market.faults.seed + k)"
                    if scenario.market.faults is not None
                    else "nothing: this market has no random part (seeds repeat one run)"),
        detect=detect, fallback="no_trade",
        optimum_note=("the competitive equilibrium of DCs and grid on true costs" if grid
                      else "the centralised optimum (36) on true costs at the fixed LMPs"))
