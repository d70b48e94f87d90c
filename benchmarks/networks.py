"""The whole case study on other networks (docs/p2p.md, "Any network").

For IEEE 57 (8 DCs), 118 (10 DCs) and 300 (10 DCs), each with the case's own
generators and costs and its loads as they are, this writes a scenario (the
DCs of ``tests/sim/p2p/data/p2p_case14.yaml`` repeated at spread buses), runs
``dcmarket case-study`` on it in a child process, and prints per case:

- ``case_study_s``: the case study's wall time (both loops, the plain loop,
  the equilibria), ``peak_rss_gb``: the child's peak memory;
- ``max_abs_dlmp_vs_rundcopp``: at hour 12 the largest difference between the
  LMPs the run's grid operator posted and pandapower's DC OPF (``rundcopp``)
  on the same network, loads and DC draws;
- ``converged``: the bi-level loop and every market within it.

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
FLEETS = {"case57": 8, "case118": 10, "case300": 10}
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


def scenario_for(case: str, n_dcs: int, folder: Path) -> Path:
    from dcmarket.grid.network import load_network

    raw = yaml.safe_load(TEMPLATE.read_text())
    network, _ = load_network(f"pandapower:{case}")
    labels = network.bus_labels
    buses = [labels[int(i)] for i in np.linspace(1, len(labels) - 1, n_dcs)]
    template = raw["datacenters"]
    raw["datacenters"] = [{**template[k % len(template)], "name": f"DC{k + 1}", "bus": bus}
                          for k, bus in enumerate(buses)]
    raw["name"] = f"p2p_{case}_{n_dcs}dc"
    raw["description"] = f"{n_dcs} DCs on pandapower's {case} with its own generators"
    raw["grid"] = {"network": f"pandapower:{case}", "line_ratings_mw": {}}
    path = folder / f"{raw['name']}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def lmp_gap(case: str, out: Path) -> float:
    """Hour ``HOUR``'s posted LMPs against pandapower's rundcopp on the same data."""
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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pp.rundcopp(net, numba=False)
    posted = pd.read_csv(out / "lmp_with.csv")
    posted = posted[posted.hour == HOUR].set_index("bus").lmp_usd_per_mwh
    theirs = pd.Series(net.res_bus.lam_p.to_numpy(), index=list(network.bus_labels))
    return float(np.max(np.abs(posted.loc[theirs.index].to_numpy() - theirs.to_numpy())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(FLEETS))
    args = parser.parse_args()
    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for case in args.cases.split(","):
            path = scenario_for(case, FLEETS[case], folder)
            out = folder / f"run_{case}"
            tic = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", MEASURED, str(path), str(out)],
                                  capture_output=True, text=True)
            wall = time.perf_counter() - tic
            peak = int(done.stdout.strip().splitlines()[-1])  # the case study's own peak, kB
            summary = json.loads((out / "summary.json").read_text())
            figures[case] = {
                "dcs": FLEETS[case], "case_study_s": wall,
                "peak_rss_gb": peak / 1024 ** 2, "exit": done.returncode,
                "max_abs_dlmp_vs_rundcopp": lmp_gap(case, out),
                "converged": bool(summary["converged"]),
                "gain_pct_equilibrium": summary["equilibrium"]["gain_pct"]}
            print(case, figures[case], file=sys.stderr)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
