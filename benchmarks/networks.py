"""The whole case study on other networks (docs/p2p.md, "Any network").

For IEEE 57 (8 DCs), 118 (10 DCs) and 300 (10 DCs), each with the case's own
generators and costs and its loads as they are, this writes a scenario (the
DCs of ``tests/sim/p2p/data/p2p_case14.yaml`` repeated at spread buses), runs
``dcmarket case-study`` on it in a child process, and prints per case.
``case57_congested`` is the case57 fleet with one rated line: of the lines
at a DC's bus, the one carrying most at hour 12 in pandapower's DC OPF of
the uncongested run, rated at 70 % of that flow (so it binds):

- ``case_study_s``: the case study's wall time (both loops, the plain loop,
  the equilibria), ``peak_rss_gb``: the child's peak memory;
- ``max_abs_dlmp_vs_rundcopp``: at hour 12 the largest difference between the
  LMPs the run's grid operator posted and pandapower's DC OPF (``rundcopp``)
  on the same network, loads and DC draws;
- ``converged``: the bi-level loop and every market within it;
- ``lmp_spread_dc_buses``: the largest spread of the posted LMPs across the
  DC buses in any hour, without and with the market ($/MWh; 0 = no congestion).

    python benchmarks/networks.py [--cases case57,case118,case300]

Target (issue "Your network, your data"): the 8-DC case57 case study ≤ 60 s
and ≤ 1.5 GB on 2 cores.  The last line is JSON.
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "tests" / "sim" / "p2p" / "data" / "p2p_case14.yaml"
FLEETS = {"case57": 8, "case57_congested": 8, "case118": 10, "case300": 10}
CONGESTED_SHARE = 0.7
HOUR = 12
#: one case study in a grandchild, whose peak memory this child reports (kB)
MEASURED = """
import resource, subprocess, sys
from pathlib import Path
dcmarket = str(Path(sys.executable).with_name("dcmarket"))
subprocess.run([dcmarket, "case-study", "--scenario", sys.argv[1], "--out", sys.argv[2]],
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def scenario_for(case: str, n_dcs: int, folder: Path,
                 ratings: dict[str, float] | None = None) -> Path:
    from dcmarket.grid.network import load_network

    raw = yaml.safe_load(TEMPLATE.read_text())
    network, _ = load_network(f"pandapower:{case}")
    labels = network.bus_labels
    buses = [labels[int(i)] for i in np.linspace(1, len(labels) - 1, n_dcs)]
    template = raw["datacenters"]
    raw["datacenters"] = [{**template[k % len(template)], "name": f"DC{k + 1}", "bus": bus}
                          for k, bus in enumerate(buses)]
    raw["name"] = f"p2p_{case}_{n_dcs}dc" + ("_rated" if ratings else "")
    raw["description"] = f"{n_dcs} DCs on pandapower's {case} with its own generators"
    raw["grid"] = {"network": f"pandapower:{case}", "line_ratings_mw": dict(ratings or {})}
    path = folder / f"{raw['name']}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def dc_opf(case: str, out: Path, ratings: dict[str, float] | None = None):
    """pandapower's rundcopp at hour ``HOUR`` on the run's network, loads and DC
    draws, with the run's line ratings (the rest unrated, as in our copy)."""
    import pandapower as pp

    from dcmarket.grid.network import load_network

    network, net = load_network(f"pandapower:{case}")
    net = copy.deepcopy(net)
    schedules = pd.read_csv(out / "dc_schedules_with.csv")
    draw = schedules[(schedules.quantity == "grid") & (schedules.hour == HOUR)]
    spec = yaml.safe_load((out / "scenario_resolved.json").read_text())
    bus_of = {dc["name"]: dc["bus"] for dc in spec["datacenters"]}
    index_of = dict(zip(network.bus_labels, net.bus.index, strict=True))
    for row in draw.itertuples():
        pp.create_load(net, index_of[bus_of[row.dc]], p_mw=float(row.value), q_mvar=0.0)
    net.line["max_loading_percent"] = 1e6
    net.trafo["max_loading_percent"] = 1e6
    for key, mw in (ratings or {}).items():
        line = line_of(net, index_of, key)
        kv = net.bus.vn_kv.at[net.line.from_bus.at[line]]
        net.line.loc[line, ["max_i_ka", "max_loading_percent"]] = [mw / (kv * np.sqrt(3)), 100.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pp.rundcopp(net, numba=False)
    return network, net, bus_of, index_of


def line_of(net, index_of: dict, key: str) -> int:
    a, b = (index_of[int(x)] for x in key.split("-"))
    found = net.line.index[((net.line.from_bus == a) & (net.line.to_bus == b))
                           | ((net.line.from_bus == b) & (net.line.to_bus == a))]
    return int(found[0])


def lmp_gap(case: str, out: Path, ratings: dict[str, float] | None = None) -> float:
    """Hour ``HOUR``'s posted LMPs against pandapower's rundcopp on the same data."""
    network, net, _, _ = dc_opf(case, out, ratings)
    posted = pd.read_csv(out / "lmp_with.csv")
    posted = posted[posted.hour == HOUR].set_index("bus").lmp_usd_per_mwh
    theirs = pd.Series(net.res_bus.lam_p.to_numpy(), index=list(network.bus_labels))
    return float(np.max(np.abs(posted.loc[theirs.index].to_numpy() - theirs.to_numpy())))


def binding_rating(case: str, out: Path) -> dict[str, float]:
    """The line at a DC's bus carrying most at hour ``HOUR``, rated at
    :data:`CONGESTED_SHARE` of that flow."""
    _, net, bus_of, index_of = dc_opf(case, out)
    label_of = {v: k for k, v in index_of.items()}
    dc_buses = {index_of[b] for b in bus_of.values()}
    at_dc = net.line[net.line.from_bus.isin(dc_buses) | net.line.to_bus.isin(dc_buses)]
    flows = net.res_line.p_from_mw.loc[at_dc.index].abs()
    line = int(flows.idxmax())
    key = f"{label_of[int(net.line.from_bus.at[line])]}-{label_of[int(net.line.to_bus.at[line])]}"
    return {key: round(CONGESTED_SHARE * float(flows.max()), 2)}


def lmp_spread(out: Path, label: str) -> float:
    spec = yaml.safe_load((out / "scenario_resolved.json").read_text())
    buses = {dc["bus"] for dc in spec["datacenters"]}
    lmp = pd.read_csv(out / f"lmp_{label}.csv")
    lmp = lmp[lmp.bus.isin(buses)]
    by_hour = lmp.groupby("hour").lmp_usd_per_mwh
    return float((by_hour.max() - by_hour.min()).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(FLEETS))
    args = parser.parse_args()
    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        runs: dict[str, Path] = {}
        for case in args.cases.split(","):
            network_case = case.removesuffix("_congested")
            ratings = None
            if case.endswith("_congested"):
                if network_case not in runs:  # the uncongested run picks the line
                    raise SystemExit(f"{case} needs {network_case} first in --cases")
                ratings = binding_rating(network_case, runs[network_case])
            path = scenario_for(network_case, FLEETS[case], folder, ratings)
            out = folder / f"run_{case}"
            runs[case] = out
            tic = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", MEASURED, str(path), str(out)],
                                  capture_output=True, text=True)
            wall = time.perf_counter() - tic
            peak = int(done.stdout.strip().splitlines()[-1])  # the case study's own peak, kB
            summary = json.loads((out / "summary.json").read_text())
            figures[case] = {
                "dcs": FLEETS[case], "case_study_s": wall,
                "peak_rss_gb": peak / 1024 ** 2, "exit": done.returncode,
                "max_abs_dlmp_vs_rundcopp": lmp_gap(network_case, out, ratings),
                "converged": bool(summary["converged"]), "rated_lines": ratings or {},
                "lmp_spread_dc_buses": {"without": lmp_spread(out, "without"),
                                        "with": lmp_spread(out, "with")},
                "gain_pct_equilibrium": summary["equilibrium"]["gain_pct"]}
            print(case, figures[case], file=sys.stderr)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
