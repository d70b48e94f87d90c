"""Mechanisms side by side, timed (docs/compare.md).

- ``compare_4dc_s``: every P2P mechanism on the 4-DC day at fixed LMPs, the
  deviation family of one DC included (target ≤ 60 s on 2 cores);
- ``compare_ieee30_s``: every mechanism with the grid in the loop on IEEE 30
  (the bi-level loop with and without bisection, the equilibrium, no trade;
  incentives not measured: each deviation would be a bi-level run; target ≤ 5 min);
- ``compare_dr_s``: the DR day under the day-ahead and the one-step forecast
  (the LSTM trained for each), a user's markups included;
- ``compare_lec_day_s``: the community's day, every Table I case;
- ``efficiency_4dc``: each mechanism's W/W* on the 4-DC day.

    python benchmarks/compare.py

The last line is JSON.
"""

from __future__ import annotations

import json
import time

import dcmarket
from dcmarket.sim.comparison.engine import compare


def timed(name: str, *settings: str, incentives: str | None = None):
    tic = time.perf_counter()
    result = compare(dcmarket.load(name, *settings), incentives=incentives)
    return result, time.perf_counter() - tic


def main() -> None:
    figures = {}
    fleet, figures["compare_4dc_s"] = timed("p2p_4dc_fixed_lmp")
    table = fleet.table()
    figures["efficiency_4dc"] = dict(zip(table.mechanism, table.efficiency.round(6), strict=True))
    grid, figures["compare_ieee30_s"] = timed("p2p_ieee30", incentives="none")
    figures["efficiency_ieee30"] = dict(zip(grid.table().mechanism,
                                            grid.table().efficiency.round(6), strict=True))
    _, figures["compare_dr_s"] = timed("dr_2000hosts")
    _, figures["compare_lec_day_s"] = timed("lec_10households", incentives="none")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
