"""Speed of the teaching tools: how fast the command answers, how long a
step of each protocol takes, how long each notebook runs top to bottom.

Prints a table and, on its last line, JSON with ``help_s`` (wall time of
``dcmarket VERB --help`` in a fresh process, per verb; target < 1 s),
``step_s`` (``dcmarket step SCENARIO --until 1 --batch``: loading the
agents and one step, per shipped scenario) and ``notebook_s`` (each
notebook's code cells, in one fresh process each; target < 120 s).

    python benchmarks/teaching.py [--skip-notebooks]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DCMARKET = Path(sys.executable).with_name("dcmarket")
VERBS = ("", "scenarios", "validate", "run", "step", "messages", "report", "case-study", "dr",
         "lec")
SCENARIOS = ("p2p_4dc_fixed_lmp", "p2p_ieee30", "dr_2000hosts", "lec_10households")
RUN_NOTEBOOK = """
import json, sys, matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
plt.show = lambda *a, **k: plt.close("all")
namespace = {}
for cell in json.load(open(sys.argv[1]))["cells"]:
    if cell["cell_type"] == "code":
        exec(compile("".join(cell["source"]), sys.argv[1], "exec"), namespace)
"""


def _wall(command: list[str]) -> float:
    tic = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - tic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-notebooks", action="store_true")
    args = parser.parse_args()
    help_s = {verb or "(top)": _wall([str(DCMARKET), *([verb] if verb else []), "--help"])
              for verb in VERBS}
    step_s = {name: _wall([str(DCMARKET), "step", name, "--until", "1", "--batch",
                           "--quiet-messages"]) for name in SCENARIOS}
    notebook_s = {}
    if not args.skip_notebooks:
        for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
            notebook_s[path.stem] = _wall([sys.executable, "-c", RUN_NOTEBOOK, str(path)])
    for title, values in (("--help", help_s), ("one step", step_s), ("notebook", notebook_s)):
        for key, seconds in values.items():
            print(f"{title:<10}{key:<28}{seconds:8.2f} s")
    print(json.dumps({"help_s": help_s, "help_max_s": max(help_s.values()), "step_s": step_s,
                      "notebook_s": notebook_s,
                      "notebook_max_s": max(notebook_s.values(), default=None)}))


if __name__ == "__main__":
    main()
