"""Every message kind of every protocol, one typed declaration per protocol.

A bus is built with the protocols a model runs (:class:`market.messages.MessageBus`);
a payload may carry only its kind's fields listed here, so this page is also
the list of everything that is public in each study.  Units are in the field
names or the docs.
"""

from __future__ import annotations

from dcmarket.market.messages import Field, MessageKind, Protocol

H = ("hour",)
LH = ("link", "hour")

# ----------------------------------------------------------------- paper 000
PRICE_ESTIMATE = "price_estimate"
MARKET_OFFER = "market_offer"
PENALTY = "penalty"
ROUND_REPORT = "round_report"
TRADE_CONFIRMATION = "trade_confirmation"
TRADE_ACCEPTANCE = "trade_acceptance"
SETTLEMENT = "settlement"

#: Dual-consensus ADMM of the P2P cloud-service market (paper 000, (41)–(48)).
P2P_MARKET = Protocol("p2p_market", (
    MessageKind(PRICE_ESTIMATE, (Field("y", "$/M req", LH), Field("edge_dual", "M req/h", LH)),
                "DC → neighbour: its estimate y_i of the shared link prices, "
                "$ per M requests, one per shared link and hour (ADMM step 3); the end that "
                "owns the link's duals adds them (edge_dual), so the other end can re-align "
                "its copy after a lost or late message"),
    MessageKind(MARKET_OFFER, (Field("marginal_cost", "$/M req"),),
                "DC → monitor: its opening offer, depreciation plus the IT-side energy "
                "cost of interactive work at its mean LMP, $ per M requests (what a "
                "seller quotes), from which the penalty c is agreed"),
    MessageKind(PENALTY, (Field("c", "M req²/($·h)"),),
                "monitor → DC: the agreed ADMM penalty c (M requests² per $ per h)"),
    MessageKind(ROUND_REPORT, (Field("trades", "M req/h", LH), Field("prices", "$/M req", LH),
                              Field("estimate_change", "$/M req"),
                              Field("disagreement", "$/M req"),
                              Field("cut_off", "", integer=True)),
                "DC → monitor after each round: its trades on its own links (q_ij,t, "
                "M requests/h, the volumes its partners see anyway), its price estimates "
                "on those links, max |y_i^k − y_i^(k−1)| and max |y_i − y_j| over its "
                "neighbours ($ per M requests): what the stopping rule needs; cut_off = 1 "
                "(only then present) when it has given up on every neighbour and runs "
                "alone, waiting for one to speak again"),
    MessageKind(TRADE_CONFIRMATION, (Field("price", "$/M req", LH), Field("q", "M req/h", LH)),
                "DC → trading partner at settlement: per hour of their link, the price it "
                "settles at (the estimate it last sent the partner) and what it buys from "
                "the partner (q_ij,t, negative: sells). The monitor settles money from "
                "these: the price is the mean of the two sides' prices, the quantity what "
                "both confirm (the smaller of the two, when one buys what the other sells)",
                settles=True),
    MessageKind(TRADE_ACCEPTANCE, (Field("accepted", "", LH, integer=True),),
                "DC → monitor at settlement: per hour of each of its links, 1 if the "
                "price its partner confirmed is the estimate the partner sent it in the "
                "market (within the dual tolerance), else 0: an hour either side refuses "
                "settles nothing"),
    MessageKind(SETTLEMENT, (Field("payment", "$"), Field("consistent", "", integer=True)),
                "monitor → DC: what it pays for its trades over the clearing ($, negative: "
                "receives), from the confirmations both sides sent each other, and "
                "whether its last round report matched what it confirmed (0: named "
                "inconsistent in the result)"),
))

DEMAND_BID = "demand_bid"
LMP = "lmp"
BISECTION_BOX = "bisection_box"
OUTER_REPORT = "outer_report"

#: The bi-level loop between the DCs and the grid operator (paper 000, (49)–(54)).
BILEVEL = Protocol("bilevel", (
    MessageKind(DEMAND_BID, (Field("pg", "MW", H),),
                "DC → grid operator: hourly grid import, MW"),
    MessageKind(LMP, (Field("lmp", "$/MWh", H),),
                "grid operator → DC: the LMP series at the DC's bus, $/MWh (29)"),
    MessageKind(BISECTION_BOX, (Field("lo", "MW", H), Field("hi", "MW", H),
                                Field("boxed", "", H, integer=True)),
                "grid operator → DC: the bisection interval [lo, hi] of its grid import per "
                "hour, MW, where boxed = 1 (lo = hi = 0 where the hour is free) (51)–(54)"),
    MessageKind(OUTER_REPORT, (Field("power_residual", "MW"), Field("boxed", "pairs", integer=True),
                              Field("widest_box_mw", "MW"),
                              Field("oscillating", "pairs", integer=True),
                              Field("missing_bids", "DCs", integer=True)),
                "grid operator → monitor: max |Pg^k − Pg^(k−1)| (MW) (49), boxed pairs, "
                "widest box, pairs seen oscillating (50), and bids that did not arrive "
                "(the loop cannot stop in an iteration that missed one)"),
))

