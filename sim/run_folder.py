"""The one run-folder writer of every study.

A run folder holds what a run produced — tidy frames, the message log,
summary JSON, figures — each file written atomically (temporary file, then
rename, mode 0644 under the umask), and ends with ``manifest.json``
(:mod:`sim.manifest`), written last by :meth:`RunFolder.finish`, listing
every file with its SHA-256.  From the moment a run starts writing until the
manifest is in place the folder holds a ``RUNNING`` marker, so a run killed
half-way leaves a folder that says so (``verify`` and ``report`` refuse it).

:func:`prepare_out` checks ``--out`` before anything is solved: not a file,
not under a file, writable, and empty — unless ``force`` (replace an earlier
run folder) or ``resume`` (go on with an unfinished one).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel

from dcmarket.market.atomic import atomic_write_text
from dcmarket.market.messages import MessageBus, write_frame
from dcmarket.sim.manifest import MANIFEST, RUNNING, write_manifest
from dcmarket.sim.scenario import ScenarioError


class OutputError(ScenarioError):
    """An ``--out`` folder a run cannot (or must not) write into."""


def _is_run_folder(path: Path) -> bool:
    return (path / MANIFEST).is_file() or (path / RUNNING).is_file()


def prepare_out(out: str | Path | None, force: bool = False, resume: bool = False) -> None:
    """Check an ``--out`` folder before solving (see the module docstring)."""
    if out is None:
        return
    out = Path(out)
    for parent in [out, *out.parents]:
        if parent.exists() and not parent.is_dir():
            where = "is a file" if parent == out else f"is under {parent}, which is a file"
            raise OutputError(f"--out {out}: {where}")
    existing = next((p for p in [out, *out.parents] if p.exists()), None)
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"--out {out}: {existing} is not writable")
    if not out.exists() or not any(out.iterdir()):
        return
    if resume:
        if not _is_run_folder(out):
            raise OutputError(f"--out {out}: --resume needs an earlier run folder "
                              f"(no {RUNNING} marker or {MANIFEST} there)")
        return
    if not force:
        raise OutputError(f"--out {out}: not empty; add --force to replace an earlier run "
                          "folder (or choose a new folder)")
    if not _is_run_folder(out):
        raise OutputError(f"--out {out}: not a dcmarket run folder (no {MANIFEST} or "
                          f"{RUNNING}); --force replaces only run folders")
    shutil.rmtree(out)


class RunFolder:
    """A folder a run writes into; :meth:`finish` seals it with the manifest."""

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        if not (self.out / RUNNING).exists():
            atomic_write_text(self.out / RUNNING, json.dumps(
                {"pid": os.getpid(), "argv": sys.argv,
                 "started_utc": datetime.now(UTC).isoformat(timespec="seconds")}))

    def path(self, name: str) -> Path:
        """Where a file of this run goes (for writers of their own, e.g. figures)."""
        return self.out / name

    def text(self, name: str, text: str) -> Path:
        return atomic_write_text(self.out / name, text)

    def json(self, name: str, data: Any) -> Path:
        return self.text(name, json.dumps(data, indent=1, default=float))

    def frame(self, name: str, frame: pd.DataFrame) -> Path:
        """A tidy frame as ``.parquet`` or ``.csv`` (by the name's suffix)."""
        return write_frame(frame, self.out / name)

    def messages(self, bus: MessageBus, name: str = "messages.parquet") -> Path:
        """The bus's whole message log (schema in :mod:`market.messages`)."""
        return self.frame(name, bus.log_frame())

    def finish(self, command: str, scenario: BaseModel | dict[str, Any],
               timings_s: dict[str, float] | None = None,
               converged: bool | None = None) -> Path:
        """Write ``manifest.json`` last (command, scenario, convergence, versions,
        every file), then remove the ``RUNNING`` marker: the folder is complete."""
        path = write_manifest(self.out, command, scenario, timings_s, converged)
        (self.out / RUNNING).unlink(missing_ok=True)
        return path
