"""``dcmarket play SCENARIO --as NAME``: a human plays one agent, step by step.

The player sees only what that agent knows: its private data, the messages
it received in the step, what it has of its own trades, and the residuals
the protocol makes public.  Each step it chooses its move (``seat.py``);
every other agent follows its strategy.  At the end: the player's profit
against playing truthfully (the same run replayed with the truthful
strategy), welfare against the optimum, and what the player revealed — every
message and value it sent, by kind and receiver.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from pydantic import BaseModel

from dcmarket.market.mechanism import IterativeMechanism
from dcmarket.market.messages import log_frame
from dcmarket.sim.scenario import ScenarioError
from dcmarket.sim.strategic.grading import (
    grading_terms,
    role_of,
    run_protocol,
    with_strategy,
)
from dcmarket.sim.strategic.seat import (
    HELP,
    Call,
    DataCentreSeat,
    HouseholdSeat,
    MoveError,
    Moves,
    SeatState,
    UserSeat,
    parse_bid,
    parse_moves,
)
from dcmarket.sim.transcript import transcript

#: the roles a human can play, and the seat class of each
SEATS = {"p2p_datacentre": DataCentreSeat, "dr_user": UserSeat, "household": HouseholdSeat}


def take_seat(scenario: BaseModel, agent: str, withhold: float = 0.0, cost: float = 1.0
              ) -> tuple[BaseModel, SeatState]:
    """``scenario`` with ``agent`` played by a seat whose moves a page sets
    (the dashboard): opening moves ``withhold`` and ``cost`` for a P2P DC."""
    role = role_of(scenario, agent)
    if role not in SEATS:
        raise ScenarioError(f"{agent} plays a {role}: no seat for a human there (seats: "
                            f"{', '.join(SEATS)})")
    moves = Moves(withhold=float(withhold), cost=float(cost))
    seat = SEATS[role](moves=moves)
    return with_strategy(scenario, agent, seat), SeatState(agent, role, seat, moves)


def private_lines(scenario: BaseModel, agent: str) -> list[str]:
    """What the agent knows of itself before the first step (its spec, its own
    prices), never another agent's."""
    lines = [f"you are {agent}; only you see this:"]
    spec = next((d for d in getattr(scenario, "datacenters", ()) if d.name == agent), None)
    if spec is not None:
        data = spec.model_dump(mode="json")
        for key, value in data.items():
            if isinstance(value, list) and value and isinstance(value[0], (int, float)):
                v = np.asarray(value, float)
                lines.append(f"  {key:<22} {v.min():,.4g} … {v.max():,.4g} "
                             f"(mean {v.mean():,.4g}, {len(v)} values)")
            elif not isinstance(value, (list, dict)):
                lines.append(f"  {key:<22} {value}")
        lmp = getattr(scenario, "lmp", None) or {}
        if agent in lmp:
            v = np.asarray(lmp[agent], float)
            lines.append(f"  {'your LMP $/MWh':<22} {v.min():.2f} … {v.max():.2f}")
        limits = scenario.trade_limits()
        lines += [f"  link to {b if a == agent else a:<14} q^max {q:,.3g} M req/h"
                  for (a, b), q in limits.items() if agent in (a, b)]
    return lines


def residual_line(mechanism: IterativeMechanism, unit: str) -> str:
    """The residuals the protocol makes public after the step."""
    model = getattr(mechanism, "model", None)
    history = getattr(model, "history", None)
    steps = getattr(model, "round", None) or getattr(model, "slot", None) or 0
    text = f"{unit} {steps}"
    if history:
        last = history[-1]
        fields = {k: v for k, v in vars(last).items() if isinstance(v, float)}
        text += ": " + " · ".join(f"{k.replace('_', ' ')} {v:.3g}" for k, v in fields.items())
    return text + ("  (converged)" if mechanism.converged else "")


