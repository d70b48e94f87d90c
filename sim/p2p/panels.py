"""The P2P study's dashboard panels: the market's graph and the bi-level loop."""

from __future__ import annotations

import networkx as nx
import numpy as np
import solara

from dcmarket.market.protocols import ROUND_REPORT
from dcmarket.sim.dashboard.model import DashboardModel
from dcmarket.sim.dashboard.panels import new_figure


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
    fig = new_figure(5.5, 4.0)
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
    fig = new_figure(7.5, 3.4)
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


def panels() -> list:
    """The panels in the order shown."""
    return [Market, Grid]
