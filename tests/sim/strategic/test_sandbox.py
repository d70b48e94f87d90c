"""An entrant's code runs in a process of its own: whatever it does — crash,
loop, sleep, answer nonsense, write files, fail to load — is recorded
against it and its agent falls back to truthful play; the market goes on."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import numpy as np
import pytest

from dcmarket.sim.strategic.sandbox import Entrant, EntrantError, Limits, sandboxed

HEADER = "import numpy as np\nfrom dcmarket import DataCentreStrategy, DRUserStrategy\n\n"
FAST = Limits(wall_s=1.0, cpu_s=0.5, memory_mb=1024, start_s=30.0)


def entrant(tmp_path: Path, name: str, body: str, role: str = "p2p_datacentre") -> Entrant:
    path = tmp_path / f"{name}.py"
    path.write_text(HEADER + textwrap.dedent(body))
    return Entrant(name, path, role, limits=FAST)


def decide(e: Entrant):
    """One estimate decision, as the ADMM round asks it."""
    try:
        e.start()
    except EntrantError as exc:  # a file that does not load is a fault too
        return None, str(exc)
    strategy = sandboxed(e, "run")
    y, trades = np.array([1.0, 2.0, 3.0]), np.array([1.0, -1.0, 0.0])
    answer = strategy.estimate("DC2", y, trades)
    e.stop()
    return answer, strategy


def test_a_sound_entrant_answers_through_its_process(tmp_path):
    e = entrant(tmp_path, "shade", """
        class Shade(DataCentreStrategy):
            name = "shade_it"
            def estimate(self, partner, y, trades):
                return y - 0.5 * np.sign(trades)
    """)
    answer, strategy = decide(e)
    np.testing.assert_allclose(answer, [0.5, 2.5, 3.0])
    assert not strategy.down and e.faults == [] and e.label == "shade_it"


@pytest.mark.parametrize(("name", "body", "reason"), [
    ("crash", "import os\nos._exit(3)", r"exited \(code 3\)"),
    ("spin", "while True:\n    pass", "CPU limit"),
    ("sleep", "import time\ntime.sleep(30)", "no answer within 1 s"),
    ("raise", "raise RuntimeError('boom')", "RuntimeError: boom"),
    ("nan", "return y * np.nan", "not finite"),
    ("shape", "return np.zeros(7)", r"shape \(7,\)"),
    ("text", "return 'cheap'", "not an array of numbers"),
    ("write", "f = open('/tmp/dcmarket-entrant-was-here', 'a')\nf.write('x' * 10)\nf.flush()",
     "File too large|SIGXFSZ|PermissionError"),
    ("memory", "return np.ones(10**10)", "MemoryError"),
])
def test_every_misbehaviour_is_recorded_and_the_agent_plays_truthfully(tmp_path, name, body,
                                                                      reason):
    code = "class Bad(DataCentreStrategy):\n    name = 'bad'\n\n" \
        "    def estimate(self, partner, y, trades):\n" + textwrap.indent(body, " " * 8)
    e = entrant(tmp_path, name, code)
    answer, strategy = decide(e)
    np.testing.assert_allclose(answer, [1.0, 2.0, 3.0])  # the truthful estimate
    assert strategy.down and len(e.faults) == 1
    assert e.faults[0].hook == "estimate" and re.search(reason, e.faults[0].reason)
    written = Path("/tmp/dcmarket-entrant-was-here")
    assert not written.exists() or written.stat().st_size == 0  # not one byte written


def test_a_file_that_does_not_load_or_plays_another_role_is_a_fault(tmp_path):
    answer, reason = decide(entrant(tmp_path, "broken", "this is not python\n"))
    assert answer is None and "does not load" in reason
    user = entrant(tmp_path, "user", """
        class Bid(DRUserStrategy):
            name = "bid"
    """)
    assert "0 p2p_datacentre strategy classes" in decide(user)[1]


def test_a_dc_may_withhold_but_not_offer_more_than_its_link(tmp_path):
    e = entrant(tmp_path, "greedy", """
        class Greedy(DataCentreStrategy):
            name = "greedy"
            def trade_limits(self, limits):
                return {j: 2 * q for j, q in limits.items()}
    """)
    e.start()
    strategy = sandboxed(e, "run")
    assert strategy.trade_limits({"DC1": 5.0, "DC3": 7.0}) == {"DC1": 5.0, "DC3": 7.0}
    e.stop()
    assert "more than the link's 5.0" in e.faults[0].reason


def test_the_entrant_reaches_no_object_of_the_market(tmp_path):
    """Its process holds what the hook was given, nothing else: the module of the
    market's agents is not even imported there."""
    e = entrant(tmp_path, "peek", """
        import sys
        class Peek(DataCentreStrategy):
            name = "peek"
            def estimate(self, partner, y, trades):
                loaded = "dcmarket.agents.p2p.datacenter" in sys.modules
                return y + (100.0 if loaded else 0.0)
    """)
    answer, _ = decide(e)
    np.testing.assert_allclose(answer, [1.0, 2.0, 3.0])
