"""Message bus: neighbours only, declared kinds only, payloads copied, all logged."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from market.messages import Message, MessageBus, ProtocolError, read_frame, write_frame


@pytest.fixture
def bus() -> MessageBus:
    return MessageBus(nx.path_graph(["A", "B", "C"]), kinds=["price_estimate"])


def test_delivers_between_neighbours_and_logs(bus):
    bus.send(1, "A", "B", "price_estimate", {"y": [1.0, 2.0]})
    got = bus.receive("B")
    assert len(got) == 1 and got[0].sender == "A"
    assert bus.receive("B") == []
    assert len(bus) == 1


def test_non_neighbour_is_refused(bus):
    with pytest.raises(ProtocolError, match="not neighbours"):
        bus.send(1, "A", "C", "price_estimate", {"y": 1.0})


def test_undeclared_kind_is_refused(bus):
    with pytest.raises(ProtocolError, match="not declared"):
        bus.send(1, "A", "B", "gossip", {"y": 1.0})


def test_unknown_agent_is_refused(bus):
    with pytest.raises(ProtocolError, match="unknown agent 'Z'"):
        bus.send(1, "A", "Z", "price_estimate", {"y": 1.0})
    with pytest.raises(ProtocolError, match="unknown agent 'Z'"):
        bus.broadcast(1, "Z", "price_estimate", {"y": 1.0})


def test_payload_is_copied_at_send_time_and_frozen(bus):
    y = np.array([1.0, 2.0])
    bus.send(1, "A", "B", "price_estimate", {"y": y})
    y[0] = 99.0
    message = bus.receive("B")[0]
    assert message.payload["y"][0] == 1.0
    with pytest.raises(ValueError):
        message.payload["y"][0] = 5.0
    with pytest.raises(TypeError):
        message.payload["z"] = 1.0  # type: ignore[index]


def test_message_is_frozen():
    m = Message(0, "A", "B", "k", {"v": 1.0})
    with pytest.raises(AttributeError):
        m.round = 2  # type: ignore[misc]


def test_broadcast_reaches_every_neighbour(bus):
    bus.broadcast(3, "B", "price_estimate", {"y": [0.5]})
    assert [m.receiver for m in bus.log] == ["A", "C"]


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_log_round_trips_through_files(bus, tmp_path, suffix):
    bus.tags["outer"] = 2
    bus.send(1, "A", "B", "price_estimate", {"y": [1.0, 2.5], "scalar": 3.0})
    bus.send(2, "B", "C", "price_estimate", {"y": [4.0, 5.0], "scalar": -1.0})
    frame = bus.log_frame()
    assert list(frame.columns[:5]) == ["round", "sender", "receiver", "kind", "outer"]
    path = write_frame(frame, tmp_path / f"log{suffix}")
    back = read_frame(path)
    assert back["payload.y"].tolist() == [[1.0, 2.5], [4.0, 5.0]]
    assert back["payload.scalar"].tolist() == [3.0, -1.0]
    assert back["sender"].tolist() == ["A", "B"]
    assert not list(tmp_path.glob(".*tmp"))  # atomic write leaves no temp file


def test_unsupported_log_format(bus, tmp_path):
    with pytest.raises(ValueError, match="unsupported"):
        write_frame(bus.log_frame(), tmp_path / "log.xlsx")
