"""The message log: its schema, its frames, and reading and writing them.

Log schema (:meth:`MessageBus.log_frame`; stored as ``messages.parquet`` in a
run folder; one row per value of each payload field, "long form")
======================================================================

==============  ==========  ================================================
column          type        meaning
==============  ==========  ================================================
``step``        int64       global step counter: 1 + the number of times the
                            protocol position (outer, round, slot) changed
                            before this message
``msg``         int64       message number, 0, 1, … in sending order
``outer``       Int64       outer iteration of a bi-level loop (null elsewhere)
``round``       int64       protocol round (ADMM iteration, twin round, slot)
``slot``        Int64       the DR day's hour slot (null elsewhere)
``sender``      string      agent name
``receiver``    string      agent name
``kind``        string      declared message kind (``price_estimate``, ...)
``fault``       string      what the fault model did to it (``lost``, ``late 1``,
                            ``doubled``, ``offline``); null when delivered as sent
``field``       string      payload field (``y``, ``lmp``, ``fee_eur``, ...)
``unit``        string      the field's unit (``$/M req``, ``MW``, ``tasks``)
``i``           int64       position of the value in the field (0 for a scalar)
``link``        string      trading link ``DC1–DC2`` where the field has one
``hour``        Int64       hour of the horizon (0 = first) where it has one
``value``       float64     the value
``value_int``   Int64       the same value for integer fields (counts, slots)
==============  ==========  ================================================

String columns are Arrow-backed in memory (``string[pyarrow]``).  pandas
(``pd.read_parquet``) and DuckDB (``SELECT * FROM 'messages.parquet'``) read
it as is.  :func:`messages_of` turns it back into one row per message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dcmarket.market.atomic import atomic_path

# The frames are made from market.messages' Message objects and MessageKind
# declarations; this module reads their attributes only, and does not import
# them (messages.py imports this module).
Message = Any
MessageKind = Any

LOG_COLUMNS = ("step", "msg", "outer", "round", "slot", "sender", "receiver", "kind",
               "fault", "field", "unit", "i", "link", "hour", "value", "value_int")
#: rows per Parquet row group: a log is written in sending order (step, msg and
#: round only grow), so a query for a step or a round reads the groups whose
#: statistics hold it, not the whole file (docs/messages.md)
ROW_GROUP_ROWS = 65_536
HEADER_COLUMNS = ("step", "msg", "outer", "round", "slot", "sender", "receiver", "kind",
                  "fault")


def _category(codes: np.ndarray, names: Sequence[str]) -> pd.arrays.ArrowStringArray:
    """Strings from dictionary codes (−1 = missing), Arrow-backed: compact, and
    grouping by them works as on plain strings."""
    import pyarrow as pa

    codes = np.asarray(codes, dtype=np.int32)
    indices = pa.array(codes, mask=codes < 0)
    strings = pa.DictionaryArray.from_arrays(indices, pa.array(list(names), pa.string()))
    return pd.arrays.ArrowStringArray(strings.cast(pa.string()))


def _codes(values: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    names: dict[str, int] = {}
    codes = np.fromiter((names.setdefault(v, len(names)) for v in values), dtype=np.int32,
                        count=len(values))
    return codes, list(names)


def _position_columns(messages: Sequence[Message], first_msg: int = 0) -> dict[str, Any]:
    columns: dict[str, Any] = {
        "step": np.array([m.step for m in messages], dtype=np.int64),
        "msg": np.arange(first_msg, first_msg + len(messages), dtype=np.int64),
        "outer": pd.array([m.tags.get("outer") for m in messages], dtype="Int64"),
        "round": np.array([m.round for m in messages], dtype=np.int64),
        "slot": pd.array([m.tags.get("slot") for m in messages], dtype="Int64"),
    }
    for name in ("sender", "receiver", "kind"):
        columns[name] = _category(*_codes([getattr(m, name) for m in messages]))
    faults = [m.fault or None for m in messages]
    columns["fault"] = pd.array(faults, dtype="string[pyarrow]")
    return columns


def header_frame(messages: Sequence[Message], first_msg: int = 0) -> pd.DataFrame:
    """One row per message: position, sender, receiver, kind (numbered from ``first_msg``)."""
    return pd.DataFrame(_position_columns(list(messages), first_msg),
                        columns=list(HEADER_COLUMNS))


def log_frame(messages: Sequence[Message], kinds: Mapping[str, MessageKind],
              first_msg: int = 0) -> pd.DataFrame:
    """Messages in long form, one row per value of each payload field (the
    messages numbered from ``first_msg``: a part of a longer log)."""
    messages = list(messages)
    fields: dict[tuple[str, str], int] = {}  # (field, unit) → code
    links: dict[str, int] = {}
    which, field_code, position, link_code, hours, values, integer = ([] for _ in range(7))
    for number, m in enumerate(messages):
        for f in kinds[m.kind].fields:
            if f.name not in m.payload:
                continue
            v = np.ravel(m.payload[f.name])
            n = v.size
            which.append(np.full(n, number, dtype=np.int64))
            field_code.append(np.full(n, fields.setdefault((f.name, f.unit), len(fields))))
            position.append(np.arange(n))
            values.append(v)
            integer.append(np.full(n, f.integer))
            if "link" in f.axes:
                labels = m.labels[f.name]
                link_code.append(np.array([links.setdefault(x, len(links)) for x in labels]))
                hours.append(_hours_within_links(labels) if "hour" in f.axes
                             else np.full(n, -1))
            else:
                link_code.append(np.full(n, -1))
                hours.append(np.arange(n) if "hour" in f.axes else np.full(n, -1))
    if not which:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in LOG_COLUMNS})
    rows = np.concatenate(which)
    frame = header_frame(messages, first_msg).iloc[rows].reset_index(drop=True)
    codes = np.concatenate(field_code)
    frame["field"] = _category(codes, [name for name, _ in fields])
    frame["unit"] = _category(codes, [unit for _, unit in fields])
    frame["i"] = np.concatenate(position).astype(np.int64)
    frame["link"] = _category(np.concatenate(link_code), list(links))
    hour = np.concatenate(hours)
    frame["hour"] = pd.arrays.IntegerArray(hour, hour < 0)
    value = np.concatenate(values).astype(float)
    frame["value"] = value
    is_int = np.concatenate(integer) & np.isfinite(value)
    frame["value_int"] = pd.arrays.IntegerArray(
        np.where(is_int, np.round(np.where(is_int, value, 0.0)), 0).astype(np.int64), ~is_int)
    return frame[list(LOG_COLUMNS)]


def _hours_within_links(links: Sequence[str]) -> np.ndarray:
    """Hour of each value of a link-major vector: counts up within each link's run."""
    hours = np.zeros(len(links), dtype=np.int64)
    for k in range(1, len(links)):
        hours[k] = hours[k - 1] + 1 if links[k] == links[k - 1] else 0
    return hours


