"""The one run-folder writer of every study.

A run folder holds what a run produced — tidy frames, the message log,
summary JSON, figures — each file written atomically (temporary file, then
rename), and ends with ``manifest.json`` (:mod:`sim.manifest`), written last
by :meth:`RunFolder.finish`, listing every file with its SHA-256.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel

from market.atomic import atomic_write_text
from market.messages import MessageBus, write_frame
from sim.manifest import write_manifest


class RunFolder:
    """A folder a run writes into; :meth:`finish` seals it with the manifest."""

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        """Where a file of this run goes (for writers of their own, e.g. figures)."""
        return self.out / name

    def text(self, name: str, text: str) -> Path:
        return atomic_write_text(self.out / name, text)

    def json(self, name: str, data: Any) -> Path:
        return self.text(name, json.dumps(data, indent=1, default=float))

    def frame(self, name: str, frame: pd.DataFrame) -> Path:
        """A tidy frame as ``.parquet`` or ``.csv`` (by the name's suffix)."""
        return write_frame(frame, self.out / name)

    def messages(self, bus: MessageBus, name: str = "messages.parquet") -> Path:
        """The bus's whole message log (schema in :mod:`market.messages`)."""
        return self.frame(name, bus.log_frame())

    def finish(self, command: str, scenario: BaseModel | dict[str, Any],
               timings_s: dict[str, float] | None = None) -> Path:
        """Write ``manifest.json`` last: command, scenario, versions, every file."""
        return write_manifest(self.out, command, scenario, timings_s)
