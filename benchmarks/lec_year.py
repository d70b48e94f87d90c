"""The LEC year (paper 001): per-block solve times against the paper's 288.9 s.

    python benchmarks/lec_year.py --out runs/year --jobs 2     # solve (resumable), then summarise
    python benchmarks/lec_year.py --summarise runs/year        # summarise a finished year folder
    python benchmarks/lec_year.py --out DIR --no-resume-headroom   # the reserve as the paper has it
    python benchmarks/lec_year.py --out DIR --set solver.time_chunks_h=0  # every MILP whole
    python benchmarks/lec_year.py --summarise DIR --against OTHER  # block costs side by side

Prints one line per block and, on its last line, JSON: ``wall_s`` (this
run's wall time; null when only summarising), ``solve_s_sum`` (every
scenario's solve time, summed), ``jobs``, the slowest scenario's time per block
(``block_s``, key = the block's first day), ``slowest_block``,
``blocks_over_paper`` (blocks whose slowest scenario took more than the
paper's 288.9 s), the storage modes seen, and how many MILPs were
certified in chunks of hours or solved whole (``decompositions``; the
chunk length ``time_chunks_h``, see market/time_chunks.py); with
``--against DIR``, each scenario's largest relative cost difference to
DIR's blocks and the year's.  A block's solve time is
measured in the process that solved it (beside the other jobs' blocks).
Blocks are labelled by their first day in the shipped scenario's year.
``--no-resume-headroom`` solves the year without the deliverable-reserve row
(``dc.reserve_resume_headroom: false``), our assumption that the paper does
not state; the JSON says which (``reserve_resume_headroom``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from dcmarket.sim.lec.year import block_start, run_year
from dcmarket.sim.studies import load_any

PAPER_BLOCK15_S = 288.9


def summarise(scenario, folder: Path, wall_s: float | None, jobs: int | None) -> dict:
    records = sorted((folder / "blocks").glob("block_*.json"))
    block_s, modes, total = {}, set(), 0.0
    decompositions: dict[str, int] = {}
    for path in records:
        cases = json.loads(path.read_text())["cases"]
        k = int(path.stem.split("_")[1])
        first = block_start(scenario, k).strftime("%d %b")
        slowest = max(cases, key=lambda label: cases[label]["solve_s"])
        block_s[first] = round(cases[slowest]["solve_s"], 1)
        total += sum(c["solve_s"] for c in cases.values())
        modes |= {c.get("storage_modes", "?") for c in cases.values()}
        for c in cases.values():
            how = c.get("decomposition", "whole MILP")
            decompositions[how] = decompositions.get(how, 0) + 1
        print(f"block {k:2d} from {first}: " + ", ".join(
            f"{label} {c['solve_s']:.1f} s" for label, c in cases.items()))
    worst = max(block_s, key=block_s.get) if block_s else None
    return {"blocks": len(records), "jobs": jobs, "wall_s": wall_s,
            "solve_s_sum": round(total, 1), "block_s": block_s, "slowest_block": worst,
            "slowest_block_s": block_s.get(worst),
            "blocks_over_paper": [b for b, s in block_s.items() if s > PAPER_BLOCK15_S],
            "paper_block15_s": PAPER_BLOCK15_S, "storage_modes": sorted(modes),
            "decompositions": decompositions,
            "time_chunks_h": scenario.solver.time_chunks_h,
            "reserve_resume_headroom": scenario.dc.reserve_resume_headroom}


def compare_costs(folder: Path, against: Path) -> dict:
    """Each scenario's largest relative difference in a block's operating cost
    between two year folders (the blocks both hold), and the year's."""
    worst: dict[str, float] = {}
    year = {}
    for path in sorted((folder / "blocks").glob("block_*.json")):
        other = against / "blocks" / path.name
        if not other.exists():
            continue
        ours, theirs = (json.loads(p.read_text())["cases"] for p in (path, other))
        for label in ours.keys() & theirs.keys():
            a, b = ours[label]["operating_cost_eur"], theirs[label]["operating_cost_eur"]
            worst[label] = max(worst.get(label, 0.0), abs(a - b) / abs(b))
            sums = year.setdefault(label, [0.0, 0.0])
            sums[0], sums[1] = sums[0] + a, sums[1] + b
    return {"cost_rel_diff_worst_block": worst,
            "cost_rel_diff_year": {k: abs(a - b) / abs(b) for k, (a, b) in year.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="solve the year into this folder (resumable)")
    parser.add_argument("--jobs", type=int, default=2, help="blocks at once (default 2)")
    parser.add_argument("--summarise", type=Path, help="only summarise a finished year folder")
    parser.add_argument("--no-resume-headroom", action="store_true",
                        help="without the deliverable-reserve row (dc.reserve_resume_headroom)")
    parser.add_argument("--against", type=Path, metavar="DIR",
                        help="also compare every block's cost with this year folder's")
    parser.add_argument("--set", dest="settings", action="append", default=[],
                        metavar="KEY=VALUE", help="a scenario setting, as dcmarket's --set "
                        "(e.g. solver.time_chunks_h=0: every block's MILP whole)")
    args = parser.parse_args()
    if args.out is None and args.summarise is None:
        parser.error("--out DIR or --summarise DIR")
    settings = ["dc.reserve_resume_headroom=false"] if args.no_resume_headroom else []
    settings += args.settings
    _, scenario, _ = load_any(None, settings, "lec_10households", "lec")
    if args.summarise:
        summary = summarise(scenario, args.summarise, None, None)
    else:
        tic = time.perf_counter()
        run_year(scenario, args.out, jobs=args.jobs)
        summary = summarise(scenario, args.out, time.perf_counter() - tic, args.jobs)
    if args.against:
        summary.update(compare_costs(args.summarise or args.out, args.against))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