def messages_of(log: pd.DataFrame) -> pd.DataFrame:
    """One row per message from a long-form log: the header columns and, per
    field, a scalar or a list of its values (the log's wide view)."""
    if log.empty:
        return pd.DataFrame(columns=list(HEADER_COLUMNS))
    header = log.drop_duplicates("msg")[list(HEADER_COLUMNS)].set_index("msg", drop=False)
    for name, rows in log.groupby("field", sort=False):
        per = rows.groupby("msg")["value"].agg(list)
        header[str(name)] = per.map(lambda v: v[0] if len(v) == 1 else v)
    return header.reset_index(drop=True)


def write_frame(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a frame to ``.parquet`` or ``.csv`` atomically (temp file, then rename).

    In CSV, list-valued columns are written as JSON arrays.
    """
    path = Path(path)
    if path.suffix not in (".parquet", ".csv"):
        raise ValueError(f"unsupported log format {path.suffix!r}: use .parquet or .csv")
    with atomic_path(path) as tmp:
        if path.suffix == ".parquet":  # row groups a reader can skip by their statistics
            frame.to_parquet(tmp, index=False, row_group_size=ROW_GROUP_ROWS)
        else:
            _csv_ready(frame).to_csv(tmp, index=False)
    return path


#: messages turned into rows at a time when a log is written (bounds the memory
#: a write needs to a part of the log, whatever its length)
WRITE_BATCH_MESSAGES = 20_000


def write_log(messages: Sequence[Message], kinds: Mapping[str, MessageKind],
              path: str | Path) -> Path:
    """A whole log to ``.parquet`` (or ``.csv``) atomically, the same file
    :func:`write_frame` writes from :func:`log_frame`, but built and written
    :data:`WRITE_BATCH_MESSAGES` messages at a time in row groups of
    :data:`ROW_GROUP_ROWS` rows: a log of millions of rows is never whole in
    memory as a frame."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    if path.suffix != ".parquet" or len(messages) <= WRITE_BATCH_MESSAGES:
        return write_frame(log_frame(messages, kinds), path)
    with atomic_path(path) as tmp:
        writer: pq.ParquetWriter | None = None
        pending: list[pa.Table] = []
        held = 0

        def flush(final: bool) -> None:
            nonlocal pending, held
            table = pa.concat_tables(pending) if pending else None
            pending, held = [], 0
            if table is None:
                return
            whole = (table.num_rows // ROW_GROUP_ROWS) * ROW_GROUP_ROWS
            cut = table.num_rows if final else whole
            if cut:
                writer.write_table(table.slice(0, cut), row_group_size=ROW_GROUP_ROWS)
            if cut < table.num_rows:
                pending, held = [table.slice(cut)], table.num_rows - cut

        try:
            for first in range(0, len(messages), WRITE_BATCH_MESSAGES):
                frame = log_frame(messages[first:first + WRITE_BATCH_MESSAGES], kinds, first)
                table = pa.Table.from_pandas(frame, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema)
                pending.append(table.cast(writer.schema))
                held += table.num_rows
                if held >= ROW_GROUP_ROWS:
                    flush(final=False)
            flush(final=True)
        finally:
            if writer is not None:
                writer.close()
    return path


def read_frame(path: str | Path) -> pd.DataFrame:
    """Read a message log written by :func:`write_frame` (types restored from CSV)."""
    path = Path(path)
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    return typed(frame)


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """A log frame with the schema's types (strings Arrow-backed, nullable ints)."""
    for column in frame.columns:
        if column in ("sender", "receiver", "kind", "fault", "field", "unit", "link"):
            strings = frame[column].astype("string")
            if column == "unit":  # CSV reads an empty unit back as missing
                strings = strings.fillna("")
            frame[column] = strings.astype("string[pyarrow]")
        elif column in ("outer", "slot", "hour", "value_int"):
            frame[column] = frame[column].astype("Int64")
    return frame


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    import json

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object and out[column].map(lambda v: isinstance(v, list)).any():
            out[column] = out[column].map(json.dumps)
    return out
