"""The run folder's manifest: what was run, on what, and which files it wrote.

Every ``--out DIR`` run ends by writing ``DIR/manifest.json`` (atomically,
last): the command, the validated scenario (its seed and digest included),
whether every protocol of the run converged, the versions of Python,
dcmarket and the solvers and data packages it used, the source commit when
the code runs from a git checkout, the timings, and every file the run
wrote with its size and SHA-256.  The manifest carries its own digest
(``manifest_sha256``, over the rest of it), so an edited manifest shows.

While a run is writing, the folder holds a ``RUNNING`` marker; it is removed
only after the manifest.  :func:`verify_manifest` reports a marker left by a
killed run, files missing, changed or added since, symbolic links, and a
manifest whose digest does not match.  ``report.html`` (written by
``dcmarket report`` from the finished folder) is derived and not checked.
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

from dcmarket.market.atomic import atomic_write_text

MANIFEST = "manifest.json"
RUNNING = "RUNNING"
#: Files made from a finished folder afterwards (not part of the run, not checked),
#: and the lock a run holds on its folder.
DERIVED = ("report.html", ".dcmarket.lock")

#: Distributions whose version can change a result (solvers, data, models).
PACKAGES = ("dcmarket", "numpy", "scipy", "pandas", "mesa", "networkx", "pydantic", "cvxpy",
            "highspy", "clarabel", "piqp", "osqp", "pandapower", "pvlib", "windpowerlib",
            "demandlib", "statsmodels", "torch", "ray")


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


def _own_files(out: Path) -> list[Path]:
    """Every regular file under ``out`` but the manifest, the marker and derived files."""
    skip = {out / MANIFEST, out / RUNNING, *(out / name for name in DERIVED)}
    return [p for p in sorted(out.rglob("*"))
            if p.is_file() and not p.is_symlink() and p not in skip]


def folder_files(out: Path) -> dict[str, dict[str, Any]]:
    """Every file of the run under ``out``: relative path → size and SHA-256."""
    return {p.relative_to(out).as_posix(): {"bytes": p.stat().st_size, "sha256": file_digest(p)}
            for p in _own_files(out)}


def scenario_digest(scenario: BaseModel | dict[str, Any]) -> str:
    """SHA-256 of the validated scenario's canonical JSON (what a block or run was made of)."""
    if isinstance(scenario, BaseModel):
        scenario = scenario.model_dump(mode="json")
    text = json.dumps(scenario, sort_keys=True, separators=(",", ":"), default=float)
    return hashlib.sha256(text.encode()).hexdigest()


def _self_digest(manifest: dict[str, Any]) -> str:
    rest = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), default=float)
    return hashlib.sha256(text.encode()).hexdigest()


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


def executor_description() -> dict[str, Any]:
    """Where the run's agents ran (sim.executors: in process, or Ray and how)."""
    import dataclasses

    from dcmarket.sim.executors import default

    executor = default()
    fields = dataclasses.asdict(executor) if dataclasses.is_dataclass(executor) else {}
    return {"name": executor.name, **{k: v for k, v in fields.items() if k != "name"}}


def strategy_provenance(scenario: BaseModel | dict[str, Any]) -> dict[str, Any]:
    """Every non-default strategy the scenario names: agent → its label, class,
    origin and the SHA-256 of its source (``{}``: every agent truthful)."""
    builder = getattr(scenario, "agent_strategies", None)
    if builder is None:
        return {}
    from dcmarket.agents.strategy_registry import provenance

    return {name: provenance(strategy) for name, strategy in builder().items()}


def write_manifest(out: Path, command: str, scenario: BaseModel | dict[str, Any],
                   timings_s: dict[str, float] | None = None,
                   converged: bool | None = None,
                   extra: dict[str, Any] | None = None) -> Path:
    """Write ``out/manifest.json`` describing the finished run folder; call it last.

    ``converged``: whether every protocol of the run met its stopping rule
    (``None`` when the run has none, or read from ``summary.json`` if there);
    ``extra``: more top-level entries (a tournament's entrants and their digests)."""
    out = Path(out)
    strategies = strategy_provenance(scenario)
    if isinstance(scenario, BaseModel):
        scenario = scenario.model_dump(mode="json")
    if converged is None and (out / "summary.json").is_file():
        converged = json.loads((out / "summary.json").read_text()).get("converged")
    manifest = {
        "command": command,
        "converged": converged,
        "scenario_sha256": scenario_digest(scenario),
        "argv": sys.argv,
        "finished_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "seeds": seeds_in(scenario),
        "scenario": scenario,
        "strategies": strategies,
        "timings_s": timings_s or {},
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "executor": executor_description(),
        "packages": package_versions(),
        "source_commit": source_commit(),
        **(extra or {}),
        "files": folder_files(out),
    }
    manifest = json.loads(json.dumps(manifest, default=float))
    manifest["manifest_sha256"] = _self_digest(manifest)
    return atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=1))


def verify_manifest(out: Path) -> list[str]:
    """What is wrong with a run folder, one line each (empty: complete and intact).

    A ``RUNNING`` marker (a run killed or still writing), no or an unreadable
    manifest, a manifest whose own digest does not match, and files missing,
    changed, added or symbolic links since the run wrote them."""
    out = Path(out)
    problems = []
    if (out / RUNNING).exists():
        problems.append(f"{RUNNING}: the run did not finish (killed, failed or still running)")
    try:
        manifest = json.loads((out / MANIFEST).read_text())
        listed = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return [*problems, f"{MANIFEST}: missing or unreadable"]
    if manifest.get("manifest_sha256") != _self_digest(manifest):
        problems.append(f"{MANIFEST}: edited after the run (its own digest does not match)")
    for name, entry in listed.items():
        path = out / name
        if not isinstance(name, str) or Path(name).is_absolute() or ".." in Path(name).parts:
            problems.append(f"{name}: listed outside the run folder (not checked)")
            continue
        if path.is_symlink():
            problems.append(f"{name}: a link, not the file the run wrote")
        elif not path.is_file():
            problems.append(f"{name}: missing")
        elif path.stat().st_size != entry["bytes"] or file_digest(path) != entry["sha256"]:
            problems.append(f"{name}: changed")
    for path in sorted(out.rglob("*")):
        name = path.relative_to(out).as_posix()
        if name in listed or name in (MANIFEST, RUNNING, *DERIVED) or (
                path.is_dir() and not path.is_symlink()):
            continue
        problems.append(f"{name}: {'a link' if path.is_symlink() else 'added'} "
                        "(not written by the run)")
    return problems
