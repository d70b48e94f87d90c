"""Seeded market instances: the 4-DC reference at fixed LMPs and random ones.

DC parameters follow the calibration starting point in docs/p2p.md for paper ``000``
(servers 90k/60k/50k/75k, idle/peak 150/300 and 180/320 W, COP 4.0/2.8/2.6/3.8,
μ = 0.036 M requests per server-hour, D_max = 333 ms, switches N/40 × 300 W,
N/80 × 500 W, N/400 × 1 kW, α_aux = 0.08, k = 0.04 MW/°C, IW peaks
1500/950/780/1200, BW means 620/360/300/500 with deadlines 6/4/4/6 h,
depreciation 0.8 $ and fee 3 $ per M requests).  Random instances draw
sizes and prices around these values from a seeded generator.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dcmarket.sim.p2p.profiles import (
    batch_profile,
    diurnal_shape,
    interactive_profile,
    lmp_profile,
    temperature_profile,
)

REFERENCE_DCS: list[dict[str, Any]] = [
    dict(name="DC1", bus=4, servers=90_000, idle_w=150, peak_w=300, cop=4.0, iw_peak=1500,
         bw_mean=620, deadline=6, t_mean=24.0, lmp_level=35.0, premium=0.0),
    dict(name="DC2", bus=13, servers=60_000, idle_w=180, peak_w=320, cop=2.8, iw_peak=950,
         bw_mean=360, deadline=4, t_mean=27.0, lmp_level=36.0, premium=25.0),
    dict(name="DC3", bus=17, servers=50_000, idle_w=180, peak_w=320, cop=2.6, iw_peak=780,
         bw_mean=300, deadline=4, t_mean=28.0, lmp_level=37.0, premium=35.0),
    dict(name="DC4", bus=24, servers=75_000, idle_w=150, peak_w=300, cop=3.8, iw_peak=1200,
         bw_mean=500, deadline=6, t_mean=25.0, lmp_level=34.0, premium=5.0),
]


def dc_spec_dict(rng: np.random.Generator, hours: int, p: dict[str, Any]) -> dict[str, Any]:
    n = p["servers"]
    return {
        "name": p["name"],
        "bus": p.get("bus"),
        "servers": n,
        "idle_w": p["idle_w"],
        "peak_w": p["peak_w"],
        "service_rate": 0.036,
        "d_max_ms": 333.0,
        "switches": [
            {"count": n / 40, "watts": 300.0},
            {"count": n / 80, "watts": 500.0},
            {"count": n / 400, "watts": 1000.0},
        ],
        "aux_share": 0.08,
        "cop": p["cop"],
        "cooling_min_mw": 0.0,
        "cooling_max_mw": 80.0,
        "thermal_mass_mwh_per_c": 0.02,
        "conductance_mw_per_c": 0.04,
        "outdoor_c": _round(temperature_profile(rng, hours, p["t_mean"])),
        "interactive": _round(interactive_profile(rng, hours, p["iw_peak"])),
        "batch": _round(batch_profile(rng, hours, p["bw_mean"])),
        "batch_deadline_h": p["deadline"],
        "fee": 3.0,
        "depreciation": 0.8,
        "grid_max_mw": 80.0,
    }


def _round(values: np.ndarray) -> list[float]:
    return [round(float(v), 3) for v in values]


def reference_scenario(hours: int = 24, seed: int = 2026) -> dict[str, Any]:
    """The four DCs of paper ``000`` at fixed, hour- and bus-dependent LMPs.

    LMPs (an input here) carry an afternoon premium at DC2/DC3, mimicking the
    congestion the paper's grid shows in hours 11–18.
    """
    rng = np.random.default_rng(seed)
    dcs = [dc_spec_dict(rng, hours, p) for p in REFERENCE_DCS]
    lmp = {
        p["name"]: _round(lmp_profile(rng, hours, p["lmp_level"], afternoon_premium=p["premium"]))
        for p in REFERENCE_DCS
    }
    return {
        "name": "p2p_4dc_fixed_lmp",
        "description": "Four DCs of paper 000 (docs/p2p.md calibration) trading at fixed LMPs",
        "hours": hours,
        "datacenters": dcs,
        "lmp": lmp,
        "market": {"communication": {"topology": "full"}},
    }


def random_scenario(
    n_dc: int, seed: int, hours: int = 24, topology: str = "full", degree: int = 4,
) -> dict[str, Any]:
    """``n_dc`` DCs with sizes, COPs, server generations and prices drawn around
    the reference; each can serve its own interactive peak alone."""
    rng = np.random.default_rng(seed)
    dcs, lmp = [], {}
    for i in range(n_dc):
        servers = float(rng.uniform(40_000, 100_000))
        old = rng.random() < 0.5
        p = {
            "name": f"DC{i + 1}",
            "servers": round(servers),
            "idle_w": 180.0 if old else 150.0,
            "peak_w": 320.0 if old else 300.0,
            "cop": round(float(rng.uniform(2.5, 4.2)), 2),
            # peak IW at 55–75 % of the DC's QoS capacity, batch ~ 40 % of it
            "iw_peak": servers / 1e3 * 25.19 * float(rng.uniform(0.55, 0.75)),
            "bw_mean": servers / 1e3 * 25.19 * float(rng.uniform(0.25, 0.4)),
            "deadline": int(rng.integers(3, 8)),
            "t_mean": float(rng.uniform(18, 32)),
            "lmp_level": float(rng.uniform(25, 45)),
            "premium": float(rng.uniform(0, 30)) if rng.random() < 0.4 else 0.0,
        }
        dcs.append(dc_spec_dict(rng, hours, p))
        lmp[p["name"]] = _round(
            lmp_profile(rng, hours, p["lmp_level"], afternoon_premium=p["premium"])
        )
    graph: dict[str, Any] = {"topology": topology}
    if topology in ("random_regular", "small_world", "geographic"):
        graph.update(degree=degree, seed=seed)
    return {
        "name": f"random_{n_dc}dc_seed{seed}",
        "hours": hours,
        "datacenters": dcs,
        "lmp": lmp,
        "market": {"communication": graph},
    }


ALSAC_STOTT = [  # docs/p2p.md (assumption): (bus, a $/MW²h, b $/MWh, P_max MW)
    ("G1", 1, 0.00375, 2.0, 200.0),
    ("G2", 2, 0.0175, 1.75, 80.0),
    ("G5", 5, 0.0625, 1.0, 50.0),
    ("G8", 8, 0.00834, 3.25, 35.0),
]


def ieee30_scenario(hours: int = 24, seed: int = 2026, rating_10_17: float = 23.0,
                    cost_factor: float = 10.0) -> dict[str, Any]:
    """The four reference DCs on the IEEE 30-bus grid with a synthetic day.

    Renewable availability here comes from the documented shapes in
    :mod:`sim.p2p.profiles` (a seeded test instance); the shipped reference
    scenario of the case study is to take measured weather instead.
    """
    raw = reference_scenario(hours=hours, seed=seed)
    rng = np.random.default_rng(seed + 1)
    t = np.arange(hours) % 24
    sun = np.clip(np.sin(np.pi * (t - 6) / 12), 0, None)
    wind = 0.45 + 0.25 * np.cos(2 * np.pi * (t - 2) / 24) + 0.05 * rng.standard_normal(hours)
    raw["name"] = "ieee30_4dc_synthetic"
    raw["grid"] = {
        "thermal_units": [
            {"name": n, "bus": b, "a": a, "b": c, "p_max_mw": p} for n, b, a, c, p in ALSAC_STOTT
        ],
        "renewables": [
            {"name": "W11", "bus": 11, "available_mw": _round(40 * np.clip(wind, 0, 1))},
            {"name": "W13", "bus": 13, "available_mw": _round(20 * np.clip(wind, 0, 1))},
            {"name": "PV22", "bus": 22, "available_mw": _round(50 * sun)},
            {"name": "PV27", "bus": 27, "available_mw": _round(40 * sun)},
        ],
        "load_scaling": _round(0.6 + 0.4 * diurnal_shape(hours, low_hour=4.0)),
        "line_ratings_mw": {"10-17": rating_10_17},
        "cost_factor": cost_factor,
        "value_of_lost_load": 1000.0,
    }
    raw["lmp"] = {name: [35.0] * hours for name in raw["lmp"]}
    return raw
