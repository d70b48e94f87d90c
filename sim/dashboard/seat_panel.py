"""The dashboard's seat: a human plays one agent beside Step (docs/strategies.md).

Type an agent's name under "Your seat" and Load: this panel then holds the
agent's moves (sliders applied from the next step on), what it received in
the last step, its own trades or bids, and — once the run is over — its
profit against the same run played truthfully and welfare against the
optimum.  Every other agent follows its strategy.
"""

from __future__ import annotations

import numpy as np
import solara

from dcmarket.sim.dashboard.model import DashboardModel

#: per role: (label, the Moves field, min, max, step)
CONTROLS = {
    "p2p_datacentre": [("scale the estimates you send ×", "scale", 0.8, 1.2, 0.01),
                       ("shift them against your trades, $/M req", "shift", -0.5, 0.5, 0.01)],
    "dr_user": [("bid × your true cost of delay", "markup", 0.5, 3.0, 0.05)],
    "household": [("offer the EOA × your best response", "offer", 0.5, 1.5, 0.01)],
}


def _inbox(model: DashboardModel) -> str:
    from dcmarket.market.messages import log_frame
    from dcmarket.sim.transcript import transcript

    bus, agent = model.stepper.bus, model.seat.agent
    new = [m for m in bus.log[model.last_step_start:] if m.receiver == agent]
    if not new:
        return "*(nothing received in the last step)*"
    frame = log_frame(new, {k: bus.kind(k) for k in {m.kind for m in new}})
    return "```\n" + "\n".join(transcript(frame, full=False)) + "\n```"


def _own(model: DashboardModel) -> str:
    strategy = model.seat.strategy
    trades = getattr(strategy, "trades", None)
    if trades:
        return "Your trades, M req (+ bought): " + ", ".join(
            f"{p} {float(np.sum(t)):+,.3g}" for p, t in trades.items())
    bids = getattr(strategy, "bids", None)
    if bids:
        last = bids[-1]
        return (f"Your bids: {len(bids)}; the last {last['fee_eur']:.2f} € for "
                f"{last['n_tasks']} task(s), true cost {last['true_cost_eur']:.2f} €")
    return ""


def compare(model: DashboardModel) -> str:
    """The end screen: the seat's profit against truthful play, W against W*."""
    from dcmarket.sim.strategic.grading import grading_terms
    from dcmarket.sim.strategic.play import against_truthful

    outcome = model.stepper.outcome()
    if outcome is None:
        return (f"*{model.study}'s stepper does not say its outcome step by step: "
                f"`dcmarket play {model.scenario_name} --as {model.seat.agent}` does.*")
    s = model.stepper
    r = against_truthful(s.scenario, model.seat.agent, outcome,
                         grading_terms(s.scenario, **s.grading_hints()))
    cur = r["currency"]
    return (f"**Your profit** {r['profit']:,.2f} {cur} · truthfully "
            f"{r['profit_truthful']:,.2f} {cur} · **{r['gain']:+,.2f} {cur}**  \n"
            f"Welfare W {r['welfare']:,.2f} {cur} · optimum W* {r['welfare_optimum']:,.2f} "
            f"{cur} ({r['optimum']}) · W/W* {r['efficiency']:.4f}  \n"
            f"Flagged by the protocol: {r['flagged'] or 'no'}")


@solara.component
def SeatPanel(model: DashboardModel, frame: int = 0):  # noqa: N802 - a Solara component
    """The human's seat (see the module docstring); ``frame``: the page's frame
    counter, so the panel redraws with every frame."""
    verdict, set_verdict = solara.use_state("")
    if model.seat is None:
        return solara.Markdown(
            f"**Your seat:** {model.seat_error}" if model.seat_error else
            "*Play an agent yourself: type its name under \"Your seat\" (a P2P data "
            "centre, a DR user, a household) and press Load.*")
    seat, moves = model.seat, model.seat.moves
    children = [solara.Markdown(f"### You play {seat.agent}\n\nYour moves apply from the "
                                "next step on; the others follow their strategies.")]
    for label, name, low, high, step in CONTROLS[seat.role]:
        children.append(solara.SliderFloat(
            label, value=float(getattr(moves, name)), min=low, max=high, step=step,
            on_value=lambda v, name=name: setattr(moves, name, float(v)), thumb_label=True))
    children += [solara.Markdown("**Your inbox, last step**\n\n" + _inbox(model)),
                 solara.Markdown(_own(model))]
    if model.stepper.done:
        children.append(solara.Button("Compare with truthful play",
                                      on_click=lambda: set_verdict(compare(model))))
        if verdict:
            children.append(solara.Markdown(verdict))
    return solara.Column(children=children)
