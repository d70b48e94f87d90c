"""A shard driven directly, without Ray: a chained call's phases and the rule
that only the last may send, and a message to another shard put in the bulk
for it and arriving there as the model's bus stamped it."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from market.messages import MessageKind, Protocol
from sim.executors import BUS, MODEL, ChainError
from sim.executors.shard import Facts, FromBulk, Phase, Shard

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
