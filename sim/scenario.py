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
import stat
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, Field, InstanceOf, PlainSerializer, ValidationError

from dcmarket.agents.spec_base import Frozen, StrictSpec, check_agent_name
from dcmarket.agents.strategies import Strategy

#: a strategy object given through the Python API (a tournament's sandboxed
#: entrant, a student's instance): kept as it is, written out by its label
StrategyObject = Annotated[InstanceOf[Strategy],
                           PlainSerializer(lambda s: {"name": s.label()}, when_used="json")]

#: a convergence tolerance above this share of the quantity it bounds is refused
TOLERANCE_SHARE = 0.05


def check_series(values: object, length: int, what: str, step: str, unit: str) -> None:
    """A series handed to the Python API: ``length`` finite numbers, or a
    :class:`ScenarioError` naming ``what``, the ``step`` (hour, slot) and the value."""
    import numpy as np

    array = np.asarray(values, float)
    if array.shape != (length,):
        raise ScenarioError(f"{what}: {array.size} values, expected {length}")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ScenarioError(f"{what}: {step} {bad[0]} is {array[bad[0]]} (finite {unit} "
                            "expected)")


def check_unique(names: list[str], where: str, what: str) -> None:
    """Names of one kind must be unique; the repeated ones are named."""
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"{where}: {what} names must be unique; {', '.join(twice)} "
                         "appears more than once")


def check_tolerance(where: str, tol: float, scale: float, unit: str, what: str,
                    outcome: str) -> None:
    """A tolerance must be small against the quantity it bounds (below
    :data:`TOLERANCE_SHARE` of it), or a run stops before doing anything."""
    if tol > TOLERANCE_SHARE * scale:
        raise ValueError(f"{where} = {tol:g} {unit} is above {TOLERANCE_SHARE:.0%} of {what} "
                         f"({scale:.3g} {unit}): {outcome}")


def check_zone(zone: str, year: int) -> None:
    """``prices.zone`` must have prices in the shipped history of ``year``."""
    from dcmarket.grid.prices import smard_zones

    zones = smard_zones(year)
    if zone not in zones:
        raise ValueError(f"prices.zone: {zone!r} has no prices in {year} (zones: "
                         f"{', '.join(zones)})")


class ScenarioError(ValueError):
    """A scenario file that cannot be run; the message names file and field.

    Always one line: a line break inside (a field name or value that holds
    one) is shown escaped."""

    def __init__(self, message: object = "") -> None:
        super().__init__(str(message).replace("\r", "\\r").replace("\n", "\\n"))


def _iso_day(text: object) -> str:
    value = text.isoformat() if isinstance(text, date) else text
    if not isinstance(value, str):
        raise ValueError(f"expected a date like 2018-02-01, got {value!r}")
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None


#: a calendar day, written ``YYYY-MM-DD`` (checked: 2018-13-01 and 2018-02-30 are refused)
IsoDay = Annotated[str, BeforeValidator(_iso_day)]


class ScenarioHeader(StrictSpec):
    """What every scenario says of itself; a study's scenario adds its ``study``."""

    name: str
    description: str = ""
    sources: Annotated[dict[str, str], Frozen] = Field(default_factory=dict,
                                                       description="where each input came from")
    strategy: Annotated[dict[str, str | dict[str, Any] | StrategyObject], Frozen] = Field(
        default_factory=dict,
        description="agent name → its strategy: a shipped name, 'file.py:Class', "
                    "'module:Class' or an entry point, or {name: ..., parameter: value} "
                    "(every agent not named plays its truthful strategy; through the "
                    "Python API also a strategy object)")

    def strategy_roles(self) -> dict[str, str]:
        """Agent name → strategy role of every agent that takes a strategy (each
        study names its own)."""
        return {}

    def check_strategies(self) -> None:
        """Every named strategy is for an agent that takes one and builds for its
        role (a file is read and run now, so a broken one fails before solving)."""
        from dcmarket.agents.strategy_registry import strategy_of

        roles = self.strategy_roles()
        for name, spec in self.strategy.items():
            if name not in roles:
                shown = ", ".join(sorted(roles)[:12]) + (" …" if len(roles) > 12 else "")
                raise ValueError(f"strategy.{name}: no agent {name!r} takes a strategy in this "
                                 f"scenario (agents: {shown})")
            strategy_of(spec, roles[name], f"strategy.{name}")

    def agent_strategies(self) -> dict[str, Any]:
        """Agent name → its strategy object, for every agent the scenario names."""
        from dcmarket.agents.strategy_registry import strategy_of

        roles = self.strategy_roles()
        return {name: strategy_of(spec, roles[name], f"strategy.{name}")
                for name, spec in self.strategy.items()}


def shipped_dir() -> Path:
    """The folder of the shipped scenarios (``sim/scenarios``)."""
    return Path(str(resources.files("dcmarket.sim.scenarios")))


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
    if path.exists() and not path.is_dir():
        raise ScenarioError(f"{path}: not a regular file (a FIFO, socket or device)")
    shipped = shipped_scenarios()
    stem = path.name.removesuffix(".yaml")
    if path.parent == Path(".") and stem in shipped:
        return shipped[stem]
    raise ScenarioError(f"{given}: no such file, and no shipped scenario of that name "
                        f"(shipped: {', '.join(shipped)})")


def study_of(raw: object, source: str = "<scenario>") -> str:
    """Which study a raw scenario belongs to: its ``study`` field, or the
    sections only one registered study has (sim.registry)."""
    from dcmarket.sim.registry import studies, study_by_sections

    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: a scenario is a mapping of fields")
    known = tuple(studies())
    if "study" in raw:
        if raw["study"] not in known:
            raise ScenarioError(f"{source}: study: must be one of {known}, got {raw['study']!r}")
        return str(raw["study"])
    found = study_by_sections(raw)
    if found is None:
        raise ScenarioError(f"{source}: cannot tell the study: give study: "
                            f"{', '.join(known)}")
    return found


