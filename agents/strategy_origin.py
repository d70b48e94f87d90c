"""Where a strategy's class comes from, and how it is built again elsewhere.

A strategy pickles as its origin — the source text of the file it was read
from, or its module and qualified name — and its parameters
(:meth:`agents.strategies.Strategy.__reduce__`); :func:`rebuilt` builds it
from those in another process (a Ray worker).  A class read from a file is
executed once per process as a module of its own.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
import types
from typing import Any


class StrategyError(ValueError):
    """A strategy that cannot be found, loaded or built; the message names it."""


_FROM_SOURCE: dict[str, type] = {}  # digest + class name → class built from that source


def class_from_source(source: str, filename: str, name: str, where: str = "strategy") -> type:
    """Class ``name`` defined by ``source`` (a strategy file's text), executed once
    per process as a module of its own."""
    digest = hashlib.sha256(source.encode()).hexdigest()
    key = f"{digest}:{name}"
    if key not in _FROM_SOURCE:
        module_name = f"dcmarket_strategy_{digest[:16]}"
        module = sys.modules.get(module_name)
        if module is None:
            module = types.ModuleType(module_name)
            module.__file__ = filename
            try:
                exec(compile(source, filename, "exec"), module.__dict__)  # the user's own file
            except Exception as exc:
                raise StrategyError(f"{where}: strategy file {filename} fails to load: "
                                    f"{type(exc).__name__}: {exc}") from None
            sys.modules[module_name] = module
        cls = getattr(module, name, None)
        if cls is None:
            raise StrategyError(f"{where}: {filename} defines no {name!r}")
        cls._dcmarket_source = (source, filename, name)
        _FROM_SOURCE[key] = cls
    return _FROM_SOURCE[key]


def origin_of(cls: type) -> tuple:
    """Where ``cls`` comes from: ``("source", text, filename, name)`` for a class
    read from a file, else ``("module", module, qualified name)``."""
    if "_dcmarket_source" in cls.__dict__:
        return ("source", *cls._dcmarket_source)
    return ("module", cls.__module__, cls.__qualname__)


def rebuilt(origin: tuple, params: dict) -> Any:
    """The strategy of ``origin`` (:func:`origin_of`) with ``params``, built here;
    one that cannot be built here comes back as an :class:`Unloadable`, which
    raises its error, naming the strategy and this process, at the agent's
    first use of it (unpickling must not fail: the host could not say which
    agent it was building)."""
    try:
        return _rebuilt(origin, params)
    except Exception as exc:
        return Unloadable(origin, f"{type(exc).__name__}: {exc}")


class Unloadable:
    """A strategy that could not be rebuilt in this process: every use raises a
    :class:`StrategyError` saying which and why — never a fall-back."""

    def __init__(self, origin: tuple, reason: str) -> None:
        where = (f"{origin[2]}:{origin[3]}" if origin[0] == "source"
                 else f"{origin[1]}:{origin[2]}")
        object.__setattr__(self, "_message",
                           f"strategy {where} cannot be loaded in process {os.getpid()} "
                           f"(a worker without it?): {reason}")

    def __getattr__(self, name: str) -> Any:
        raise StrategyError(object.__getattribute__(self, "_message"))

    def __reduce__(self) -> tuple:
        raise StrategyError(object.__getattribute__(self, "_message"))


def _rebuilt(origin: tuple, params: dict) -> Any:
    if origin[0] == "source":
        cls = class_from_source(origin[1], origin[2], origin[3])
    else:
        module, qualname = origin[1], origin[2]
        try:
            cls = importlib.import_module(module)
            for part in qualname.split("."):
                cls = getattr(cls, part)
        except (ImportError, AttributeError) as exc:
            raise StrategyError(f"strategy {module}:{qualname} cannot be loaded in this "
                                f"process: {exc}") from None
    return cls(**params)
