"""The P2P study's registration (paper 000): what the registry (sim.registry)
knows of it, each part imported on first use."""

from dcmarket.sim.registry import Study

STUDY = Study(
    name="p2p",
    title="P2P cloud-service market of data centres, with its grid (paper 000)",
    parse="dcmarket.sim.p2p.config:parse_scenario_file",
    run="dcmarket.sim.p2p.cli:run_study",
    stepper="dcmarket.sim.p2p.stepping:make_stepper",
    sections=("datacenters",),
    report_sections={"market": "dcmarket.sim.p2p.report_sections:market_section",
                     "case_study": "dcmarket.sim.p2p.report_sections:case_study_section"},
    report_markers={"admm_residuals.csv": "market",
                    "bilevel_residuals_with.csv": "case_study"},
    panels="dcmarket.sim.p2p.panels:panels",
    mechanisms="dcmarket.sim.p2p.mechanisms:mechanisms",
    commands="dcmarket.sim.p2p.commands:COMMANDS",
    paper="000",
    schema="dcmarket.sim.p2p.config:P2PScenario",
    grading="dcmarket.sim.p2p.grading:terms",
    reproduce="dcmarket.sim.p2p.reproduction:reproduce",
    unit="ADMM round",
)
