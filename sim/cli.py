"""The ``dcmarket`` command: one entry point, one part per study.

``dcmarket run [SCENARIO]`` runs any scenario, by shipped name or by path;
the study comes from the scenario: a P2P market without a grid clears at
fixed LMPs, a P2P scenario with a grid runs the bi-level case study, an
energy-community scenario runs a day of Table I with its decentralised twin,
a demand-response scenario runs its day under OP / BS / ST.  The study
commands (``case-study``, ``lec``, ``dr``, ``messages``) take the options
of their study.  Exit codes: 0 done, 2 bad input (one line naming the field),
3 not converged.
"""

from __future__ import annotations

import argparse
import sys

from sim.scenario import ScenarioError, read_yaml, scenario_path, study_of

DEFAULT_SCENARIO = "p2p_4dc_fixed_lmp"


def run_any(args: argparse.Namespace) -> int:
    """``dcmarket run``: dispatch on the scenario's study."""
    args.scenario = args.scenario_name or args.scenario
    path = scenario_path(args.scenario, DEFAULT_SCENARIO)
    args.scenario = str(path)
    raw = read_yaml(path)
    study = study_of(raw, str(path))
    if study == "p2p" and isinstance(raw, dict) and raw.get("grid") is None:
        from sim.p2p.cli import run_market

        return run_market(args)
    if study == "p2p":
        from sim.p2p.cli import run_case_study_cli

        return run_case_study_cli(args)
    if study == "lec":
        from sim.lec.cli import run as run_lec

        args.mode, args.days, args.twin = "day", None, None
        return run_lec(args)
    from sim.dr.cli import run as run_dr

    args.selector, args.no_quality = None, False
    return run_dr(args)


def parser() -> argparse.ArgumentParser:
    from sim.dr.cli import add_parsers as add_dr
    from sim.lec.cli import add_parsers as add_lec
    from sim.p2p.cli import add_parsers as add_p2p

    top = argparse.ArgumentParser(prog="dcmarket", description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="run any scenario (shipped name or YAML path)")
    p_run.add_argument("scenario_name", nargs="?", metavar="SCENARIO",
                       help=f"shipped name or YAML path (default: {DEFAULT_SCENARIO})")
    p_run.add_argument("--scenario", help=argparse.SUPPRESS)
    p_run.add_argument("--out", help="write a run folder here")
    p_run.add_argument("--backend", choices=["clarabel", "osqp", "cvxpy"], default=None,
                       help="P2P market: the ADMM local solver")
    p_run.add_argument("--max-rounds", type=int, default=None, help="P2P market: round cap")
    p_run.set_defaults(func=run_any)
    add_p2p(sub)
    add_dr(sub)
    add_lec(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from grid.dcopf import OPFError
    from grid.forecast import ForecastError
    from grid.prices import PriceDataError
    from market.auction import BidError
    from market.solvers import SolveError

    try:
        return args.func(args)
    except (ScenarioError, SolveError, OPFError, ForecastError, PriceDataError,
            BidError) as exc:
        print(f"dcmarket: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
