"""The short public API: ``dcmarket.load``, ``dcmarket.run`` and
``dcmarket.mechanisms`` (docs/api.md).

A scenario of any registered study is loaded by name or path, with ``--set``
style settings and strategies per agent; any mechanism that applies to it
runs to one :class:`~market.outcome.Outcome`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from dcmarket.market.mechanism import run_mechanism
from dcmarket.market.outcome import Outcome


def load(scenario: str | Path, *settings: str,
         strategies: Mapping[str, Any] | None = None) -> BaseModel:
    """A validated scenario: a shipped name or a YAML path, with ``settings``
    (``"market.penalty=200"``) and ``strategies`` (agent → a strategy name,
    ``"file.py:Class"``, ``{"name": ..., parameter: value}``, or a strategy
    object) applied before validation.  Bad input is a ``ScenarioError``
    naming the field."""
    import yaml

    from dcmarket.agents.strategies import Strategy
    from dcmarket.sim.scenario import validate_as
    from dcmarket.sim.studies import load_any

    given = dict(strategies or {})
    objects = {a: s for a, s in given.items() if isinstance(s, Strategy)}
    extra = [f"strategy.{agent}={yaml.safe_dump(spec, default_flow_style=True).strip()}"
             if isinstance(spec, Mapping) else f"strategy.{agent}={spec}"
             for agent, spec in given.items() if agent not in objects]
    loaded = load_any(scenario, (*settings, *extra))[1]
    if not objects:
        return loaded
    raw = {**dict(loaded), "strategy": {**loaded.strategy, **objects}}
    return validate_as(type(loaded), raw, f"{loaded.name} (with strategy objects)")


def mechanisms(scenario: BaseModel, **options: Any) -> dict[str, Any]:
    """Name → factory of every mechanism that applies to ``scenario``, its
    study's own protocol first (options go to the study, e.g. ``forecast``)."""
    from dcmarket.sim.registry import study

    return study(scenario.study).load("mechanisms")(scenario, **options)


def mechanism_of(scenario: BaseModel, mechanism: str | None = None, **options: Any) -> Any:
    """The mechanism ``mechanism`` (default: the study's own protocol) built on
    ``scenario``, not yet run; one that does not apply is a ScenarioError."""
    found = mechanisms(scenario, **options)
    name = mechanism or next(iter(found))
    if name not in found:
        from dcmarket.sim.scenario import ScenarioError

        raise ScenarioError(f"mechanism {name!r} does not apply to {scenario.name} "
                            f"(mechanisms: {', '.join(found)})")
    return found[name]()


def run(scenario: BaseModel | str | Path, mechanism: str | None = None,
        **options: Any) -> Outcome:
    """Run ``mechanism`` (default: the study's own protocol) on ``scenario`` to
    its :class:`Outcome`."""
    if not isinstance(scenario, BaseModel):
        scenario = load(scenario)
    return run_mechanism(mechanism_of(scenario, mechanism, **options))
