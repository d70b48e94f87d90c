"""What paper ``000`` says its day looks like, checked on ours (§VI-A, Figs. 3, 9).

The paper does not publish its case data, but it describes the day: the
highest overall workload in hours 11–16 with DC1 at its maximum processing
capacity; congestion and LMP disparities in hours 11–18 with spikes at DC2
and DC3; uniform prices in hours 1–9 and 20–24 (the paper counts hours
1–24; hour ``h`` is our index ``h − 1``).  :func:`day_facts` measures each
statement on the no-market competitive equilibrium of a scenario, so a
calibration can be judged against what the paper states, fact by fact,
instead of against its headline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dcmarket.agents.p2p.dc_physics import DCCoefficients
from dcmarket.sim.p2p.config import P2PScenario
from dcmarket.sim.p2p.equilibrium import Equilibrium, competitive_equilibrium

#: the paper's statements, as sets of our hour indices (paper hour h = index h − 1)
PAPER_PEAK_WORKLOAD = set(range(10, 16))  # hours 11–16
PAPER_CONGESTED = set(range(10, 18))  # hours 11–18
PAPER_UNIFORM = set(range(0, 9)) | set(range(19, 24))  # hours 1–9 and 20–24
PAPER_SPIKING = {"DC2", "DC3"}
SPREAD_TOL = 1.0  # $/MWh across the DC buses: below it prices count as uniform
FULL = 0.99  # share of the servers at which a DC counts as at capacity


@dataclass(frozen=True)
class DayFacts:
    peak_workload_hours: set[int]
    congested_hours: set[int]
    spiking: set[str]
    dc1_full_hours: set[int]

    def score(self) -> float:
        """Agreement with the paper's statements: mean Jaccard index of the hour
        sets, plus the spiking DCs and DC1 at capacity in the peak hours."""
        def jaccard(a: set, b: set) -> float:
            return len(a & b) / len(a | b) if a | b else 1.0

        return float(np.mean([
            jaccard(self.peak_workload_hours, PAPER_PEAK_WORKLOAD),
            jaccard(self.congested_hours, PAPER_CONGESTED),
            jaccard(self.spiking, PAPER_SPIKING),
            len(self.dc1_full_hours & PAPER_PEAK_WORKLOAD) / len(PAPER_PEAK_WORKLOAD),
        ]))

    def lines(self) -> list[str]:
        def hours(s: set[int]) -> str:
            return ", ".join(str(h + 1) for h in sorted(s)) or "none"

        return [
            f"highest workload: hours {hours(self.peak_workload_hours)} (paper 11–16)",
            f"congested (LMPs differ by > {SPREAD_TOL:g} $/MWh across DC buses): hours "
            f"{hours(self.congested_hours)} (paper 11–18; uniform 1–9 and 20–24)",
            f"price spikes at: {', '.join(sorted(self.spiking)) or 'none'} (paper DC2, DC3)",
            f"DC1 at capacity: hours {hours(self.dc1_full_hours)} (paper: in 11–16)",
        ]


def day_facts(scenario: P2PScenario, eq: Equilibrium | None = None) -> DayFacts:
    """The paper's statements measured on the no-market equilibrium of ``scenario``."""
    eq = eq or competitive_equilibrium(scenario, trading=False)
    work = sum(np.asarray(dc.interactive) + np.asarray(dc.batch) for dc in scenario.datacenters)
    peak = set(np.argsort(-work, kind="stable")[:len(PAPER_PEAK_WORKLOAD)].tolist())
    lmps = np.array([eq.dc_lmp[n] for n in scenario.names])  # DCs × hours
    spread = lmps.max(axis=0) - lmps.min(axis=0)
    congested = set(np.flatnonzero(spread > SPREAD_TOL).tolist())
    median = np.median(lmps, axis=0)
    spiking = {n for k, n in enumerate(scenario.names)
               if congested and (lmps[k, sorted(congested)]
                                 - median[sorted(congested)]).max() > SPREAD_TOL}
    dc1 = scenario.datacenters[0]
    full = eq.servers_k[dc1.name] >= FULL * DCCoefficients.of(dc1).n_max
    return DayFacts(peak, congested, spiking, set(np.flatnonzero(full).tolist()))
