"""The energy community's own verb: ``dcmarket lec`` (paper 001's Table I, year, sweeps)."""

from __future__ import annotations

from pathlib import Path

import click

from dcmarket.sim.cli import SET_HELP, command_line, guarded, load_scenario, prepare_out
from dcmarket.sim.output_formats import output_options


@click.command()
@click.option("--scenario", help="scenario name or YAML (default: lec_10households)")
@click.option("--mode", type=click.Choice(["day", "block", "year", "sweep", "afrr-sweep"]),
              default="day", show_default=True,
              help="sweep: 5-100 households; afrr-sweep: the aFRR price scaled by --factors")
@click.option("--days", type=click.IntRange(min=1),
              help="days of the block (block: 15) or of each sweep run (sweep: 10)")
@click.option("--blocks", type=click.IntRange(min=1), default=24, show_default=True,
              help="year: number of blocks")
@click.option("--block-days", type=click.IntRange(min=1), default=15, show_default=True,
              help="year: days per block")
@click.option("--counts", default="5,10,20,50,100", show_default=True,
              help="sweep: numbers of households")
@click.option("--factors", default="0,1,2,4,8,16", show_default=True,
              help="afrr-sweep: factors on the scenario's aFRR prices")
@click.option("--twin/--no-twin", default=None,
              help="also run the decentralised twin (default: on for a day)")
@click.option("--out", type=click.Path(path_type=Path),
              help="write a run folder here (year: required)")
@click.option("--force", is_flag=True, help="replace an earlier run folder at --out")
@output_options
@click.option("--resume", is_flag=True,
              help="year: go on with an unfinished run at --out (blocks of another "
                   "scenario, or unreadable ones, are computed again)")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="year: blocks solved at once, each in a process of its own (their "
                   "MILPs share the CPUs)")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
def lec(scenario: str | None, mode: str, days: int | None, blocks: int, block_days: int,
        counts: str, factors: str, twin: bool | None, out: Path | None, force: bool,
        resume: bool, jobs: int, settings: tuple[str, ...]) -> None:
    """Paper 001: energy community + DC MILP (Table I, Figs. 4-6)."""
    @guarded
    def body() -> int:
        from dcmarket.sim.lec.cli import run_lec

        _, parsed, _ = load_scenario(scenario, settings, "lec_10households", "lec")
        if resume and mode != "year":
            from dcmarket.sim.scenario import ScenarioError

            raise ScenarioError("--resume: only --mode year can go on with an unfinished run")
        if jobs > 1 and mode != "year":
            from dcmarket.sim.scenario import ScenarioError

            raise ScenarioError("--jobs: only --mode year solves blocks at once")
        prepare_out(out, force, resume)
        return run_lec(parsed, mode, days, blocks, block_days, counts, twin, out,
                       command_line(), factors, jobs)
    body()


COMMANDS = [lec]
