"""``dcmarket compare``: every mechanism on one fleet, one table (docs/compare.md)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from dcmarket.sim.output_formats import output_options


@click.command()
@click.argument("scenario")
@click.option("--mechanisms", metavar="A,B,…",
              help="only these mechanisms (default: every one that applies)")
@click.option("--incentives", metavar="AGENT|none",
              help="whose deviation family gives the best-misreport column (default: the "
                   "first agent with one; none: not measured)")
@click.option("--out", type=click.Path(path_type=Path), help="write a run folder here")
@click.option("--force", is_flag=True, help="replace an earlier run folder at --out")
@output_options
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="override a scenario field before validation (repeatable)")
def compare(scenario: str, mechanisms: str | None, incentives: str | None, out: Path | None,
            force: bool, settings: tuple[str, ...]) -> None:
    """Run every mechanism on one fleet and print one table.

    \b
    Welfare and efficiency against the centralised optimum, money and what
    the operator keeps, individual-rationality violations, the best gain
    of one agent's deviation family, messages and values sent, wall time
    and convergence — one row per mechanism (and per forecast or Table I
    case where the study has several).  The last line is JSON.
    """
    from dcmarket.sim.cli import command_line, guarded, load_scenario, prepare_out

    @guarded
    def body() -> int:
        from dcmarket.sim.comparison.engine import compare as run_compare
        from dcmarket.sim.comparison.outputs import figure, long_frames, markdown, summary
        from dcmarket.sim.run_folder import RunFolder, finite_json

        _, parsed, _ = load_scenario(scenario, settings)
        prepare_out(out, force)
        chosen = [m.strip() for m in mechanisms.split(",") if m.strip()] if mechanisms else None
        result = run_compare(parsed, chosen, incentives,
                             progress=lambda s: click.echo(f"  {s}", err=True))
        text = markdown(result)
        click.echo(text)
        data = summary(result)
        if out is not None:
            folder = RunFolder(out)
            table = result.table()
            folder.text("compare.md", text)
            folder.frame("compare.csv", table.astype({c: str for c in table.columns
                                                      if table[c].dtype == object}))
            folder.frame("profits.csv", result.profits())
            prices, allocation = long_frames(result)
            if not prices.empty:
                folder.frame("prices.parquet", prices)
            if not allocation.empty:
                folder.frame("allocation.parquet", allocation)
            figure(result, folder.path("compare.png"))
            folder.json("summary.json", data)
            folder.finish(command_line(), parsed, {"compare_s": result.wall_s},
                          data["converged"])
            click.echo(f"run folder: {out} (dcmarket report {out})")
        click.echo(json.dumps(finite_json(data)[0], allow_nan=False))
        return 0
    body()


COMMANDS = [compare]
