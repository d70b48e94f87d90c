"""The child side of a sandboxed strategy (``sim/strategic/sandbox.py``).

Run as ``python -I -B -m dcmarket.sim.strategic.sandbox_child ROLE FILENAME
[CLASS] [CPU_S]`` with the entrant's source on standard input's first line
(JSON); then one JSON request per line ``{"hook": name, "args": [...]}``,
one JSON reply per line ``{"ok": result}`` or ``{"error": text}``.  The
parent set the memory and file-size limits before this process started;
this side sets the CPU limit before each decision (the kernel ends the
process with SIGXCPU past it).  Only JSON crosses: the parent never
unpickles what an entrant's process says.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import traceback


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _plain(value):
    """A hook's result as JSON values (arrays as lists, tuples as lists)."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.astype(float).tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _load(role: str, filename: str, source: str, name: str | None):
    from dcmarket.agents.strategies import Strategy
    from dcmarket.agents.strategy_origin import class_from_source

    if name:
        cls = class_from_source(source, filename, name, f"entrant {filename}")
    else:
        namespace: dict = {"__name__": f"entrant_{os.getpid()}"}
        exec(compile(source, filename, "exec"), namespace)  # the entrant's own process
        found = [v for v in namespace.values() if isinstance(v, type)
                 and issubclass(v, Strategy) and v.__module__ == namespace["__name__"]
                 and v.role == role]
        if len(found) != 1:
            raise ValueError(f"{filename}: {len(found)} {role} strategy classes defined "
                             "(exactly one expected, or name it as file.py:Class)")
        cls = found[0]
    if getattr(cls, "role", None) != role:
        raise ValueError(f"{filename}: {cls.__name__} is not a {role} strategy")
    return cls()


def main() -> None:
    role, filename = sys.argv[1], sys.argv[2]
    name = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] != "-" else None
    cpu_s = float(sys.argv[4]) if len(sys.argv) > 4 else 5.0
    # the protocol keeps the real stdout; anything the entrant prints goes to stderr
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    requests = sys.stdin

    def reply(message: dict) -> None:
        channel.write(json.dumps(message) + "\n")
        channel.flush()

    try:
        source = json.loads(requests.readline())
        strategy = _load(role, filename, source, name)
        reply({"ok": {"name": type(strategy).__name__, "label": strategy.label()}})
    except BaseException as exc:
        reply({"error": f"does not load: {type(exc).__name__}: {exc}"})
        return
    import numpy as np

    for line in requests:
        try:
            request = json.loads(line)
            args = [np.asarray(a, float) if isinstance(a, list) else a
                    for a in request["args"]]
            soft = int(_cpu_used() + cpu_s) + 1
            resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.RLIM_INFINITY))
            result = getattr(strategy, request["hook"])(*args)
            reply({"ok": _plain(result)})
        except BaseException as exc:
            text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            reply({"error": text[:500]})


if __name__ == "__main__":
    main()
