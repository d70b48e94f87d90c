"""Message bus: ports stamp the sender, neighbours only, declared kinds and fields
only, kinds frozen once started, each receiver and the log get their own copy."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from market.messages import (
    Message,
    MessageBus,
    MessageKind,
    Protocol,
    ProtocolError,
    read_frame,
    write_frame,
)

GOSSIP = Protocol("test", (MessageKind("price_estimate", ("y", "scalar")),))


@pytest.fixture
def bus() -> MessageBus:
    return MessageBus(nx.path_graph(["A", "B", "C"]), (GOSSIP,))


def test_delivers_between_neighbours_and_logs(bus):
    a, b = bus.port("A"), bus.port("B")
    a.send("B", "price_estimate", {"y": [1.0, 2.0]})
    got = b.receive()
    assert len(got) == 1 and got[0].sender == "A"
    assert b.receive() == []
    assert len(bus) == 1


def test_the_port_stamps_the_sender_and_reads_only_its_own_inbox(bus):
    a, b, c = bus.port("A"), bus.port("B"), bus.port("C")
    a.send("B", "price_estimate", {"y": 1.0})
    assert c.receive() == [] and a.receive() == []
    assert [m.sender for m in b.receive()] == ["A"]
    with pytest.raises(ProtocolError, match="already has a port"):
        bus.port("A")  # nobody else can speak as A


def test_non_neighbour_is_refused(bus):
    with pytest.raises(ProtocolError, match="not neighbours"):
        bus.port("A").send("C", "price_estimate", {"y": 1.0})


def test_undeclared_kind_and_field_are_refused(bus):
    a = bus.port("A")
    with pytest.raises(ProtocolError, match="not declared"):
        a.send("B", "gossip", {"y": 1.0})
    with pytest.raises(ProtocolError, match="undeclared fields"):
        a.send("B", "price_estimate", {"cop": 4.0})


def test_kinds_are_frozen_once_the_protocol_has_started(bus):
    bus.declare(Protocol("more", (MessageKind("extra", ("v",)),)))  # before: allowed
    bus.port("A").send("B", "extra", {"v": 1.0})
    with pytest.raises(ProtocolError, match="frozen"):
        bus.declare(Protocol("late", (MessageKind("late", ("v",)),)))


def test_unknown_agent_is_refused(bus):
    with pytest.raises(ProtocolError, match="unknown agent 'Z'"):
        bus.port("A").send("Z", "price_estimate", {"y": 1.0})
    with pytest.raises(ProtocolError, match="unknown agent 'Z'"):
        bus.port("Z")


def test_payload_is_copied_at_send_time_and_frozen(bus):
    a, b = bus.port("A"), bus.port("B")
    y = np.array([1.0, 2.0])
    a.send("B", "price_estimate", {"y": y})
    y[0] = 99.0
    message = b.receive()[0]
    assert message.payload["y"][0] == 1.0
    with pytest.raises(ValueError):
        message.payload["y"][0] = 5.0
    with pytest.raises(TypeError):
        message.payload["z"] = 1.0  # type: ignore[index]


def test_a_receiver_cannot_rewrite_the_log(bus):
    a, b = bus.port("A"), bus.port("B")
    a.send("B", "price_estimate", {"y": [1.0, 2.0]})
    got = b.receive()[0].payload["y"]
    got.flags.writeable = True  # the receiver's own copy
    got[0] = -7.0
    assert bus.log[0].payload["y"][0] == 1.0


def test_message_is_frozen():
    m = Message(0, "A", "B", "k", {"v": 1.0})
    with pytest.raises(AttributeError):
        m.round = 2  # type: ignore[misc]


def test_broadcast_reaches_the_given_neighbours(bus):
    bus.port("B").broadcast("price_estimate", {"y": [0.5]}, ["A", "C"])
    assert [m.receiver for m in bus.log] == ["A", "C"]


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_log_round_trips_through_files(bus, tmp_path, suffix):
    a, b = bus.port("A"), bus.port("B")
    bus.tags["outer"] = 2
    bus.round = 1
    a.send("B", "price_estimate", {"y": [1.0, 2.5], "scalar": 3.0})
    bus.round = 2
    b.send("C", "price_estimate", {"y": [4.0, 5.0], "scalar": -1.0})
    frame = bus.log_frame()
    assert list(frame.columns[:5]) == ["round", "sender", "receiver", "kind", "outer"]
    assert frame["round"].tolist() == [1, 2]
    path = write_frame(frame, tmp_path / f"log{suffix}")
    back = read_frame(path)
    assert back["payload.y"].tolist() == [[1.0, 2.5], [4.0, 5.0]]
    assert back["payload.scalar"].tolist() == [3.0, -1.0]
    assert back["sender"].tolist() == ["A", "B"]
    assert not list(tmp_path.glob(".*tmp"))  # atomic write leaves no temp file


def test_unsupported_log_format(bus, tmp_path):
    with pytest.raises(ValueError, match="unsupported"):
        write_frame(bus.log_frame(), tmp_path / "log.xlsx")
