"""The run folder's manifest: what was run, on what, and which files it wrote.

Every ``--out DIR`` run ends by writing ``DIR/manifest.json`` (atomically,
last): the command, the validated scenario (its seed included), the
versions of Python, dcmarket and the solvers and data packages it used, the
source commit when the code runs from a git checkout, the timings, and every
file in the folder with its size and SHA-256, so that a reader can check that
nothing is missing or was changed afterwards (:func:`verify_manifest`).
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from market.atomic import atomic_write_text

MANIFEST = "manifest.json"

#: Distributions whose version can change a result (solvers, data, models).
PACKAGES = ("dcmarket", "numpy", "scipy", "pandas", "mesa", "networkx", "pydantic", "cvxpy",
            "highspy", "clarabel", "osqp", "pandapower", "pvlib", "windpowerlib", "demandlib",
            "statsmodels", "torch")


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    """Installed version of each distribution (``None`` when it is not installed)."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None


def source_commit() -> str | None:
    """The git commit of the code being run, ``+dirty`` if tracked files are modified.

    ``None`` unless this very file is tracked in a checkout (an installed copy
    in a virtual environment inside a checkout is not the checkout's code).
    """
    here = Path(__file__).resolve().parent
    tracked = _git(["ls-files", "--error-unmatch", Path(__file__).name], here)
    if tracked is None or tracked.returncode != 0:
        return None
    head = _git(["rev-parse", "HEAD"], here)
    if head is None or head.returncode != 0:
        return None
    status = _git(["status", "--porcelain", "--untracked-files=no"], here)
    dirty = status is not None and status.returncode == 0 and bool(status.stdout.strip())
    return head.stdout.strip() + ("+dirty" if dirty else "")


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def folder_files(out: Path) -> dict[str, dict[str, Any]]:
    """Every file under ``out`` except the manifest: relative path → size and SHA-256."""
    return {p.relative_to(out).as_posix(): {"bytes": p.stat().st_size, "sha256": file_digest(p)}
            for p in sorted(out.rglob("*")) if p.is_file() and p != out / MANIFEST}


def seeds_in(config: Any, path: str = "") -> dict[str, int]:
    """Every ``seed`` field of a (nested) scenario, by its dotted path."""
    found: dict[str, int] = {}
    if isinstance(config, dict):
        for key, value in config.items():
            where = f"{path}.{key}" if path else str(key)
            if key == "seed" and isinstance(value, int):
                found[where] = value
            else:
                found.update(seeds_in(value, where))
    elif isinstance(config, list):
        for i, value in enumerate(config):
            found.update(seeds_in(value, f"{path}[{i}]"))
    return found


def write_manifest(out: Path, command: str, scenario: BaseModel | dict[str, Any],
                   timings_s: dict[str, float] | None = None) -> Path:
    """Write ``out/manifest.json`` describing the finished run folder; call it last."""
    out = Path(out)
    if isinstance(scenario, BaseModel):
        scenario = scenario.model_dump(mode="json")
    manifest = {
        "command": command,
        "argv": sys.argv,
        "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "seeds": seeds_in(scenario),
        "scenario": scenario,
        "timings_s": timings_s or {},
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "source_commit": source_commit(),
        "files": folder_files(out),
    }
    return atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=1, default=float))


def verify_manifest(out: Path) -> list[str]:
    """Names of files the manifest lists that are missing or changed (empty: all intact)."""
    out = Path(out)
    listed = json.loads((out / MANIFEST).read_text())["files"]
    problems = []
    for name, entry in listed.items():
        path = out / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif path.stat().st_size != entry["bytes"] or file_digest(path) != entry["sha256"]:
            problems.append(f"{name}: changed")
    return problems
