"""One message out of a research-scale log (docs/messages.md).

Runs the congested 8-DC case57 case study of ``benchmarks/networks.py``
(its longest log: the uncongested run first, to pick the line that binds), then
times ``dcmarket messages RUN --log messages_with.parquet --step S --limit 1``
(a step in the middle of the log) in a child process, with its peak memory:

- ``messages_one_s``, ``messages_one_peak_gb`` (target ≤ 2 s and ≤ 1 GB);
- ``log_rows``, ``log_mb``, ``row_groups``: the log it read.

    python benchmarks/log_query.py

The last line is JSON.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
MEASURED = """
import resource, subprocess, sys
from pathlib import Path
dcmarket = str(Path(sys.executable).with_name("dcmarket"))
subprocess.run([dcmarket, *sys.argv[1:]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
               check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def networks_module():
    spec = importlib.util.spec_from_file_location("networks_benchmark", HERE / "networks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measured(*args: str) -> tuple[float, float]:
    tic = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURED, *args], capture_output=True,
                          text=True, check=True)
    return time.perf_counter() - tic, int(done.stdout.strip().splitlines()[-1]) / 1024 ** 2


def main() -> None:
    networks = networks_module()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = networks.scenario_for("case57", 8, folder)
        measured("case-study", "--scenario", str(path), "--out", str(folder / "free"))
        rated = networks.binding_rating("case57", folder / "free")
        path = networks.scenario_for("case57", 8, folder, rated)
        out = folder / "run"
        measured("case-study", "--scenario", str(path), "--out", str(out))
        log = out / "messages_with.parquet"
        meta = pq.read_metadata(log)
        steps = pq.read_table(log, columns=["step"]).column("step")
        middle = int(steps[len(steps) // 2].as_py())
        seconds, peak = measured("messages", str(out), "--log", log.name, "--step", str(middle),
                                 "--limit", "1")
        print(json.dumps({"messages_one_s": seconds, "messages_one_peak_gb": peak,
                          "log_rows": meta.num_rows, "log_mb": log.stat().st_size / 1e6,
                          "row_groups": meta.num_row_groups, "step": middle}))


if __name__ == "__main__":
    main()
