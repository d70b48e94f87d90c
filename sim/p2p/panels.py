"""The P2P study's dashboard panels (paper 000): who serves whom on the market's
graph, and — with a grid in the loop — the posted LMPs and the DCs' bids over
the outer iterations.  They read public facts only: the DCs' round reports to
the monitor and what the grid operator posted."""

from __future__ import annotations

import networkx as nx
import numpy as np
import solara

from dcmarket.market.protocols import ROUND_REPORT
from dcmarket.sim.dashboard.model import DashboardModel
from dcmarket.sim.dashboard.panels import latest_by_sender
from dcmarket.sim.dashboard.style import new_figure, shown

#: where along an arrow its label may sit (from the seller), first choice first
LABEL_SPOTS = (0.5, 0.35, 0.65, 0.25, 0.75)
#: the LMP map's colour scale: these percentiles of the shown prices
CLIP_PERCENTILES = (5, 95)
#: buses the LMP map shows: the DCs' and then those whose price moves most
LMP_ROWS = 12


def net_flows(model: DashboardModel) -> dict[tuple[str, str], float]:
    """(seller, buyer) → M requests the seller serves for the buyer over the day,
    net per link, from the latest round reports (a DC's ``trades`` > 0: it buys)."""
    flows: dict[tuple[str, str], float] = {}
    reports = latest_by_sender(model, ROUND_REPORT, model.stepper.scenario.names)
    for name, message in reports.items():
        trades = np.asarray(message.payload["trades"], float)
        labels = np.asarray(message.labels["trades"])
        for link in dict.fromkeys(labels):
            a, b = link.split("–")
            if name != a:  # each link once, from its first DC's report
                continue
            bought = float(trades[labels == link].sum())  # a's side, M req/h summed
            if abs(bought) > 1e-6:
                flows[(b, a) if bought > 0 else (a, b)] = abs(bought)
    return flows


def _place_labels(fig, ax, pos: dict, flows: dict[tuple[str, str], float]) -> None:
    """Each arrow's volume where it overlaps nothing placed before (biggest first)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    placed = [t.get_window_extent(renderer) for t in ax.texts]
    for (seller, buyer), volume in sorted(flows.items(), key=lambda kv: -kv[1]):
        start, end = np.asarray(pos[seller]), np.asarray(pos[buyer])
        for spot in LABEL_SPOTS:
            x, y = start + spot * (end - start)
            text = ax.text(x, y, f"{volume:,.0f}", ha="center", va="center", fontsize=11,
                           bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"})
            box = text.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in placed):
                placed.append(box)
                break
            text.remove()


def Market(model: DashboardModel):  # noqa: N802 - a Solara component
    """The market's graph, directed: an arrow from each seller to its buyer with
    the M requests it serves over the day (net per link, latest round)."""
    scenario = model.stepper.scenario
    graph = scenario.communication_graph()
    flows = net_flows(model)
    fig = new_figure(5.2, 7.0)
    ax = fig.subplots()
    ax.set_axis_off()
    pos = nx.circular_layout(sorted(graph.nodes))
    heaviest = max(flows.values(), default=1.0)
    nx.draw_networkx_edges(graph, pos, ax=ax, edge_color="#bbb", style="dashed", width=1)
    directed = nx.DiGraph(list(flows))
    nx.draw_networkx_edges(directed, pos, ax=ax, edgelist=list(flows), arrows=True,
                           arrowstyle="-|>", arrowsize=22, node_size=2400,
                           width=[1.5 + 5 * flows[e] / heaviest for e in flows],
                           edge_color="#2a6f97")
    nx.draw_networkx_nodes(graph, pos, ax=ax, node_color="#e8eef4", edgecolors="#2a6f97",
                           node_size=2400)
    for name, (x, y) in pos.items():
        ax.text(x, y, name, ha="center", va="center", fontsize=13, fontweight="bold")
    ax.set_xlim(-1.3, 1.3)
    ax.set_ylim(-1.3, 1.3)
    ax.set_aspect("equal")
    _place_labels(fig, ax, pos, flows)
    s = model.stepper
    ax.set_title("who serves whom: seller → buyer,\nM requests over the day"
                 + (f" ({s.unit} {s.steps})" if s.steps else " (before the first step)"))
    return shown(fig)


def Trades(model: DashboardModel):  # noqa: N802
    """The same in words, with the volumes by hour's sign convention stated."""
    flows = net_flows(model)
    if not flows:
        return solara.Markdown("**Trades:** none yet — each DC serves its own requests.")
    lines = [f"- **{seller}** serves **{volume:,.0f} M** of **{buyer}**'s requests"
             for (seller, buyer), volume in sorted(flows.items(), key=lambda kv: -kv[1])]
    return solara.Markdown("**Trades, latest round** (the buyer pays the link's "
                           "price; signs: docs/conventions.md)\n\n" + "\n".join(lines))