class _Loader(yaml.SafeLoader):
    """YAML's safe loader, keeping dates as the text they were written as (the
    scenario checks them; YAML's own date reading fails on 2018-13-01 with a
    bare ValueError)."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp",
                        lambda loader, node: loader.construct_scalar(node))


#: limits on what a scenario file (or a --set value) may hold; every legitimate
#: study is far inside (the LEC year: 8,760 hours; a 1,000-DC fleet)
MAX_FILE_BYTES = 64_000_000
MAX_NODES = 20_000_000  # values once YAML's aliases are expanded
MAX_DEPTH = 32  # nesting of mappings and lists


def _load_yaml(text: str) -> object:
    try:
        data = yaml.load(text, Loader=_Loader)
    except RecursionError:
        raise yaml.YAMLError(f"nested deeper than Python can read (limit: {MAX_DEPTH} "
                             "levels)") from None
    _check_size(data)
    return data


def _check_size(data: object) -> None:
    """Refuse what aliases would expand beyond :data:`MAX_NODES` values, or
    nesting beyond :data:`MAX_DEPTH`, without expanding it (sizes are counted
    once per shared node)."""
    sizes: dict[int, tuple[int, int]] = {}  # id → (expanded values, depth)
    stack: list[tuple[object, bool]] = [(data, False)]
    while stack:
        node, done = stack.pop()
        if not isinstance(node, dict | list) or (id(node) in sizes and not done):
            continue
        children = list(node.values()) + list(node.keys()) if isinstance(node, dict) \
            else node
        if not done:
            sizes[id(node)] = (0, 0)  # in progress (a cycle counts as already seen)
            stack.append((node, True))
            stack.extend((c, False) for c in children if isinstance(c, dict | list))
            continue
        total, depth = 1, 1
        for c in children:
            size, d = sizes.get(id(c), (1, 0)) if isinstance(c, dict | list) else (1, 0)
            total += size
            depth = max(depth, d + 1)
        if total > MAX_NODES:
            raise yaml.YAMLError(f"expands to more than {MAX_NODES:,} values (aliases?)")
        if depth > MAX_DEPTH:
            raise yaml.YAMLError(f"nested deeper than {MAX_DEPTH} levels")
        sizes[id(node)] = (total, depth)


def read_yaml(path: str | Path) -> object:
    """A scenario file's raw content; a missing or malformed file is a :class:`ScenarioError`."""
    path = Path(path)
    if path.is_dir():
        raise ScenarioError(f"{path}: a folder, not a scenario file")
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError(f"{path}: not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise ScenarioError(f"{path}: {info.st_size:,} bytes, above the "
                                f"{MAX_FILE_BYTES:,}-byte limit of a scenario file")
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read scenario: {exc.strerror}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {exc.start}: "
                            f"{data[exc.start:exc.start + 1]!r}); save it as UTF-8") from exc
    if not text.strip():
        raise ScenarioError(f"{path}: the file is empty")
    try:
        return _load_yaml(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: cannot read scenario: {' '.join(str(exc).split())}"
                            ) from exc


def validate_as(model: type[BaseModel], raw: object, source: str) -> BaseModel:
    """Validate ``raw`` as ``model``; every problem is listed with its field path."""
    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: a scenario is a mapping of fields")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(_problem(raw, err) for err in exc.errors())
        raise ScenarioError(f"{source}: {problems}") from exc


def _problem(raw: object, err: dict) -> str:
    """``field.path: message (got value)``; a model-level check names its own field."""
    message = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    where = _field_path(raw, err["loc"])
    if not where or message.startswith(where):
        return message + _got(err)
    return f"{where}: {message}{_got(err)}"


def _got(err: dict) -> str:
    """`` (got …)``: the offending value, when it is short enough to print."""
    if err.get("type") in ("missing", "value_error", "assertion_error") or "input" not in err:
        return ""
    text = repr(err["input"])
    return f" (got {text})" if len(text) <= 60 else ""


def _field_path(raw: object, loc: tuple) -> str:
    """Dotted field path with list indices of DCs replaced by their names."""
    parts = [str(p) for p in loc]
    if len(loc) >= 2 and loc[0] in ("datacenters", "household_list") \
            and isinstance(loc[1], int):
        with contextlib.suppress(KeyError, IndexError, TypeError, ValueError):
            # only a name that is safe to print (an agent name) stands for the index
            parts[1] = check_agent_name(raw[loc[0]][loc[1]]["name"])  # type: ignore[index]
    return ".".join(parts)


def apply_settings(raw: object, settings: list[str] | tuple[str, ...],
                   source: str = "<scenario>") -> object:
    """``--set key=value`` overrides on a raw scenario, before validation.

    ``key`` is a dotted path (``market.penalty``, ``grid.line_ratings.10-17``);
    inside a list, an item is picked by its ``name`` or by its index
    (``datacenters.DC1.servers``).  ``value`` is read as YAML (``12``,
    ``0.5``, ``auto``, ``[1, 2]``).  The path's last key may be new (an
    unknown field is then refused by validation, naming it); a section the
    file leaves out starts empty, so ``market.faults.loss=0.1`` works too.
    """
    import copy

    raw = copy.deepcopy(raw)
    for setting in settings:
        key, sep, text = setting.partition("=")
        if not sep or not key.strip():
            raise ScenarioError(f"--set {setting!r}: expected key=value")
        try:
            value = _load_yaml(text)
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
                else:  # a section not written in the file starts empty
                    node = node.setdefault(part, {})
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
