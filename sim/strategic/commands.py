"""The strategic verbs: ``dcmarket grade``, ``play`` and ``tournament``
(docs/strategies.md)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from dcmarket.sim.output_formats import table_options

SEEDS_HELP = "seeded runs (what a seed varies is the scenario's: the grade says it)"


@click.command()
@click.argument("scenario")
@click.option("--strategy", "strategies", multiple=True, required=True,
              metavar="AGENT=STRATEGY",
              help="the strategy to grade, AGENT=STRATEGY (a shipped name, file.py:Class, "
                   "module:Class); the first one given is graded, any others play along")
@click.option("--seeds", type=click.IntRange(min=1, max=100), default=1, show_default=True,
              help=SEEDS_HELP)
@click.option("--no-family", is_flag=True, help="skip the deviation family (no ε)")
@click.option("--out", type=click.Path(path_type=Path), help="write a run folder here")
@click.option("--force", is_flag=True, help="replace an earlier run folder at --out")
@table_options
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="override a scenario field before validation (repeatable)")
def grade(scenario: str, strategies: tuple[str, ...], seeds: int, no_family: bool,
          out: Path | None, force: bool, settings: tuple[str, ...]) -> None:
    """Grade one agent's strategy against truthful play and the optimum.

    \b
    Prints the agent's profit against playing truthfully, every other
    agent's change, welfare W against the optimum W*, ε (the best gain a
    single deviation of the stated family reaches) and whether the
    protocol flagged the strategy; the last line is JSON.
    """
    from dcmarket.sim.cli import command_line, guarded, load_scenario, prepare_out

    @guarded
    def body() -> int:
        from dcmarket.sim.strategic.grading import grade as grade_of
        from dcmarket.sim.strategic.pages import grade_html, grade_lines

        _, parsed, _ = load_scenario(scenario, settings, strategies=strategies)
        agent = strategies[0].partition("=")[0].strip()
        prepare_out(out, force)
        result = grade_of(parsed, agent, seeds, family=not no_family,
                          progress=lambda s: click.echo(f"  {s}", err=True)).to_dict()
        for line in grade_lines(result):
            click.echo(line)
        if out is not None:
            import pandas as pd

            from dcmarket.sim.run_folder import RunFolder

            folder = RunFolder(out)
            folder.json("grade.json", result)
            folder.frame("deviations.csv", pd.DataFrame(result["deviations"]))
            folder.text("grade.html", grade_html(result))
            folder.finish(command_line(), parsed, {"grade_s": result["wall_s"]},
                          result["converged"])
            click.echo(f"run folder: {out} (grade.html)")
        click.echo(json.dumps(_json_safe(result), allow_nan=False))
        return 0
    body()


def _json_safe(data):
    from dcmarket.sim.run_folder import finite_json

    return finite_json(data)[0]


@click.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--scenario", "scenario", required=True, help="the scenario every entrant plays")
@click.option("--seeds", type=click.IntRange(min=1, max=100), default=1, show_default=True,
              help=SEEDS_HELP)
@click.option("--seats", metavar="AGENT[,AGENT]|all",
              help="the seat(s) the entrants play (default: the first agent an entrant can "
                   "play; all: every such agent)")
@click.option("--wall-s", type=click.FloatRange(min=0.01, max=600), default=2.0,
              show_default=True, help="wall-clock limit per decision, s")
@click.option("--cpu-s", type=click.FloatRange(min=0.01, max=600), default=2.0,
              show_default=True, help="CPU limit per decision, s")
@click.option("--memory-mb", type=click.IntRange(min=256, max=65536), default=1024,
              show_default=True, help="memory limit of each entrant's process, MB")
@click.option("--out", type=click.Path(path_type=Path), help="write a run folder here")
@click.option("--force", is_flag=True, help="replace an earlier run folder at --out")
@table_options
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="override a scenario field before validation (repeatable)")
def tournament(directory: Path, scenario: str, seeds: int, seats: str | None, wall_s: float,
               cpu_s: float, memory_mb: int, out: Path | None, force: bool,
               settings: tuple[str, ...]) -> None:
    """Every strategy file in DIRECTORY plays the same seat; a leaderboard.

    \b
    Each entrant (one *.py file with one strategy class of the seat's role)
    runs in a process of its own with time, CPU and memory limits per
    decision; a crash, a time-out or an invalid answer is recorded against
    it and its agent plays truthfully for the rest of that run.  Ranked by
    the sum of z-scores of profit per run; the last line is JSON.
    """
    from dcmarket.sim.cli import command_line, guarded, load_scenario, prepare_out

    @guarded
    def body() -> int:
        from dcmarket.sim.strategic.pages import leaderboard_html, leaderboard_lines
        from dcmarket.sim.strategic.sandbox import DROP_TO_NOBODY, Limits
        from dcmarket.sim.strategic.tournament import tournament as play_out

        _, parsed, _ = load_scenario(scenario, settings)
        prepare_out(out, force)
        result = play_out(directory, parsed, seeds, seats, Limits(wall_s, cpu_s, memory_mb),
                          progress=lambda s: click.echo(f"  {s}", err=True))
        for line in leaderboard_lines(result):
            click.echo(line)
        summary = {"seats": result.seats, "seeds": result.seeds,
                   "currency": result.currency,
                   "leaderboard": result.leaderboard.to_dict("records"),
                   "epsilon": result.epsilon, "faults": result.faults.to_dict("records"),
                   "wall_s": result.wall_s}
        if out is not None:
            from dcmarket.sim.run_folder import RunFolder

            folder = RunFolder(out)
            folder.frame("leaderboard.csv", result.leaderboard)
            folder.frame("runs.csv", result.runs)
            folder.frame("faults.csv", result.faults)
            folder.json("tournament.json", summary)
            folder.text("leaderboard.html", leaderboard_html(result))
            folder.finish(command_line(), parsed, {"tournament_s": result.wall_s},
                          bool(result.runs.converged.all()),
                          extra={"entrants": result.entrants, "sandbox": {
                              "user": "nobody" if DROP_TO_NOBODY else "the tournament's own",
                              "wall_s": wall_s, "cpu_s": cpu_s, "memory_mb": memory_mb}})
            click.echo(f"run folder: {out} (leaderboard.html)")
        click.echo(json.dumps(_json_safe(summary), allow_nan=False))
        return 0
    body()


@click.command()
@click.argument("scenario")
@click.option("--as", "agent", required=True, metavar="NAME",
              help="the agent you play (a P2P DC, a DR user, a household)")
@click.option("--strategy", "strategies", multiple=True, metavar="AGENT=STRATEGY",
              help="another agent's strategy (repeatable); every other agent is truthful")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="override a scenario field before validation (repeatable)")
def play(scenario: str, agent: str, strategies: tuple[str, ...],
         settings: tuple[str, ...]) -> None:
    """Take a seat at one agent and play it, step by step.

    \b
    You see only what your agent knows: its private data, its inbox of the
    step, its own trades and the residuals the protocol makes public.  Each
    step you choose its move (Enter: the truthful one); every other agent
    follows its strategy.  The end screen compares your profit with playing
    truthfully, welfare with the optimum, and lists what you revealed; the
    last line is JSON.  At the end of input the run goes on with your move.
    """
    from dcmarket.sim.cli import guarded, load_scenario

    @guarded
    def body() -> int:
        from dcmarket.sim.strategic.play import play as play_seat

        _, parsed, _ = load_scenario(scenario, settings, strategies=strategies)

        def prompt(text: str) -> str | None:
            try:
                return click.prompt(text, default="", show_default=False,
                                    prompt_suffix="\n> ")
            except click.exceptions.Abort:
                return None

        result = play_seat(parsed, agent, prompt, click.echo)
        click.echo(json.dumps(_json_safe(result), allow_nan=False))
        return 0
    body()


COMMANDS = [play, grade, tournament]
