"""The DR study's dashboard panel: each slot's reverse auction."""

from __future__ import annotations

import pandas as pd
import solara

from dcmarket.market.protocols import AWARD, BID
from dcmarket.sim.dashboard.model import DashboardModel
from dcmarket.sim.dashboard.panels import markdown_table


def Auction(model: DashboardModel):  # noqa: N802
    """The DR slot's reverse auction: bids, winners and payments."""
    if model.study != "dr" or not model.stepper.steps:
        return solara.Markdown("*(the DR day's auction panel: pick dr_2000hosts)*")
    slot = model.stepper.model.slot - 1
    rows: dict[str, dict] = {}
    for message in model.stepper.bus.log:
        if message.tags.get("slot") != slot:
            continue
        if message.kind == BID:
            p = message.payload
            rows[message.sender] = {"user": message.sender,
                                    "tasks": int(p["n_sensitive"] + p["n_insensitive"]),
                                    "fee €": round(float(p["fee_eur"]), 3)}
        elif message.kind == AWARD:
            p = message.payload
            rows.setdefault(message.receiver, {"user": message.receiver})
            rows[message.receiver].update({"won": bool(p["won"]),
                                           "payment €": round(float(p["payment_eur"]), 3)})
    if not rows:
        return solara.Markdown(f"**Slot {slot}:** no DR call, no bids.")
    frame = pd.DataFrame(list(rows.values()))
    return solara.Column(children=[
        solara.Markdown(f"**Slot {slot}: the reverse auction** ({len(frame)} bids)"),
        solara.Markdown(markdown_table(frame)),
    ])


def panels() -> list:
    return [Auction]
