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
    stale.write_text("from before")  # not dcmarket's: --force leaves it and says so
    assert main(["run", "--out", str(out), "--force", "--max-rounds", "2"]) == 2
    assert "this was not: stale.csv" in capsys.readouterr().err
    assert stale.read_text() == "from before"
    stale.unlink()
    assert main(["run", "--out", str(out), "--force", "--max-rounds", "2"]) == 3
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


# ------------------------------------------- --force deletes only what dcmarket wrote
def _finished_run(out: Path) -> None:
    folder = RunFolder(out)
    folder.text("a.txt", "run output")
    folder.json("summary.json", {"kind": "x", "converged": True})
    folder.finish("dcmarket run", {"name": "x"})


def test_force_never_deletes_a_folder_that_only_has_a_manifest_of_its_own(tmp_path, capsys):
    app = tmp_path / "web_app"
    (app / "src").mkdir(parents=True)
    (app / "manifest.json").write_text('{"name": "my web app", "start_url": "/"}')
    (app / "src" / "app.js").write_text("console.log(1)")
    (app / "notes.txt").write_text("mine")
    assert main(["run", "--out", str(app), "--force"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "was not" in err and "notes.txt" in err
    assert (app / "src" / "app.js").read_text() == "console.log(1)"
    assert (app / "notes.txt").exists() and (app / "manifest.json").exists()


def test_force_refuses_a_run_folder_with_a_file_of_yours_in_it(tmp_path):
    out = tmp_path / "run"
    _finished_run(out)
    (out / "my_notes.md").write_text("keep me")
    with pytest.raises(OutputError, match=r"this was not: my_notes\.md"):
        prepare_out(out, force=True)
    assert (out / "my_notes.md").exists() and (out / "a.txt").exists()


def test_force_replaces_a_finished_or_killed_run_folder(tmp_path):
    out = tmp_path / "run"
    _finished_run(out)
    (out / "report.html").write_text("<html>")  # derived by dcmarket report
    prepare_out(out, force=True)
    assert [p.name for p in out.iterdir()] == [".dcmarket.lock"]
    from dcmarket.sim.run_folder import release_locks

    release_locks()
    killed = tmp_path / "killed"
    folder = RunFolder(killed)
    folder.text("half.csv", "x")
    folder.claim("blocks").mkdir()
    (killed / "blocks" / "block_00.json").write_text("{}")  # the year's own writer
    assert json.loads((killed / RUNNING).read_text())["writes"] == ["half.csv"]
    prepare_out(killed, force=True)
    assert not (killed / "half.csv").exists() and not (killed / "blocks").exists()
    release_locks()


def test_an_out_that_is_a_link_is_refused_by_name(tmp_path, capsys):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    assert main(["run", "--out", str(tmp_path / "link"), "--force"]) == 2
    assert "a symbolic link" in capsys.readouterr().err


def test_a_second_writer_fails_at_once_naming_the_first(tmp_path, capsys):
    import fcntl

    out = tmp_path / "busy"
    out.mkdir()
    with open(out / ".dcmarket.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("pid 4242: dcmarket step p2p_4dc_fixed_lmp --out busy")
        held.flush()
        tic = time.perf_counter()
        assert main(["run", "--out", str(out)]) == 2
        assert time.perf_counter() - tic < 5
    err = capsys.readouterr().err
    assert "in use by another dcmarket run (pid 4242: dcmarket step" in err
    # the lock went with the first run: the folder is free again
    assert main(["validate", "p2p_4dc_fixed_lmp"]) == 0


def test_a_full_disk_ends_in_one_line_and_an_unfinished_folder(tmp_path, capsys, monkeypatch):
    import errno

    from dcmarket.sim import run_folder

    out = tmp_path / "full"
    real = run_folder.write_frame

    def no_space(frame, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(run_folder, "write_frame", no_space)
    assert main(["run", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left on device" in err[0] and "Traceback" not in err[0]
    assert (out / RUNNING).exists()
    monkeypatch.setattr(run_folder, "write_frame", real)


def test_a_manifest_listing_files_outside_the_folder_is_named_not_hashed(tmp_path):
    out = tmp_path / "run"
    _finished_run(out)
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["files"]["../secret.txt"] = {"bytes": 8, "sha256": "0" * 64}
    (out / MANIFEST).write_text(json.dumps(manifest))
    problems = verify_manifest(out)
    assert any("../secret.txt: listed outside the run folder" in p for p in problems)


def test_summary_json_is_always_valid_json_with_null_for_what_is_not_finite(tmp_path):
    import numpy as np

    folder = RunFolder(tmp_path / "run")
    folder.json("summary.json", {"welfare": float("inf"), "gap": np.float64("nan"),
                                 "rows": [{"x": 1.0}, {"x": -np.inf}], "ok": np.int64(3)})
    text = (tmp_path / "run" / "summary.json").read_text()
    data = json.loads(text)  # strict JSON: no NaN or Infinity tokens
    assert "NaN" not in text and "Infinity" not in text
    assert data["welfare"] is None and data["gap"] is None and data["rows"][1]["x"] is None
    assert data["ok"] == 3
    assert data["null_because_not_finite"] == ["welfare", "gap", "rows[1].x"]


def test_force_keeps_a_lone_manifest_of_another_tool(tmp_path):
    out = tmp_path / "app"
    out.mkdir()
    (out / "manifest.json").write_text('{"name": "my web app"}')
    with pytest.raises(OutputError, match=r"this was not: manifest\.json"):
        prepare_out(out, force=True)
    assert (out / "manifest.json").exists()
