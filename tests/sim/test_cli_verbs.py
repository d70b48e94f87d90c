"""The teaching verbs: scenarios, validate, --set, step (every protocol),
messages (filters, formats), report; exit codes 0 / 2 / 3; a fast --help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from dcmarket.market.messages import read_frame
from dcmarket.sim.cli import cli, main
from dcmarket.sim.scenario import shipped_scenarios


@pytest.fixture(scope="module")
def market_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "market"
    assert main(["run", "p2p_4dc_fixed_lmp", "--out", str(out)]) == 0
    return out


def test_help_answers_fast_because_solvers_load_lazily():
    code = ("import sys, time; t = time.perf_counter(); from dcmarket.sim.cli import main; "
            "main(['--help']); heavy = [m for m in ('cvxpy', 'pandapower', 'torch', "
            "'highspy', 'mesa') if m in sys.modules]; "
            "print('HEAVY', heavy, time.perf_counter() - t)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    line = done.stdout.strip().splitlines()[-1]
    assert line.startswith("HEAVY []"), line  # nothing heavy imported for --help
    tic = time.perf_counter()
    for verb in ("run", "step", "messages", "report", "validate", "scenarios", "lec"):
        assert main([verb, "--help"]) == 0
    assert time.perf_counter() - tic < 5


def test_scenarios_lists_every_shipped_scenario_with_its_study(capsys):
    assert main(["scenarios"]) == 0
    lines = capsys.readouterr().out.splitlines()
    listed = {line.split()[0]: line.split()[1] for line in lines[1:]}
    assert set(listed) == set(shipped_scenarios())
    assert listed["p2p_ieee30"] == "p2p" and listed["dr_2000hosts"] == "dr"
    assert listed["lec_10households"] == "lec"


def test_validate_solves_nothing_and_names_a_bad_field(capsys):
    assert main(["validate", "p2p_ieee30"]) == 0
    assert "valid p2p scenario" in capsys.readouterr().out
    assert main(["validate", "dr_2000hosts", "--set", "auction.bogus=1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "auction.bogus" in err


@pytest.mark.parametrize("setting, named", [
    ("market.nope.x=1", "market.nope: Extra inputs"),
    ("datacenters.DC9.servers=3", "no item named 'DC9'"),
    ("no_equals_sign", "expected key=value"),
    ("hours.x=1", "hours has no fields"),
])
def test_bad_settings_are_named(setting, named, capsys):
    assert main(["validate", "p2p_4dc_fixed_lmp", "--set", setting]) == 2
    assert named in capsys.readouterr().err


def test_set_changes_the_run(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "p2p_4dc_fixed_lmp", "--set", "market.penalty=300",
                 "--set", "datacenters.DC1.servers=95000", "--out", str(out)]) in (0, 3)
    scenario = json.loads((out / "scenario.json").read_text())
    assert scenario["market"]["penalty"] == 300
    assert scenario["datacenters"][0]["servers"] == 95000
    penalties = read_frame(out / "messages.parquet").query("kind == 'penalty'")
    assert set(penalties.value) == {300.0}


def test_bad_flags_exit_2(capsys):
    assert main(["run", "--max-rounds", "0"]) == 2
    assert main(["step", "p2p_4dc_fixed_lmp", "--until", "-1"]) == 2
    assert main(["messages", "/no/such/run"]) == 2


def test_step_batch_prints_the_conversation_and_keeps_what_ran(tmp_path):
    out = tmp_path / "steps"
    result = CliRunner().invoke(cli, ["step", "p2p_4dc_fixed_lmp", "--until", "2", "--batch",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = result.output
    # one numbering for every study: the stepper's steps, the protocol's position beside
    assert "── before step 1: setup · round 0 ──" in text
    assert "── step 1 · round 1 ──" in text and "── step 2 · round 2 ──" in text
    assert "DC1 → DC2  price_estimate" in text and "y $/M req DC1–DC2 h0–23:" in text
    assert "round 2: primal residual" in text and "stopped before the end" in text
    log = read_frame(out / "messages.parquet")
    assert log["round"].max() == 2  # exactly what ran, nothing more
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 2 and summary["finished"] is False


def test_step_interactive_enter_number_and_quit():
    keys = "\n3\nq\n"  # one step, three steps, quit
    result = CliRunner().invoke(cli, ["step", "p2p_4dc_fixed_lmp", "--interactive",
                                      "--quiet-messages"], input=keys)
    assert result.exit_code == 0, result.output
    rounds = [line for line in result.output.splitlines() if "primal residual" in line]
    assert len(rounds) == 4 and "round 4:" in rounds[-1]
    # the prompts count the steps, as the headers do, in every study
    assert "[step 1]" in result.output and "[step 2]" in result.output
    assert "[step 5]" in result.output and "[ADMM round" not in result.output
    twin = CliRunner().invoke(cli, ["step", "lec_10households", "--interactive"], input="\nq\n")
    assert "── step 1 · round 0 ──" in twin.output and "[step 2]" in twin.output


def test_step_continue_runs_to_convergence_with_exit_0():
    result = CliRunner().invoke(cli, ["step", "p2p_4dc_fixed_lmp", "--interactive",
                                      "--quiet-messages"], input="c\n")
    assert result.exit_code == 0, result.output
    ending = result.output.split("converged after", 1)[1]  # the verdict, then the outcome
    assert "outcome (converged)" in ending


def test_step_to_the_cap_without_converging_exits_3():
    result = CliRunner().invoke(cli, ["step", "p2p_4dc_fixed_lmp", "--batch", "--max-rounds",
                                      "3", "--quiet-messages"])
    assert result.exit_code == 3
    assert "NOT CONVERGED" in result.output


def test_step_through_the_bilevel_loop_one_outer_iteration():
    result = CliRunner().invoke(cli, ["step", "p2p_ieee30", "--until", "1", "--batch"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "one step = one outer iteration" in text
    assert "GridOperator → DC3  lmp  lmp $/MWh h0–23:" in text
    assert "price_estimate messages from DC1, DC2, DC3, DC4, rounds 1–" in text
    assert "GridOperator → market  outer_report" in text
    assert "outer 1: power residual" in text


def test_step_through_the_dr_day_slot_by_slot():
    result = CliRunner().invoke(cli, ["step", "dr_2000hosts", "--until", "2", "--batch"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "one step = one slot" in text and "── step 1 · slot 0 ──" in text
    assert "── step 2 · slot 1 ──" in text
    assert "user01 → DC  submit_tasks  slot = 0 · interactive =" in text
    assert "slot 1 (OP): power" in text


def test_step_through_the_community_twin_to_its_commitment():
    result = CliRunner().invoke(cli, ["step", "lec_10households", "--option", "NC", "--batch",
                                      "--quiet-messages"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("committed after") for line in lines)
    assert any(line.startswith("converged after") for line in lines)
    # the outcome: each agent's cost as minus its profit, W against the community MILP's
    cost = float(next(ln for ln in lines if ln.startswith("committed after"))
                 .split("community cost ")[1].split(" €")[0].replace(",", ""))
    eoa = next(ln for ln in lines if ln.strip().startswith("EOA"))
    households = [ln for ln in lines if ln.strip().startswith("house")]
    assert len(households) == 10 and all(float(ln.split()[-1]) == 0.0 for ln in households)
    assert float(eoa.split()[-1].replace(",", "")) == pytest.approx(-cost, abs=0.01)
    assert any("the optimum W* (centralised_milp)" in ln for ln in lines)
    bad = CliRunner().invoke(cli, ["step", "lec_10households", "--option", "XX", "--batch"])
    assert bad.exit_code != 0


def test_messages_filters_and_formats(market_run, capsys):
    assert main(["messages", str(market_run), "--agent", "DC2", "--kind", "price_estimate",
                 "--round", "3:4"]) == 0
    text = capsys.readouterr().out
    assert "step 4 · round 3" in text and "step 5 · round 4" in text and "round 5" not in text
    assert all("DC2" in line for line in text.splitlines() if "→" in line)
    assert main(["messages", str(market_run), "--kind", "penalty", "--format", "csv"]) == 0
    csv = capsys.readouterr().out.splitlines()
    assert csv[0].startswith("step,msg,outer,round,slot,sender,receiver,kind,fault,field,unit")
    assert len(csv) == 1 + 4  # one value to each of four DCs
    assert main(["messages", str(market_run), "--kind", "penalty", "--format", "json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["receiver"] for r in rows} == {"DC1", "DC2", "DC3", "DC4"}
    assert main(["messages", str(market_run), "--round", "1", "--format", "table"]) == 0
    table = capsys.readouterr().out
    assert "price_estimate" in table and "round_report" in table


@pytest.mark.parametrize("flags, named", [
    (["--agent", "DC9"], "no such agent"), (["--kind", "gossip"], "no such kind"),
    (["--round", "x:y"], "expected N or A:B"), (["--log", "nope.parquet"], "not in"),
])
def test_messages_bad_filters_exit_2(market_run, flags, named, capsys):
    assert main(["messages", str(market_run), *flags]) == 2
    assert named in capsys.readouterr().err


def test_report_is_self_contained_html_with_the_figures(market_run, tmp_path):
    target = tmp_path / "report.html"
    assert main(["report", str(market_run), "--out", str(target)]) == 0
    page = target.read_text()
    assert page.startswith("<!doctype html>") and "Converged." in page
    figures = sorted(p.name for p in market_run.glob("*.png"))
    assert figures and page.count("data:image/png;base64,") == len(figures)
    assert "price_estimate" in page  # the message traffic table
    assert "src=\"http" not in page  # nothing fetched from elsewhere


def test_report_of_an_unconverged_run_says_so_first(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "--max-rounds", "2", "--out", str(out)]) == 3
    assert main(["report", str(out)]) == 0
    page = (out / "report.html").read_text()
    body = page.split("<body>", 1)[1]
    assert body.index("NOT CONVERGED") < body.index("<h2>Summary")
    assert "Welfare gap" not in page


def test_report_refuses_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a finished run folder" in capsys.readouterr().err


def test_report_embeds_nothing_from_outside_and_escapes_what_it_did_not_write(
        market_run, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(market_run, run)
    secret = tmp_path / "passwords.txt"
    secret.write_text("hunter2")
    (run / "zz.png").symlink_to(secret)  # a link to a file outside the folder
    os.mkfifo(run / "zy.png")  # a FIFO would hang a reader
    summary = json.loads((run / "summary.json").read_text())
    summary["scenario_name"] = "<script>alert(1)</script>"
    summary["rounds"] = "<script>alert(2)</script>"
    (run / "summary.json").write_text(json.dumps(summary))
    assert main(["report", str(run)]) == 0
    page = (run / "report.html").read_text()
    import base64

    assert base64.b64encode(b"hunter2").decode() not in page
    assert "<script>" not in page and "&lt;script&gt;alert(2)" in page


def test_report_of_a_malformed_summary_is_named(market_run, tmp_path, capsys):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(market_run, run)
    summary = json.loads((run / "summary.json").read_text())
    del summary["profit_with"]
    (run / "summary.json").write_text(json.dumps(summary))
    assert main(["report", str(run)]) == 2
    err = capsys.readouterr().err
    assert "malformed for a market report" in err and "Traceback" not in err


def test_messages_checks_a_log_before_reading_it(market_run, tmp_path, capsys, monkeypatch):
    import pandas as pd

    from dcmarket.sim import transcript

    garbage = tmp_path / "messages.parquet"
    garbage.write_bytes(b"not parquet at all")
    assert main(["messages", str(garbage)]) == 2
    assert "not a Parquet message log" in capsys.readouterr().err
    pd.DataFrame({"a": [1, 2]}).to_parquet(tmp_path / "other.parquet")
    assert main(["messages", str(tmp_path / "other.parquet")]) == 2
    assert "missing columns" in capsys.readouterr().err
    monkeypatch.setattr(transcript, "MAX_LOG_ROWS", 10)
    assert main(["messages", str(market_run)]) == 2  # more rows pass than it reads
    assert "more than 10 rows pass the filters" in capsys.readouterr().err
    assert main(["messages", str(market_run), "--limit", "1"]) == 0  # the scan stops early


def test_a_bad_step_option_is_one_line_and_exit_2(capsys):
    assert main(["step", "lec_10households", "--option", "XX", "--batch"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "dcmarket: --option 'XX': the scenario runs NC, TC, TC+JP, TC+JP+aFRR"
    assert not any("Traceback" in line for line in err)


def test_messages_of_a_finished_run_end_with_its_outcome(market_run, capsys):
    import json

    assert main(["messages", str(market_run), "--round", "1"]) == 0
    out = capsys.readouterr().out
    recorded = json.loads((market_run / "summary.json").read_text())["outcomes"]
    first = recorded[0]
    assert f"outcome of {first['mechanism']} (converged)" in out
    assert f"{first['profit_usd.DC2']:,.2f} USD" in out  # what the run recorded


def test_stepping_the_grid_loop_ends_with_its_outcome():
    """The bi-level loop's step ends as its mechanism's run does: the same
    profits (the oracle: dcmarket.run of bilevel_bisection), W against the
    competitive equilibrium, who serves whom."""
    import dcmarket

    result = CliRunner().invoke(cli, ["step", "p2p_ieee30", "--batch", "--quiet-messages"])
    assert result.exit_code == 0, result.output
    ran = dcmarket.run("p2p_ieee30", "bilevel_bisection")
    lines = result.output.splitlines()
    for name, profit in ran.profits.items():
        shown = next(ln for ln in lines if ln.strip().startswith(f"{name} "))
        assert float(shown.split()[-1].replace(",", "")) == pytest.approx(profit, abs=0.01)
    assert any("the optimum W* (competitive_equilibrium)" in ln for ln in lines)
    assert any(" serves " in ln and "paid by" in ln for ln in lines)
