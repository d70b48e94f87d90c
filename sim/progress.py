"""Progress bars for long work, shown only where someone is watching.

A bar draws on standard error when it is a terminal and stays silent
otherwise (pipes, CI logs, notebooks), so scripted output and notebooks stay
clean.  ``DCMARKET_PROGRESS=1`` forces bars on, ``=0`` off.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def _enabled() -> bool | None:
    forced = os.environ.get("DCMARKET_PROGRESS")
    if forced in ("0", "1"):
        return forced == "1"
    return sys.stderr.isatty()


def bar(total: int | None = None, desc: str = "", unit: str = "it", leave: bool = False) -> Any:
    """A ``tqdm`` bar (``update``, ``set_postfix_str``, ``close``), or a silent one."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, leave=leave, disable=not _enabled(),
                file=sys.stderr, dynamic_ncols=True, mininterval=0.2)