def _inbox(mechanism: IterativeMechanism, agent: str, since: int) -> tuple[list[str], int]:
    bus = mechanism.model.bus
    new = [m for m in bus.log[since:] if m.receiver == agent]
    if not new:
        return [], len(bus)
    frame = log_frame(new, {k: bus.kind(k) for k in {m.kind for m in new}})
    return list(transcript(frame, full=False)), len(bus)


def revealed(mechanism: IterativeMechanism, agent: str) -> dict[str, Any]:
    """Every message and value the agent sent, by kind and receiver."""
    sent: dict[str, dict[str, Any]] = {}
    for m in mechanism.model.bus.log:
        if m.sender != agent:
            continue
        row = sent.setdefault(m.kind, {"messages": 0, "values": 0, "to": set()})
        row["messages"] += 1
        row["values"] += sum(int(np.size(v)) for v in m.payload.values())
        row["to"].add(m.receiver)
    return {k: {**v, "to": sorted(v["to"])} for k, v in sorted(sent.items())}


def play(scenario: BaseModel, agent: str, prompt: Callable[[str], str | None],
         echo: Callable[[str], None]) -> dict[str, Any]:
    """Play ``agent`` in ``scenario``'s own protocol; ``prompt(text)`` returns the
    player's line (None: the input ended — play on with the current move).
    Returns the end screen's numbers (see the module docstring)."""
    role = role_of(scenario, agent)
    if role not in SEATS:
        raise ScenarioError(f"{agent} plays a {role}: no seat for a human there (seats: "
                            f"{', '.join(SEATS)}; choose its plan with --strategy)")
    terms = grading_terms(scenario)
    for line in private_lines(scenario, agent):
        echo(line)
    ended = False
    helped: set[str] = set()

    def ask(text: str, help_key: str) -> str:
        nonlocal ended
        if ended:
            return "c"
        if help_key not in helped:  # the moves a prompt takes, once
            helped.add(help_key)
            echo(f"({HELP[help_key]})")
        answer = prompt(text)
        if answer is None:
            ended = True
            return "c"
        return answer

    if role == "dr_user":
        def bid(call: Call) -> float:
            while True:
                answer = "" if ended else ask(
                    f"DR call: postpone {call.n_tasks} task(s) by {call.delay_slots} slot(s); "
                    f"your true cost {call.true_cost_eur:.2f} € — your bid?", "dr_user")
                try:
                    fee = parse_bid("" if answer == "c" else answer, call)
                except MoveError as exc:
                    echo(f"  {exc}")
                    continue
                echo(f"  you bid {fee:.2f} € (true cost {call.true_cost_eur:.2f} €)")
                return fee
        seat = UserSeat(ask=bid)
    else:
        seat = SEATS[role]()
    moves = getattr(seat, "moves", None)
    if role == "p2p_datacentre":
        partners = tuple(b if a == agent else a for a, b in scenario.trade_limits()
                         if agent in (a, b))
        while True:
            answer = ask("opening moves?", "p2p_opening")
            try:
                parse_moves("" if answer == "c" else answer, moves, role, True, partners)
                break
            except MoveError as exc:
                echo(f"  {exc}")
    played = with_strategy(scenario, agent, seat)
    mechanism = run_protocol_mechanism(played, terms)
    unit = "slot" if role == "dr_user" else "round"
    mechanism.start()
    seen, ahead, last = 0, 0, None
    stopped = False
    while not mechanism.done:
        if role != "dr_user" and ahead <= 0:
            answer = ask(f"[step {mechanism_steps(mechanism) + 1}] your move?", role).strip()
            word = answer.lower()
            if word in ("q", "quit"):
                stopped = True
                break
            if word in ("c", "continue"):
                ahead = 10**9
            elif word.isdigit() and int(word) > 0:
                ahead = int(word)
            elif word == "keep":
                ahead = 1
            else:
                moves.truthful()
                try:
                    parse_moves(answer, moves, role)
                except MoveError as exc:
                    echo(f"  {exc}")
                    continue
                ahead = 1
            if moves.describe() != last:
                last = moves.describe()
                echo(f"  your move: {last}")
        mechanism.step()
        ahead -= 1
        lines, seen = _inbox(mechanism, agent, seen)
        if lines and (role == "dr_user" or ahead < 10**8):
            echo(f"-- your inbox, {unit} {mechanism_steps(mechanism)}:")
            for line in lines:
                echo("  " + line)
        if role == "p2p_datacentre" and ahead < 10**8:
            bought = {p: float(np.sum(t)) for p, t in seat.trades.items()}
            echo("  your trades (M req, + bought): " + ", ".join(
                f"{p} {v:+,.3g}" for p, v in bought.items()))
        if ahead < 10**8 or mechanism.done:
            echo("  " + residual_line(mechanism, unit))
    return end_screen(scenario, agent, mechanism, terms, stopped, echo)


