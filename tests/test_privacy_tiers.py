"""Privacy by structure, in the two tiers docs/privacy.md states.

A hostile P2P data-centre strategy, acting inside its own agent's step, tries
every route a probe found: the model behind its public facts, the bus behind
its port, ``relay()`` as another DC, rewriting a logged message, and — with
``gc`` — the other agents.  In one process every attribute route fails and
what is left (``gc``, frames, module globals) is what the docs say is left;
isolated (its own Ray actor, only the model's bus as channel) reading other
agents finds nothing and sending as another ends the run by name.
"""

from __future__ import annotations

import gc
import sys
import warnings
from typing import ClassVar

import numpy as np
import pytest

from dcmarket.agents.p2p.datacenter import DataCenterAgent
from dcmarket.agents.strategies import DataCentreStrategy
from dcmarket.market.messages import MessageBus, ProtocolError
from dcmarket.sim.executors import InProcess
from dcmarket.sim.p2p.model import P2PMarketModel
from dcmarket.sim.studies import load_any

HOSTILE = "DC1"


def _own_agent() -> DataCenterAgent:
    """The strategy's own agent, from the calling frame (its own, so allowed)."""
    frame = sys._getframe(1)
    while frame is not None:
        agent = frame.f_locals.get("self")
        if isinstance(agent, DataCenterAgent):
            return agent
        frame = frame.f_back
    raise RuntimeError("no agent on the stack")


def _attempt(routes: dict, name: str, route) -> None:
    try:
        routes[name] = ("reached", route())
    except Exception as exc:  # every refusal counts, whatever its type
        routes[name] = ("refused", f"{type(exc).__name__}: {exc}")


def try_every_route(routes: dict) -> None:
    me = _own_agent()
    facts, port = me.model, me._port
    _attempt(routes, "facts._model", lambda: facts._model)
    _attempt(routes, "facts.scenario", lambda: facts.scenario)
    _attempt(routes, "facts.deregister_agent.__self__",
             lambda: facts.deregister_agent.__self__)
    _attempt(routes, "port._send", lambda: port._send)
    _attempt(routes, "port closure", lambda: port.send.__closure__[0].cell_contents)
    _attempt(routes, "port rename", lambda: setattr(port, "name", "DC2"))
    _attempt(routes, "slots of the port", lambda: next(getattr(port, s) for s in
                                                      type(port).__slots__ if s != "_key"))
    # what gc still reaches in one process (docs/privacy.md)
    with warnings.catch_warnings():  # isinstance on every object wakes lazy modules
        warnings.simplefilter("ignore")
        found = gc.get_objects()
        buses = [o for o in found if isinstance(o, MessageBus)]
        others = [o for o in found if isinstance(o, DataCenterAgent) and o is not me]
    routes["gc: other agents"] = ("reached" if others else "refused", len(others))
    if buses:
        bus = buses[0]
        _attempt(routes, "relay as DC2", lambda: bus.relay("DC2", "DC3", "price_estimate",
                                                            {"y": np.zeros(1)}, {}))
        _attempt(routes, "send as DC2 through the bus", lambda: bus._send(
            "DC2", "DC3", "price_estimate", {"y": np.zeros(24)},
            {"y": ("DC2–DC3",) * 24}))


class Hostile(DataCentreStrategy):
    """Tries every route once, in its first estimate, and remembers the answers."""

    name = "hostile"
    routes: ClassVar[dict] = {}

    def estimate(self, partner, y, trades):
        if not Hostile.routes:
            try_every_route(Hostile.routes)
        return y


def test_in_one_process_every_attribute_route_is_closed():
    scenario = load_any("p2p_4dc_fixed_lmp")[1]
    scenario = scenario.model_copy(update={"strategy": {
        HOSTILE: f"{__name__}:Hostile" if __name__ != "__main__" else "x"}})
    Hostile.routes = {}
    model = P2PMarketModel(scenario, executor=InProcess())
    model.step()
    routes = Hostile.routes
    for route in ("facts._model", "facts.scenario", "facts.deregister_agent.__self__",
                  "port._send", "port closure", "port rename", "slots of the port"):
        assert routes[route][0] == "refused", (route, routes[route])
    # relay is for agents hosted in another process only, even for code that found the bus
    assert routes["relay as DC2"][0] == "refused"
    assert "not an agent hosted in another process" in routes["relay as DC2"][1]
    # the documented in-process limits: gc reaches the other agents and the bus
    assert routes["gc: other agents"][0] == "reached"
    assert routes["send as DC2 through the bus"][0] == "reached"


