"""The command line: default run, run folder, message log, bad scenario."""

from __future__ import annotations

import json

from market.messages import read_frame
from sim.cli import main
from sim.manifest import MANIFEST, verify_manifest


def test_run_writes_a_complete_run_folder(tmp_path, capsys):
    assert main(["run", "--out", str(tmp_path / "run")]) == 0
    printed = capsys.readouterr().out
    assert "converged" in printed and "total" in printed
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert set(summary["profit_with"]) == {"DC1", "DC2", "DC3", "DC4"}
    assert summary["welfare_gap_rel"] < 1e-3
    for name in ("scenario.json", "trades.csv", "admm_residuals.csv",
                 "schedules_with_market.csv", "schedules_alone.csv"):
        assert (tmp_path / "run" / name).exists()
    manifest = json.loads((tmp_path / "run" / MANIFEST).read_text())
    assert manifest["command"] == "dcmarket run" and "trades.csv" in manifest["files"]
    assert verify_manifest(tmp_path / "run") == []


def test_messages_command(tmp_path):
    out = tmp_path / "log.parquet"
    assert main(["messages", "--out", str(out), "--max-rounds", "2"]) == 0
    log = read_frame(out)
    assert set(log["round"]) == {0, 1, 2}


def test_bad_scenario_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("hours: 24\ndatacenters: []\nlmp: {}\n")
    assert main(["run", "--scenario", str(bad)]) == 2
    assert "bad.yaml" in capsys.readouterr().err


def test_dr_command_writes_frames_messages_and_figures(tmp_path, capsys):
    out = tmp_path / "dr"
    assert main(["dr", "--no-quality", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "strategies on the day" in printed and "OP" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert {row["strategy"] for row in summary["summary"]} == {"OP", "BS", "ST"}
    for name in ("slots.parquet", "bids.parquet", "postponements.parquet",
                 "messages_OP.parquet", "fig05_tasks_per_slot.png", "fig07_power_vs_price.png"):
        assert (out / name).exists(), name
    log = read_frame(out / "messages_OP.parquet")
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["seeds"]["seed"] == summary["scenario"]["seed"]
    assert "fig05_tasks_per_slot.png" in manifest["files"] and verify_manifest(out) == []
    assert {"dr_call", "bid", "award", "metered_power", "dr_reward"} <= set(log["kind"])


def test_dr_bad_scenario_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("day: '2018-02-01'\nusers: {count: 0}\n")
    assert main(["dr", "--scenario", str(bad)]) == 2
    assert "users.count" in capsys.readouterr().err
    bad.write_text("day: '2018-01-05'\n")
    assert main(["dr", "--scenario", str(bad)]) == 2
    assert "forecast.training_days" in capsys.readouterr().err
