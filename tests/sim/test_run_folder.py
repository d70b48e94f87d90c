"""Run folders that never lie: --out checked before solving, a RUNNING marker
until the manifest, only the run's files listed, files 0644, --force and
--resume, and a run killed mid-write (SIGINT, SIGKILL) that verify refuses."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dcmarket.sim.cli import main
from dcmarket.sim.manifest import MANIFEST, RUNNING, verify_manifest
from dcmarket.sim.run_folder import OutputError, RunFolder, prepare_out


def test_out_must_not_be_a_file_or_under_one(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    for out in (tmp_path / "file", tmp_path / "file" / "run"):
        assert main(["run", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "file" in err and "--out" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_out_must_be_writable(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OutputError, match="not writable"):
            prepare_out(locked / "run")
    finally:
        locked.chmod(0o700)


def test_a_non_empty_out_needs_force_and_force_replaces_only_run_folders(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["run", "--out", str(out), "--max-rounds", "2"]) == 2
    assert "not empty; add --force" in capsys.readouterr().err
    assert main(["run", "--out", str(out), "--force", "--max-rounds", "2"]) == 2
    assert "not a dcmarket run folder" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine"  # nothing lost
    (out / "notes.txt").unlink()
    assert main(["run", "--out", str(out), "--max-rounds", "2"]) == 3
    stale = out / "stale.csv"
    stale.write_text("from before")
    assert main(["run", "--out", str(out), "--force", "--max-rounds", "2"]) == 3
    assert not stale.exists()  # replaced: the manifest lists only this run's files
    assert verify_manifest(out) == []


def test_files_are_0644_and_the_marker_is_gone_when_finished(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "--out", str(out), "--max-rounds", "2"]) == 3
    assert not (out / RUNNING).exists()
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["converged"] is False and len(manifest["scenario_sha256"]) == 64
    umask = os.umask(0)
    os.umask(umask)
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path.name


def test_an_unfinished_folder_is_refused_by_verify_and_report(tmp_path, capsys):
    folder = RunFolder(tmp_path / "run")
    folder.text("half.csv", "a,b\n")
    assert (tmp_path / "run" / RUNNING).exists()
    assert main(["verify", str(tmp_path / "run")]) == 4
    assert "RUNNING: the run did not finish" in capsys.readouterr().out
    (tmp_path / "run" / "summary.json").write_text("{}")
    assert main(["report", str(tmp_path / "run")]) == 2
    assert "did not finish" in capsys.readouterr().err
    folder.finish("test", {})
    assert main(["verify", str(tmp_path / "run")]) == 0


def test_resume_needs_an_earlier_run_folder(tmp_path):
    out = tmp_path / "year"
    out.mkdir()
    (out / "x").write_text("1")
    with pytest.raises(OutputError, match="--resume needs an earlier run folder"):
        prepare_out(out, resume=True)
    assert main(["lec", "--mode", "day", "--resume", "--out", str(tmp_path / "d")]) == 2


KILL_SCRIPT = """
import signal, sys, time
from dcmarket.sim.run_folder import RunFolder
# Ctrl-C's default, whatever this process inherited (a background job of a
# non-interactive shell starts with SIGINT ignored)
signal.signal(signal.SIGINT, signal.default_int_handler)
folder = RunFolder(sys.argv[1])
for k in range(1000):
    folder.text(f"part_{k:04d}.csv", "x" * 10000)
    if k == 3:
        print("writing", flush=True)
    time.sleep(0.01)
folder.finish("test", {})
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_a_run_killed_mid_write_leaves_a_folder_verify_refuses(tmp_path, sig, capsys):
    out = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(out)],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "writing"
    time.sleep(0.05)
    process.send_signal(sig)
    process.wait(timeout=20)
    assert process.returncode != 0
    assert (out / RUNNING).exists() and not (out / MANIFEST).exists()
    assert not list(out.glob(".*.tmp"))  or sig == signal.SIGKILL  # SIGINT cleans its temp file
    assert main(["verify", str(out)]) == 4
    printed = capsys.readouterr().out
    assert "RUNNING: the run did not finish" in printed
    assert f"{MANIFEST}: missing or unreadable" in printed
    assert Path(out).is_dir()
