"""The message log as a conversation: filters and a readable rendering.

A log (long form, :mod:`market.messages`) is read back per message and
printed the way a teacher would read it out::

    step 1 · round 0
      DC2 → DC1  price_estimate  y $/M req DC1–DC2 h0–23: h4 1.28 (min) · h15 1.957 ·
                 h16 1.948 · h17 2.019 (max) · median 1.407     (one line on screen)

A long vector shows the hours that stand out (its lowest, its highest and
the others furthest from its median), so an afternoon peak is never cut.

Long runs of one kind in a step (a thousand users submitting tasks) are cut
to the first few messages and a count, unless ``full`` is asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from dcmarket.market.message_log import LOG_COLUMNS, read_frame, typed

SHOWN_VALUES = 4  # values of a vector printed before "…"
SHOWN_PER_KIND = 6  # messages of one kind printed per step before "… and N more"


class LogError(ValueError):
    """A run folder or log file that cannot be read, or a bad filter."""


def find_logs(run: str | Path) -> list[Path]:
    """The message logs of a run folder (``messages*.parquet``), or the file itself."""
    run = Path(run)
    if run.is_file():
        return [run]
    if not run.is_dir():
        raise LogError(f"{run}: no such run folder or log file")
    logs = sorted(run.glob("messages*.parquet")) + sorted(run.glob("messages*.csv"))
    if not logs:
        raise LogError(f"{run}: no message log (messages*.parquet) in this folder")
    return logs


def parse_range(text: str | None, what: str) -> tuple[int | None, int | None]:
    """``"3"`` → (3, 3), ``"3:9"`` → (3, 9), ``":9"`` / ``"3:"`` open-ended."""
    if text is None:
        return None, None
    lo, sep, hi = text.partition(":")
    try:
        a = int(lo) if lo.strip() else None
        b = int(hi) if hi.strip() else None
    except ValueError as exc:
        raise LogError(f"--{what} {text!r}: expected N or A:B with integers") from exc
    return (a, a) if not sep else (a, b)


def filter_log(log: pd.DataFrame, agent: str | None = None, kind: str | None = None,
               rounds: str | None = None, outer: str | None = None,
               slot: str | None = None, step: str | None = None,
               hours: str | None = None) -> pd.DataFrame:
    """Rows of messages sent or received by ``agent``, of ``kind``, within the
    ranges given for round, outer iteration, slot and step; with ``hours``, a
    vector's values of other hours go (values without an hour stay)."""
    keep = pd.Series(True, index=log.index)
    if agent is not None:
        agents = set(log.sender.dropna()) | set(log.receiver.dropna())
        if agent not in agents:
            raise LogError(f"--agent {agent!r}: no such agent in this log "
                           f"(agents: {', '.join(sorted(agents)[:12])}"
                           f"{', …' if len(agents) > 12 else ''})")
        keep &= (log.sender == agent) | (log.receiver == agent)
    if kind is not None:
        kinds = set(log.kind.dropna())
        if kind not in kinds:
            raise LogError(f"--kind {kind!r}: no such kind in this log "
                           f"(kinds: {', '.join(sorted(kinds))})")
        keep &= log.kind == kind
    for column, text in (("round", rounds), ("outer", outer), ("slot", slot), ("step", step)):
        lo, hi = parse_range(text, column)
        values = log[column].astype("Float64")
        if lo is not None:
            keep &= (values >= lo).fillna(False)
        if hi is not None:
            keep &= (values <= hi).fillna(False)
    lo, hi = parse_range(hours, "hours")
    if lo is not None or hi is not None:
        hour = log.hour.astype("Float64")
        within = ((hour >= lo) if lo is not None else True) & \
            ((hour <= hi) if hi is not None else True)
        keep &= (hour.isna() | within).fillna(True)
    return log[keep.astype(bool)]


#: the most rows ``messages`` reads after its filters (a log of the 8-DC case57
#: day had 16.4 M in all; the filters are applied inside the Parquet scan)
MAX_LOG_ROWS = 30_000_000


