"""A transcript that fits a slide: the same order every round whatever order
the agents ran in, a broadcast printed once with its receivers, and every
message the fault model touched marked."""

from __future__ import annotations

import numpy as np

import dcmarket
from dcmarket.sim.p2p.model import P2PMarketModel
from dcmarket.sim.transcript import transcript


def log_of(*settings: str):
    model = P2PMarketModel(dcmarket.load("p2p_4dc_fixed_lmp", *settings))
    for _ in range(3):
        model.step()
    return model.bus.log_frame()


def message_heads(lines: list[str]) -> list[str]:
    return [line.strip().split("  ")[0] for line in lines if "→" in line]


def test_the_order_within_a_step_does_not_depend_on_activation():
    log = log_of()
    printed = list(transcript(log))
    # another activation order: within each step and phase (kind), the agents' messages
    # numbered in another order (the phases themselves follow the protocol)
    rng = np.random.default_rng(3)
    renumber = {}
    for _, ids in log.groupby(["step", "kind"]).msg.unique().items():
        for old, new in zip(ids, rng.permutation(ids), strict=True):
            renumber[old] = new
    shuffled = log.assign(msg=log.msg.map(renumber))
    assert message_heads(list(transcript(shuffled))) == message_heads(printed)
    round_one = printed[printed.index("step 2 · round 1") + 1:]
    senders = [h.split(" → ")[0] for h in message_heads(round_one)][:4]
    assert senders == sorted(senders)


def test_a_broadcast_is_printed_once_with_its_receivers():
    printed = list(transcript(log_of()))
    penalty = [line for line in printed if " penalty " in line]
    assert len(penalty) == 1 and "market → DC1, DC2, DC3, DC4  penalty" in penalty[0]


def test_lost_late_and_doubled_messages_are_marked():
    log = log_of("market.faults={loss: 0.3, delay: 1, duplicate: 0.3, seed: 4}")
    faults = set(log.fault.dropna())
    printed = "\n".join(transcript(log, full=True))
    assert faults and all(f"[{fault}]" in printed for fault in faults)


def test_a_cut_vector_shows_the_hours_that_stand_out():
    log = log_of()
    rows = log[(log.kind == "price_estimate") & (log.field == "y")]
    first = rows[rows.msg == rows.msg.min()]
    values, hours = first.value.to_numpy(), first.hour.to_numpy()
    printed = next(line for line in transcript(log) if " y $/M req " in line)
    shown = [part.split()[0] for part in printed.split("h0–23: ")[1].split(" · ")[:-1]]
    # the lowest and the highest hour, marked, and the others furthest from the median
    assert f"h{hours[values.argmax()]} " in printed and "(max)" in printed and "(min)" in printed
    median = np.median(values)
    far = {f"h{h}" for h in hours[np.argsort(-np.abs(values - median), kind="stable")][:2]}
    assert far <= set(shown) and len(shown) == 4
    assert shown == sorted(shown, key=lambda h: int(h[1:]))
    assert printed.endswith(f"median {median:.4g}")
