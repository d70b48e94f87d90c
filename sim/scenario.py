"""The scenario layer shared by the three studies: read, validate, find by name.

A scenario is a YAML file validated by a typed model (pydantic) before
anything is solved: a wrong field, unit or shape fails with a
:class:`ScenarioError` that names the file and the field path.  Shipped
scenarios live in ``sim/scenarios`` and can be named without a path
(``p2p_ieee30`` or ``p2p_ieee30.yaml``); which study a scenario belongs to
is its ``study`` field (``p2p``, ``lec`` or ``dr``), or, in files that do not
say, the sections it has.
"""

from __future__ import annotations

import contextlib
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, Field, ValidationError

from agents.spec_base import StrictSpec

STUDIES = ("p2p", "lec", "dr")


class ScenarioError(ValueError):
    """A scenario file that cannot be run; the message names file and field."""


class ScenarioHeader(StrictSpec):
    """What every scenario says of itself; a study's scenario adds its ``study``."""

    name: str
    description: str = ""
    sources: dict[str, str] = Field(default_factory=dict, description="where each input came from")


def shipped_dir() -> Path:
    """The folder of the shipped scenarios (``sim/scenarios``)."""
    return Path(str(resources.files("sim.scenarios")))


def shipped_scenarios() -> dict[str, Path]:
    """Name → path of every shipped scenario."""
    return {p.stem: p for p in sorted(shipped_dir().glob("*.yaml"))}


def scenario_path(given: str | Path | None, default: str | None = None) -> Path:
    """A scenario by path, or by the name of a shipped one (``.yaml`` optional).

    ``None`` gives ``default`` (a shipped name).  An unknown name that is not
    a file either is a :class:`ScenarioError` listing the shipped names.
    """
    if given is None:
        if default is None:
            raise ScenarioError("no scenario given")
        given = default
    path = Path(given)
    if path.is_file():
        return path
    shipped = shipped_scenarios()
    stem = path.name.removesuffix(".yaml")
    if path.parent == Path(".") and stem in shipped:
        return shipped[stem]
    raise ScenarioError(f"{given}: no such file, and no shipped scenario of that name "
                        f"(shipped: {', '.join(shipped)})")


def study_of(raw: object, source: str = "<scenario>") -> str:
    """Which study a raw scenario belongs to: its ``study`` field, or its sections."""
    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: a scenario is a mapping of fields")
    if "study" in raw:
        if raw["study"] not in STUDIES:
            raise ScenarioError(f"{source}: study: must be one of {STUDIES}, got {raw['study']!r}")
        return str(raw["study"])
    if "datacenters" in raw:
        return "p2p"
    if "households" in raw:
        return "lec"
    if "users" in raw:
        return "dr"
    raise ScenarioError(f"{source}: cannot tell the study: give study: p2p, lec or dr")


def read_yaml(path: str | Path) -> object:
    """A scenario file's raw content; a missing or malformed file is a :class:`ScenarioError`."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: cannot read scenario: {exc}") from exc


def validate_as(model: type[BaseModel], raw: object, source: str) -> BaseModel:
    """Validate ``raw`` as ``model``; every problem is listed with its field path."""
    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: a scenario is a mapping of fields")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_field_path(raw, err['loc']) or '(top level)'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ScenarioError(f"{source}: {problems}") from exc


def _field_path(raw: object, loc: tuple) -> str:
    """Dotted field path with list indices of DCs replaced by their names."""
    parts = [str(p) for p in loc]
    if len(loc) >= 2 and loc[0] in ("datacenters", "household_list") \
            and isinstance(loc[1], int):
        with contextlib.suppress(KeyError, IndexError, TypeError):
            parts[1] = f"{raw[loc[0]][loc[1]]['name']}"  # type: ignore[index]
    return ".".join(parts)


def apply_settings(raw: object, settings: list[str] | tuple[str, ...],
                   source: str = "<scenario>") -> object:
    """``--set key=value`` overrides on a raw scenario, before validation.

    ``key`` is a dotted path (``market.penalty``, ``grid.line_ratings.10-17``);
    inside a list, an item is picked by its ``name`` or by its index
    (``datacenters.DC1.servers``).  ``value`` is read as YAML (``12``,
    ``0.5``, ``auto``, ``[1, 2]``).  The path's last key may be new (an
    unknown field is then refused by validation, naming it); every key
    before it must exist.
    """
    import copy

    raw = copy.deepcopy(raw)
    for setting in settings:
        key, sep, text = setting.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"--set {setting!r}: expected key=value")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ScenarioError(f"{source}: --set {key}: {text!r} is not a YAML value") from exc
        parts = key.strip().split(".")
        node = raw
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            where = ".".join(parts[:depth + 1])
            if isinstance(node, list):
                index = _list_index(node, part, f"{source}: --set {where}")
                if last:
                    node[index] = value
                else:
                    node = node[index]
            elif isinstance(node, dict):
                if last:
                    node[part] = value
                elif part not in node:
                    raise ScenarioError(f"{source}: --set {where}: no such field")
                else:
                    node = node[part]
            else:
                raise ScenarioError(f"{source}: --set {where}: "
                                    f"{'.'.join(parts[:depth]) or 'scenario'} has no fields")
    return raw


def _list_index(items: list, part: str, where: str) -> int:
    names = [item.get("name") for item in items if isinstance(item, dict)]
    if part in names:
        return names.index(part)
    if part.lstrip("-").isdigit() and -len(items) <= int(part) < len(items):
        return int(part)
    raise ScenarioError(f"{where}: no item named {part!r} (names: {names}) "
                        f"and no index {part} in a list of {len(items)}")