def _has_grid(model: DashboardModel) -> bool:
    return getattr(model.stepper.scenario, "grid", None) is not None


def lmp_rows(lmp: np.ndarray, labels: list, dc_buses: dict[str, int]) -> list[int]:
    """Which buses the map shows: the DCs' first, then those whose price moves most."""
    positions = {label: k for k, label in enumerate(labels)}
    rows = [positions[b] for b in dict.fromkeys(dc_buses.values()) if b in positions]
    spread = np.ptp(lmp, axis=0)
    for k in np.argsort(-spread, kind="stable"):
        if len(rows) >= LMP_ROWS:
            break
        if int(k) not in rows:
            rows.append(int(k))
    return rows


def Grid(model: DashboardModel):  # noqa: N802
    """The posted LMPs ($/MWh) by bus name and hour, the colour scale clipped at
    :data:`CLIP_PERCENTILES` so one spike does not flatten the rest; prices
    beyond it are marked ✕ and the highest is named."""
    coordination = model.stepper.model
    last = coordination.operator.last
    if last is None:
        return solara.Markdown("**Posted LMPs:** the grid operator posts its first prices "
                               "at the first outer iteration.")
    lmp = np.asarray(last.lmp, float)  # hours × buses
    labels = list(coordination.case.network.bus_labels)
    dc_buses = {dc.name: dc.bus for dc in model.stepper.scenario.datacenters}
    rows = lmp_rows(lmp, labels, dc_buses)
    shown_lmp = lmp[:, rows].T
    low, high = np.percentile(shown_lmp, CLIP_PERCENTILES)
    if high <= low:
        high = low + 1.0
    fig = new_figure(0.42 * len(rows) + 1.9)
    ax = fig.subplots()
    image = ax.imshow(shown_lmp, aspect="auto", cmap="viridis", vmin=low, vmax=high,
                      interpolation="nearest")
    beyond = np.argwhere((shown_lmp > high) | (shown_lmp < low))
    if len(beyond):
        ax.scatter(beyond[:, 1], beyond[:, 0], marker="x", s=40, c="#d62728", linewidths=1.5)
    dc_at = {bus: name for name, bus in dc_buses.items()}
    ax.set_yticks(range(len(rows)), [f"bus {labels[k]}" + (f" ({dc_at[labels[k]]})"
                                                          if labels[k] in dc_at else "")
                                     for k in rows])
    ax.set_xticks(range(0, lmp.shape[0], 3))
    ax.set_xlabel("hour")
    colourbar = fig.colorbar(image, ax=ax, pad=0.01)
    colourbar.set_label("$/MWh")
    peak = np.unravel_index(int(np.argmax(shown_lmp)), shown_lmp.shape)
    ax.set_title(f"posted LMPs; colours clipped at the {CLIP_PERCENTILES[0]}th–"
                 f"{CLIP_PERCENTILES[1]}th percentile, ✕ beyond\n(the highest "
                 f"{shown_lmp[peak]:,.1f} $/MWh at bus {labels[rows[peak[0]]]}, hour {peak[1]})",
                 loc="left")
    return shown(fig)


def Bids(model: DashboardModel):  # noqa: N802
    """The DCs' bids over the outer iterations at the hour that moved most: the
    plain loop's swing, and the bisection boxes that hold it."""
    coordination = model.stepper.model
    history = np.array(coordination.demand_history)
    if len(history) < 2:
        return solara.Markdown("**Bids over the outer iterations:** shown from the second "
                               "outer iteration on.")
    hour = int(np.argmax(np.abs(np.diff(history, axis=0)).sum(axis=(0, 1))))
    fig = new_figure(3.6)
    ax = fig.subplots()
    for i, name in enumerate(coordination.dcs):
        ax.plot(np.arange(len(history)), history[:, i, hour], "o-", ms=5, label=name)
    boxes = coordination.bisected_pairs()
    for _, box in boxes[boxes.hour == hour].iterrows():
        ax.axhspan(box.lo_mw, box.hi_mw, color="orange", alpha=0.2)
    ax.set_title(f"each DC's bid at hour {hour}, the hour that moved most "
                 "(orange: bisection boxes)", loc="left")
    ax.set_xlabel("outer iteration (0: the opening bids)")
    ax.set_ylabel("MW")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(ncol=min(4, len(coordination.dcs)), loc="best")
    return shown(fig)


def panels(model: DashboardModel | None = None) -> list:
    """The panels this scenario shows: the market always, the grid's with a grid."""
    chosen = [Market, Trades]
    if model is not None and _has_grid(model):
        chosen += [Grid, Bids]
    return chosen
