"""A shard driven directly, without Ray: a chained call's phases and the rule
that only the last may send, a message to another shard put in the bulk
for it and arriving there as the model's bus stamped it, and a call that
follows the shards' last calls (``run_after``): it delivers what they sent
in the bus's order, and does not run after a call that failed."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from dcmarket.market.messages import MessageKind, Protocol
from dcmarket.sim.executors import BUS, MODEL, ChainError
from dcmarket.sim.executors.shard import Facts, FromBulk, Phase, Shard, ShardWorker

NOTES = Protocol("notes", (MessageKind("note", ("v",)),))


class Talker:
    """An agent with a port that can stay quiet, send a note, or read its inbox."""

    def __init__(self, model, bus, name: str) -> None:
        self.name = name
        self._port = bus.port(name)

    def quiet(self) -> str:
        return self.name

    def say(self, to: str, v: list[float]) -> None:
        self._port.send(to, "note", {"v": v})

    def say_to_all(self, names: list[str], v: float) -> None:
        for to in names:
            if to != self.name:
                self._port.send(to, "note", {"v": [v]})

    def boom(self) -> None:
        raise RuntimeError(f"{self.name} failed")

    def read(self) -> list:
        return self._port.receive("note")


@pytest.fixture
def shard():
    graph = nx.path_graph(["A", "B", "C"])
    shard = Shard(graph, [NOTES], ["A", "B"], elide_local=False)
    shard.build([(n, Talker, (MODEL, BUS, n), {}) for n in ("A", "B")])
    return shard


FACTS = Facts(round=3, steps=3, bus_round=3, tags={})


def test_a_chain_runs_its_phases_in_order_and_the_last_may_send(shard):
    answer = shard.run([Phase("quiet", ["B", "A"]), Phase("say", ["B"], ("C", [1.0, 2.0]))],
                       [], FACTS)
    assert answer.error is None
    assert answer.results == [["B", "A"], [None]]
    [envelope] = answer.envelopes
    assert (envelope.sender, envelope.receiver, envelope.caller) == ("B", "C", 0)
    np.testing.assert_array_equal(envelope.payload["v"], [1.0, 2.0])


def test_a_phase_that_sends_before_the_last_stops_the_chain(shard):
    answer = shard.run([Phase("say", ["B"], ("C", [1.0])), Phase("quiet", ["A"])], [], FACTS)
    assert isinstance(answer.error, ChainError)
    assert answer.results == [[None]]  # the second phase never ran


def test_a_message_to_another_shard_goes_in_its_bulk_and_arrives_stamped():
    graph = nx.path_graph(["A", "B", "C"])
    first = Shard(graph, [NOTES], ["A", "B"], elide_local=True, elsewhere={"C": 1})
    first.build([(n, Talker, (MODEL, BUS, n), {}) for n in ("A", "B")])
    second = Shard(graph, [NOTES], ["C"], elide_local=True, elsewhere={"A": 0, "B": 0})
    second.build([("C", Talker, (MODEL, BUS, "C"), {})])
    sent = first.run([Phase("say", ["B"], ("C", [4.0, 5.0]))], [], FACTS)
    [envelope] = sent.envelopes
    assert envelope.payload is None and envelope.bulk == 0  # not through the model
    got = second.run([Phase("read", ["C"])], [FromBulk(7, 0, 17)], FACTS, {7: sent.bulks[1]})
    [message] = got.results[0][0]
    assert (message.round, message.sender, message.step) == (3, "B", 17)
    np.testing.assert_array_equal(message.payload["v"], [4.0, 5.0])
    with pytest.raises(ValueError):
        message.payload["v"][0] = 0.0  # read-only, as every delivered payload


def two_workers(names=("A", "B", "C")):
    """Two shard workers (as the Ray actors run them): A and B in shard 0, C in 1."""
    graph = nx.complete_graph(names)
    workers = [ShardWorker(), ShardWorker()]
    for w, (members, elsewhere) in zip(workers, [(["A", "B"], {"C": 1}),
                                                 (["C"], {"A": 0, "B": 0})], strict=True):
        w.open(1, graph, [NOTES], members, True, None,
               [(n, Talker, (MODEL, BUS, n), {}) for n in members], elsewhere)
    return workers


def test_a_call_after_delivers_what_was_sent_in_the_call_s_order():
    workers = two_workers()
    names = ["A", "B", "C"]
    # the call's order is C, B, A (positions 0, 1, 2); each says its position to the others
    said = [workers[0].run(1, 2, [Phase("say_to_all", ["B", "A"], (names, 1.0), None, [1, 2])],
                           [], FACTS, []),
            workers[1].run(1, 2, [Phase("say_to_all", ["C"], (names, 0.0), None, [0])],
                           [], FACTS, [])]
    assert all(len(answer[0].envelopes) == 2 * len(m) for answer, m
               in zip(said, (["B", "A"], ["C"]), strict=True))
    got = {}
    for s, worker in enumerate(workers):
        other = said[1 - s][1 + s]  # the other shard's bulk for this one
        answer = worker.run_after(1, 2, [Phase("read", ["A", "B"] if s == 0 else ["C"])],
                                  [], FACTS, [], 9, True, other)[0]
        assert answer.error is None and not answer.skipped
        got.update(zip(["A", "B"] if s == 0 else ["C"], answer.results[0], strict=True))
    # each inbox in the order of the senders' positions in the call, stamped 9
    assert [m.sender for m in got["A"]] == ["C", "B"]
    assert [m.sender for m in got["B"]] == ["C", "A"]
    assert [m.sender for m in got["C"]] == ["B", "A"]
    assert {m.step for inbox in got.values() for m in inbox} == {9}


def test_a_call_after_a_call_that_failed_does_not_run():
    workers = two_workers()
    failed = workers[0].run(1, 2, [Phase("boom", ["A"])], [], FACTS, [])
    assert isinstance(failed[0].error, RuntimeError)
    assert failed[2].failed  # its bulk for the other shard says so
    fine = workers[1].run(1, 2, [Phase("quiet", ["C"])], [], FACTS, [])
    after_other = workers[1].run_after(1, 2, [Phase("quiet", ["C"])], [], FACTS, [], 9, True,
                                       failed[2])[0]
    after_own = workers[0].run_after(1, 2, [Phase("quiet", ["B"])], [], FACTS, [], 9, True,
                                     fine[1])[0]
    assert after_other.skipped and after_other.results == []
    assert after_own.skipped and after_own.results == []


def test_a_call_after_first_delivers_what_an_earlier_call_sent_the_shard():
    """A shard the chain did not call may still hold, from an earlier call, a
    message another shard put in its bulk: it arrives before the chain's."""
    workers = two_workers()
    earlier = workers[0].run(1, 2, [Phase("say", ["B"], ("C", [7.0]))], [], FACTS, [])
    chain = workers[0].run(1, 2, [Phase("say", ["A"], ("C", [8.0]))], [], FACTS, [])
    [got] = workers[1].run_after(1, 2, [Phase("read", ["C"])], [FromBulk(5, 0, 4)], FACTS,
                                 [5], 6, False, earlier[2], chain[2])[0].results[0]
    assert [(m.sender, m.step, m.payload["v"][0]) for m in got] == [("B", 4, 7.0),
                                                                   ("A", 6, 8.0)]
