"""dcmarket: an agent-based, distributed market simulator for data centres
and power grids.

The four layers of the simulator are subpackages of this one namespace
(their source stays in the project's top-level folders ``agents/``,
``market/``, ``grid/`` and ``sim/``):

- :mod:`dcmarket.grid`: networks, PTDFs, DC-OPF and LMPs, weather, prices, forecasts;
- :mod:`dcmarket.market`: messages and the bus, the protocols and their centralised twins;
- :mod:`dcmarket.agents`: the Mesa agents of the three studies;
- :mod:`dcmarket.sim`: scenarios, models, studies, run folders and the ``dcmarket`` CLI.

The short public API is documented in ``docs/api.md``.  Importing this
package is cheap: the names below load their modules on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name → (module, attribute), loaded on first use (PEP 562)
_PUBLIC: dict[str, tuple[str, str]] = {
    "load": ("dcmarket.sim.api", "load"),
    "run": ("dcmarket.sim.api", "run"),
    "mechanisms": ("dcmarket.sim.api", "mechanisms"),
    "Outcome": ("dcmarket.market.outcome", "Outcome"),
    "Strategy": ("dcmarket.agents.strategies", "Strategy"),
    "DataCentreStrategy": ("dcmarket.agents.strategies", "DataCentreStrategy"),
    "DRUserStrategy": ("dcmarket.agents.strategies", "DRUserStrategy"),
    "DRDataCentreStrategy": ("dcmarket.agents.strategies", "DRDataCentreStrategy"),
    "HouseholdStrategy": ("dcmarket.agents.strategies", "HouseholdStrategy"),
    "register_strategy": ("dcmarket.agents.strategy_registry", "register_strategy"),
    "grade": ("dcmarket.sim.strategic.grading", "grade"),
    "Study": ("dcmarket.sim.registry", "Study"),
    "register_study": ("dcmarket.sim.registry", "register"),
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module 'dcmarket' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
