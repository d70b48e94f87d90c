"""``dcmarket report``: a self-contained HTML page from a run folder, without
solving anything again.

The page opens with the run's verdict (converged or NOT CONVERGED), then its
summary (the section its study registered for the summary's kind: the
paper's numbers beside ours where the paper states them),
the convergence record, the message traffic (who sent what kind, how often)
and every figure of the folder, embedded as PNG so the one file can be
mailed or archived.
"""

from __future__ import annotations

import base64
import html
import json
import os
import stat
from pathlib import Path
from typing import Any

import pandas as pd

from dcmarket.market.atomic import atomic_write_text
from dcmarket.sim.html_table import table_html
from dcmarket.sim.registry import report_section


class ReportError(ValueError):
    """A folder that is not a finished run folder."""


def _comparison(summary: dict[str, Any], folder: Path) -> list[str]:
    from dcmarket.sim.comparison.report import section

    return section(summary, folder)


#: report sections every study shares (a study's own come from the registry)
SHARED_SECTIONS = {"comparison": _comparison}

#: the largest figure a report embeds, bytes
FIGURE_MAX_BYTES = 20_000_000


def _regular(path: Path) -> bool:
    """A regular file, not a link, a FIFO or a device (reading those can leak a
    file from elsewhere or hang)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _embeddable(folder: Path, path: Path, listed: set[str] | None) -> bool:
    name = path.relative_to(folder).as_posix()
    return _regular(path) and (listed is None or name in listed)


def _escaped(value: Any) -> Any:
    """Every string of a summary HTML-escaped (numbers, flags and None kept)."""
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, dict):
        return {html.escape(str(k)): _escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    return value


def _read_json(path: Path) -> dict[str, Any]:
    if not _regular(path):
        raise ReportError(f"{path}: not a regular file")
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: cannot read: {exc}") from exc


def _kind_of(summary: dict[str, Any], folder: Path) -> str:
    if "kind" in summary:
        return str(summary["kind"])
    if "unit" in summary:  # a run folder of `dcmarket step`
        return "steps"
    from dcmarket.sim.registry import kind_from_markers

    try:
        files = {p.name for p in folder.iterdir()}
    except OSError:
        files = set()
    return kind_from_markers(files) or "unknown"


def _steps(summary: dict[str, Any], folder: Path) -> list[str]:
    return [f"<p>A step-through run: {summary['steps']} {summary['unit']}(s) of the "
            f"{summary['study']} protocol; finished: {summary['finished']}.</p>"]


def _convergence(folder: Path) -> list[str]:
    parts = []
    for name in ("admm_residuals.csv", "bilevel_residuals_without.csv",
                 "bilevel_residuals_with.csv", "steps.csv"):
        path = folder / name
        if _regular(path):
            try:
                frame = pd.read_csv(path)
            except (ValueError, OSError) as exc:
                raise ReportError(f"{path}: not a readable table ({exc})") from None
            parts.append(f"<h3>{html.escape(name)}: last rows of {len(frame)}</h3>")
            parts.append(table_html(frame.tail(5), "{:.4g}"))
    return parts


def _traffic(folder: Path, listed: set[str] | None) -> list[str]:
    import pyarrow.parquet as pq

    parts = []
    for path in sorted(folder.glob("messages*.parquet")):
        if not _embeddable(folder, path, listed):
            continue
        try:
            heads = pq.read_table(path, columns=["msg", "sender", "receiver", "kind"]) \
                .to_pandas().drop_duplicates("msg")
        except Exception as exc:  # pyarrow's errors for a file that is not a log
            raise ReportError(f"{path}: not a readable message log ({type(exc).__name__}: "
                              f"{str(exc)[:120]})") from None
        heads["from → to"] = heads.sender.str.replace(r"\d+$", "…", regex=True) + " → " + \
            heads.receiver.str.replace(r"\d+$", "…", regex=True)
        counts = heads.groupby(["kind", "from → to"]).size().reset_index(name="messages")
        parts.append(f"<h3>{html.escape(path.name)}: {len(heads):,} messages</h3>")
        parts.append(table_html(counts))
    if parts:
        parts.append("<p>Read any log as a conversation: <code>dcmarket messages "
                     f"{html.escape(str(folder))}</code>.</p>")
    return parts


def _figures(folder: Path, listed: set[str] | None) -> list[str]:
    parts = []
    for path in sorted(folder.glob("*.png")):
        # only the run's own figures: regular files inside the folder that its
        # manifest lists, not too large (a link could point at any file)
        if not _embeddable(folder, path, listed) or path.stat().st_size > FIGURE_MAX_BYTES:
            continue
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        caption = path.stem.replace("_", " ")
        parts.append(f'<figure><img alt="{html.escape(caption)}" '
                     f'src="data:image/png;base64,{data}"><figcaption>{html.escape(caption)}'
                     "</figcaption></figure>")
    return parts


STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}
.ok{background:#e6f4ea;border-left:6px solid #1e8e3e;padding:.6em 1em}
.bad{background:#fce8e6;border-left:6px solid #d93025;padding:.6em 1em;font-weight:bold}
table.t{border-collapse:collapse;margin:.5em 0;font-size:.9em}
table.t td,table.t th{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:right}
figure{margin:1em 0}img{max-width:100%}code{background:#f4f4f4;padding:0 .2em}"""


