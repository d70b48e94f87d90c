"""The P2P study's own verb: ``dcmarket case-study`` (paper 000's Table I)."""

from __future__ import annotations

from pathlib import Path

import click

from dcmarket.sim.cli import SET_HELP, command_line, guarded, load_scenario, prepare_out
from dcmarket.sim.output_formats import output_options


@click.command("case-study")
@click.option("--scenario", help="scenario name or YAML (default: p2p_ieee30)")
@click.option("--out", type=click.Path(path_type=Path), help="write a run folder here")
@click.option("--force", is_flag=True, help="replace an earlier run folder at --out")
@output_options
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
@click.option("--sensitivity", is_flag=True,
              help="also show how the equilibrium gain moves with each assumption the paper "
                   "does not state (line rating, workload shape, costs, COPs; a tornado)")
def case_study(scenario: str | None, out: Path | None, force: bool,
               settings: tuple[str, ...], sensitivity: bool) -> None:
    """Paper 000's case study: grid + market without and with trading (Table I)."""
    @guarded
    def body() -> int:
        from dcmarket.sim.p2p.cli import run_case_study_cli

        _, parsed, path = load_scenario(scenario, settings, "p2p_ieee30", "p2p")
        prepare_out(out, force)
        swept = None
        if sensitivity:
            from dcmarket.sim.p2p.sensitivity import format_tornado, tornado

            swept = tornado(path, settings)
            print(format_tornado(swept) + "\n")
        return run_case_study_cli(parsed, out, command_line(), swept)
    body()


COMMANDS = [case_study]
