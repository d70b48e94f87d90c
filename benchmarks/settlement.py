"""What a data centre gains by each move against the settlement from messages
(docs/p2p.md, "Settlement"), on a P2P scenario at fixed LMPs.

For each strategy of one DC (default DC2): its profit change against the
truthful run ($ and %), the welfare change, whether the run converged, whom
the monitor named, and the messages the settlement added.

    python benchmarks/settlement.py [--scenario p2p_4dc_fixed_lmp] [--dc DC2]

The last line is JSON.
"""

from __future__ import annotations

import argparse
import json

from dcmarket.market.protocols import SETTLEMENT, TRADE_ACCEPTANCE, TRADE_CONFIRMATION
from dcmarket.sim.p2p.model import P2PMarketModel
from dcmarket.sim.studies import load_any

MOVES = ("{name: report_shift, delta: 0.3}", "{name: quote_shift, delta: 0.3}",
         "{name: withhold, share: 0.5}", "{name: misreport_cost, factor: 1.2}",
         "{name: shade, delta: 0.3}")


def run(scenario_name: str, settings: tuple[str, ...] = ()):
    model = P2PMarketModel(load_any(scenario_name, settings)[1])
    return model, model.run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="p2p_4dc_fixed_lmp")
    parser.add_argument("--dc", default="DC2")
    args = parser.parse_args()
    model, honest = run(args.scenario)
    counts = model.bus.header_frame().kind.value_counts()
    settlement = int(sum(counts.get(k, 0) for k in (TRADE_CONFIRMATION, TRADE_ACCEPTANCE,
                                                    SETTLEMENT)))
    base = honest.schedules[args.dc].profit
    rows = []
    for move in MOVES:
        _, result = run(args.scenario, (f"strategy.{args.dc}={move}",))
        gain = result.schedules[args.dc].profit - base
        rows.append({"strategy": move, "converged": result.converged, "rounds": result.rounds,
                     "gain_usd": round(gain, 3), "gain_pct": round(100 * gain / base, 4),
                     "welfare_change_pct": round(100 * (result.welfare / honest.welfare - 1), 4),
                     "named": sorted(set(result.inconsistent) | set(result.disputed))})
        print(f"{move:<40} converged {result.converged!s:<5} gain {gain:+10.2f} $ "
              f"({100 * gain / base:+.3f} %) welfare {rows[-1]['welfare_change_pct']:+.3f} % "
              f"named {rows[-1]['named']}")
    print(f"settlement messages: {settlement} of {len(model.bus)} "
          f"({len(model.links.links)} links, {len(model.dcs)} DCs)")
    print(json.dumps({"scenario": args.scenario, "dc": args.dc, "truthful_profit_usd": base,
                      "messages": len(model.bus), "settlement_messages": settlement,
                      "moves": rows}))


if __name__ == "__main__":
    main()