def _checked(path: Path) -> None:
    """A regular file that is a dcmarket message log (its schema, not its rows)."""
    import os
    import stat

    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            raise LogError(f"{path}: not a regular file")
    except OSError as exc:
        raise LogError(f"{path}: cannot read the message log: {exc.strerror}") from exc
    if path.suffix != ".parquet":
        return
    import pyarrow.parquet as pq

    try:
        columns = set(pq.read_schema(path).names)
    except Exception as exc:  # pyarrow's errors for a file that is not Parquet
        raise LogError(f"{path}: not a Parquet message log ({type(exc).__name__})") from None
    missing = [c for c in LOG_COLUMNS if c not in columns]
    if missing:
        raise LogError(f"{path}: not a dcmarket message log (missing columns "
                       f"{', '.join(missing)})")


def read_log(path: str | Path) -> pd.DataFrame:
    """A run's whole message log, checked before it is loaded (a regular file,
    the log's columns, at most :data:`MAX_LOG_ROWS` rows)."""
    return query_log(path)


def _expression(agent: str | None, kind: str | None, ranges: dict[str, str | None],
                hours: str | None = None):
    import pyarrow.compute as pc

    terms = []
    lo, hi = parse_range(hours, "hours")
    if lo is not None or hi is not None:  # values of other hours go; scalars stay
        within = pc.field("hour").is_valid()
        if lo is not None:
            within = within & (pc.field("hour") >= lo)
        if hi is not None:
            within = within & (pc.field("hour") <= hi)
        terms.append(~pc.field("hour").is_valid() | within)
    if agent is not None:
        terms.append((pc.field("sender") == agent) | (pc.field("receiver") == agent))
    if kind is not None:
        terms.append(pc.field("kind") == kind)
    for column, text in ranges.items():
        lo, hi = parse_range(text, column)
        if lo is not None:
            terms.append(pc.field(column) >= lo)
        if hi is not None:
            terms.append(pc.field(column) <= hi)
    expression = None
    for term in terms:
        expression = term if expression is None else expression & term
    return expression


def query_log(path: str | Path, agent: str | None = None, kind: str | None = None,
              rounds: str | None = None, outer: str | None = None, slot: str | None = None,
              step: str | None = None, messages: int | None = None,
              hours: str | None = None) -> pd.DataFrame:
    """The rows of a message log that pass the filters (:func:`filter_log`'s),
    applied inside the Parquet scan: row groups whose statistics exclude them
    are never read, and with ``messages`` the scan stops once that many
    messages are in (the first in sending order).  An agent or kind the log
    does not hold is a LogError listing those it does."""
    path = Path(path)
    _checked(path)
    if path.suffix != ".parquet":  # a CSV log: read, then filtered
        parse_range(hours, "hours")  # a bad range is said as such, not as a bad log
        try:
            log = filter_log(read_frame(path), agent, kind, rounds, outer, slot, step, hours)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise LogError(f"{path}: cannot read the message log: {exc}") from exc
        return log if messages is None else log[log.msg.isin(log.msg.unique()[:messages])]
    import pyarrow as pa
    import pyarrow.dataset as ds

    dataset = ds.dataset(path, format="parquet")
    expression = _expression(agent, kind, {"round": rounds, "outer": outer, "slot": slot,
                                           "step": step}, hours)
    batches, rows, seen = [], 0, set()
    try:
        for batch in dataset.to_batches(filter=expression, batch_size=65_536):
            if messages is not None and batch.num_rows:
                ids = batch.column("msg").to_numpy()
                new = [m for m in dict.fromkeys(ids.tolist()) if m not in seen]
                room = messages - len(seen)
                if len(new) > room:  # keep the messages that fit, then stop
                    keep = set(new[:room]) | seen
                    batch = batch.filter(pa.array([m in keep for m in ids.tolist()]))
                    batches.append(batch)
                    break
                seen.update(new)
            batches.append(batch)
            rows += batch.num_rows
            if rows > MAX_LOG_ROWS:
                raise LogError(f"{path}: more than {MAX_LOG_ROWS:,} rows pass the filters "
                               "(narrow them with --step, --round, --agent or --kind, or "
                               "query the file with pyarrow or DuckDB, docs/messages.md)")
            if messages is not None and len(seen) >= messages:
                break
    except pa.ArrowInvalid as exc:
        raise LogError(f"{path}: cannot read the message log: {exc}") from None
    table = pa.Table.from_batches(batches, schema=dataset.schema) if batches else \
        dataset.schema.empty_table()
    frame = typed(table.to_pandas())
    if frame.empty:
        _name_missing(dataset, agent, kind, path)
    return frame.reset_index(drop=True)


