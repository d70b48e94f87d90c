"""Figures a projector shows: every label at least :data:`MIN_PX` pixels high
at the size the page draws it, nothing outside the figure, no two labels on
top of each other (:func:`readability_problems` checks all three; the
dashboard's tests run it on every panel).

Figures are drawn at :data:`DPI` and shown at their own size (Solara's image
is not scaled), :data:`WIDTH_IN` wide: the main column of a 1280-pixel-wide
window beside the sidebar.
"""

from __future__ import annotations

import itertools
from typing import Any

from matplotlib.figure import Figure
from matplotlib.text import Text

DPI = 100
#: the smallest text, points (11 pt at 100 dpi = 15.3 px)
LABEL_PT = 11.0
TITLE_PT = 12.5
MIN_PX = 14.0
WIDTH_IN = 8.8


def new_figure(height: float = 3.6, width: float = WIDTH_IN) -> Figure:
    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def finish(fig: Figure) -> Figure:
    """Every text of ``fig`` at least :data:`LABEL_PT` (titles :data:`TITLE_PT`),
    tick labels included (they are made when the figure is drawn)."""
    for ax in fig.axes:
        ax.tick_params(which="both", labelsize=LABEL_PT)
        ax.title.set_fontsize(TITLE_PT)
        for label in (ax.xaxis.label, ax.yaxis.label):
            label.set_fontsize(LABEL_PT)
        legend = ax.get_legend()
        if legend is not None:
            for text in legend.get_texts():
                text.set_fontsize(LABEL_PT)
        for text in ax.texts:
            text.set_fontsize(max(LABEL_PT, float(text.get_fontsize())))
    for text in fig.texts:
        text.set_fontsize(max(LABEL_PT, float(text.get_fontsize())))
    return fig


def shown(fig: Figure) -> Any:
    """The Solara element that shows ``fig`` (finished) as a PNG at its own size."""
    import solara

    return solara.FigureMatplotlib(finish(fig), format="png")


def figures_of(element: Any) -> list[Figure]:
    """The matplotlib figures inside a panel's Solara element (for checks and
    measurements without a browser)."""
    kwargs = getattr(element, "kwargs", {})
    found = [v for v in (*getattr(element, "args", ()), *kwargs.values())
             if isinstance(v, Figure)]
    for child in kwargs.get("children") or []:
        found += figures_of(child)
    return found


def _drawn_texts(fig: Figure) -> list[Text]:
    """The texts a drawn ``fig`` shows: tick labels only where their tick lies
    inside the axis' view (matplotlib keeps, but does not draw, the others)."""
    ticks: list[Text] = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            span = (high - low) * 1e-9
            for locs, labels in ((axis.get_majorticklocs(), axis.get_majorticklabels()),
                                 (axis.get_minorticklocs(), axis.get_minorticklabels())):
                ticks += [label for loc, label in zip(locs, labels, strict=False)
                          if low - span <= loc <= high + span]
    tick_labels = {id(t) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
                   for t in axis.get_majorticklabels() + axis.get_minorticklabels()}
    others = [t for t in fig.findobj(Text) if id(t) not in tick_labels]
    return [t for t in ticks + others
            if t.get_visible() and t.get_text().strip() and t.figure is fig]


def readability_problems(fig: Figure) -> list[str]:
    """What a projector would not show: text under :data:`MIN_PX` pixels, text
    cut by the figure's edge, two texts overlapping (their boxes drawn)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    problems, boxes = [], []
    for text in _drawn_texts(fig):
        label = text.get_text().replace("\n", " ")[:40]
        px = float(text.get_fontsize()) * fig.dpi / 72
        if px < MIN_PX - 1e-9:
            problems.append(f"{label!r}: {px:.1f} px")
        box = text.get_window_extent(renderer)
        if box.x0 < -1 or box.y0 < -1 or box.x1 > width + 1 or box.y1 > height + 1:
            problems.append(f"{label!r}: cut by the figure's edge")
        boxes.append((label, box.shrunk(0.96, 0.9)))  # touching is not overlapping
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        if box_a.overlaps(box_b):
            problems.append(f"{a!r} overlaps {b!r}")
    return problems
