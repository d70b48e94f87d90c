"""The model's handle on an agent that lives in a shard (see
:mod:`sim.executors.ray_host`): its public methods, called there, and its
public attributes, read from there; a private attribute is refused."""

from __future__ import annotations

import functools
import inspect
from typing import Any

import mesa


class AgentProxy(mesa.Agent):
    """The model's handle on an agent that lives in a shard: its public methods
    (called there) and public attributes (read from there)."""

    def __init__(self, model: mesa.Model, host: Any, name: str, cls: type) -> None:
        super().__init__(model)
        self.name = name
        self.agent_class = cls
        self._host = host

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(f"{attr!r}: an agent's private data stay in its shard "
                                 f"({self.agent_class.__name__} {self.name!r})")
        static = inspect.getattr_static(self.agent_class, attr, None)
        if inspect.isfunction(static):
            return functools.partial(self._host.call_one, self, attr)
        return self._host.call_one(self, f"attr:{attr}")

    def __repr__(self) -> str:
        shard = self._host.shard_of(self.name)
        return f"{self.agent_class.__name__}({self.name!r}) @ shard {shard}"
