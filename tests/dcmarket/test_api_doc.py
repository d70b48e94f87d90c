"""docs/api.md's example runs as written, and the public names load."""

from __future__ import annotations

import re
from pathlib import Path

import dcmarket

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_the_documented_example_runs(capsys):
    (block,) = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(block.strip().splitlines()) <= 25
    exec(compile(block, str(DOC), "exec"), {"__name__": "docs_api_example"})
    out = capsys.readouterr().out
    assert re.search(r"admm_local \d+ rounds, efficiency 1\.0", out), out
    assert "DC2 gains" in out and "profit_usd" in out


def test_every_public_name_loads():
    for name in dcmarket.__all__:
        assert getattr(dcmarket, name) is not None, name
