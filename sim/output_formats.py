"""What a run folder's figures and tables are written as (docs/cli.md, "Output formats").

Every figure is a PNG (the HTML report shows it) and may also be written as
SVG or PDF beside it (``--figure-format svg,pdf``), at ``--dpi`` dots per
inch for the raster (110 by default; 300 for print). Every table is written
in the format its name says, and a CSV table may also be written as Parquet
beside it (``--table-format parquet``). Every file is written atomically.

The choice is set by each verb that writes a run folder
(:func:`output_options`) before it writes anything and undone when the verb
ends, so a library call writes the defaults.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from dcmarket.market.atomic import atomic_path

FIGURE_FORMATS = ("png", "svg", "pdf")
TABLE_FORMATS = ("csv", "parquet")
DPI_RANGE = (50, 600)


@dataclass(frozen=True)
class OutputFormats:
    """Figures: PNG plus ``figures``; tables: their own format plus ``tables``."""

    figures: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    dpi: int = 110


_chosen = OutputFormats()


def chosen() -> OutputFormats:
    return _chosen


def choose(formats: OutputFormats) -> None:
    global _chosen
    _chosen = formats


def save_figure(fig: Any, path: Path, tight: bool = True) -> Path:
    """``fig`` as ``path`` (a PNG) and in each chosen extra format beside it
    (same name, its own suffix), each written atomically; the figure is closed."""
    import matplotlib.pyplot as plt

    formats = chosen()
    path = Path(path)
    options = {"bbox_inches": "tight"} if tight else {}
    try:
        for suffix in ("png", *(f for f in formats.figures if f != "png")):
            target = path.with_suffix(f".{suffix}")
            with atomic_path(target, suffix=f".{suffix}") as tmp:
                fig.savefig(tmp, dpi=formats.dpi, format=suffix, **options)
    finally:
        plt.close(fig)
    return path


def table_twins(name: str) -> list[str]:
    """The other names a table called ``name`` is also written under."""
    own = Path(name).suffix.lstrip(".")
    if own != "csv":
        return []
    return [str(Path(name).with_suffix(f".{f}")) for f in chosen().tables if f != own]


def _set(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Each of the three options, once parsed, updates the process's choice."""
    field = {"figure_format": "figures", "table_format": "tables", "dpi": "dpi"}[param.name]
    if field != "dpi":
        allowed = FIGURE_FORMATS if field == "figures" else TABLE_FORMATS
        value = tuple(v.strip().lower() for v in (value or "").split(",") if v.strip())
        bad = [v for v in value if v not in allowed]
        if bad:
            raise click.BadParameter(f"{bad[0]!r} is not one of {', '.join(allowed)}",
                                     ctx=ctx, param=param)
    choose(OutputFormats(**{**chosen().__dict__, field: value}))
    ctx.call_on_close(lambda: choose(OutputFormats()))  # the verb's alone, not the process's
    return value


def table_options(command: Callable) -> Callable:
    """``--table-format`` for a verb whose run folder holds tables but no figures."""
    return click.option(
        "--table-format", default="", metavar="parquet", expose_value=False, callback=_set,
        is_eager=True, help="also write each CSV table in this format (parquet)")(command)


def output_options(command: Callable) -> Callable:
    """``--figure-format``, ``--table-format`` and ``--dpi`` for a verb that writes
    a run folder with figures (they set :func:`chosen`; the verb's function does
    not see them)."""
    command = click.option(
        "--dpi", type=click.IntRange(*DPI_RANGE), default=110, show_default=True,
        expose_value=False, callback=_set, is_eager=True,
        help="resolution of the figures' raster (PNG), dots per inch; 300 for print")(command)
    command = table_options(command)
    return click.option(
        "--figure-format", default="", metavar="svg,pdf", expose_value=False, callback=_set,
        is_eager=True, help="also write each figure in these formats (svg, pdf; PNG is "
                            "always written, the report shows it)")(command)
