"""The ``dcmarket`` command: every study, one set of verbs.

Exit codes: 0 done (and converged), 2 bad input (one line naming the file,
field or option), 3 not converged (the run says so first), 4 a run folder
that ``verify`` finds incomplete or changed.  Heavy modules
(solvers, pandapower, torch) are imported only by the verb that needs them,
so ``--help`` answers at once.
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dcmarket.sim.output_formats import output_options, table_options

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_NOT_CONVERGED, EXIT_TAMPERED = 0, 1, 2, 3, 4
DEFAULT_SCENARIO = "p2p_4dc_fixed_lmp"

#: Exceptions that mean "bad input": (module, class); checked only if loaded.
INPUT_ERRORS = (
    ("dcmarket.sim.scenario", "ScenarioError"), ("dcmarket.market.solvers", "SolveError"),
    ("dcmarket.grid.dcopf", "OPFError"), ("dcmarket.grid.forecast", "ForecastError"),
    ("dcmarket.grid.prices", "PriceDataError"), ("dcmarket.market.auction", "BidError"),
    ("dcmarket.sim.transcript", "LogError"), ("dcmarket.sim.report", "ReportError"),
    ("dcmarket.sim.executors.base", "ExecutorError"),
    ("dcmarket.agents.strategies", "StrategyError"),
    ("dcmarket.market.outcome", "OutcomeError"),
)

STRATEGY_HELP = ("an agent's strategy, AGENT=STRATEGY: a shipped name (DC2=shade, DC=BS), "
                 "a class in a file (DC2=my_rules.py:Shade), module:Class or an entry point "
                 "(repeatable; the same as --set strategy.AGENT=STRATEGY)")

SET_HELP = ("override a scenario field before validation, e.g. market.penalty=200 or "
            "datacenters.DC1.servers=80000 (repeatable)")


def _is_input_error(exc: BaseException) -> bool:
    for module, name in INPUT_ERRORS:
        cls = getattr(sys.modules.get(module), name, None)
        if cls is not None and isinstance(exc, cls):
            return True
    return False


def guarded(fn: Callable[..., int]) -> Callable[..., int]:
    """Run a verb; bad input ends in one line on stderr and exit code 2."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> int:
        try:
            code = fn(*args, **kwargs)
        except _run_failures() as exc:  # a process of the run died: named, exit 1
            click.echo(f"dcmarket: {exc}", err=True)
            sys.exit(EXIT_FAILED)
        except OSError as exc:
            if exc.errno not in _WRITE_FAILURES:
                raise
            # the folder keeps its RUNNING marker: verify and report call it incomplete
            click.echo(f"dcmarket: cannot write {exc.filename or 'the run folder'}: "
                       f"{exc.strerror}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        except Exception as exc:
            if not _is_input_error(exc):
                raise
            click.echo(f"dcmarket: {exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)
        finally:
            _release_locks()
        sys.exit(code or EXIT_OK)
    return wrapper


def _run_failures() -> tuple[type[BaseException], ...]:
    """Failures of the run itself, not of its input (a lost Ray worker): exit 1."""
    module = sys.modules.get("dcmarket.sim.executors.base")
    return (module.WorkerLostError,) if module is not None else ()


#: write errors that end a run with one line and exit 2: no space, over quota,
#: a read-only file system, a file too large
_WRITE_FAILURES = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


def _release_locks() -> None:
    """The run is over: its ``--out`` lock goes (if it took one)."""
    module = sys.modules.get("dcmarket.sim.run_folder")
    if module is not None:
        module.release_locks()


def _one_line(text: str, width: int = 90) -> str:
    """The first sentence of a description, on one line."""
    text = " ".join(text.split())
    first = text.split(". ")[0].rstrip(".")
    return first if len(first) <= width else first[:width - 1].rstrip() + "…"


_ARGV: list[str] = []


def command_line() -> str:
    """The command line as typed (for the run folder's manifest)."""
    import shlex

    return shlex.join(["dcmarket", *_ARGV])


def prepare_out(out: Path | None, force: bool = False, resume: bool = False) -> None:
    from dcmarket.sim.run_folder import prepare_out

    prepare_out(out, force, resume, command_line())


def load_scenario(scenario: str | None, settings: tuple[str, ...], default: str | None = None,
          study: str | None = None, strategies: tuple[str, ...] = ()):
    from dcmarket.sim.studies import load_any

    return load_any(scenario, (*settings, *_strategy_settings(strategies)), default, study)


def _strategy_settings(strategies: tuple[str, ...]) -> list[str]:
    """``--strategy AGENT=STRATEGY`` as the ``--set strategy.AGENT=STRATEGY`` it means."""
    from dcmarket.sim.scenario import ScenarioError

    settings = []
    for given in strategies:
        agent, sep, spec = given.partition("=")
        if not sep or not agent.strip() or not spec.strip():
            raise ScenarioError(f"--strategy {given!r}: expected AGENT=STRATEGY (e.g. "
                                "--strategy DC2=shade, or --strategy DC=BS for the DR day)")
        settings.append(f"strategy.{agent.strip()}={spec.strip()}")
    return settings


#: verbs every study shares that live in their own package ("module:attribute")
SHARED_VERBS = ("dcmarket.sim.strategic.commands:COMMANDS",
                "dcmarket.sim.comparison.commands:COMMANDS")


class Order(click.Group):
    """The verbs in the order a newcomer would use them; the strategic verbs
    (play, grade, tournament) and each study's own verbs (from the study
    registry, sim.registry) before ``reproduce``."""

    def _study_commands(self) -> dict[str, click.Command]:
        from dcmarket.sim.registry import resolve, studies

        found: dict[str, click.Command] = {}
        for reference in SHARED_VERBS:
            for command in resolve(reference):
                found.setdefault(command.name, command)
        for study in studies().values():
            for command in study.cli_commands():
                found.setdefault(command.name, command)
        return found

    def list_commands(self, ctx: click.Context) -> list[str]:
        shared = [n for n in self.commands if n != "reproduce"]
        own = [n for n in self._study_commands() if n not in self.commands]
        return [*shared, *own, *(["reproduce"] if "reproduce" in self.commands else [])]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self.commands.get(name) or self._study_commands().get(name)


@click.group(cls=Order, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--executor", type=click.Choice(["inprocess", "ray"]), default=None,
              envvar="DCMARKET_EXECUTOR", show_envvar=True,
              help="Where agents run: in this process (default) or in Ray actors.")
@click.option("--ray-address", default=None, metavar="ADDR",
              help="Join this Ray cluster (else RAY_ADDRESS, else start Ray here).")
@click.option("--shards", type=click.IntRange(min=1), default=None,
              help="Ray: actors hosting the agents (default: one per CPU of the cluster).")
@click.option("--agents-per-shard", type=click.IntRange(min=1), default=None,
              help="Ray: agents per actor instead of --shards (1: one agent per actor).")
@click.option("--local-shard", is_flag=True, default=False,
              help="Ray: this process hosts one of the shards itself.")
@click.option("--isolate", "isolate", multiple=True, metavar="AGENT",
              help="Ray: give AGENT a process of its own whose only channel is the model's "
                   "bus (repeatable; docs/privacy.md)")
def cli(executor: str | None, ray_address: str | None, shards: int | None,
        agents_per_shard: int | None, local_shard: bool, isolate: tuple[str, ...]) -> None:
    """dcmarket: data-centre and grid markets as agents exchanging messages.

    \b
    Three studies: the P2P cloud-service market with its grid (p2p), the
    energy community with a data centre (lec), data-centre demand response
    (dr).  Start with `dcmarket scenarios`, then `dcmarket step NAME`.
    Exit codes: 0 done, 2 bad input, 3 not converged, 4 verify found a problem.
    `--executor ray` runs the agents in Ray actors (docs/scaling.md).
    """
    if executor is not None or ray_address is not None or local_shard or isolate:
        from dcmarket.sim import executors

        try:
            executors.set_default(executors.executor_of(
                executor or "ray", address=ray_address, shards=shards,
                agents_per_shard=agents_per_shard, local_shard=local_shard,
                isolate=isolate))
        except executors.ExecutorError as exc:
            raise click.UsageError(str(exc)) from None


@cli.command()
@click.option("--reference", is_flag=True,
              help="print the scenario reference (every field of every study: type, default, "
                   "range, meaning, an example), as docs/scenarios/reference.md holds it")
def scenarios(reference: bool) -> None:
    """List the shipped scenarios: name, study, description."""
    @guarded
    def body() -> int:
        from dcmarket.sim.scenario import read_yaml, shipped_scenarios, study_of

        if reference:
            from dcmarket.sim.scenario_reference import reference as page

            click.echo(page(), nl=False)
            click.echo()
            return EXIT_OK

        rows = []
        for name, path in shipped_scenarios().items():
            raw = read_yaml(path)
            rows.append((name, study_of(raw, str(path)),
                         _one_line(str(raw.get("description", "")))))
        width = max(len(r[0]) for r in rows)
        click.echo(f"{'scenario':<{width}}  study  description")
        for name, study, text in rows:
            click.echo(f"{name:<{width}}  {study:<5}  {text}")
        return EXIT_OK
    body()


@cli.command()
@click.argument("scenario")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
def validate(scenario: str, settings: tuple[str, ...]) -> None:
    """Check a scenario (shipped name or YAML path) without solving anything."""
    @guarded
    def body() -> int:
        study, parsed, path = load_scenario(scenario, settings)
        click.echo(f"ok: {parsed.name} ({path}) is a valid {study} scenario"
                   f"{' with ' + ', '.join(settings) if settings else ''}")
        return EXIT_OK
    body()


@cli.command()
@click.argument("scenario", required=False)
@click.option("--out", type=click.Path(path_type=Path), help="write a run folder here")
@click.option("--force", is_flag=True, help="replace an earlier run folder at --out")
@output_options
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
@click.option("--strategy", "strategies", multiple=True, metavar="AGENT=STRATEGY",
              help=STRATEGY_HELP)
@click.option("--max-rounds", type=click.IntRange(min=1), help="P2P market: ADMM round cap")
@click.option("--backend", type=click.Choice(["piqp", "clarabel", "osqp", "cvxpy"]),
              help="P2P market: the ADMM local solver")
def run(scenario: str | None, out: Path | None, force: bool, settings: tuple[str, ...],
        strategies: tuple[str, ...], max_rounds: int | None, backend: str | None) -> None:
    """Run any scenario; the study comes from the scenario.

    \b
    A P2P market without a grid clears at fixed LMPs; with a grid, the
    bi-level case study runs; an energy community runs a day of Table I with
    its decentralised twin; a demand-response scenario runs OP / BS / ST.
    Default scenario: p2p_4dc_fixed_lmp.
    """
    @guarded
    def body() -> int:
        study, parsed, path = load_scenario(scenario, settings, DEFAULT_SCENARIO,
                                    strategies=strategies)
        prepare_out(out, force)
        command = command_line()
        from dcmarket.sim.registry import study as study_named

        return study_named(study).load("run")(parsed, path, out, command,
                                              {"backend": backend, "max_rounds": max_rounds})
    body()


@cli.command()
@click.argument("scenario")
@click.option("--until", type=click.IntRange(min=1), metavar="N",
              help="run N steps without asking, then ask (or stop, with --batch)")
@click.option("--batch/--interactive", default=None,
              help="--batch never asks: it runs to the end (or to --until); --interactive "
                   "asks even when standard input is not a terminal (default: ask on a terminal)")
@click.option("--full", is_flag=True, help="print every message and every value")
@click.option("--quiet-messages", is_flag=True, help="print the residuals only")
@click.option("--out", type=click.Path(path_type=Path),
              help="keep what ran (log, residuals, summary) as a run folder")
@click.option("--force", is_flag=True, help="replace an earlier run folder at --out")
@table_options
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help=SET_HELP)
@click.option("--max-rounds", type=click.IntRange(min=1),
              help="cap on rounds (market) or outer iterations (bi-level)")
@click.option("--strategy", "strategies", multiple=True, metavar="AGENT=STRATEGY",
              help=STRATEGY_HELP + "; the DR day's DC plays OP unless told (DC=BS, DC=ST)")
@click.option("--option", "option", metavar="LABEL",
              help="energy community: which case of Table I (default: the last)")
def step(scenario: str, until: int | None, batch: bool | None, full: bool, quiet_messages: bool,
         out: Path | None, force: bool, settings: tuple[str, ...], max_rounds: int | None,
         strategies: tuple[str, ...], option: str | None) -> None:
    """Step through a protocol: Enter = one step, c = to the end, q = stop.

    \b
    One step is an ADMM round (P2P market), an outer iteration (market with
    grid), an hour slot (DR day) or an exchange round (energy community's
    twin, then its commitment).  Each step prints the messages every agent
    sent, in readable form, and the residuals against the stopping rule.
    A number N at the prompt runs N steps; q (or the end of input) stops and
    keeps what ran (--out writes it).  Without a terminal on standard input,
    --batch is implied unless --interactive is given.
    """
    @guarded
    def body() -> int:
        from dcmarket.sim.stepping import stepper_for, write_steps
        from dcmarket.sim.transcript import transcript

        study, parsed, _ = load_scenario(scenario, settings, strategies=strategies)
        prepare_out(out, force)
        click.echo(f"{parsed.name} ({study}): loading agents ...", err=True)
        stepper = stepper_for(study, parsed, max_rounds=max_rounds, option=option)
        interactive = sys.stdin.isatty() if batch is None else not batch
        seen = len(stepper.bus)
        click.echo(f"{parsed.name}: one step = one {stepper.unit}. "
                   + ("Enter: step · N: N steps · c: continue to the end · q: quit"
                      if interactive else "batch mode"))
        if seen:
            _echo_messages(stepper, 0, full, quiet_messages, transcript,
                           "before step 1: setup")
        ahead = until or 0
        stopped = False
        while not stepper.done:
            if ahead <= 0:
                if not interactive:
                    if until is not None:
                        stopped = True
                        break
                    ahead = 10**9
                else:
                    try:
                        answer = click.prompt(f"[step {stepper.steps + 1}]",
                                              default="", show_default=False,
                                              prompt_suffix=" ").strip().lower()
                    except click.exceptions.Abort:  # end of input: stop, keep what ran
                        answer = "q"
                    if answer in ("q", "quit"):
                        stopped = True
                        break
                    ahead = 10**9 if answer in ("c", "continue") else (
                        int(answer) if answer.isdigit() and int(answer) > 0 else 1)
            stepper.step()
            ahead -= 1
            _echo_messages(stepper, seen, full, quiet_messages, transcript,
                           f"step {stepper.steps}")
            seen = len(stepper.bus)
            click.echo(stepper.status())
        verdict = ("converged" if stepper.converged else
                   "stopped before the end" if stopped else "finished, NOT CONVERGED")
        click.echo(f"{verdict} after {stepper.steps} {stepper.unit}(s); "
                   f"{len(stepper.bus)} messages in the log")
        from dcmarket.sim.stepping import outcome_lines

        for line in outcome_lines(stepper, optimum=not stopped):
            click.echo(line)
        if out is not None:
            write_steps(stepper, out, command_line())
            click.echo(f"run folder: {out} (read it with: dcmarket messages {out})")
        if stopped:
            return EXIT_OK
        return EXIT_OK if stepper.converged else EXIT_NOT_CONVERGED
    body()


def _echo_messages(stepper: Any, since: int, full: bool, quiet: bool, transcript: Any,
                   title: str) -> None:
    if quiet:
        return
    from dcmarket.market.messages import log_frame

    new = stepper.bus.log[since:]
    if not new:
        return
    frame = log_frame(new, {k: stepper.bus.kind(k) for k in {m.kind for m in new}})
    lines = list(transcript(frame, full=full, summarise=stepper.summarised, log_steps=False))
    if frame["step"].nunique() == 1 and lines and not lines[0].startswith(" "):
        title = f"{title} · {lines.pop(0)}"  # one protocol position: said in the title
    click.echo(f"── {title} ──")  # the stepper's own numbering, one for every study
    for line in lines:
        click.echo(line)


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--log", "log_name", metavar="FILE",
              help="which log of the folder (e.g. messages_with.parquet; default: all)")