def _name_missing(dataset, agent: str | None, kind: str | None, path: Path) -> None:
    """Nothing passed the filters: an agent or kind the log does not hold is an
    error naming those it does (an empty range is just no messages)."""
    import pyarrow.compute as pc

    if agent is not None:
        table = dataset.to_table(columns=["sender", "receiver"])
        agents = set(pc.unique(table["sender"]).to_pylist()) | \
            set(pc.unique(table["receiver"]).to_pylist())
        agents.discard(None)
        if agent not in agents:
            raise LogError(f"--agent {agent!r}: no such agent in {path.name} "
                           f"(agents: {', '.join(sorted(agents)[:12])}"
                           f"{', …' if len(agents) > 12 else ''})")
    if kind is not None:
        kinds = set(pc.unique(dataset.to_table(columns=["kind"])["kind"]).to_pylist())
        kinds.discard(None)
        if kind not in kinds:
            raise LogError(f"--kind {kind!r}: no such kind in {path.name} "
                           f"(kinds: {', '.join(sorted(kinds))})")


def _number(value: float, integer: bool) -> str:
    if np.isnan(value):
        return "free"  # NaN marks an unset entry (e.g. an hour without a box)
    if integer:
        return f"{round(value)}"
    if value != 0 and (abs(value) >= 1e7 or abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _series(values: np.ndarray, hours: pd.Series, integer: bool, full: bool) -> str:
    """A vector as ``h0–23: …``: every value when it is short or ``full``;
    otherwise the hours that stand out — the lowest, the highest and the
    others furthest from the median, in hour order, the extremes marked —
    and the median (``--hours`` shows chosen hours, ``--full`` all)."""
    at = hours.to_numpy() if hours.notna().all() and len(hours) == values.size else None
    span = ""
    if at is not None and len(at):
        first, last = int(at[0]), int(at[-1])
        span = f"h{first}–{last}: " if last != first else f"h{first}: "
    if full or values.size <= SHOWN_VALUES + 1:
        return span + " ".join(_number(v, integer) for v in values)
    finite = np.isfinite(values)
    if not finite.any() or (np.all(values[finite] == values[finite][0]) and finite.all()):
        return span + f"all {_number(values[0], integer)}"
    median = float(np.median(values[finite]))
    low, high = int(np.nanargmin(values)), int(np.nanargmax(values))
    distance = np.where(finite, np.abs(values - median), -np.inf)
    others = [int(k) for k in np.argsort(-distance, kind="stable") if k not in (low, high)]
    picked = sorted({low, high, *others[:SHOWN_VALUES - 2]})
    label = (lambda k: f"h{int(at[k])}") if at is not None else (lambda k: f"#{k}")
    mark = {low: " (min)", high: " (max)"}
    parts = [f"{label(k)} {_number(values[k], integer)}{mark.get(k, '')}" for k in picked]
    return span + " · ".join(parts) + f" · median {_number(median, integer)}"


def _field_parts(rows: pd.DataFrame, full: bool) -> tuple[str | None, list[str]]:
    """A field as ``(scalar text, [])`` or ``(None, one line per link or series)``."""
    name, unit = rows.field.iloc[0], rows.unit.iloc[0]
    integer = bool(rows.value_int.notna().any())
    unit_text = f" {unit}" if unit and unit != "1" else ""
    if len(rows) == 1 and pd.isna(rows.hour.iloc[0]) and pd.isna(rows.link.iloc[0]):
        return f"{name} = {_number(float(rows.value.iloc[0]), integer)}{unit_text}", []
    if rows.link.notna().any():
        return None, [f"{name}{unit_text} {link} "
                      f"{_series(g.value.to_numpy(float), g.hour, integer, full)}"
                      for link, g in rows.groupby("link", sort=False)]
    return None, [f"{name}{unit_text} "
                  f"{_series(rows.value.to_numpy(float), rows.hour, integer, full)}"]


def message_lines(rows: pd.DataFrame, full: bool = False,
                  receivers: list[str] | None = None) -> list[str]:
    """One message (its rows of the long-form log): a line, and one more line
    per vector when it carries more than one; ``receivers``: a broadcast's (the
    same payload to each), printed once.  What the fault model did to it is
    marked at the end of its first line (``[lost]``, ``[late 1]``, …)."""
    head = rows.iloc[0]
    scalars, vectors = [], []
    for _, g in rows.groupby("field", sort=False):
        scalar, lines = _field_parts(g, full)
        if scalar is not None:
            scalars.append(scalar)
        vectors += lines
    fault = head.get("fault")
    mark = f"  [{fault}]" if isinstance(fault, str) and fault else ""
    to = ", ".join(receivers) if receivers else head.receiver
    first = f"{head.sender} → {to}  {head.kind}"
    if len(vectors) <= 1:
        return [first + "  " + " · ".join(vectors + scalars) + mark]
    return [first + ("  " + " · ".join(scalars) if scalars else "") + mark] + \
        ["    " + line for line in vectors]


def _natural(name: str) -> tuple:
    """``DC2`` before ``DC10``: names ordered by their text and numbers."""
    import re

    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def _same_payload(rows: pd.DataFrame) -> tuple:
    """What a message says, to tell a broadcast (the same to each receiver)."""
    payload = rows[["field", "i", "link", "hour", "value"]].astype(object)
    return tuple(payload.where(payload.notna(), None).itertuples(index=False, name=None))


def _payload_text(rows: pd.DataFrame) -> str:
    parts = [_field_parts(g, False) for _, g in rows.groupby("field", sort=False)]
    return " · ".join(scalar if scalar is not None else "; ".join(lines)
                      for scalar, lines in parts)


def position_line(row: pd.Series, log_step: bool = True) -> str:
    """Where a message stands in the protocol: the log's step (``--step``) and
    the protocol's own counters; without ``log_step`` only the latter (inside a
    step of ``dcmarket step``, which numbers its own steps)."""
    parts = [f"step {int(row.step)}"] if log_step else []
    for column in ("outer", "round", "slot"):
        value = row[column]
        if pd.notna(value) and not (column == "round" and pd.notna(row.slot)):
            parts.append(f"{column} {int(value)}")
    return " · ".join(parts)


def summary_lines(log: pd.DataFrame) -> Iterator[str]:
    """One line per kind: how many messages, between whom, over which rounds."""
    for kind, rows in log.groupby("kind", sort=False):
        heads = rows.drop_duplicates("msg")
        senders = sorted(set(heads.sender))
        rounds = heads["round"]
        span = f"round {rounds.min()}" if rounds.min() == rounds.max() else \
            f"rounds {rounds.min()}–{rounds.max()}"
        who = ", ".join(senders[:6]) + (", …" if len(senders) > 6 else "")
        yield f"  {len(heads):,} {kind} messages from {who}, {span}"


def transcript(log: pd.DataFrame, full: bool = False,
               summarise: frozenset[str] = frozenset(), log_steps: bool = True
               ) -> Iterator[str]:
    """The log as a conversation, step by step (see the module docstring).

    Kinds in ``summarise`` (e.g. the ADMM rounds inside an outer iteration)
    are counted in one line per kind instead of printed, unless ``full``.
    Without ``log_steps`` the position lines leave out the log's step counter.
    """
    if log.empty:
        return
    hidden = log.kind.isin(list(summarise)) if summarise and not full else \
        pd.Series(False, index=log.index)
    counted = False
    for _, step in log.groupby("step", sort=True):
        inside = hidden.loc[step.index]
        if inside.any() and not counted:  # where the inner protocol starts
            counted = True
            yield from _step_lines(step[~inside], full, log_steps)
            yield "inner protocol (counted here; dcmarket messages shows each message):"
            yield from summary_lines(log[hidden])
            continue
        yield from _step_lines(step[~inside], full, log_steps)


def _step_lines(step: pd.DataFrame, full: bool, log_step: bool = True) -> Iterator[str]:
    """The messages of one step (cut per kind unless ``full``), in a stable order —
    kinds as they first appear, then by sender and receiver, whatever order the
    agents were activated in — with a broadcast (one sender, one kind, the same
    payload to several receivers, delivered alike) printed once."""
    if step.empty:
        return
    yield position_line(step.iloc[0], log_step)
    kinds: dict[str, int] = {}
    messages = []
    for _, rows in step.groupby("msg", sort=True):
        head = rows.iloc[0]
        kinds.setdefault(str(head.kind), len(kinds))
        messages.append((kinds[str(head.kind)], _natural(str(head.sender)),
                         _natural(str(head.receiver)), rows))
    messages.sort(key=lambda m: m[:3])
    grouped: dict[tuple, list] = {}
    for _, _, _, rows in messages:
        head = rows.iloc[0]
        fault = head.get("fault")
        key = (str(head.kind), str(head.sender), fault if isinstance(fault, str) else "",
               _same_payload(rows))
        grouped.setdefault(key, []).append(rows)
    shown: dict[str, int] = {}
    skipped: dict[str, int] = {}
    for (kind, _, _, _), group in grouped.items():
        shown[kind] = shown.get(kind, 0) + 1
        if not full and shown[kind] > SHOWN_PER_KIND:
            skipped[kind] = skipped.get(kind, 0) + len(group)
            continue
        receivers = [str(r.receiver.iloc[0]) for r in group] if len(group) > 1 else None
        for line in message_lines(group[0], full, receivers):
            yield "  " + line
    for kind, more in skipped.items():
        yield f"  … and {more} more {kind} messages (--full shows all)"


def log_table(log: pd.DataFrame) -> pd.DataFrame:
    """One row per message with its fields as compact text (``--format table``)."""
    rows = []
    for _, message in log.groupby("msg", sort=True):
        head = message.iloc[0]
        rows.append({"step": head.step, "outer": head.outer, "round": head["round"],
                     "slot": head.slot, "sender": head.sender, "receiver": head.receiver,
                     "kind": head.kind,
                     "payload": _payload_text(message)})
    return pd.DataFrame(rows)


def outcome_summary_lines(run: str | Path) -> list[str]:
    """A finished run's outcomes as its ``summary.json`` records them (one block
    per mechanism: converged, welfare, each agent's profit), for the end of a
    transcript; nothing for a log file or a run without them."""
    import json

    summary = Path(run) / "summary.json"
    try:
        outcomes = json.loads(summary.read_text()).get("outcomes") if summary.is_file() else None
    except (OSError, ValueError):
        return []
    if not isinstance(outcomes, list):
        return []
    lines = []
    for o in outcomes:
        if not isinstance(o, dict) or "currency" not in o:
            continue
        u, cur = str(o["currency"]).lower(), str(o["currency"])
        profits = {k.split(".", 1)[1]: v for k, v in o.items()
                   if k.startswith(f"profit_{u}.") and isinstance(v, (int, float))}
        welfare = o.get(f"welfare_{u}")
        state = "converged" if o.get("converged") else "NOT converged"
        lines.append(f"outcome of {o.get('mechanism')} ({state}): welfare "
                     + (f"{welfare:,.2f} {cur}" if isinstance(welfare, (int, float)) else "?")
                     + "; profit = what each agent ends with (a payment made counts against it)")
        lines += [f"  {name:<10} {value:>14,.2f} {cur}" for name, value in profits.items()]
    return lines
