"""Any study's scenario by name or path: the one loader behind the CLI verbs
and the dashboard (each study's registered parser validates it)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from dcmarket.sim.scenario import ScenarioError, apply_settings, read_yaml, scenario_path, study_of


def load_any(given: str | Path | None, settings: list[str] | tuple[str, ...] = (),
             default: str | None = None, study: str | None = None
             ) -> tuple[str, BaseModel, Path]:
    """``(study, validated scenario, path)`` for any study's scenario, by name or
    path, with ``--set`` overrides applied before validation.  ``study``, when
    given (a study's own command), is what the file must be, or is taken to be
    when the file does not say."""
    path = scenario_path(given, default)
    raw = read_yaml(path)
    if study is None:
        study = study_of(raw, str(path))
    elif isinstance(raw, dict) and raw.get("study", study) != study:
        raise ScenarioError(f"{path}: a {raw['study']} scenario, not a {study} one "
                            "(dcmarket run takes any study)")
    raw = apply_settings(raw, settings, str(path))
    source = str(path) + (" (with --set)" if settings else "")
    from dcmarket.sim.registry import study as study_named

    return study, study_named(study).parse_scenario(raw, source), path
