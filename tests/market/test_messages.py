"""Message bus: ports stamp the sender, neighbours only, declared kinds and fields
only, kinds frozen once started, the payload copied once at sending into arrays
no holder can change."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from dcmarket.market.messages import (
    LOG_COLUMNS,
    Field,
    Message,
    MessageBus,
    MessageKind,
    Protocol,
    ProtocolError,
    messages_of,
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
    array = got
    while isinstance(array, np.ndarray):  # the array, and what it is a view of
        with pytest.raises(ValueError):
            array.flags.writeable = True
        array = array.base
    assert isinstance(array, bytes)  # an immutable buffer under it all
    with pytest.raises(ValueError):
        got[0] = -7.0
    assert bus.log[0].payload["y"][0] == 1.0


def test_message_is_frozen():
    m = Message(0, "A", "B", "k", {"v": 1.0})
    with pytest.raises(AttributeError):
        m.round = 2  # type: ignore[misc]


LABELLED = Protocol("labelled", (MessageKind("quote", (
    Field("y", "$/M req", ("link", "hour")), Field("n", "tasks", integer=True),
    Field("lmp", "$/MWh", ("hour",)))),))


@pytest.fixture
def labelled() -> MessageBus:
    return MessageBus(nx.path_graph(["A", "B", "C"]), (LABELLED,))


def test_log_is_long_form_with_units_links_hours_and_integers(labelled):
    a = labelled.port("A")
    labelled.tags["outer"] = 2
    labelled.round = 1
    a.send("B", "quote", {"y": [1.0, 2.5, 7.0], "n": 3, "lmp": [30.0, 31.0]},
           labels={"y": ["A–B", "A–B", "A–C"]})
    log = labelled.log_frame()
    assert tuple(log.columns) == LOG_COLUMNS
    y = log[log.field == "y"]
    assert y.link.tolist() == ["A–B", "A–B", "A–C"]
    assert y.hour.tolist() == [0, 1, 0]  # hours count within each link
    assert y.value.tolist() == [1.0, 2.5, 7.0] and set(y.unit) == {"$/M req"}
    n = log[log.field == "n"]
    assert n.value_int.tolist() == [3] and n.hour.isna().all() and n.link.isna().all()
    assert log[log.field == "lmp"].hour.tolist() == [0, 1]
    assert set(log.outer) == {2} and log.slot.isna().all()
    wide = messages_of(log)
    assert wide.y.iloc[0] == [1.0, 2.5, 7.0] and wide.n.iloc[0] == 3.0


def test_link_axis_needs_one_label_per_value(labelled):
    a = labelled.port("A")
    with pytest.raises(ProtocolError, match="link labels"):
        a.send("B", "quote", {"y": [1.0, 2.0]})
    with pytest.raises(ProtocolError, match="link labels"):
        a.send("B", "quote", {"y": [1.0, 2.0]}, labels={"y": ["A–B"]})
    with pytest.raises(ProtocolError, match="no link axis"):
        a.send("B", "quote", {"lmp": [1.0]}, labels={"lmp": ["A–B"]})


def test_step_counts_every_change_of_protocol_position(bus):
    a, b = bus.port("A"), bus.port("B")
    for outer, rnd in [(0, 0), (0, 0), (0, 1), (1, 0), (1, 0), (1, 1)]:
        bus.tags["outer"], bus.round = outer, rnd
        a.send("B", "price_estimate", {"y": 1.0})
    b.receive()
    assert bus.header_frame().step.tolist() == [1, 1, 2, 3, 3, 4]


def test_the_next_step_is_known_before_the_message_is_sent(bus):
    a = bus.port("A")
    for rnd in (0, 0, 1):
        bus.round = rnd
        expected = bus.next_step()
        assert bus.next_step() == expected  # asking does not move it
        assert bus.tally(3) == expected
    assert bus.sent_messages == 3 and bus.sent_values == 9
    bus.round = 1
    a.send("B", "price_estimate", {"y": 1.0})
    assert bus.header_frame().step.tolist() == [bus.next_step()]


def test_a_message_checked_elsewhere_is_accepted_only_without_a_log():
    quiet = MessageBus(nx.path_graph(["A", "B", "C"]), (GOSSIP,), keep_log=False)
    b = quiet.port("B")
    quiet.round = 4
    sent = Message(4, "A", "B", "price_estimate", {"y": [1.0, 2.0]})
    quiet.accept(sent, 2)
    [got] = b.receive()
    assert (got.sender, got.step, quiet.sent_messages, quiet.sent_values) == ("A", 1, 1, 2)
    np.testing.assert_array_equal(got.payload["y"], [1.0, 2.0])
    logged = MessageBus(nx.path_graph(["A", "B", "C"]), (GOSSIP,))
    with pytest.raises(RuntimeError, match="no log"):
        logged.accept(sent, 2)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_log_round_trips_through_files(bus, tmp_path, suffix):
    a, b = bus.port("A"), bus.port("B")
    bus.tags["outer"] = 2
    bus.round = 1
    a.send("B", "price_estimate", {"y": [1.0, 2.5], "scalar": 3.0})
    bus.round = 2
    b.send("C", "price_estimate", {"y": [4.0, 5.0], "scalar": -1.0})
    frame = bus.log_frame()
    path = write_frame(frame, tmp_path / f"log{suffix}")
    back = read_frame(path)
    pd.testing.assert_frame_equal(back, frame, check_dtype=suffix == ".parquet",
                                  )
    wide = messages_of(back)
    assert wide["y"].tolist() == [[1.0, 2.5], [4.0, 5.0]]
    assert wide["scalar"].tolist() == [3.0, -1.0]
    assert wide["sender"].tolist() == ["A", "B"] and wide["round"].tolist() == [1, 2]
    assert not list(tmp_path.glob(".*tmp"))  # atomic write leaves no temp file


def test_duckdb_free_reader_sees_plain_types(bus, tmp_path):
    """The Parquet schema is plain (int64, string, double): what DuckDB or
    Arrow read as is."""
    import pyarrow.parquet as pq

    bus.port("A").send("B", "price_estimate", {"y": [1.0, 2.0]})
    schema = pq.read_schema(write_frame(bus.log_frame(), tmp_path / "log.parquet"))
    types = {name: str(schema.field(name).type) for name in schema.names}
    assert types["step"] == "int64" and types["value"] == "double"
    assert "string" in types["sender"] and types["hour"] == "int64"


def test_unsupported_log_format(bus, tmp_path):
    with pytest.raises(ValueError, match="unsupported"):
        write_frame(bus.log_frame(), tmp_path / "log.xlsx")


@pytest.mark.parametrize("value, words", [
    (float("nan"), ["price_estimate.y[0] = nan"]), ([1.0, float("inf")], ["y[1] = inf"]),
    ("seven", ["not a number"]), ({"a": 1}, ["not a number"]),
], ids=["nan", "inf", "text", "mapping"])
def test_payloads_carry_finite_numbers_only(bus, value, words):
    with pytest.raises(ProtocolError) as caught:
        bus.port("A").send("B", "price_estimate", {"y": value})
    for word in words:
        assert word in str(caught.value)
    assert len(bus) == 0


def test_a_runaway_payload_is_refused(bus, monkeypatch):
    import dcmarket.market.messages as messages

    monkeypatch.setattr(messages, "MAX_VALUES", 100)
    with pytest.raises(ProtocolError, match="more than 100 values"):
        bus.port("A").send("B", "price_estimate", {"y": np.zeros(101)})


def test_a_tampering_agent_changes_only_its_own_copy(bus):
    a, b, c = bus.port("A"), bus.port("B"), bus.port("C")
    a.send("B", "price_estimate", {"y": [1.0, 2.0]})
    got = b.receive()[0]
    with pytest.raises(ValueError):
        got.payload["y"][0] = 9.0  # read-only
    with pytest.raises(TypeError):
        got.payload["y"] = [9.0]  # type: ignore[index]
    with pytest.raises(AttributeError):
        got.sender = "C"  # type: ignore[misc]
    b.send("C", "price_estimate", {"y": got.payload["y"]})  # forwarding is sending as B
    assert [m.sender for m in c.receive()] == ["B"]
    assert bus.log[0].payload["y"].tolist() == [1.0, 2.0]
    with pytest.raises(ProtocolError, match="not declared"):
        b.send("A", "gossip", {"y": 1.0})
