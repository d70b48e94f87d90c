"""The comparison table of `dcmarket reproduce`: differences derived, every row explained."""

from __future__ import annotations

import pytest

from dcmarket.sim.cli import main
from dcmarket.sim.reproduce import Comparison, frame_of, markdown


def test_difference_is_ours_minus_the_papers_and_text_rows_have_none():
    rows = [Comparison("gain", 22.8, 1.85, "%", "inputs not published"),
            Comparison("ordering", "OP < BS < ST", "OP < ST < BS", "", "forecast misses peaks")]
    frame = frame_of(rows)
    assert frame.difference.iloc[0] == pytest.approx(1.85 - 22.8)
    assert frame.difference.isna().iloc[1]
    table = markdown(rows)
    assert table.count("\n") == 3 and "| gain | 22.80 | 1.85 | -20.95 | % |" in table
    assert "| ordering | OP < BS < ST | OP < ST < BS | — |" in table


def test_an_unknown_paper_is_refused_with_the_choices(capsys):
    assert main(["reproduce", "003"]) == 2
    assert "000" in capsys.readouterr().err
