"""How much two processes at once get out of this machine's CPUs.

    python benchmarks/cores.py                 # 64 DCs, 40 rounds per process
    python benchmarks/cores.py --n-dc 16 --rounds 60

Each process builds the same seeded market (random 4-regular graph, in
process, no log) and times ``--rounds`` ADMM rounds (local QPs, messages and
dual steps) in CPU seconds.  It is done by one process alone, then by two at
once.  On a machine whose CPUs are independent cores, the second number
equals the first and two shards clear a round twice as fast.  Where two
virtual CPUs share a core (or its caches and memory bandwidth), each
process's round costs more CPU when the other runs, and that caps what any
two-process executor (two Ray shards) can gain.

The last line is one JSON object: n_dc, rounds, cpus, round_cpu_ms_alone,
round_cpu_ms_two_at_once (the mean of the two), slowdown (the ratio of
these), throughput_two_over_one (2 / slowdown: how many rounds two processes
do in the time one does one).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import time


def rounds_cpu_ms(n_dc: int, rounds: int, seed: int, start=None) -> float:
    """CPU ms per round of this process, ``rounds`` rounds after 5 to warm up
    (``start``: a barrier, so that two processes time the same stretch)."""
    from dcmarket.sim.p2p.config import parse_scenario
    from dcmarket.sim.p2p.instances import random_scenario
    from dcmarket.sim.p2p.model import P2PMarketModel

    raw = random_scenario(n_dc, seed=seed, topology="random_regular", degree=4)
    raw["market"]["max_rounds"] = rounds + 10
    model = P2PMarketModel(parse_scenario(raw), keep_log=False)
    for _ in range(5):
        model.step()
    if start is not None:
        start.wait()
    tic = time.process_time()
    for _ in range(rounds):
        model.step()
    return (time.process_time() - tic) / rounds * 1e3


def _worker(args: tuple) -> float:
    return rounds_cpu_ms(*args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-dc", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:  # alone, in a fresh process like the pair below
        alone = pool.apply(_worker, ((args.n_dc, args.rounds, args.seed),))
    with context.Manager() as manager:
        start = manager.Barrier(2)
        with context.Pool(2) as pool:
            pair = pool.map(_worker, [(args.n_dc, args.rounds, args.seed, start)] * 2)
    both = sum(pair) / len(pair)
    print(json.dumps({
        "n_dc": args.n_dc, "rounds": args.rounds, "cpus": os.cpu_count(),
        "round_cpu_ms_alone": round(alone, 2),
        "round_cpu_ms_two_at_once": round(both, 2),
        "round_cpu_ms_two_at_once_each": [round(p, 2) for p in pair],
        "slowdown": round(both / alone, 3),
        "throughput_two_over_one": round(2 * alone / both, 3),
    }))


if __name__ == "__main__":
    main()
