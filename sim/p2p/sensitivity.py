"""How the market's gain moves with the assumptions paper ``000`` does not state.

Each lever is a pair of ``--set`` overrides (low, high) on the scenario file,
applied before validation exactly as on the command line, so every bar of the
tornado can be re-run by hand.  The gain is the competitive-equilibrium gain
(:mod:`sim.p2p.equilibrium`): one joint solve per point, no bisection boxes.
Levers: the rating of every line the scenario rates (on IEEE 30, line 10–17,
the one congestion hangs on), the batch
swing and its peak hour, the interactive peak hour and night trough, the
trade limit, the generator cost factor, the DCs' COPs, depreciation and the
users' fee (revenue only: it moves the denominator of the gain, no decision).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dcmarket.sim.p2p.equilibrium import equilibrium_gain
from dcmarket.sim.scenario import apply_settings, read_yaml
from dcmarket.sim.studies import load_any


@dataclass(frozen=True)
class Lever:
    """One assumption and its low/high values, as ``--set`` overrides."""

    name: str
    base: str
    low: tuple[str, tuple[str, ...]]  # (label, settings)
    high: tuple[str, tuple[str, ...]]


def _each_dc(raw: dict, key: str, value) -> tuple[str, ...]:
    return tuple(f"datacenters.{dc['name']}.{key}={value(dc)}" for dc in raw["datacenters"])


def levers(path: Path, settings: tuple[str, ...] = ()) -> list[Lever]:
    """The levers for a grid scenario, with base values read from the file as
    changed by ``settings`` (the same ``--set`` the base point runs with)."""
    raw = apply_settings(read_yaml(path), settings, str(path))
    grid = raw["grid"]
    out = []
    for line, rating in grid.get("line_ratings_mw", {}).items():  # every line the scenario rates
        shown = line.replace("-", "–")
        out.append(Lever(f"line {shown} rating", f"{rating:g} MW",
                         (f"{rating - 1:g} MW", (f"grid.line_ratings_mw.{line}={rating - 1}",)),
                         (f"{rating + 1:g} MW", (f"grid.line_ratings_mw.{line}={rating + 1}",))))
    mean = {dc["name"]: dc["batch"]["mean"] for dc in raw["datacenters"]}
    peak = {dc["name"]: dc["interactive"]["peak"] for dc in raw["datacenters"]}

    def batch(swing: float, hour: float) -> tuple[str, ...]:
        return tuple(f"datacenters.{n}.batch={{mean: {m}, swing: {swing}, peak_hour: {hour}}}"
                     for n, m in mean.items())

    def interactive(hour: float, low: float) -> tuple[str, ...]:
        return tuple(f"datacenters.{n}.interactive={{peak: {p}, peak_hour: {hour}, "
                     f"low_share: {low}}}" for n, p in peak.items())

    out += [
        Lever("batch swing", "±15 %", ("±5 %", batch(0.1, 14.0)), ("±50 %", batch(1.0, 14.0))),
        Lever("batch peak hour", "14 h", ("11 h", batch(0.3, 11.0)), ("17 h", batch(0.3, 17.0))),
        Lever("interactive peak hour", "16 h", ("13 h", interactive(13.0, 0.35)),
              ("19 h", interactive(19.0, 0.35))),
        Lever("interactive night trough", "35 % of peak", ("20 %", interactive(16.0, 0.2)),
              ("50 %", interactive(16.0, 0.5))),
    ]
    share = raw.get("market", {}).get("trade_limit_share", 0.35)
    out.append(Lever("trade limit", f"{share:g} × smaller mean IW",
                     (f"{share / 2:g}", (f"market.trade_limit_share={share / 2}",)),
                     (f"{share * 2:g}", (f"market.trade_limit_share={share * 2}",))))
    factor = grid.get("cost_factor", 1.0)
    out.append(Lever("generator cost factor", f"{factor:g}",
                     (f"{factor / 2:g}", (f"grid.cost_factor={factor / 2}",)),
                     (f"{factor * 2:g}", (f"grid.cost_factor={factor * 2}",))))
    out.append(Lever("COP of every DC", "as stated", ("× 0.8", _each_dc(
        raw, "cop", lambda dc: round(dc["cop"] * 0.8, 4))), ("× 1.2", _each_dc(
            raw, "cop", lambda dc: round(dc["cop"] * 1.2, 4)))))
    out.append(Lever("depreciation", "as stated", ("× 0.5", _each_dc(
        raw, "depreciation", lambda dc: dc["depreciation"] * 0.5)), ("× 1.5", _each_dc(
            raw, "depreciation", lambda dc: dc["depreciation"] * 1.5))))
    out.append(Lever("users' fee (revenue only)", "as stated", ("× 0.8", _each_dc(
        raw, "fee", lambda dc: dc["fee"] * 0.8)), ("× 1.2", _each_dc(
            raw, "fee", lambda dc: dc["fee"] * 1.2))))
    return out


def _gain(path: Path, settings: tuple[str, ...]) -> dict[str, float]:
    _, scenario, _ = load_any(path, list(settings), study="p2p")
    without, with_, gain = equilibrium_gain(scenario)
    return {"gain_pct": gain, "profit_without": without.total_profit,
            "profit_with": with_.total_profit,
            "energy_change_pct": 100 * (with_.energy_mwh / without.energy_mwh - 1)}


def tornado(path: Path, settings: tuple[str, ...] = ()) -> pd.DataFrame:
    """The equilibrium gain at the base and at each lever's low and high value."""
    from dcmarket.sim.progress import bar

    rows = [{"lever": "base", "side": "base", "value": "as in the scenario",
             "settings": "; ".join(settings), **_gain(path, settings)}]
    chosen = levers(path, settings)
    with bar(total=2 * len(chosen), desc="sensitivity", unit="point") as progress:
        for lever in chosen:
            for side, (label, extra) in (("low", lever.low), ("high", lever.high)):
                rows.append({"lever": lever.name, "side": side, "value": label,
                             "base_value": lever.base, "settings": "; ".join(extra),
                             **_gain(path, settings + extra)})
                progress.update()
    return pd.DataFrame(rows)


def format_tornado(frame: pd.DataFrame) -> str:
    base = frame[frame.side == "base"].gain_pct.iloc[0]
    lines = [f"market gain at the competitive equilibrium: {base:+.2f} % at the scenario's "
             "values; each assumption moved alone:",
             f"{'assumption':<28}{'base':>22}{'low':>14}{'gain':>9}{'high':>14}{'gain':>9}"]
    for name, group in frame[frame.side != "base"].groupby("lever", sort=False):
        low = group[group.side == "low"].iloc[0]
        high = group[group.side == "high"].iloc[0]
        lines.append(f"{name:<28}{low.base_value:>22}{low.value:>14}{low.gain_pct:>+8.2f}%"
                     f"{high.value:>14}{high.gain_pct:>+8.2f}%")
    return "\n".join(lines)