@click.option("--agent", help="messages sent or received by this agent")
@click.option("--kind", help="only this message kind (e.g. price_estimate, lmp, bid)")
@click.option("--round", "rounds", metavar="A:B", help="round N or range A:B")
@click.option("--outer", metavar="A:B", help="outer iteration N or range A:B")
@click.option("--slot", metavar="A:B", help="DR slot N or range A:B")
@click.option("--step", "steps", metavar="A:B", help="global step N or range A:B")
@click.option("--hours", metavar="A:B",
              help="show these hours of hourly values (e.g. 11:18, the afternoon)")
@click.option("--format", "fmt", type=click.Choice(["transcript", "table", "csv", "json"]),
              default="transcript", show_default=True)
@click.option("--full", is_flag=True, help="transcript: every message and value")
@click.option("--limit", type=click.IntRange(min=1), help="print at most this many lines/rows")
def messages(run_dir: Path, log_name: str | None, agent: str | None, kind: str | None,
             rounds: str | None, outer: str | None, slot: str | None, steps: str | None,
             hours: str | None, fmt: str, full: bool, limit: int | None) -> None:
    """Read a run's message log: as a conversation, a table, CSV or JSON."""
    @guarded
    def body() -> int:
        from dcmarket.sim.transcript import (
            LogError,
            find_logs,
            log_table,
            parse_range,
            query_log,
            transcript,
        )

        for text, what in ((rounds, "round"), (outer, "outer"), (slot, "slot"), (steps, "step"),
                           (hours, "hours")):
            parse_range(text, what)  # a bad range is named before any log is read
        logs = find_logs(run_dir)
        if log_name is not None:
            logs = [p for p in logs if p.name == log_name]
            if not logs:
                raise LogError(f"--log {log_name}: not in {run_dir} (logs: "
                               f"{', '.join(p.name for p in find_logs(run_dir))})")
        printed, matched = 0, 0
        for path in logs:
            # the filters run inside the Parquet scan; --limit stops it early (messages
            # for the table formats; a transcript line is at most one message)
            log = query_log(path, agent, kind, rounds, outer, slot, steps, limit, hours)
            matched += int(log.msg.nunique()) if len(log) else 0
            if fmt == "transcript":
                if len(logs) > 1:
                    click.echo(f"== {path.name}")
                for line in transcript(log, full=full):
                    if limit is not None and printed >= limit:
                        return EXIT_OK
                    click.echo(line)
                    printed += 1
                continue
            frame = log if fmt in ("csv", "json") else log_table(log)
            if len(logs) > 1:
                frame = frame.assign(log=path.name)
            if limit is not None:
                frame = frame.head(limit)
            if fmt == "table":  # the payload column cut to the terminal's width
                import shutil

                width = shutil.get_terminal_size((120, 24)).columns
                click.echo(frame.to_string(index=False, max_colwidth=max(20, width - 60)))
            elif fmt == "csv":
                click.echo(frame.to_csv(index=False), nl=False)
            else:
                click.echo(frame.to_json(orient="records", lines=True, force_ascii=False), nl=False)
        if not matched:
            click.echo("no messages match the filters", err=True)
        elif fmt == "transcript" and limit is None:  # a finished run ends with its outcome
            from dcmarket.sim.transcript import outcome_summary_lines

            for line in outcome_summary_lines(run_dir):
                click.echo(line)
        return EXIT_OK
    body()


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path),
              help="where to write the report (default: RUN_DIR/report.html)")
