"""``docs/scenarios/reference.md``: every scenario field of every registered
study, made from the studies' pydantic models (``dcmarket scenarios
--reference``; a test checks the committed page is current).

For each field: its path (``datacenters[].servers``: a field of each item of
a list), type, default, the range its validators enforce, its description
(units are stated there) and, where a shipped scenario sets it, an example.
"""

from __future__ import annotations

import re
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

BOUNDS = (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"), ("min_length", "length ≥"),
          ("max_length", "length ≤"))


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation holds (inside lists, unions, dicts)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found = []
    for arg in typing.get_args(annotation):
        found += _models_in(arg)
    return found


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " \\| ".join(_type_name(a) for a in args)
    if origin is typing.Literal:
        return " \\| ".join(repr(a) for a in args)
    if origin in (tuple, list):
        inner = args[0] if args else Any
        return f"list of {_type_name(inner)}"
    if origin is dict:
        return f"map {_type_name(args[0])} → {_type_name(args[1])}" if args else "map"
    if annotation is type(None):
        return "null"
    name = getattr(annotation, "__name__", str(annotation))
    return {"str": "text", "int": "integer", "float": "number", "bool": "true/false"}.get(
        name, name)


def _bounds(field: FieldInfo) -> str:
    parts = []
    for meta in field.metadata:
        for attr, sign in BOUNDS:
            value = getattr(meta, attr, None)
            if value is not None:
                parts.append(f"{sign} {value}")
    annotation = field.annotation
    for arg in typing.get_args(annotation):  # Annotated[...] inside a union or list
        for meta in getattr(arg, "__metadata__", ()):
            for attr, sign in BOUNDS:
                value = getattr(meta, attr, None)
                if value is not None:
                    parts.append(f"{sign} {value}")
    return ", ".join(dict.fromkeys(parts))


def _default(field: FieldInfo) -> str:
    if field.default is not PydanticUndefined:
        value = field.default
        if isinstance(value, BaseModel):
            return "(its fields' defaults)"
        return "—" if value is None else f"`{value!r}`" if not isinstance(value, str) \
            else f"`{value}`"
    if field.default_factory is not None:
        made = field.default_factory()
        return f"`{made!r}`" if not isinstance(made, BaseModel) else "(its fields' defaults)"
    return "**required**"


def _example(raw: dict, path: list[str]) -> str:
    node: Any = raw
    for part in path:
        if isinstance(node, list):
            node = node[0] if node else None
        if not isinstance(node, dict) or part not in node:
            return ""
        node = node[part]
    if isinstance(node, list) and node:
        if not isinstance(node[0], (int, float)):
            node = node[0]
        elif len(node) > 3:
            node = [*node[:3], "…"]
    text = repr(node) if not isinstance(node, str) else node
    text = re.sub(r"\s+", " ", text).replace("|", "\\|")
    return f"`{text[:60]}{'…' if len(text) > 60 else ''}`"


def _rows(model: type[BaseModel], raw: dict, prefix: list[str], seen: set) -> list[str]:
    rows = []
    for name, field in model.model_fields.items():
        path = [*prefix, name]
        many = typing.get_origin(field.annotation) in (tuple, list) or any(
            typing.get_origin(a) in (tuple, list) for a in typing.get_args(field.annotation))
        description = " ".join((field.description or "").split()).replace("|", "\\|")
        rows.append(f"| `{'.'.join(path)}` | {_type_name(field.annotation)} | "
                    f"{_default(field)} | {_bounds(field)} | {description} | "
                    f"{_example(raw, path)} |")
        for inner in _models_in(field.annotation):
            if inner in seen:
                continue
            rows += _rows(inner, raw, [*path[:-1], name + ("[]" if many else "")],
                          seen | {inner})
    return rows


def reference() -> str:
    """The whole page (Markdown)."""
    from dcmarket.sim.registry import studies
    from dcmarket.sim.scenario import read_yaml, shipped_scenarios, study_of

    shipped = {name: read_yaml(path) for name, path in shipped_scenarios().items()}
    lines = ["# Scenario reference", "",
             "Every field a scenario file may set, study by study, made from the studies' "
             "own validation models by `dcmarket scenarios --reference` (a test checks this "
             "page is current). `a.b` is field `b` of section `a`; `a[].b` is field `b` of "
             "each item of the list `a`. Units are in the descriptions. A P2P series may "
             "also be written as a source (a generator, the weather, a file, a trace: "
             "[data.md](../data.md)). Values outside a range are refused before anything "
             "is solved, naming the field.", ""]
    for study in studies().values():
        if not study.schema:
            continue
        model = study.load("schema")
        example = next((raw for raw in shipped.values()
                        if study_of(raw, "") == study.name), {})
        lines += [f"## {study.name}: {study.title}", "",
                  "| field | type | default | range | what it is | example (shipped) |",
                  "|---|---|---|---|---|---|", *_rows(model, example, [], {model}), ""]
    return "\n".join(lines)