# ----------------------------------------------------------------- paper 001
EXCHANGE_BID = "exchange_bid"
COMMUNITY_PRICE = "community_price"
COMMITMENT = "commitment"
TWIN_REPORT = "twin_report"

#: Exchange ADMM of the energy community's decentralised twin (paper 001, (2b), (2p)).
COMMUNITY_EXCHANGE = Protocol("community_exchange", (
    MessageKind(EXCHANGE_BID, (Field("electricity_kw", "kW", H), Field("heat_kw", "kW", H)),
                "household → EOA: what it takes from the community per hour (imp − exp, heat)"),
    MessageKind(COMMUNITY_PRICE,
                (Field("mean_electricity_kw", "kW", H), Field("mean_heat_kw", "kW", H),
                 Field("u_electricity", "kW (price/ρ)", H), Field("u_heat", "kW (price/ρ)", H)),
                "EOA → household: mean imbalance ā and scaled price u (price = ρ·u, €/kWh)"),
    MessageKind(COMMITMENT, (Field("electricity_kw", "kW", H), Field("heat_kw", "kW", H)),
                "household → EOA: the integer-feasible exchange profile it commits to"),
    MessageKind(TWIN_REPORT, (Field("primal_kw", "kW"), Field("dual_kw", "kW"),
                             Field("mean_price_eur_per_kwh", "€/kWh")),
                "EOA → monitor after each round: residuals of the balance, mean price"),
))

# ----------------------------------------------------------------- paper 002
DR_PROGRAM = "dr_program"
DR_EVENT = "dr_event"
METER_HISTORY = "meter_history"
METERED_POWER = "metered_power"
BILL = "bill"
DR_REWARD = "dr_reward"
SUBMIT_TASKS = "submit_tasks"
DR_CALL = "dr_call"
BID = "bid"
AWARD = "award"

SLOT = Field("slot", "", integer=True)

#: The grid's DR program and the DC's reverse auction with its users (paper 002).
DEMAND_RESPONSE = Protocol("demand_response", (
    MessageKind(DR_PROGRAM, (Field("theta0_eur_per_mwh", "€/MWh"), Field("requested_share", "1"),
                             Field("n_events", "hours", integer=True), Field("er_floor", "1"),
                             Field("er_cap", "1")), "grid → DC: the DR program's public terms"),
    MessageKind(METER_HISTORY, (Field("day", "day", integer=True),
                                Field("power_mw_by_slot", "MW", H)),
                "DC → grid: a past day's metered power per slot, MW (reference power)"),
    MessageKind(DR_EVENT, (SLOT, Field("requested_mw", "MW"), Field("reference_mw", "MW")),
                "grid → DC: a DR event starts now; reduction requested against the reference"),
    MessageKind(METERED_POWER, (SLOT, Field("power_mw", "MW")),
                "DC → grid: the slot's meter reading"),
    MessageKind(BILL, (SLOT, Field("price_eur_per_mwh", "€/MWh"),
                      Field("energy_cost_eur", "€")),
                "grid → DC: the slot's energy bill at the real-time price"),
    MessageKind(DR_REWARD, (SLOT, Field("reduction_mw", "MW"), Field("execution_rate", "1"),
                           Field("reward_eur", "€")),
                "grid → DC: reward (1) of an event slot"),
    MessageKind(SUBMIT_TASKS, (SLOT, *(Field(k, "tasks", integer=True)
                                     for k in ("interactive", "sensitive", "insensitive"))),
                "user → DC: the slot's tasks by type"),
    MessageKind(DR_CALL, (SLOT, Field("resume_slot", "", integer=True)),
                "DC → user: call for bids"),
    MessageKind(BID, (SLOT, Field("n_sensitive", "tasks", integer=True),
                     Field("n_insensitive", "tasks", integer=True), Field("fee_eur", "€")),
                "user → DC: ⟨n_u(t), c_u(t)⟩, tasks it lets the DC postpone and its fee"),
    MessageKind(AWARD, (SLOT, Field("won", "", integer=True),
                       Field("n_tasks", "tasks", integer=True), Field("payment_eur", "€"),
                       Field("resume_slot", "", integer=True)),
                "DC → user: the auction's outcome for this bidder"),
))

ALL = (P2P_MARKET, BILEVEL, COMMUNITY_EXCHANGE, DEMAND_RESPONSE)
