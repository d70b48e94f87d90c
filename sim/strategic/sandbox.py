"""An entrant's strategy in a process of its own, with limits per decision.

A tournament never runs an entrant's code in its own process: each entrant
gets a child process (``sandbox_child.py``) started with a memory limit
(``RLIMIT_AS``), no right to write into files (``RLIMIT_FSIZE`` 0), as
user ``nobody`` when the tournament runs as root, in a session of its own,
with one BLAS thread and Python's isolated mode; before each decision the child sets a CPU
limit, and the parent waits for the answer at most a wall-clock limit.  Only
JSON crosses between them, and the parent checks every answer as the
protocol would a message (shape, finite, within what the hook allows).

A crash, a time-out, an exceeded limit, an exception or an invalid answer is
recorded against the entrant (:attr:`Entrant.faults`); its agent falls back
to truthful play for the rest of that run, so the market always finishes.
The next run starts a fresh process if the last one died.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import select
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from dcmarket.agents.strategies import (
    DataCentreStrategy,
    DRUserStrategy,
    HouseholdStrategy,
    Strategy,
)

#: the roles an entrant can play (the DR DC's plans act on the DC object: not sandboxable)
SANDBOXED_ROLES = ("p2p_datacentre", "dr_user", "household")
#: the user and group an entrant runs as when the tournament runs as root
NOBODY = 65534


def _world_runnable(path: Path) -> bool:
    """Whether any user may reach ``path`` (every folder above it searchable by
    others, the file itself readable by others)."""
    path = path.resolve()
    try:
        if not path.stat().st_mode & stat.S_IROTH:
            return False
        return all(p.stat().st_mode & stat.S_IXOTH for p in path.parents)
    except OSError:
        return False


def _python_for_nobody() -> bool:
    import dcmarket

    return all(_world_runnable(Path(p)) for p in (
        sys.executable, Path(dcmarket.__file__).parent, Path(np.__file__).parent))


#: entrants run as ``nobody`` when the tournament runs as root and ``nobody``
#: can run this Python (an interpreter under /root cannot be: then they run as root,
#: and the tournament's manifest says so)
DROP_TO_NOBODY = os.geteuid() == 0 and _python_for_nobody()
#: the largest answer read from an entrant, bytes
MAX_REPLY_BYTES = 4_000_000


@dataclass(frozen=True)
class Limits:
    """Per decision: wall-clock seconds and CPU seconds; per process: memory."""

    wall_s: float = 2.0
    cpu_s: float = 2.0
    memory_mb: int = 1024
    #: the first answer (the entrant's file loads) may take longer: imports
    start_s: float = 30.0


@dataclass
class Fault:
    entrant: str
    run: str
    hook: str
    reason: str


class EntrantError(Exception):
    """What went wrong with one decision (recorded, never raised to the market)."""


@dataclass
class Entrant:
    """One strategy file and the process that runs it."""

    name: str
    path: Path
    role: str
    cls: str | None = None
    limits: Limits = Limits()
    faults: list[Fault] = field(default_factory=list)
    label: str = ""
    _proc: subprocess.Popen | None = None
    _buffer: bytes = b""

    @property
    def source(self) -> str:
        return self.path.read_text()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    # ----- the process ----------------------------------------------------------------
    def _limit_child(self) -> None:  # runs in the child between fork and exec
        memory = self.limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
        os.setsid()
        if DROP_TO_NOBODY:  # never run an entrant as root where nobody can run Python
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)

    def start(self) -> None:
        """Start the entrant's process (again, if the last one died); raises
        :class:`EntrantError` if its file does not load as a strategy of its role."""
        if self.alive:
            return
        env = {"PATH": os.environ.get("PATH", ""), "OPENBLAS_NUM_THREADS": "1",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-B", "-m", "dcmarket.sim.strategic.sandbox_child",
                 self.role, self.path.name, self.cls or "-", str(self.limits.cpu_s)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env=env, cwd="/", preexec_fn=self._limit_child)
        except (OSError, subprocess.SubprocessError) as exc:
            self._proc = None
            raise EntrantError(f"its process does not start: {exc}") from None
        self._buffer = b""
        try:
            self._send(json.dumps(self.source))
            loaded = self._receive(self.limits.start_s, "start")
        except EntrantError:
            self.stop()
            raise
        self.label = str(loaded.get("label", self.name)) if isinstance(loaded, dict) \
            else self.name

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self._proc.kill()
        self._proc.wait()
        for stream in (self._proc.stdin, self._proc.stdout):
            if stream is not None:
                stream.close()
        self._proc = None

    def _send(self, line: str) -> None:
        try:
            self._proc.stdin.write(line.encode() + b"\n")
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            raise EntrantError(self._death()) from None

    def _death(self) -> str:
        code = self._proc.wait() if self._proc is not None else None
        if code is not None and code < 0:
            sig = signal.Signals(-code)
            if sig == signal.SIGXCPU:
                return f"exceeded its CPU limit of {self.limits.cpu_s} s per decision"
            return f"its process died ({sig.name})"
        return f"its process exited (code {code})"

    def _receive(self, timeout: float, hook: str) -> Any:
        deadline = time.monotonic() + timeout
        out = self._proc.stdout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop()
                raise EntrantError(f"no answer within {timeout:g} s")
            ready, _, _ = select.select([out], [], [], left)
            if not ready:
                continue
            chunk = os.read(out.fileno(), 65536)
            if not chunk:
                raise EntrantError(self._death())
            self._buffer += chunk
            if len(self._buffer) > MAX_REPLY_BYTES:
                self.stop()
                raise EntrantError(f"an answer larger than {MAX_REPLY_BYTES} bytes")
        line, _, self._buffer = self._buffer.partition(b"\n")
        try:
            message = json.loads(line)
        except ValueError:
            raise EntrantError("an answer that is not JSON") from None
        if not isinstance(message, dict) or not ({"ok", "error"} & set(message)):
            raise EntrantError("an answer outside the protocol")
        if "error" in message:
            raise EntrantError(f"raised {str(message['error'])[:300]}")
        return message["ok"]

    def ask(self, hook: str, args: list[Any]) -> Any:
        """One decision: the hook's answer, or :class:`EntrantError`."""
        if not self.alive:
            raise EntrantError("its process is not running")
        self._send(json.dumps({"hook": hook, "args": [_plain(a) for a in args]}))
        return self._receive(self.limits.wall_s, hook)


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.astype(float).tolist()
    if isinstance(value, Mapping):
        return {str(k): float(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


# ------------------------------------------------------------ checking answers
def _array(value: Any, like: np.ndarray, what: str) -> np.ndarray:
    try:
        array = np.asarray(value, float)
    except (TypeError, ValueError):
        raise EntrantError(f"{what}: not an array of numbers") from None
    if array.shape != np.shape(like):
        raise EntrantError(f"{what}: shape {array.shape}, expected {np.shape(like)}")
    if not np.all(np.isfinite(array)):
        raise EntrantError(f"{what}: a value that is not finite")
    return array


def _number(value: Any, what: str, low: float = -np.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise EntrantError(f"{what}: not a number")
    if not np.isfinite(value) or value < low:
        raise EntrantError(f"{what}: {value} (a finite number ≥ {low} expected)")
    return float(value)


def _pair(value: Any, first: np.ndarray, second: np.ndarray, what: str
          ) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(value, list) or len(value) != 2:
        raise EntrantError(f"{what}: a pair expected")
    return _array(value[0], first, what), _array(value[1], second, what)


class _Sandboxed:
    """Forward each hook to the entrant's process, check the answer, and fall
    back to the role's truthful behaviour (the base class) after a fault."""

    name: ClassVar[str] = "sandboxed"
    truthful: ClassVar[bool] = False

    def __init__(self, entrant: Entrant, run: str) -> None:
        super().__init__()
        self.entrant, self.run, self.down = entrant, run, False
        self.params = {"entrant": entrant.name}

    def label(self) -> str:
        return self.entrant.label or self.entrant.name

    def __reduce__(self) -> tuple:  # never leaves this process (the tournament runs in it)
        raise TypeError("a sandboxed strategy runs in the tournament's own process")

    def _decide(self, hook: str, args: list[Any], check) -> Any:
        fallback = getattr(super(), hook)
        if self.down:
            return fallback(*args)
        try:
            return check(self.entrant.ask(hook, args))
        except EntrantError as exc:
            self.down = True
            self.entrant.faults.append(Fault(self.entrant.name, self.run, hook, str(exc)))
            return fallback(*args)


class SandboxedDataCentre(_Sandboxed, DataCentreStrategy):
    def trade_limits(self, limits: Mapping[str, float]) -> dict[str, float]:
        def check(answer: Any) -> dict[str, float]:
            if not isinstance(answer, dict) or set(answer) != set(limits):
                raise EntrantError(f"trade_limits: the partners {sorted(limits)} expected")
            offered = {}
            for j, q in limits.items():
                offered[j] = _number(answer[j], f"trade_limits[{j}]", 0.0)
                if offered[j] > q + 1e-9:
                    raise EntrantError(f"trade_limits[{j}] = {offered[j]}: more than the "
                                       f"link's {q} (a DC can only withhold)")
            return offered

        return self._decide("trade_limits", [dict(limits)], check)

    def cost(self, cost: np.ndarray) -> np.ndarray:
        return self._decide("cost", [cost], lambda a: _array(a, cost, "cost"))

    def offer(self, marginal_cost: float) -> float:
        return self._decide("offer", [float(marginal_cost)], lambda a: _number(a, "offer"))

    def estimate(self, partner: str, y: np.ndarray, trades: np.ndarray) -> np.ndarray:
        return self._decide("estimate", [partner, y, trades], lambda a: _array(a, y, "estimate"))

    def report(self, prices: np.ndarray, trades: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self._decide("report", [prices, trades],
                            lambda a: _pair(a, prices, trades, "report"))

    def confirmation(self, partner: str, price: np.ndarray, q: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
        return self._decide("confirmation", [partner, price, q],
                            lambda a: _pair(a, price, q, "confirmation"))

    def acceptance(self, partner: str, accepted: np.ndarray) -> np.ndarray:
        return self._decide("acceptance", [partner, accepted],
                            lambda a: _array(a, accepted, "acceptance"))


class SandboxedUser(_Sandboxed, DRUserStrategy):
    def fee(self, true_cost_eur: float, n_tasks: int, delay_slots: int) -> float:
        return self._decide("fee", [float(true_cost_eur), int(n_tasks), int(delay_slots)],
                            lambda a: _number(a, "fee", 0.0))

    def award(self, won: bool, payment_eur: float, true_cost_eur: float) -> None:
        self._decide("award", [bool(won), float(payment_eur), float(true_cost_eur)],
                     lambda a: None)


class SandboxedHousehold(_Sandboxed, HouseholdStrategy):
    def offer(self, electricity_kw: np.ndarray, heat_kw: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
        return self._decide("offer", [electricity_kw, heat_kw],
                            lambda a: _pair(a, electricity_kw, heat_kw, "offer"))


SANDBOXES: dict[str, type[Strategy]] = {
    "p2p_datacentre": SandboxedDataCentre, "dr_user": SandboxedUser,
    "household": SandboxedHousehold}


def sandboxed(entrant: Entrant, run: str) -> Strategy:
    """A strategy object for one run whose every decision the entrant's process makes."""
    return SANDBOXES[entrant.role](entrant, run)
