"""The bus's fault model: seeded, logged, and doing what it says."""

from __future__ import annotations

import networkx as nx
import pytest

from dcmarket.market.faults import Dropout, FaultError, FaultModel
from dcmarket.market.messages import MessageBus, MessageKind, Protocol

PING = Protocol("ping", (MessageKind("ping", ("v",)), MessageKind("report", ("v",))))


def _bus(faults: FaultModel) -> MessageBus:
    return MessageBus(nx.complete_graph(["A", "B", "C"]), (PING,), faults)


@pytest.mark.parametrize("kwargs, words", [
    ({"loss": 1.0}, "loss"), ({"loss": -0.1}, "loss"), ({"duplicate": float("nan")}, "duplicate"),
    ({"delay": -1}, "delay"), ({"delay": 0.5}, "delay"),
])
def test_bad_fault_models_are_named(kwargs, words):
    with pytest.raises(FaultError, match=words):
        FaultModel(**kwargs)


def test_loss_is_seeded_and_logged():
    def run(seed):
        bus = _bus(FaultModel(loss=0.3, seed=seed))
        a, b = bus.port("A"), bus.port("B")
        for k in range(200):
            bus.round = k
            a.send("B", "ping", {"v": k})
        got = [m.payload["v"] for m in b.receive()]
        return got, bus.header_frame()

    got, log = run(1)
    again, _ = run(1)
    assert got == again  # the same seed, the same faults
    lost = log[log.fault == "lost"]
    assert 30 < len(lost) < 90 and len(got) == 200 - len(lost)
    assert set(got).isdisjoint(lost["round"])


def test_delay_holds_a_message_for_its_rounds():
    bus = _bus(FaultModel(delay=2))
    a, b = bus.port("A"), bus.port("B")
    a.send("B", "ping", {"v": 1.0})
    assert b.receive() == []
    bus.round = 1
    assert b.receive() == []
    bus.round = 2
    (m,) = b.receive()
    assert m.round == 0 and m.fault == "late 2"


def test_duplicates_and_reordering():
    bus = _bus(FaultModel(duplicate=0.999, reorder=True, seed=3))
    a, b = bus.port("A"), bus.port("B")
    for k in range(20):
        a.send("B", "ping", {"v": k})
    got = [m.payload["v"] for m in b.receive()]
    assert sorted(got) == sorted(list(range(20)) * 2)
    assert got != sorted(got)  # shuffled
    assert (bus.header_frame().fault == "doubled").all()


def test_faults_hit_only_the_kinds_named_and_offline_agents_are_cut_off():
    bus = _bus(FaultModel(loss=0.999, kinds=frozenset({"ping"}),
                          dropouts=(Dropout("C", at_round=1),)))
    a, b, c = bus.port("A"), bus.port("B"), bus.port("C")
    a.send("B", "report", {"v": 1.0})
    assert len(b.receive()) == 1  # a report is not a ping
    bus.round = 1
    assert bus.offline("C") and not bus.offline("A")
    a.send("C", "ping", {"v": 2.0})
    assert c.receive() == []
    assert bus.header_frame().fault.tolist()[-1] == "offline"


@pytest.mark.parametrize("settings", [
    ("market.faults.loss=0.95",),
    ("market.faults.dropouts=[{agent: DC2, at_round: 3, rejoin_round: 400}, "
     "{agent: DC3, at_round: 3}, {agent: DC4, at_round: 3}]", "market.max_rounds=60"),
], ids=["loss-0.95", "every-neighbour-offline"])
def test_a_dc_cut_off_from_every_neighbour_waits_and_the_run_says_so(settings, capsys):
    """No ValueError: the cut-off DC runs alone, waits for a neighbour, and the run
    ends NOT CONVERGED (exit 3) naming it and the round it was cut off."""
    from dcmarket.sim.cli import main

    assert main(["run", "p2p_4dc_fixed_lmp", *[f"--set={s}" for s in settings]]) == 3
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "has no neighbour" not in captured.err
    assert "cut off from every neighbour from round" in captured.out
    assert captured.out.startswith("NOT CONVERGED")
