"""The DR study's registration (paper 002) for the registry (sim.registry)."""

from dcmarket.sim.registry import Study

STUDY = Study(
    name="dr",
    title="Data-centre demand response with a reverse auction (paper 002)",
    parse="dcmarket.sim.dr.config:parse_dr_scenario",
    run="dcmarket.sim.dr.cli:run_study",
    stepper="dcmarket.sim.dr.stepping:make_stepper",
    sections=("users",),
    report_sections={"dr_day": "dcmarket.sim.dr.report_sections:day_section"},
    report_markers={"slots.parquet": "dr_day"},
    panels="dcmarket.sim.dr.panels:panels",
    mechanisms="dcmarket.sim.dr.mechanisms:mechanisms",
    commands="dcmarket.sim.dr.commands:COMMANDS",
    paper="002",
    schema="dcmarket.sim.dr.config:DRScenario",
    grading="dcmarket.sim.dr.grading:terms",
    reproduce="dcmarket.sim.dr.reproduction:reproduce",
    unit="slot",
)
