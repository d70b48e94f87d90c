"""The energy community's registration (paper 001) for the registry (sim.registry)."""

from dcmarket.sim.registry import Study

STUDY = Study(
    name="lec",
    title="Energy community with a data centre (paper 001)",
    parse="dcmarket.sim.lec.config:parse_lec_scenario",
    run="dcmarket.sim.lec.cli:run_study",
    stepper="dcmarket.sim.lec.stepping:make_stepper",
    panels="dcmarket.sim.lec.panels:panels",
    sections=("households",),
    report_sections={"block": "dcmarket.sim.lec.report_sections:block_section"},
    report_markers={"table_I.csv": "block"},
    mechanisms="dcmarket.sim.lec.mechanisms:mechanisms",
    commands="dcmarket.sim.lec.commands:COMMANDS",
    paper="001",
    schema="dcmarket.sim.lec.config:LECScenario",
    grading="dcmarket.sim.lec.grading:terms",
    reproduce="dcmarket.sim.lec.reproduction:reproduce",
    unit="twin round",
)
