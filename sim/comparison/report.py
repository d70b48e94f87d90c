"""The report section of a comparison's run folder (``dcmarket report``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from dcmarket.sim.html_table import table_html


def section(summary: dict[str, Any], folder: Path) -> list[str]:
    rows = pd.DataFrame(summary["rows"])
    keep = [c for c in rows.columns if c not in ("description",)]
    return [f"<p>Every mechanism of the {summary['study']} study on one fleet; W* is "
            f"<code>{summary['optimum']}</code>'s welfare; money in {summary['currency']}.</p>",
            table_html(rows[keep], "{:,.4g}")]
