"""Time the P2P-CSM case study (plain loop, bi-level without and with market).

    python benchmarks/case_study.py

Last line: JSON with wall_s, grid_s (DC-OPF solves), market_s (DC level:
ADMM rounds or stand-alone solves), other_s, plus the outer iteration counts.
"""

from __future__ import annotations

import json

from dcmarket.sim.p2p.case_study import run_case_study
from dcmarket.sim.p2p.config import load_scenario
from dcmarket.sim.scenario import scenario_path


def main() -> None:
    scenario = load_scenario(scenario_path(None, "p2p_ieee30.yaml"))
    _, summary = run_case_study(scenario)
    keys = ("wall_s", "grid_s", "market_s", "other_s", "outer_iterations",
            "bilevel_converged", "admm_converged_all")
    print(json.dumps({k: summary[k] for k in keys}))


if __name__ == "__main__":
    main()
