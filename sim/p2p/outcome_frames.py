"""The long frames of a P2P :class:`~market.outcome.Outcome`: link prices and
each DC's grid draw, one row per hour."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dcmarket.market.links import LinkIndex


def link_price_frame(links: LinkIndex, prices: np.ndarray | None) -> pd.DataFrame:
    """Long: one row per link and hour, $ per M requests."""
    if prices is None or not links.links:
        return pd.DataFrame(columns=["item", "hour", "price", "unit"])
    T = links.hours
    return pd.DataFrame({
        "item": np.repeat([f"{a}–{b}" for a, b in links.links], T),
        "hour": np.tile(np.arange(T), len(links.links)),
        "price": np.asarray(prices, float)[:len(links.links) * T], "unit": "$/M req"})


def allocation_frame(grid_mw: dict[str, np.ndarray]) -> pd.DataFrame:
    rows = [{"agent": n, "hour": t, "quantity": "grid_mw", "value": float(v), "unit": "MW"}
            for n, series in grid_mw.items() for t, v in enumerate(np.asarray(series))]
    return pd.DataFrame(rows, columns=["agent", "hour", "quantity", "value", "unit"])


def lmp_frame(network, lmp: np.ndarray) -> pd.DataFrame:
    """Long: one row per bus and hour, the LMP in $/MWh (item ``LMP bus N``)."""
    lmp = np.asarray(lmp, float)
    T, B = lmp.shape
    return pd.DataFrame({"item": np.tile([f"LMP bus {b}" for b in network.bus_labels], T),
                         "hour": np.repeat(np.arange(T), B), "price": lmp.reshape(-1),
                         "unit": "$/MWh"})
