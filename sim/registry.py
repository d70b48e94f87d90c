"""The study registry: one object per study, found by name.

A study is a folder under ``sim/`` (or anywhere importable) plus one
:class:`Study`, registered under the entry-point group ``dcmarket.studies``
(the shipped ones in ``pyproject.toml``) or by :func:`register` at run time.
Everything shared — the CLI's ``validate``, ``run``, ``step``, ``report``,
the dashboard — asks the registry and never names a study
(``docs/extending.md`` says what a study provides).

A study's parts are ``"module:attribute"`` references, imported on first
use, so ``dcmarket --help`` loads no solver and a study's heavy modules load
only when it runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

#: the entry-point group studies register under
ENTRY_POINTS = "dcmarket.studies"


class RegistryError(ValueError):
    """An unknown study, or a study whose part cannot be loaded."""


def resolve(reference: str) -> Any:
    """What ``"module:attribute"`` names, imported now."""
    return _resolve(reference)


def _resolve(reference: str) -> Any:
    module, _, attribute = reference.partition(":")
    try:
        target = importlib.import_module(module)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise RegistryError(f"cannot load {reference}: {exc}") from None
    return target


@dataclass(frozen=True)
class Study:
    """What a study provides (each a ``"module:attribute"`` reference).

    - ``parse(raw, source) -> scenario``: validate a raw scenario (a mapping);
    - ``run(scenario, path, out, command, options) -> exit code``: the ``run`` verb;
    - ``stepper(scenario, options) -> Stepper``: the ``step`` verb and the dashboard;
    - ``report_sections``: summary kind → ``section(summary, folder) -> [html]``;
    - ``report_markers``: a file whose presence tells an old run folder's kind;
    - ``panels(model) -> [component]``: the dashboard's panels for a model of it;
    - ``commands``: its own CLI verbs (a list of click commands);
    - ``paper`` and ``reproduce(full, days, year_run)``: ``dcmarket reproduce PAPER``;
    - ``mechanisms(scenario) -> {name: factory}`` (:mod:`market.mechanism`);
    - ``sections``: top-level scenario fields that tell a file without
      ``study:`` is one of this study's;
    - ``grading(scenario) -> sim.strategic.terms.GradingTerms``: how a strategy
      is graded in it (``dcmarket grade``, ``play``, ``tournament``).
    """

    name: str
    title: str
    parse: str
    run: str
    stepper: str
    sections: tuple[str, ...] = ()
    report_sections: Mapping[str, str] = field(default_factory=dict)
    report_markers: Mapping[str, str] = field(default_factory=dict)
    panels: str | None = None
    mechanisms: str | None = None
    #: its own CLI verbs: a list of click commands (``dcmarket case-study``, …)
    commands: str | None = None
    #: the paper it reproduces (``dcmarket reproduce PAPER``) and the function
    #: ``reproduce(full, days, year_run) -> sim.reproduce.Reproduction``
    paper: str | None = None
    reproduce: str | None = None
    #: what one step of its protocol is called (round, outer iteration, slot)
    unit: str = "step"
    #: how strategies are graded in it (``sim/strategic``)
    grading: str | None = None
    #: its scenario's pydantic model (``docs/scenarios/reference.md`` is made from it)
    schema: str | None = None

    def load(self, part: str) -> Callable[..., Any]:
        """The callable behind ``part`` (one of the fields above)."""
        reference = getattr(self, part)
        if reference is None:
            raise RegistryError(f"study {self.name!r} provides no {part}")
        return _resolve(reference)

    def parse_scenario(self, raw: object, source: str) -> Any:
        return self.load("parse")(raw, source)

    def report_section(self, kind: str) -> Callable[..., list[str]] | None:
        reference = self.report_sections.get(kind)
        return None if reference is None else _resolve(reference)

    def cli_commands(self) -> list[Any]:
        return list(self.load("commands")) if self.commands else []

    def dashboard_panels(self, model: Any = None) -> list[Callable[..., Any]]:
        """The dashboard panels the study shows for ``model`` (its scenario decides:
        a grid's panels only with a grid); a ``panels()`` without a parameter
        shows the same panels for every scenario."""
        if not self.panels:
            return []
        import inspect

        factory = self.load("panels")
        takes_model = bool(inspect.signature(factory).parameters)
        return list(factory(model) if takes_model else factory())


_REGISTERED: dict[str, Study] = {}
_FROM_ENTRY_POINTS: dict[str, Study] | None = None


def register(study: Study) -> Study:
    """Add (or replace) a study at run time; returns it."""
    if not isinstance(study, Study):
        raise RegistryError(f"{study!r} is not a dcmarket Study")
    _REGISTERED[study.name] = study
    return study


def unregister(name: str) -> None:
    _REGISTERED.pop(name, None)


def _entry_point_studies() -> dict[str, Study]:
    global _FROM_ENTRY_POINTS
    if _FROM_ENTRY_POINTS is None:
        found = {}
        for ep in sorted(metadata.entry_points(group=ENTRY_POINTS), key=lambda e: e.name):
            try:
                study = ep.load()
            except Exception as exc:
                raise RegistryError(f"study {ep.name!r} ({ep.value}) does not load: "
                                    f"{exc}") from None
            found[study.name] = study
        _FROM_ENTRY_POINTS = found
    return _FROM_ENTRY_POINTS


def studies() -> dict[str, Study]:
    """Every study: the installed ones, then those registered at run time."""
    return {**_entry_point_studies(), **_REGISTERED}


def study(name: str) -> Study:
    """The study called ``name``, or a :class:`RegistryError` listing them."""
    known = studies()
    if name not in known:
        raise RegistryError(f"unknown study {name!r} (studies: {', '.join(known)})")
    return known[name]


def study_by_sections(raw: Mapping[str, Any]) -> str | None:
    """The study whose identifying sections a raw scenario has, if exactly one."""
    matches = [s.name for s in studies().values() if any(k in raw for k in s.sections)]
    return matches[0] if len(matches) == 1 else None


def report_section(kind: str) -> Callable[..., list[str]] | None:
    """The report section any study registered for a summary ``kind``."""
    for s in studies().values():
        section = s.report_section(kind)
        if section is not None:
            return section
    return None


def kind_from_markers(files: set[str]) -> str | None:
    """An old run folder's kind, from a file a study registered as its marker."""
    for s in studies().values():
        for marker, kind in s.report_markers.items():
            if marker in files:
                return kind
    return None