def report(run_dir: Path, out: Path | None) -> None:
    """Write a self-contained HTML report of a run folder, without solving again."""
    @guarded
    def body() -> int:
        from dcmarket.sim.report import write_report

        path = write_report(run_dir, out)
        click.echo(f"report: {path}")
        return EXIT_OK
    body()


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
def verify(run_dir: Path) -> None:
    """Check a run folder against its manifest: complete, nothing missing,
    changed or added since the run (exit 0), or each problem on a line (exit 4)."""
    @guarded
    def body() -> int:
        from dcmarket.sim.manifest import verify_manifest

        if not run_dir.is_dir():
            from dcmarket.sim.report import ReportError

            raise ReportError(f"{run_dir}: no such run folder")
        problems = verify_manifest(run_dir)
        for line in problems:
            click.echo(f"{run_dir}: {line}")
        if not problems:
            click.echo(f"{run_dir}: complete and intact (the manifest's digest has no key: "
                       "it shows files changed or lost since the run, not a folder and "
                       "manifest rewritten together on purpose)")
        return EXIT_TAMPERED if problems else EXIT_OK
    body()


@cli.command()
@click.argument("paper", metavar="PAPER")
@click.option("--out", type=click.Path(path_type=Path),
              help="write comparison.csv/.md, the sensitivity figures and a manifest here")
