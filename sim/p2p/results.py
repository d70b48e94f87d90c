"""Tidy results of the P2P market.

``schedules_frame`` is long form: one row per DC × hour × quantity, with the
unit in its own column.
"""

from __future__ import annotations

import pandas as pd

from dcmarket.agents.p2p.datacenter import DCSchedule

_QUANTITIES = {
    "interactive": ("interactive", "M requests/h"),
    "lambda_I": ("lambda_I", "M requests/h"),
    "lambda_B": ("lambda_B", "M requests/h"),
    "servers": ("servers", "servers"),
    "cooling_mw": ("cooling", "MW"),
    "indoor_c": ("indoor", "degC"),
    "grid_mw": ("grid", "MW"),
}


def schedules_frame(schedules: dict[str, DCSchedule]) -> pd.DataFrame:
    rows = []
    for name, s in schedules.items():
        for attr, (quantity, unit) in _QUANTITIES.items():
            for t, v in enumerate(getattr(s, attr)):
                rows.append((name, t, quantity, float(v), unit))
        for partner, q in s.trades.items():
            for t, v in enumerate(q):
                rows.append((name, t, f"bought_from_{partner}", float(v), "M requests/h"))
    return pd.DataFrame(rows, columns=["dc", "hour", "quantity", "value", "unit"])
