"""What the dashboard's sidebar offers for a scenario, and a teacher's own
scenario taken in: dropped as a file or pasted as text, checked exactly as
the command line checks a scenario file (the same one-line messages) before
the picker lists it.  No browser needed: the page (app.py) calls these."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from dcmarket.market.atomic import atomic_write_text
from dcmarket.sim.scenario import MAX_FILE_BYTES, ScenarioError, shipped_scenarios
from dcmarket.sim.studies import load_any

#: what the DR day's DC may do (paper 002's three strategies)
DR_STRATEGIES = {"OP": "OP — call a reverse auction among its users",
                 "BS": "BS — postpone on its own, pay the SLA penalties",
                 "ST": "ST — ignore the DR program"}


@dataclass(frozen=True)
class Choices:
    """What the sidebar shows for one scenario."""

    study: str
    unit: str
    grid: bool  # a P2P scenario with the grid in the loop: the bisection switch
    cases: tuple[str, ...]  # the community's Table I cases
    seats: tuple[str, ...]  # agents a human may play


@functools.lru_cache(maxsize=32)
def choices_for(scenario: str) -> Choices:
    """The controls that apply to ``scenario`` (a shipped name or a file's path)."""
    from dcmarket.sim.registry import study as study_named

    study, parsed, _ = load_any(scenario)
    roles = parsed.strategy_roles()
    seats = tuple(n for n, r in roles.items()
                  if r in ("p2p_datacentre", "dr_user", "household"))
    return Choices(study, study_named(study).unit or "step",
                   getattr(parsed, "grid", None) is not None,
                   tuple(getattr(parsed, "scenarios", ()) or ()), seats)


def take_in(name: str, data: bytes, folder: Path) -> tuple[str, Path]:
    """A teacher's scenario (its file name and bytes) saved in ``folder`` and
    validated as ``dcmarket run`` would; returns (its label, its path).  A bad
    one is a :class:`ScenarioError` with the command line's one-line message."""
    label = Path(name or "pasted.yaml").name
    if not re.fullmatch(r"[\w.-]{1,80}\.ya?ml", label):
        raise ScenarioError(f"{label!r}: a scenario is a .yaml file with a plain name")
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(f"{label}: {len(data):,} bytes, above the {MAX_FILE_BYTES:,}-byte "
                            "limit of a scenario file")
    if label.removesuffix(".yaml").removesuffix(".yml") in shipped_scenarios():
        label = f"my_{label}"  # never shadows a shipped scenario's name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / label
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{label}: not UTF-8 text (byte {exc.start})") from None
    atomic_write_text(path, text)
    try:
        load_any(str(path))
    except ScenarioError as exc:
        path.unlink(missing_ok=True)
        raise ScenarioError(" ".join(str(exc).replace(str(path), label).split())) from None
    choices_for.cache_clear()  # a file of the same name may have changed
    return label, path
