"""One importable namespace: ``import dcmarket`` reaches every layer, the CLI
finds its input errors under their ``dcmarket.`` module names, and every verb
still ends bad input with exit code 2 and one line."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import dcmarket
from dcmarket.sim.cli import INPUT_ERRORS, main


def test_every_layer_is_a_subpackage_of_dcmarket():
    for layer in ("agents", "market", "grid", "sim"):
        module = importlib.import_module(f"dcmarket.{layer}")
        assert module.__name__ == f"dcmarket.{layer}"
    assert dcmarket.__version__


def test_every_input_error_the_cli_names_exists_under_its_module():
    for module, name in INPUT_ERRORS:
        cls = getattr(importlib.import_module(module), name)
        assert issubclass(cls, Exception), (module, name)


def _bad_inputs(tmp: Path) -> dict[str, list[str]]:
    """One bad input per verb, each raised by a different layer's error class."""
    empty = tmp / "empty"
    empty.mkdir()
    (tmp / "a_file").write_text("not a folder")
    return {
        "validate": ["validate", "no_such_scenario"],
        "run": ["run", "p2p_4dc_fixed_lmp", "--set", "market.penalty=0"],
        "step": ["step", "p2p_4dc_fixed_lmp", "--batch", "--set", "market.penalty=-1"],
        "messages": ["messages", str(empty)],
        "report": ["report", str(empty)],
        "verify": ["verify", str(tmp / "nowhere")],
        "case-study": ["case-study", "--set", "grid.cost_factor=0"],
        "dr": ["dr", "--set", "users.count=0"],
        "lec": ["lec", "--set", "retailer.connection_kw=0"],
        "reproduce": ["reproduce", "000", "--out", str(tmp / "a_file")],
    }


@pytest.mark.parametrize("verb", ["validate", "run", "step", "messages", "report", "verify",
                                  "case-study", "dr", "lec", "reproduce"])
def test_bad_input_to_every_verb_exits_2_with_one_line(verb, tmp_path, capsys):
    argv = _bad_inputs(tmp_path)[verb]
    assert main(argv) == 2, argv
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) >= 1 and "Traceback" not in "\n".join(err), err
    assert err[-1].startswith("dcmarket: "), err


def test_the_installed_command_imports_through_dcmarket(tmp_path):
    command = Path(sys.executable).with_name("dcmarket")
    assert command.exists(), "the dcmarket console script is not installed beside Python"
    done = subprocess.run([command, "validate", "no_such_scenario"], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("dcmarket: ") and "no_such_scenario" in done.stderr
