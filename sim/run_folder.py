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

import contextlib
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel

from dcmarket.market.atomic import atomic_write_text
from dcmarket.market.messages import MessageBus, write_frame
from dcmarket.sim.manifest import DERIVED, MANIFEST, RUNNING, write_manifest
from dcmarket.sim.scenario import ScenarioError


class OutputError(ScenarioError):
    """An ``--out`` folder a run cannot (or must not) write into."""


#: the lock a run holds on its ``--out`` for its whole life (never listed in a manifest)
LOCK = ".dcmarket.lock"
_held: list[Any] = []  # the open lock files of this process's runs


def _is_run_folder(path: Path) -> bool:
    return (path / MANIFEST).is_file() or (path / RUNNING).is_file()


def _inside(name: object) -> bool:
    """A manifest's or marker's file name that stays inside the folder."""
    return isinstance(name, str) and bool(name) and not Path(name).is_absolute() \
        and ".." not in Path(name).parts


def written_by_us(out: Path) -> tuple[set[str], tuple[str, ...]]:
    """The files this program wrote in ``out`` (relative names) and the folders it
    claimed: those its manifest lists (a dcmarket manifest: with its files and
    its own digest), those its ``RUNNING`` marker recorded as they were
    written, and its own marker, manifest, report and lock."""
    names = {LOCK}
    prefixes: list[str] = []
    try:
        manifest = json.loads((out / MANIFEST).read_text())
        if isinstance(manifest, dict) and "manifest_sha256" in manifest \
                and isinstance(manifest.get("files"), dict):
            names |= {MANIFEST, *DERIVED} | {n for n in manifest["files"] if _inside(n)}
    except (OSError, ValueError):
        pass
    try:
        marker = json.loads((out / RUNNING).read_text())
        if isinstance(marker, dict) and "pid" in marker:
            names |= {RUNNING, *DERIVED}
            names |= {n for n in marker.get("writes", []) if _inside(n)}
            prefixes += [n.rstrip("/") + "/" for n in marker.get("claims", []) if _inside(n)]
    except (OSError, ValueError, AttributeError):
        pass
    return names, tuple(prefixes)


def _strangers(out: Path) -> list[str]:
    """What is in ``out`` that this program did not write."""
    names, prefixes = written_by_us(out)
    found = []
    for path in sorted(out.rglob("*")):
        name = path.relative_to(out).as_posix()
        if path.is_dir() and not path.is_symlink():
            continue
        if name in names or name.startswith(prefixes):
            if path.is_symlink() or not path.is_file():
                found.append(f"{name} (a link or special file)")
            continue
        found.append(name)
    return found


def _remove_ours(out: Path) -> None:
    """Remove the files of an earlier run (checked by :func:`_strangers`) and the
    folders they leave empty; the folder itself stays."""
    for path in sorted(out.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.name == LOCK and path.parent == out:
            continue
        if path.is_dir() and not path.is_symlink():
            with contextlib.suppress(OSError):
                path.rmdir()  # only if empty
        else:
            path.unlink()


def _lock(out: Path, command: str) -> None:
    """Hold ``out``'s lock for this run; a second writer fails at once, naming
    the holder's process and command."""
    import fcntl

    out.mkdir(parents=True, exist_ok=True)
    handle = open(out / LOCK, "a+")  # noqa: SIM115 - held open for the run's life
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise OutputError(f"--out {out}: in use by another dcmarket run ({holder}); "
                          "wait for it, or choose another folder") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}: {command}")
    handle.flush()
    _held.append(handle)


def release_locks() -> None:
    """Let go of every ``--out`` this process's runs held (their runs are over)."""
    import fcntl

    while _held:
        handle = _held.pop()
        with contextlib.suppress(OSError):
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()


def prepare_out(out: str | Path | None, force: bool = False, resume: bool = False,
                command: str = "dcmarket") -> None:
    """Check an ``--out`` folder before solving (see the module docstring) and
    hold its lock for the run.  ``force`` removes only what this program wrote
    there and refuses, naming it, anything else."""
    if out is None:
        return
    out = Path(out)
    if out.is_symlink():
        raise OutputError(f"--out {out}: a symbolic link (to {os.readlink(out)}); give the "
                          "folder itself")
    for parent in [out, *out.parents]:
        if parent.exists() and not parent.is_dir():
            where = "is a file" if parent == out else f"is under {parent}, which is a file"
            raise OutputError(f"--out {out}: {where}")
    existing = next((p for p in [out, *out.parents] if p.exists()), None)
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"--out {out}: {existing} is not writable")
    if out.exists() and any(p.name != LOCK for p in out.iterdir()):
        if resume:
            if not _is_run_folder(out):
                raise OutputError(f"--out {out}: --resume needs an earlier run folder "
                                  f"(no {RUNNING} marker or {MANIFEST} there)")
        elif not force:
            raise OutputError(f"--out {out}: not empty; add --force to replace an earlier "
                              "run folder (or choose a new folder)")
        elif not _is_run_folder(out):
            raise OutputError(f"--out {out}: not a dcmarket run folder (no {MANIFEST} or "
                              f"{RUNNING}); --force replaces only run folders")
        else:
            strangers = _strangers(out)
            if strangers:
                shown = ", ".join(strangers[:3]) + (f" and {len(strangers) - 3} more"
                                                    if len(strangers) > 3 else "")
                raise OutputError(f"--out {out}: --force removes only what dcmarket wrote "
                                  f"there, and this was not: {shown}")
    _lock(out, command)
    if force and _is_run_folder(out):
        _remove_ours(out)


