"""The command line: every verb, its run folders, its exit codes."""

from __future__ import annotations

import json

from dcmarket.market.messages import read_frame
from dcmarket.sim.cli import main
from dcmarket.sim.manifest import MANIFEST, verify_manifest


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
    assert manifest["command"] == f"dcmarket run --out {tmp_path / 'run'}"
    assert "trades.csv" in manifest["files"] and "messages.parquet" in manifest["files"]
    for figure in ("fig_admm_residual.png", "fig_market_prices_trades.png"):
        assert figure in manifest["files"]
    assert verify_manifest(tmp_path / "run") == []
    log = read_frame(tmp_path / "run" / "messages.parquet")
    assert set(log["round"]) == set(range(summary["rounds"] + 1))


def test_an_unconverged_run_says_so_first_and_reports_no_gap(tmp_path, capsys):
    assert main(["run", "--max-rounds", "3", "--out", str(tmp_path / "run")]) == 3
    printed = capsys.readouterr().out
    assert printed.startswith("NOT CONVERGED")
    assert "centralised twin" not in printed and "(gap" not in printed
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["converged"] is False and summary["welfare_gap_rel"] is None


def test_bad_scenario_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("hours: 24\ndatacenters: []\nlmp: {}\n")
    assert main(["run", str(bad)]) == 2
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
    assert main(["report", str(out), "--out", str(tmp_path / "report.html")]) == 0
    page = (tmp_path / "report.html").read_text()
    assert "Actual DR event hours" in page and "lowest operating cost" in page


def test_dr_bad_scenario_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("day: '2018-02-01'\nusers: {count: 0}\n")
    assert main(["dr", "--scenario", str(bad)]) == 2
    assert "users.count" in capsys.readouterr().err
    bad.write_text("day: '2018-01-05'\n")
    assert main(["dr", "--scenario", str(bad)]) == 2
    assert "forecast.training_days" in capsys.readouterr().err
