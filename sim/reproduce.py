"""``dcmarket reproduce PAPER``: each paper's numbers beside ours, with why.

One table per paper: the quantity, the paper's value (from :mod:`sim.papers`,
each with where the paper prints it), ours, the difference, and the reason
for it.  Each study registers the paper it reproduces and the function that
runs the comparison (``sim/<study>/reproduction.py``).  The headline numbers
are also compared with the recorded ones in ``sim/reproduction_pins.json``
(a regression baseline written by ``--update-pins``, not a claim about the
papers): a change that moves one fails ``make test`` loudly and names it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from dcmarket.market.atomic import atomic_write_text

PINS = "reproduction_pins.json"


@dataclass(frozen=True)
class Comparison:
    quantity: str
    paper: float | str | None
    ours: float | str
    unit: str
    reason: str

    @property
    def difference(self) -> float | None:
        if isinstance(self.paper, int | float) and isinstance(self.ours, int | float):
            return float(self.ours) - float(self.paper)
        return None


def frame_of(rows: list[Comparison]) -> pd.DataFrame:
    return pd.DataFrame([{**asdict(r), "difference": r.difference} for r in rows],
                        columns=["quantity", "paper", "ours", "difference", "unit", "reason"])


def markdown(rows: list[Comparison]) -> str:
    def cell(v: Any) -> str:
        if v is None:
            return "—"
        return f"{v:,.2f}" if isinstance(v, float) else str(v)

    lines = ["| quantity | paper | ours | difference | unit | why they differ |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.quantity} | {cell(r.paper)} | {cell(r.ours)} | "
                     f"{cell(r.difference)} | {r.unit} | {r.reason} |")
    return "\n".join(lines)


# ------------------------------------------------------------------ pins
def pins_path() -> Path:
    return Path(str(resources.files("dcmarket.sim") / PINS))


def read_pins() -> dict[str, dict[str, dict[str, float]]]:
    return json.loads(pins_path().read_text())


def check_pins(paper: str, headline: dict[str, float]) -> list[str]:
    """Every recorded headline number that moved beyond its tolerance, named."""
    moved = []
    for key, pin in read_pins().get(paper, {}).items():
        if key not in headline:
            moved.append(f"{paper}.{key}: no longer computed")
            continue
        if abs(headline[key] - pin["value"]) > pin["abs_tol"]:
            moved.append(f"{paper}.{key}: {headline[key]:.6g}, recorded {pin['value']:.6g} "
                         f"± {pin['abs_tol']:g}")
    return moved


def update_pins(paper: str, headline: dict[str, float], tolerances: dict[str, float]) -> None:
    pins = read_pins() if pins_path().exists() else {}
    pins[paper] = {k: {"value": round(v, 6), "abs_tol": tolerances[k]}
                   for k, v in headline.items()}
    atomic_write_text(pins_path(), json.dumps(pins, indent=1, sort_keys=True) + "\n")


# ------------------------------------------------------------------ the runs
@dataclass
class Reproduction:
    paper: str
    rows: list[Comparison]
    headline: dict[str, float]
    scenario: Any
    figures: dict[str, Any]  # file name -> (function, frame) to draw with --out
    #: each headline number's tolerance when it is recorded as a pin
    tolerances: dict[str, float] = field(default_factory=dict)


def papers() -> dict[str, Any]:
    """Paper number → the study that reproduces it (sim.registry)."""
    from dcmarket.sim.registry import studies

    return {s.paper: s for s in studies().values() if s.paper and s.reproduce}


def reproduce(paper: str, full: bool = False, days: int = 1,
              year_run: Path | None = None) -> Reproduction:
    """Run what paper ``paper``'s comparison needs, through the study that
    registered it; ``full`` adds the slow parts."""
    known = papers()
    if paper not in known:
        from dcmarket.sim.scenario import ScenarioError

        raise ScenarioError(f"unknown paper {paper!r}; choose {', '.join(sorted(known))}")
    return known[paper].load("reproduce")(full=full, days=days, year_run=year_run)




def write(rep: Reproduction, out: Path, command: str) -> None:
    from dcmarket.sim.run_folder import RunFolder

    folder = RunFolder(out)
    folder.frame("comparison.csv", frame_of(rep.rows))
    folder.text("comparison.md", markdown(rep.rows) + "\n")
    for name, item in rep.figures.items():
        if name.endswith(".csv"):
            folder.frame(name, item)
        else:
            draw, frame = item
            draw(frame, folder.path(name))
    folder.json("summary.json", {"study": "reproduce", "kind": f"paper_{rep.paper}",
                                 "converged": True, "headline": rep.headline,
                                 "comparison": frame_of(rep.rows).to_dict(orient="records"),
                                 "pins_moved": check_pins(rep.paper, rep.headline)})
    folder.finish(command, rep.scenario)