def run_protocol_mechanism(scenario: BaseModel, terms) -> IterativeMechanism:
    from dcmarket.sim.api import mechanism_of

    mechanism = mechanism_of(scenario, terms.protocol, **terms.options)
    if not isinstance(mechanism, IterativeMechanism):
        raise ScenarioError(f"{terms.protocol} clears at once: nothing to play step by step")
    return mechanism


def mechanism_steps(mechanism: IterativeMechanism) -> int:
    model = mechanism.model
    return int(getattr(model, "round", 0) or getattr(model, "slot", 0) or 0)


def against_truthful(scenario: BaseModel, agent: str, outcome, terms) -> dict[str, Any]:
    """A seat's result beside the same run played truthfully and the optimum:
    its profit and gain, welfare, W*, W/W*, and whether the protocol flagged it."""
    truthful_scenario = with_strategy(scenario, agent, None)
    truth = run_protocol(truthful_scenario, terms.protocol, terms.options)
    best = run_protocol(truthful_scenario, terms.optimum, terms.options)
    mine, base = outcome.profits[agent], truth.profits[agent]
    return {"currency": outcome.currency, "optimum": terms.optimum, "profit": mine,
            "profit_truthful": base, "gain": mine - base, "welfare": outcome.welfare,
            "welfare_optimum": best.welfare, "efficiency": outcome.efficiency(best),
            "flagged": terms.detect(outcome, agent) or ""}


def end_screen(scenario: BaseModel, agent: str, mechanism: IterativeMechanism, terms,
               stopped: bool, echo: Callable[[str], None]) -> dict[str, Any]:
    """The player's profit against truthful play, welfare against the optimum,
    and what the player revealed."""
    outcome = mechanism.outcome().check()
    r = against_truthful(scenario, agent, outcome, terms)
    cur = r["currency"]
    told = revealed(mechanism, agent)
    echo("=" * 72)
    state = "stopped early" if stopped else ("converged" if outcome.converged
                                             else "NOT CONVERGED")
    echo(f"{agent}: the run {state} after {outcome.rounds} step(s)")
    echo(f"  your profit        {r['profit']:,.2f} {cur}; playing truthfully "
         f"{r['profit_truthful']:,.2f} {cur}: {r['gain']:+,.2f} {cur}")
    echo(f"  welfare W          {r['welfare']:,.2f} {cur}; the optimum W* "
         f"{r['welfare_optimum']:,.2f} {cur} ({r['optimum']}): W/W* {r['efficiency']:.4f}")
    echo(f"  flagged            {r['flagged'] or 'no'}")
    echo("  what you revealed  " + ("; ".join(
        f"{k}: {v['messages']} message(s), {v['values']} value(s) to {', '.join(v['to'])}"
        for k, v in told.items()) or "nothing"))
    return {"agent": agent, "protocol": terms.protocol, "currency": cur,
            "converged": bool(outcome.converged), "stopped": stopped,
            "steps": int(outcome.rounds),
            **{k: r[k] for k in ("profit", "profit_truthful", "gain", "welfare",
                                 "welfare_optimum", "efficiency", "flagged")},
            "revealed": told}
