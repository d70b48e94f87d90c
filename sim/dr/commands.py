"""The DR study's own verb: ``dcmarket dr`` (paper 002's day, OP / BS / ST)."""

from __future__ import annotations

from pathlib import Path

import click

from dcmarket.sim.cli import SET_HELP, command_line, guarded, load_scenario, prepare_out
from dcmarket.sim.output_formats import output_options


@click.command()
@click.option("--scenario", help="scenario name or YAML (default: dr_2000hosts)")
@click.option("--out", type=click.Path(path_type=Path), help="write a run folder here")
@click.option("--force", is_flag=True, help="replace an earlier run folder at --out")
@output_options
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
@click.option("--selector", type=click.Choice(["ga", "exact"]),
              help="winner selection (default: the scenario's)")
@click.option("--no-quality", is_flag=True, help="skip the forecast-quality runs")
@click.option("--sensitivity", is_flag=True,
              help="also rerun the day over θ0 (40-500 €/MWh) and the requested share "
                   "(10-30 %), the assumptions the paper does not state")
def dr(scenario: str | None, out: Path | None, force: bool, settings: tuple[str, ...],
       selector: str | None, no_quality: bool, sensitivity: bool) -> None:
    """Paper 002: DC demand response, OP / BS / ST on one day."""
    @guarded
    def body() -> int:
        from dcmarket.sim.dr.cli import run_dr

        _, parsed, _ = load_scenario(scenario, settings, "dr_2000hosts", "dr")
        prepare_out(out, force)
        return run_dr(parsed, out, selector, not no_quality, command_line(), sensitivity)
    body()


COMMANDS = [dr]
