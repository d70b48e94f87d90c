"""How long the test suite takes, and its ten slowest tests.

Runs the suite as ``make test`` does (two workers, Ray and browser tests each
grouped in one) and prints one JSON line: ``make_test_s`` (the pytest run; a
fresh clone adds the installs), ``tests`` passed, and ``slowest``: the ten
slowest test phases (call or setup) with their seconds.

    python benchmarks/suite.py [--serial]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serial", action="store_true", help="one worker (the reference)")
    args = parser.parse_args()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=10",
               *([] if args.serial else ["-n", "2", "--dist", "loadgroup"]), "tests"]
    tic = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - tic
    slowest = [{"seconds": float(m.group(1)), "phase": m.group(2), "test": m.group(3)}
               for m in re.finditer(r"^([\d.]+)s (call|setup|teardown)\s+(\S+)$", done.stdout,
                                    flags=re.M)]
    passed = re.search(r"(\d+) passed", done.stdout)
    print(json.dumps({"make_test_s": wall, "exit": done.returncode,
                      "tests": int(passed.group(1)) if passed else 0,
                      "workers": 1 if args.serial else 2, "slowest": slowest[:10]}))


if __name__ == "__main__":
    main()
