"""docs/scenarios/reference.md is what the studies' models say today
(rebuild it with ``dcmarket scenarios --reference > docs/scenarios/reference.md``)."""

from __future__ import annotations

from pathlib import Path

from dcmarket.sim.scenario_reference import reference

PAGE = Path(__file__).resolve().parents[2] / "docs" / "scenarios" / "reference.md"


def test_the_committed_reference_is_current():
    assert PAGE.read_text().rstrip("\n") == reference().rstrip("\n"), (
        "docs/scenarios/reference.md is stale: run "
        "`dcmarket scenarios --reference > docs/scenarios/reference.md`")


def test_every_study_and_the_fields_a_newcomer_looks_for_are_there():
    text = PAGE.read_text()
    for section in ("## p2p:", "## lec:", "## dr:"):
        assert section in text
    for field in ("`market.trade_limits`", "`market.communication.edges`",
                  "`market.trade_limit_share`", "`grid.network`", "`datacenters[].servers`",
                  "`auction.payment`", "`strategy`"):
        assert field in text, field
