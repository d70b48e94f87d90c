"""Where strategies come from: shipped names, files, modules, entry points.

:func:`strategy_of` turns what a scenario or ``--strategy`` says into a
:class:`~agents.strategies.Strategy` of the agent's role:

- a shipped name: ``shade`` (see :data:`agents.strategies.SHIPPED`);
- a class in a file: ``my_rules.py:Shade`` (relative to the scenario's folder
  or the working directory);
- a class in an importable module: ``my_package.rules:Shade``;
- a name registered by an installed package under the entry-point group
  ``dcmarket.strategies`` (``name = "module:Class"``);
- a mapping with one of those under ``name`` and the parameters beside it:
  ``{name: shade, delta: 0.3}``.

:func:`origin_of` says where a strategy's class came from, with the SHA-256
of its source (the run's manifest records it); :func:`rebuilt` builds it
again from that origin in another process (what a strategy pickles as).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from dcmarket.agents.strategies import SHIPPED, TRUTHFUL, Strategy, StrategyError
from dcmarket.agents.strategy_origin import class_from_source, origin_of

#: the entry-point group installed packages register strategies under
ENTRY_POINTS = "dcmarket.strategies"
#: the largest strategy file read, bytes
MAX_SOURCE_BYTES = 1_000_000


#: role → name → class: strategies registered at run time (register_strategy)
_REGISTERED: dict[str, dict[str, type[Strategy]]] = {}


def register_strategy(cls: type[Strategy]) -> type[Strategy]:
    """Make ``cls`` known by its ``name`` for its role (usable as a decorator);
    a shipped name cannot be taken."""
    _check_role(cls, cls.role, f"register_strategy({cls.__name__})")
    if not cls.name or cls.name in SHIPPED.get(cls.role, {}):
        raise StrategyError(f"register_strategy({cls.__name__}): give it a name of its own "
                            f"(not empty, not a shipped one), got {cls.name!r}")
    _REGISTERED.setdefault(cls.role, {})[cls.name] = cls
    return cls


def truthful(role: str) -> Strategy:
    """The truthful strategy of ``role``."""
    return TRUTHFUL[role]()


def strategy_of(spec: Any, role: str, where: str = "strategy",
                base: Path | None = None) -> Strategy:
    """The strategy ``spec`` names, for an agent of ``role`` (see the module
    docstring); ``where`` names the field in errors, ``base`` is the folder a
    relative file path is read from (default: the working directory)."""
    if isinstance(spec, Strategy):
        _check_role(type(spec), role, where)
        return spec
    params: dict[str, Any] = {}
    if isinstance(spec, dict):
        params = dict(spec)
        spec = params.pop("name", None)
    if not isinstance(spec, str) or not spec.strip():
        raise StrategyError(f"{where}: a strategy name, 'file.py:Class' or 'module:Class' "
                            f"expected, got {spec!r}")
    cls = _class_of(spec.strip(), role, where, base)
    _check_role(cls, role, where)
    try:
        return cls(**params)
    except StrategyError as exc:
        raise StrategyError(f"{where}: {exc}") from None


def _check_role(cls: type, role: str, where: str) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise StrategyError(f"{where}: {cls!r} is not a dcmarket strategy (subclass one of "
                            "dcmarket.agents.strategies' role classes)")
    if cls.role != role:
        raise StrategyError(f"{where}: {cls.__name__} is a {cls.role or 'role-less'} strategy, "
                            f"this agent needs a {role} one")


def _class_of(spec: str, role: str, where: str, base: Path | None) -> type:
    shipped = {**SHIPPED.get(role, {}), **_REGISTERED.get(role, {})}
    if spec in shipped:
        return shipped[spec]
    if ":" in spec:
        target, _, name = spec.rpartition(":")
        if target.endswith(".py"):
            return _from_file(target, name, where, base)
        return _from_module(target, name, where)
    found = [ep for ep in metadata.entry_points(group=ENTRY_POINTS) if ep.name == spec]
    if found:
        try:
            return found[0].load()
        except Exception as exc:
            raise StrategyError(f"{where}: entry point {spec!r} ({found[0].value}) does not "
                                f"load: {exc}") from None
    known = ", ".join(sorted(shipped)) or "none"
    raise StrategyError(f"{where}: unknown strategy {spec!r} for a {role} (shipped: {known}; "
                        "or 'file.py:Class', 'module:Class', or an entry point of "
                        f"{ENTRY_POINTS!r})")


def _from_module(module: str, name: str, where: str) -> type:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise StrategyError(f"{where}: cannot load {module}:{name}: {exc}") from None


def _from_file(path_text: str, name: str, where: str, base: Path | None) -> type:
    path = Path(path_text).expanduser()
    if not path.is_absolute() and base is not None and (base / path).is_file():
        path = base / path
    try:
        if path.stat().st_size > MAX_SOURCE_BYTES:
            raise StrategyError(f"{where}: {path} is larger than {MAX_SOURCE_BYTES} bytes")
        source = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise StrategyError(f"{where}: cannot read strategy file {path}: {exc}") from None
    return class_from_source(source, path.name, name, where)


def provenance(strategy: Strategy) -> dict[str, Any]:
    """What the manifest records of a strategy: its label, class, origin and the
    SHA-256 of its source (the file's text, or the module's)."""
    cls = type(strategy)
    origin = origin_of(cls)
    if origin[0] == "source":
        source, where = origin[1], origin[2]
    else:
        try:
            source = inspect.getsource(sys.modules[cls.__module__])
        except (OSError, TypeError, KeyError):
            source = ""
        where = f"{cls.__module__}:{cls.__qualname__}"
    return {"strategy": strategy.label(), "role": cls.role, "class": cls.__qualname__,
            "origin": where, "params": strategy.params,
            "source_sha256": hashlib.sha256(source.encode()).hexdigest() if source else None}