def render(folder: Path) -> str:
    """The report of ``folder`` as one HTML page."""
    if not folder.is_dir():
        raise ReportError(f"{folder}: no such run folder")
    from dcmarket.sim.manifest import RUNNING

    if (folder / RUNNING).exists():
        raise ReportError(f"{folder}: the run did not finish ({RUNNING} marker); no report "
                          "of a partial run")
    summary_path = folder / "summary.json"
    if not summary_path.exists():
        raise ReportError(f"{folder}: not a finished run folder (no summary.json)")
    summary = _read_json(summary_path)
    manifest_path = folder / "manifest.json"
    manifest = _read_json(manifest_path) if manifest_path.exists() else {}
    kind = _kind_of(summary, folder)
    converged = summary.get("converged")
    name = summary.get("scenario_name") or manifest.get("scenario", {}).get("name", folder.name)
    verdict = ('<p class="ok">Converged.</p>' if converged else
               '<p class="bad">NOT CONVERGED: the numbers below are the last iterate, not an '
               "equilibrium.</p>" if converged is False else
               '<p class="bad">This run does not say whether it converged.</p>')
    body = [f"<h1>{html.escape(str(name))}: {html.escape(kind.replace('_', ' '))}</h1>", verdict]
    if manifest:
        body.append(f"<p><code>{html.escape(manifest.get('command', ''))}</code> · finished "
                    f"{html.escape(manifest.get('finished_utc', '?'))} · source "
                    f"{html.escape(str(manifest.get('source_commit', '?')))}</p>")
    section = _steps if kind == "steps" else SHARED_SECTIONS.get(kind) or report_section(kind)
    body.append("<h2>Summary</h2>")
    if section:
        try:  # a section formats what the summary says: every string escaped first
            body += section(_escaped(summary), folder)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ReportError(f"{folder / 'summary.json'}: malformed for a "
                              f"{kind} report ({type(exc).__name__}: {exc})") from None
    else:
        body.append(f"<pre>{html.escape(json.dumps(summary, indent=1)[:4000])}</pre>")
    convergence = _convergence(folder)
    if convergence:
        body += ["<h2>Convergence</h2>", *convergence]
    # what the run wrote, by its manifest (None: a folder without one)
    files = manifest.get("files")
    listed = set(files) if isinstance(files, dict) else None
    traffic = _traffic(folder, listed)
    if traffic:
        body += ["<h2>Messages</h2>", *traffic]
    figures = _figures(folder, listed)
    if figures:
        body += ["<h2>Figures</h2>", *figures]
    return ("<!doctype html><html><head><meta charset='utf-8'>"
            f"<title>dcmarket report: {html.escape(str(name))}</title><style>{STYLE}</style>"
            "</head><body>" + "\n".join(body) + "</body></html>")


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the report (default ``RUN_DIR/report.html``) atomically."""
    folder = Path(run_dir)
    path = Path(out) if out is not None else folder / "report.html"
    return atomic_write_text(path, render(folder))
