"""The hostile and careless probes, each run as a user runs it — the installed
``dcmarket`` command in a process of its own — under a memory and a time
limit: every one ends with its documented exit code and one line naming the
cause, never a traceback, a hang or gigabytes."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

MEMORY_BYTES = 4 * 1024**3  # address space of the probe's process
SECONDS = 60
P2P = "p2p_4dc_fixed_lmp"


def _alias_bomb(path: Path) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _deep(path: Path) -> str:
    path.write_text("x: " + "[" * 100_000 + "]" * 100_000 + "\n")
    return str(path)


def _web_app(path: Path) -> str:
    (path / "src").mkdir(parents=True)
    (path / "manifest.json").write_text('{"name": "my app"}')
    (path / "src" / "app.js").write_text("1")
    return str(path)


def _link(path: Path) -> str:
    (path.parent / "real").mkdir()
    path.symlink_to(path.parent / "real")
    return str(path)


PROBES = [
    # (id, argv builder, exit code, words in the one line)
    ("alias-bomb", lambda t: ["validate", _alias_bomb(t / "bomb.yaml")], 2,
     ["expands to more than"]),
    ("deep-list", lambda t: ["validate", _deep(t / "deep.yaml")], 2, ["nested deeper"]),
    ("hours-million", lambda t: ["validate", P2P, "--set", "hours=1000000"], 2, ["hours"]),
    ("fee-1e308", lambda t: ["run", P2P, "--set", "datacenters.DC1.fee=1e308"], 2,
     ["DC1.fee"]),
    ("lmp-1e308", lambda t: ["run", P2P, "--set", "lmp.DC1.3=1e308"], 2, ["lmp.DC1"]),
    ("name-newline", lambda t: ["run", P2P, "--set", 'datacenters.DC1.name="DC1\\nDC9"'], 2,
     ["not an agent name"]),
    ("name-formula", lambda t: ["run", P2P, "--set", "datacenters.DC1.name='=1+1'"], 2,
     ["not an agent name"]),
    ("name-reserved", lambda t: ["run", P2P, "--set", "datacenters.DC1.name=market"], 2,
     ["reserved"]),
    ("force-web-app", lambda t: ["run", P2P, "--out", _web_app(t / "app"), "--force"], 2,
     ["removes only what dcmarket wrote"]),
    ("out-symlink", lambda t: ["run", P2P, "--out", _link(t / "link"), "--force"], 2,
     ["symbolic link"]),
    ("loss-0.95", lambda t: ["run", P2P, "--set", "market.faults.loss=0.95"], 3, []),
    ("ray-unreachable", lambda t: ["--executor", "ray", "--ray-address", "127.0.0.1:1", "run"],
     2, ["nothing answers"]),
    ("ray-malformed", lambda t: ["--executor", "ray", "--ray-address", "not an address", "run"],
     2, ["expected host:port"]),
]


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


@pytest.mark.parametrize("name, argv, code, words", PROBES, ids=[p[0] for p in PROBES])
def test_a_hostile_probe_ends_honestly_within_limits(name, argv, code, words, tmp_path):
    command = Path(sys.executable).with_name("dcmarket")
    env = {**os.environ, "DCMARKET_RAY_TIMEOUT": "10"}
    done = subprocess.run([str(command), *argv(tmp_path)], capture_output=True, text=True,
                          timeout=SECONDS, preexec_fn=_limits, cwd=tmp_path, env=env,
                          check=False)
    assert done.returncode == code, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    if code == 2:
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("dcmarket: "), done.stderr
        for word in words:
            assert word in lines[0], (word, lines[0])
    else:
        assert done.stdout.startswith("NOT CONVERGED"), done.stdout[:300]
