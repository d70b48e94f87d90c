"""The dashboard's panels, each a function of the model (SolaraViz re-renders
them after every step).  They draw public facts only: residual histories,
the message log and what the grid operator posted."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure

from dcmarket.market.protocols import AWARD, BID, ROUND_REPORT
from dcmarket.sim.dashboard.model import DashboardModel


def _markdown_table(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join("" if pd.isna(v) else str(v) for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def _figure(width: float = 6.0, height: float = 3.4) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def Status(model: DashboardModel):  # noqa: N802 - a Solara component
    """Where the protocol stands: the step counter and the stopping rule."""
    s = model.stepper
    verdict = ("converged" if s.converged else "finished, NOT CONVERGED") if s.done else "running"
    return solara.Markdown(
        f"### {model.scenario_name} ({model.study})\n\n"
        f"**Step counter:** {s.steps} {s.unit}(s) · {verdict} · {len(s.bus):,} messages\n\n"
        f"{model.status}")


def Residuals(model: DashboardModel):  # noqa: N802
    """Residuals by step against their tolerances (log scale)."""
    s, fig = model.stepper, _figure()
    ax = fig.subplots()
    history = s.history()
    if history.empty:
        ax.text(0.5, 0.5, "press Step", ha="center", va="center", transform=ax.transAxes)
    elif model.study == "dr":
        ax.step(history.slot, history.power_mw, where="post", label="DC power (MW)")
        ax.step(history.slot, history.reference_mw, where="post", ls="--",
                label="reference (MW)")
        share = model.stepper.scenario.program.requested_share
        events = history[history.dr_event > 0]
        ax.hlines(events.reference_mw * (1 - share), events.slot, events.slot + 1,
                  colors="red", label="requested in an event (MW)")
        for t in history.slot[history.dr_event > 0]:
            ax.axvspan(t, t + 1, color="orange", alpha=0.25)
        ax.set_xlabel("slot (orange: DR event)")
        ax.set_xlim(0, 24)
    else:
        columns = {"p2p": ["primal_residual", "dual_disagreement", "dual_change"],
                   "lec": ["primal_kw", "dual_kw"]}.get(model.study, [])
        if "power_residual" in history:
            columns = ["power_residual"]
        x = np.arange(1, len(history) + 1)
        for column in columns:
            ax.semilogy(x, np.maximum(history[column], 1e-9), "o-", ms=3, label=column)
        ax.set_xlabel(s.unit)
    ax.set_title(f"{'power vs reference' if model.study == 'dr' else 'residuals'} "
                 f"after {s.steps} {s.unit}(s)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    return solara.FigureMatplotlib(fig, format="png")


def _last_reports(model: DashboardModel) -> dict[str, dict]:
    """Each DC's latest round report (the monitor's view)."""
    found: dict[str, dict] = {}
    for message in reversed(model.stepper.bus.log):
        if message.kind == ROUND_REPORT and message.sender not in found:
            found[message.sender] = message
        if len(found) == len(model.stepper.scenario.names):
            break
    return found


def Market(model: DashboardModel):  # noqa: N802
    """The communication graph: each DC's mean price estimate on its links and
    the traded volume of each link in its latest round report."""
    fig = _figure(5.5, 4.0)
    ax = fig.subplots()
    ax.set_axis_off()
    if model.study != "p2p":
        ax.text(0.5, 0.5, "(a P2P market panel)", ha="center", transform=ax.transAxes)
        return solara.FigureMatplotlib(fig, format="png")
    scenario = model.stepper.scenario
    graph = scenario.communication_graph()
    reports = _last_reports(model)
    pos = nx.circular_layout(sorted(graph.nodes))
    labels, volume = {}, {}
    for name in graph.nodes:
        message = reports.get(name)
        if message is None:
            labels[name] = name
            continue
        labels[name] = f"{name}\nȳ {np.mean(message.payload['prices']):.3f} $/M req"
        trades = np.asarray(message.payload["trades"])
        for link in sorted(set(message.labels["trades"])):
            mask = np.array([lk == link for lk in message.labels["trades"]])
            volume[tuple(link.split("–"))] = float(np.abs(trades[mask]).sum())
    widths = [1 + 4 * volume.get(tuple(sorted(e)), 0) / max(max(volume.values(), default=1), 1)
              for e in graph.edges]
    nx.draw_networkx(graph, pos, ax=ax, labels=labels, node_color="#cde", node_size=2600,
                     font_size=7, width=widths, edge_color="#789")
    nx.draw_networkx_edge_labels(graph, pos, ax=ax, font_size=6, edge_labels={
        e: f"{volume.get(tuple(sorted(e)), 0):,.0f} M req" for e in graph.edges})
    ax.set_title("price estimates (ȳ) and traded volume per link, latest round", fontsize=9)
    return solara.FigureMatplotlib(fig, format="png")


def Grid(model: DashboardModel):  # noqa: N802
    """The bi-level loop: posted LMPs by bus and hour, and the DCs' bids over the
    outer iterations at the hour that moved most (the plain loop's oscillation;
    the bisection boxes keep it inside)."""
    fig = _figure(7.5, 3.4)
    if model.study != "p2p" or model.stepper.scenario.grid is None or not model.stepper.steps:
        ax = fig.subplots()
        ax.set_axis_off()
        ax.text(0.5, 0.5, "(the bi-level loop of a P2P scenario with a grid; press Step)",
                ha="center", transform=ax.transAxes)
        return solara.FigureMatplotlib(fig, format="png")
    coordination = model.stepper.model
    left, right = fig.subplots(1, 2)
    lmp = coordination.operator.last.lmp
    image = left.imshow(lmp.T, aspect="auto", cmap="viridis",
                        vmax=np.percentile(lmp, 99))
    left.set_xlabel("hour")
    left.set_ylabel("bus (index)")
    left.set_title("posted LMPs, $/MWh", fontsize=9)
    fig.colorbar(image, ax=left)
    history = np.array(coordination.demand_history)
    if len(history) > 1:
        hour = int(np.argmax(np.abs(np.diff(history, axis=0)).sum(axis=(0, 1))))
        for i, name in enumerate(coordination.dcs):
            right.plot(history[:, i, hour], "o-", ms=3, label=name)
        boxes = coordination.bisected_pairs()
        boxes = boxes[boxes.hour == hour]
        for _, box in boxes.iterrows():
            right.axhspan(box.lo_mw, box.hi_mw, color="orange", alpha=0.2)
        right.set_title(f"DC bids at hour {hour} (orange: bisection boxes)", fontsize=9)
        right.set_xlabel("outer iteration")
        right.set_ylabel("MW")
        right.legend(fontsize=7)
    return solara.FigureMatplotlib(fig, format="png")


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
        solara.Markdown(_markdown_table(frame)),
    ])