@click.option("--force", is_flag=True, help="replace an earlier run folder at --out")
@output_options
@click.option("--full", is_flag=True,
              help="also the slow parts (001: the 5-100 households sweep; 002: the LSTM "
                   "over seeds and the forecast comparison)")
@click.option("--days", type=click.IntRange(min=1), default=1, show_default=True,
              help="001: days of the Table I block, the aFRR price sweep and (--full) the "
                   "households sweep (the paper's Fig. 6: 10)")
@click.option("--year-run", type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="001: take Table I from a finished `dcmarket lec --mode year` folder")
@click.option("--update-pins", is_flag=True,
              help="record this run's headline numbers as the regression baseline")
def reproduce(paper: str, out: Path | None, force: bool, full: bool, days: int,
              year_run: Path | None, update_pins: bool) -> None:
    """A paper's numbers beside ours: value, difference and why (and the figures).

    PAPER is the number of a paper a study reproduces (000, 001, 002)."""
    @guarded
    def body() -> int:
        from dcmarket.sim import reproduce as rp

        prepare_out(out, force)
        rep = rp.reproduce(paper, full=full, days=days, year_run=year_run)
        print(f"paper {paper}: ours beside the paper's\n")
        print(rp.markdown(rep.rows))
        moved = rp.check_pins(paper, rep.headline)
        if update_pins:
            rp.update_pins(paper, rep.headline, rep.tolerances)
            print(f"\nrecorded {len(rep.headline)} headline numbers in {rp.pins_path()}")
        elif moved:
            print("\nheadline numbers moved from the recorded baseline:\n  "
                  + "\n  ".join(moved))
        if out:
            rp.write(rep, out, command_line())
            print(f"run folder: {out}")
        return 0
    body()


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (for tests) instead of exiting."""
    _ARGV[:] = list(sys.argv[1:] if argv is None else argv)
    try:
        cli.main(args=argv, prog_name="dcmarket", standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.ClickException as exc:  # a bad option or argument: one line, exit 2
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else "dcmarket"
        hint = f" (see {where} --help)" if isinstance(exc, click.UsageError) else ""
        click.echo(f"{where}: {' '.join(exc.format_message().split())}{hint}", err=True)
        return EXIT_BAD_INPUT
    return EXIT_OK


def entry() -> None:
    """The console script."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
