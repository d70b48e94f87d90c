"""The built wheel installs one namespace, ``dcmarket``, with every package
of the tree and its data, and no top-level ``agents``, ``grid``, ``market``
or ``sim`` (names other PyPI packages import as)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"dcmarket": "dcmarket", "agents": "dcmarket/agents", "market": "dcmarket/market",
           "grid": "dcmarket/grid", "sim": "dcmarket/sim"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """Build the wheel from a copy of the tree (no build/ or egg-info left here)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for folder in FOLDERS:
        shutil.copytree(ROOT / folder, src / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "--quiet", "-w", str(out), str(src)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    (path,) = out.glob("dcmarket-*.whl")
    return zipfile.ZipFile(path)


def test_the_wheel_installs_only_the_dcmarket_namespace(wheel):
    tops = {name.split("/")[0] for name in wheel.namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"dcmarket"}
    assert not tops & {"agents", "grid", "market", "sim"}


def test_every_package_of_the_tree_is_in_the_wheel(wheel):
    names = set(wheel.namelist())
    for folder, target in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            inside = init.relative_to(ROOT / folder).as_posix()
            assert f"{target}/{inside}" in names, f"{folder}/{inside} is not in the wheel"


def test_the_wheel_carries_the_data_and_the_command(wheel):
    names = set(wheel.namelist())
    for shipped in (ROOT / "sim" / "scenarios").glob("*.yaml"):
        assert f"dcmarket/sim/scenarios/{shipped.name}" in names
    for data in (ROOT / "grid" / "data").glob("*.csv.gz"):
        assert f"dcmarket/grid/data/{data.name}" in names
    assert "dcmarket/sim/reproduction_pins.json" in names
    (entry,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "dcmarket = dcmarket.sim.cli:entry" in wheel.read(entry).decode()
