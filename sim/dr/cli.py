"""``dcmarket dr``: paper 002's demand-response day (OP / BS / ST, forecast quality)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.dr.config import load_dr_scenario
from sim.dr.study import run_dr_study, study_text, write_dr_run
from sim.scenario import scenario_path

DEFAULT = "dr_2000hosts"


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p_dr = sub.add_parser("dr", help="paper 002: DC demand response, OP / BS / ST on one day")
    p_dr.add_argument("--scenario", help=f"scenario name or YAML (default: {DEFAULT})")
    p_dr.add_argument("--out", help="write a run folder (frames, messages, figures) here")
    p_dr.add_argument("--selector", choices=["ga", "exact"], default=None,
                      help="winner selection (default: the scenario's)")
    p_dr.add_argument("--no-quality", action="store_true",
                      help="skip the forecast-quality runs (only the scenario's forecaster)")
    p_dr.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """``dcmarket dr``: OP / BS / ST on the scenario's day, forecast quality."""
    path = scenario_path(args.scenario, DEFAULT)
    scenario = load_dr_scenario(path)
    if args.selector:
        scenario = scenario.model_copy(update={"auction": scenario.auction.model_copy(
            update={"selector": args.selector})})
    print(f"DR study {scenario.name}: day {scenario.day}, {scenario.dc.hosts} hosts, "
          f"{scenario.users.count} users, forecaster {scenario.forecast.method} "
          f"(k = {scenario.forecast.training_days}) ...", flush=True)
    study = run_dr_study(scenario, quality=not args.no_quality)
    print(study_text(study))
    if args.out:
        write_dr_run(study, scenario, Path(args.out))
        print(f"run folder: {args.out}")
    return 0
