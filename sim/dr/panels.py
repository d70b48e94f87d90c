"""The DR study's dashboard panels (paper 002): the day so far (the posted
prices, the DC's metered power against the reference, the DR events), and
the latest slot's reverse auction: bids, winners and payments."""

from __future__ import annotations

import pandas as pd
import solara

from dcmarket.market.protocols import AWARD, BID
from dcmarket.sim.dashboard.model import DashboardModel
from dcmarket.sim.dashboard.panels import markdown_table
from dcmarket.sim.dashboard.style import new_figure, shown


def Day(model: DashboardModel):  # noqa: N802 - a Solara component
    """The price by slot and the auctions: bidders and winners per slot, the DR
    event slots shaded (the DC's power against its reference is the study's
    residual panel)."""
    slots = model.stepper.model.slots_frame()
    fig = new_figure(3.4)
    left, right = fig.subplots(1, 2)
    if len(slots):
        left.plot(slots.slot, slots.price_eur_per_mwh, "o-", ms=4)
        right.bar(slots.slot - 0.2, slots.bidders, width=0.4, label="bids")
        right.bar(slots.slot + 0.2, slots.winners, width=0.4, label="winners")
        right.legend(loc="upper left")
        for ax in (left, right):
            for slot in slots.slot[slots.dr_event > 0]:
                ax.axvspan(slot - 0.5, slot + 0.5, color="gold", alpha=0.3, lw=0)
    left.set_title("price, €/MWh (gold: DR events)", loc="left")
    right.set_title("the reverse auctions: users", loc="left")
    from matplotlib.ticker import MaxNLocator

    right.yaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in (left, right):
        ax.set_xlim(-0.5, 23.5)
        ax.set_xticks(range(0, 24, 6))
        ax.set_xlabel("slot (hour)")
    return shown(fig)


def Auction(model: DashboardModel):  # noqa: N802
    """The latest slot's reverse auction: bids, winners and payments."""
    dr = model.stepper.model
    slot = dr.slot - 1
    if slot < 0:
        return solara.Markdown("**Reverse auction:** the DC calls one in a slot it expects "
                               "a DR event; none so far.")
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
            rows[message.receiver].update({"won": "yes" if p["won"] else "no",
                                           "paid to the user €":
                                               round(float(p["payment_eur"]), 3)})
    if not rows:
        return solara.Markdown(f"**Slot {slot}:** no DR call, no bids.")
    frame = pd.DataFrame(list(rows.values()))
    return solara.Column(children=[
        solara.Markdown(f"**Slot {slot}: the reverse auction** ({len(frame)} bids)"),
        solara.Markdown(markdown_table(frame)),
    ])


def panels(model: DashboardModel | None = None) -> list:
    return [Day, Auction]
