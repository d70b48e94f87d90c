"""How a DR strategy is graded (paper 002; sim/strategic).

The protocol is the scenario's own auction (GA or exact winners, pay-as-bid
or VCG); W* is the day with the exact winner set on true costs (truthful
bids) — the welfare-best auction at each event slot given the DC's forecast,
not an optimum over the whole day, so the GA's day can come out a little
above it.  A DC user deviates by a markup on its true cost; the DC by
another of its plans (BS, ST).  A sealed-bid auction sees only bids: it has
no check that flags a markup, and the grade says so.  The price forecast is
made once, on the scenario's own seed, and shared by every run.
"""

from __future__ import annotations

from dcmarket.market.outcome import Outcome
from dcmarket.sim.dr.config import DRScenario
from dcmarket.sim.strategic.terms import GradingTerms

#: the deviation families: a user's markup grid; the DC's other plans
FAMILIES = {
    "dr_user": tuple({"name": "markup", "factor": f}
                     for f in (0.8, 0.9, 1.1, 1.2, 1.5, 2.0, 3.0)),
    "dr_datacentre": ({"name": "BS"}, {"name": "ST"}),
}


def detect(outcome: Outcome, agent: str) -> str | None:
    """A sealed-bid auction has no consistency check: nothing is ever flagged."""
    return None


def _seeded(scenario: DRScenario, seed: int) -> DRScenario:
    return scenario if seed == 0 else scenario.model_copy(update={"seed": scenario.seed + seed})


def forecast_variants(scenario: DRScenario, history, actual, day_ahead: dict
                      ) -> dict[str, tuple[DRScenario, dict]]:
    """The day under the day-ahead forecast the scenario makes and under a
    one-step forecast (the LSTM read hour by hour where the scenario's method is
    the LSTM, else persistence): the paper's error bound fits a one-step
    forecast, and the ordering OP < BS < ST depends on the forecast."""
    from dcmarket.sim.dr.study import train_forecast

    f = scenario.forecast
    if f.method == "none":
        return {"no forecast": (scenario, {})}
    method = f.method if f.method in ("lstm", "persistence") else "persistence"
    one_step = train_forecast(scenario, method, f.training_days, history, actual,
                              horizon="one_step").forecast
    return {f"day-ahead ({f.method})": (scenario, day_ahead),
            f"one-step ({method})": (scenario, {"forecast": one_step})}


def terms(scenario: DRScenario, forecast=None) -> GradingTerms:
    """The DR day's terms; ``forecast``: one already trained for this scenario."""
    from dcmarket.sim.dr.study import day_prices, train_forecast

    history, actual = day_prices(scenario)
    f = scenario.forecast
    options = {}
    if forecast is not None:
        options["forecast"] = forecast
    elif f.method != "none":
        options["forecast"] = train_forecast(scenario, f.method, f.training_days, history,
                                             actual).forecast
    own = {"vcg": "op_vcg", "uniform": "op_uniform"}.get(scenario.auction.payment,
                                                          f"op_{scenario.auction.selector}")
    return GradingTerms(
        protocol=own, optimum="op_exact", families=FAMILIES, seeded=_seeded,
        seeds_vary="the users' task streams, costs and willingness and the GA's draws "
                   "(seed + k)",
        detect=detect, options=options, fallback="static",
        variants=lambda: forecast_variants(scenario, history, actual, options),
        optimum_note="the day with exact winners on truthful bids (the best auction at each "
                     "event slot, not over the day)")
