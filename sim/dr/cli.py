"""``dcmarket dr``: paper 002's demand-response day (OP / BS / ST, forecast quality)."""

from __future__ import annotations

from pathlib import Path

from dcmarket.sim.dr.config import DRScenario
from dcmarket.sim.dr.study import run_dr_study, study_text, write_dr_run


def run_dr(scenario: DRScenario, out: Path | None, selector: str | None, quality: bool,
           command: str = "dcmarket dr", sensitivity: bool = False) -> int:
    """OP / BS / ST on the scenario's day and, with ``quality``, OP under each forecast."""
    if selector:
        scenario = scenario.model_copy(update={"auction": scenario.auction.model_copy(
            update={"selector": selector})})
    print(f"DR study {scenario.name}: day {scenario.day}, {scenario.dc.hosts} hosts, "
          f"{scenario.users.count} users, forecaster {scenario.forecast.method} "
          f"(k = {scenario.forecast.training_days}) ...", flush=True)
    study = run_dr_study(scenario, quality=quality)
    summary = study.summary()
    unsettled = summary[summary["auctions_settled"] < summary["auctions"]]
    if len(unsettled):
        print("NOT CONVERGED: the GA's winners fall short of the exact optimum in "
              + ", ".join(f"{r.strategy} ({r.auctions - r.auctions_settled} of {r.auctions} "
                          "auctions)" for r in unsettled.itertuples())
              + "; raise auction.ga.generations, or use --selector exact.\n")
    print(study_text(study))
    swept = None
    if sensitivity:
        from dcmarket.sim.dr.sensitivity import sensitivity as sweep

        swept = sweep(scenario)
        print("\nsensitivity to the assumptions the paper does not state (OP and BS):")
        shown = swept[swept.strategy != "ST"].pivot_table(
            index=["theta0_eur_per_mwh", "requested_share"], columns="strategy",
            values="reduction_vs_st_pct")
        print(shown.to_string(float_format="%.1f"))
    if out:
        write_dr_run(study, scenario, Path(out), command=command, sensitivity=swept,
                     outcomes=day_outcomes(study, scenario))
        print(f"run folder: {out}")
    return 3 if len(unsettled) else 0


def day_outcomes(study, scenario: DRScenario) -> list[dict]:
    """Each strategy's day as its mechanism's Outcome (summary rows)."""
    from dcmarket.sim.dr.mechanisms import mechanism_name, outcome_of_day

    return [outcome_of_day(mechanism_name(label, scenario.auction.selector), model, True)
            .check().summary() for label, model in study.models.items()]


def run_study(scenario: DRScenario, path: Path, out: Path | None, command: str,
              options: dict) -> int:
    """``dcmarket run`` of a DR scenario: OP / BS / ST on its day, and the
    forecast's quality."""
    return run_dr(scenario, out, None, True, command)