ISOLATED_STRATEGY = '''
import gc

import numpy as np

from dcmarket.agents.p2p.datacenter import DataCenterAgent
from dcmarket.agents.p2p.dc_spec import DataCenterSpec
from dcmarket.agents.strategies import DataCentreStrategy
from dcmarket.market.messages import MessageBus


class Reader(DataCentreStrategy):
    """Looks for the other DCs and their data in its own process."""

    name = "reader"

    def estimate(self, partner, y, trades):
        others = [o for o in gc.get_objects()
                  if isinstance(o, DataCenterAgent) and o.name != "DC1"]
        specs = sorted({o.name for o in gc.get_objects()
                        if isinstance(o, DataCenterSpec) and o.name != "DC1"})
        if others or specs:
            raise RuntimeError(f"REACHED other DCs: {len(others)} agents, specs {specs}")
        return y


class Spoofer(DataCentreStrategy):
    """Sends a price estimate as DC2 through the bus of its own process."""

    name = "spoofer"

    def estimate(self, partner, y, trades):
        for bus in [o for o in gc.get_objects() if isinstance(o, MessageBus)]:
            bus._send("DC2", "DC3", "price_estimate", {"y": np.zeros(24)},
                      {"y": ("DC2–DC3",) * 24})
        return y
'''


def _isolated(tmp_path, strategy: str):
    from dcmarket.sim.executors.ray_host import RayExecutor

    rules = tmp_path / "hostile_rules.py"
    rules.write_text(ISOLATED_STRATEGY)
    scenario = load_any("p2p_4dc_fixed_lmp", (f"strategy.{HOSTILE}={rules}:{strategy}",))[1]
    return P2PMarketModel(scenario, executor=RayExecutor(isolate=(HOSTILE,)))


@pytest.mark.xdist_group("ray")
def test_isolated_an_agent_reads_no_other_agent(ray_session, tmp_path):
    model = _isolated(tmp_path, "Reader")
    result = model.run()
    assert result.converged  # it found nothing to raise about
    assert model.host.shard_of(HOSTILE) not in {model.host.shard_of(n)
                                                for n in model.dcs if n != HOSTILE}


@pytest.mark.xdist_group("ray")
def test_isolated_an_agent_cannot_send_as_another(ray_session, tmp_path):
    from dcmarket.sim.executors import ExecutorError

    with pytest.raises(ExecutorError, match=r"shard \d+ \(hosting DC1\) sent a message as "
                                            r"'DC2': refused"):
        _isolated(tmp_path, "Spoofer").run()


@pytest.mark.xdist_group("ray")
def test_isolate_names_an_unknown_agent(ray_session):
    from dcmarket.sim.executors import ExecutorError
    from dcmarket.sim.executors.ray_host import RayExecutor

    scenario = load_any("p2p_4dc_fixed_lmp")[1]
    with pytest.raises(ExecutorError, match="--isolate DC9: no such agent"):
        P2PMarketModel(scenario, executor=RayExecutor(isolate=("DC9",))).run()


def test_in_process_relay_and_ports_refuse_what_they_must(tmp_path):
    scenario = load_any("p2p_4dc_fixed_lmp")[1]
    model = P2PMarketModel(scenario, executor=InProcess())
    with pytest.raises(ProtocolError, match="relay as 'DC2' refused"):
        model.bus.relay("DC2", "DC3", "price_estimate", {"y": np.zeros(24)}, {})


def test_a_received_message_rewritten_leaves_the_log_as_sent():
    import networkx as nx

    from dcmarket.market.protocols import P2P_MARKET

    bus = MessageBus(nx.path_graph(["DC1", "DC2"]), (P2P_MARKET,))
    one, two = bus.port("DC1"), bus.port("DC2")
    one.send("DC2", "market_offer", {"marginal_cost": 1.0})
    (held,) = two.receive()
    object.__setattr__(held, "sender", "FORGED")  # even past the frozen dataclass
    assert [m.sender for m in bus.log] == ["DC1"]
    assert two.name == "DC2" and not hasattr(two, "__dict__")
