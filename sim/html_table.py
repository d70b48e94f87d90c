"""One HTML table style for every page dcmarket writes (reports, grades,
leaderboards): every value escaped, missing values as a dash."""

from __future__ import annotations

import pandas as pd


def table_html(frame: pd.DataFrame, float_format: str = "{:,.2f}") -> str:
    return frame.to_html(index=False, border=0, classes="t", na_rep="—",
                         float_format=lambda v: float_format.format(v))