def finite_json(data: Any, path: str = "") -> tuple[Any, list[str]]:
    """``data`` made JSON-safe (numpy numbers as Python ones, non-finite numbers
    as ``None``) and the paths of the numbers that were not finite."""
    import math

    import numpy as np

    if isinstance(data, dict):
        out, where = {}, []
        for key, value in data.items():
            out[key], inner = finite_json(value, f"{path}.{key}" if path else str(key))
            where += inner
        return out, where
    if isinstance(data, list | tuple):
        out, where = [], []
        for k, value in enumerate(data):
            item, inner = finite_json(value, f"{path}[{k}]")
            out.append(item)
            where += inner
        return out, where
    if isinstance(data, np.ndarray):
        return finite_json(data.tolist(), path)
    if isinstance(data, bool | np.bool_):
        return bool(data), []
    if isinstance(data, int | np.integer):
        return int(data), []
    if isinstance(data, float | np.floating):
        value = float(data)
        return (value, []) if math.isfinite(value) else (None, [path or "value"])
    if data is None or isinstance(data, str):
        return data, []
    try:
        return finite_json(float(data), path)
    except (TypeError, ValueError):
        return str(data), []


class RunFolder:
    """A folder a run writes into; :meth:`finish` seals it with the manifest."""

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self._marker = {"pid": os.getpid(), "argv": sys.argv,
                        "started_utc": datetime.now(UTC).isoformat(timespec="seconds"),
                        "writes": [], "claims": []}
        if (self.out / RUNNING).exists():  # a run going on (--resume): keep its record
            with contextlib.suppress(OSError, ValueError, AttributeError):
                earlier = json.loads((self.out / RUNNING).read_text())
                self._marker["writes"] = list(earlier.get("writes", []))
                self._marker["claims"] = list(earlier.get("claims", []))
        self._record()

    def _record(self) -> None:
        atomic_write_text(self.out / RUNNING, json.dumps(self._marker))

    def path(self, name: str) -> Path:
        """Where a file of this run goes (for writers of their own, e.g. figures);
        the ``RUNNING`` marker records it before it is written, so ``--force``
        knows it is this program's even if the run is killed."""
        if name not in self._marker["writes"]:
            self._marker["writes"].append(name)
            self._record()
        return self.out / name

    def claim(self, folder: str) -> Path:
        """A sub-folder whose every file this run writes (e.g. the year's blocks)."""
        if folder not in self._marker["claims"]:
            self._marker["claims"].append(folder)
            self._record()
        return self.out / folder

    def text(self, name: str, text: str) -> Path:
        return atomic_write_text(self.path(name), text)

    def json(self, name: str, data: Any) -> Path:
        """``data`` as JSON that is always valid: a number that is not finite is
        written as null, and a top-level ``null_because_not_finite`` lists where."""
        clean, where = finite_json(data)
        if where and isinstance(clean, dict):
            clean["null_because_not_finite"] = where
        return self.text(name, json.dumps(clean, indent=1, allow_nan=False))

    def frame(self, name: str, frame: pd.DataFrame) -> Path:
        """A tidy frame as ``.parquet`` or ``.csv`` (by the name's suffix), and a
        CSV table also in each format ``--table-format`` chose (:mod:`sim.output_formats`)."""
        from dcmarket.sim.output_formats import table_twins

        for twin in table_twins(name):
            write_frame(frame, self.path(twin))
        return write_frame(frame, self.path(name))

    def messages(self, bus: MessageBus, name: str = "messages.parquet") -> Path:
        """The bus's whole message log (schema in :mod:`market.messages`)."""
        return bus.write_log(self.path(name))

    def finish(self, command: str, scenario: BaseModel | dict[str, Any],
               timings_s: dict[str, float] | None = None,
               converged: bool | None = None, extra: dict[str, Any] | None = None) -> Path:
        """Write ``manifest.json`` last (command, scenario, convergence, versions,
        every file), then remove the ``RUNNING`` marker: the folder is complete."""
        path = write_manifest(self.out, command, scenario, timings_s, converged, extra)
        (self.out / RUNNING).unlink(missing_ok=True)
        return path
