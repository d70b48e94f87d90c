"""``dcmarket messages`` at research scale: the log is written in parts (the
oracle: the whole frame written at once), the filters run inside the
Parquet scan (the oracle: pandas filtering the whole log), ``--limit`` stops
the scan at the first messages, the log's row groups follow sending order,
an empty filter says so and exits 0."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from dcmarket.market import message_log
from dcmarket.sim.cli import main
from dcmarket.sim.p2p.model import P2PMarketModel
from dcmarket.sim.studies import load_any
from dcmarket.sim.transcript import LogError, filter_log, query_log

FILTERS = [dict(agent="DC2"), dict(kind="price_estimate"), dict(rounds="3:5"),
           dict(agent="DC3", kind="round_report", rounds="10:"), dict(step="7")]


@pytest.fixture(scope="module")
def log_path(tmp_path_factory) -> Path:
    """The 4-DC market's log, written in parts of 97 messages and in small row
    groups (many groups to skip)."""
    model = P2PMarketModel(load_any("p2p_4dc_fixed_lmp")[1])
    model.run()
    folder = tmp_path_factory.mktemp("log")
    small = pytest.MonkeyPatch()
    small.setattr(message_log, "ROW_GROUP_ROWS", 2_000)
    small.setattr(message_log, "WRITE_BATCH_MESSAGES", 97)
    model.bus.write_log(folder / "messages.parquet")
    message_log.write_frame(model.bus.log_frame(), folder / "whole.parquet")
    small.undo()
    return folder / "messages.parquet"


def test_the_log_written_in_parts_is_the_whole_log(log_path):
    whole = log_path.with_name("whole.parquet")
    assert pq.read_schema(log_path).equals(pq.read_schema(whole))
    pd.testing.assert_frame_equal(pd.read_parquet(log_path), pd.read_parquet(whole))
    meta = pq.ParquetFile(log_path).metadata
    sizes = [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]
    assert set(sizes[:-1]) == {2_000} and 0 < sizes[-1] <= 2_000


def test_row_groups_follow_sending_order(log_path):
    meta = pq.ParquetFile(log_path).metadata
    assert meta.num_row_groups > 10
    step = pq.read_schema(log_path).get_field_index("step")
    bounds = [(meta.row_group(g).column(step).statistics.min,
               meta.row_group(g).column(step).statistics.max) for g in range(meta.num_row_groups)]
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(bounds))


@pytest.mark.parametrize("given", FILTERS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()))
def test_the_scan_keeps_what_pandas_keeps(log_path, given):
    whole = message_log.read_frame(log_path)
    expected = filter_log(whole, **given).reset_index(drop=True)
    got = query_log(log_path, **given)
    assert len(got) == len(expected) > 0
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_limit_keeps_the_first_messages_in_sending_order(log_path):
    got = query_log(log_path, kind="price_estimate", messages=3)
    whole = filter_log(message_log.read_frame(log_path), kind="price_estimate")
    first = whole.msg.unique()[:3]
    assert list(got.msg.unique()) == list(first)
    assert len(got) == int(whole.msg.isin(first).sum())


def test_an_unknown_agent_is_named_and_an_empty_range_is_no_messages(log_path, capsys):
    with pytest.raises(LogError, match=r"no such agent .*DC1, DC2"):
        query_log(log_path, agent="DC9")
    assert query_log(log_path, rounds="100000:").empty
    assert main(["messages", str(log_path), "--round", "100000:"]) == 0
    assert "no messages match the filters" in capsys.readouterr().err


def test_hours_keep_those_hours_of_every_vector_and_every_scalar(log_path):
    whole = message_log.read_frame(log_path)
    got = query_log(log_path, rounds="2", hours="11:18")
    hourly = got[got.hour.notna()]
    assert set(hourly.hour.astype(int)) == set(range(11, 19))
    expected_scalars = whole[(whole["round"] == 2) & whole.hour.isna()]
    assert len(got[got.hour.isna()]) == len(expected_scalars)
