"""The run folder's manifest: versions, seeds and a checkable list of files."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata

from dcmarket.sim.manifest import MANIFEST, seeds_in, verify_manifest, write_manifest


def test_manifest_lists_every_file_with_its_digest(tmp_path):
    (tmp_path / "a.csv").write_text("x\n1\n")
    (tmp_path / "blocks").mkdir()
    (tmp_path / "blocks" / "b.json").write_bytes(b"{}")
    write_manifest(tmp_path, "test", {"seed": 3, "inner": {"seed": 5}}, {"wall_s": 1.5})
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert set(manifest["files"]) == {"a.csv", "blocks/b.json"}
    assert manifest["files"]["a.csv"]["sha256"] == hashlib.sha256(b"x\n1\n").hexdigest()
    assert manifest["files"]["blocks/b.json"]["bytes"] == 2
    assert manifest["seeds"] == {"seed": 3, "inner.seed": 5}
    assert manifest["timings_s"] == {"wall_s": 1.5}
    assert manifest["packages"]["numpy"] == metadata.version("numpy")
    assert manifest["packages"]["highspy"] == metadata.version("highspy")
    assert verify_manifest(tmp_path) == []


def test_verify_names_changed_and_missing_files(tmp_path):
    (tmp_path / "a.csv").write_text("1")
    (tmp_path / "b.csv").write_text("2")
    write_manifest(tmp_path, "test", {})
    (tmp_path / "a.csv").write_text("3")
    (tmp_path / "b.csv").unlink()
    assert verify_manifest(tmp_path) == ["a.csv: changed", "b.csv: missing"]


def test_verify_names_added_files_links_and_an_edited_manifest(tmp_path):
    (tmp_path / "a.csv").write_text("1")
    write_manifest(tmp_path, "test", {})
    assert verify_manifest(tmp_path) == []
    (tmp_path / "report.html").write_text("<html>")  # derived from the run: not checked
    assert verify_manifest(tmp_path) == []
    (tmp_path / "extra.csv").write_text("2")
    (tmp_path / "link.csv").symlink_to(tmp_path / "a.csv")
    assert verify_manifest(tmp_path) == ["extra.csv: added (not written by the run)",
                                         "link.csv: a link (not written by the run)"]
    (tmp_path / "extra.csv").unlink()
    (tmp_path / "link.csv").unlink()
    # re-hash a changed file into the manifest: the manifest's own digest shows it
    (tmp_path / "a.csv").write_text("3")
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    manifest["files"]["a.csv"] = {"bytes": 1, "sha256": hashlib.sha256(b"3").hexdigest()}
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    assert verify_manifest(tmp_path) == [
        f"{MANIFEST}: edited after the run (its own digest does not match)"]


def test_manifest_records_convergence_from_the_summary(tmp_path):
    (tmp_path / "summary.json").write_text('{"converged": false}')
    write_manifest(tmp_path, "test", {})
    assert json.loads((tmp_path / MANIFEST).read_text())["converged"] is False


def test_seeds_are_found_in_lists_and_nested_mappings():
    config = {"workload": {"seed": 2026}, "users": [{"seed": 1}, {"name": "u"}], "seed": None}
    assert seeds_in(config) == {"workload.seed": 2026, "users[0].seed": 1}
