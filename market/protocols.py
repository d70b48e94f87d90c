"""Every message kind of every protocol, one typed declaration per protocol.

A bus is built with the protocols a model runs (:class:`market.messages.MessageBus`);
a payload may carry only its kind's fields listed here, so this page is also
the list of everything that is public in each study.  Units are in the field
names or the docs.
"""

from __future__ import annotations

from market.messages import MessageKind, Protocol

# ----------------------------------------------------------------- paper 000
PRICE_ESTIMATE = "price_estimate"
MARKET_OFFER = "market_offer"
PENALTY = "penalty"
ROUND_REPORT = "round_report"

#: Dual-consensus ADMM of the P2P cloud-service market (paper 000, (41)–(48)).
P2P_MARKET = Protocol("p2p_market", (
    MessageKind(PRICE_ESTIMATE, ("y",),
                "DC → neighbour: its estimate y_i of the shared link prices, "
                "$ per M requests, one per shared link and hour (ADMM step 3)"),
    MessageKind(MARKET_OFFER, ("marginal_cost",),
                "DC → monitor: its opening offer, depreciation plus the IT-side energy "
                "cost of interactive work at its mean LMP, $ per M requests (what a "
                "seller quotes), from which the penalty c is agreed"),
    MessageKind(PENALTY, ("c",),
                "monitor → DC: the agreed ADMM penalty c (M requests² per $ per h)"),
    MessageKind(ROUND_REPORT, ("trades", "prices", "estimate_change", "disagreement"),
                "DC → monitor after each round: its trades on its own links (q_ij,t, "
                "M requests/h, the volumes its partners see anyway), its price estimates "
                "on those links, max |y_i^k − y_i^(k−1)| and max |y_i − y_j| over its "
                "neighbours ($ per M requests): what the stopping rule needs"),
))

DEMAND_BID = "demand_bid"
LMP = "lmp"
BISECTION_BOX = "bisection_box"
OUTER_REPORT = "outer_report"

#: The bi-level loop between the DCs and the grid operator (paper 000, (49)–(54)).
BILEVEL = Protocol("bilevel", (
    MessageKind(DEMAND_BID, ("pg",), "DC → grid operator: hourly grid import, MW"),
    MessageKind(LMP, ("lmp",), "grid operator → DC: the LMP series at the DC's bus, $/MWh (29)"),
    MessageKind(BISECTION_BOX, ("lo", "hi"),
                "grid operator → DC: the bisection interval [lo, hi] of its grid import per "
                "hour, MW (NaN where the hour is free) (51)–(54)"),
    MessageKind(OUTER_REPORT, ("power_residual", "boxed", "widest_box_mw", "oscillating"),
                "grid operator → monitor: max |Pg^k − Pg^(k−1)| (MW) (49), boxed pairs, "
                "widest box and pairs seen oscillating (50)"),
))

# ----------------------------------------------------------------- paper 001
EXCHANGE_BID = "exchange_bid"
COMMUNITY_PRICE = "community_price"
COMMITMENT = "commitment"
TWIN_REPORT = "twin_report"

#: Exchange ADMM of the energy community's decentralised twin (paper 001, (2b), (2p)).
COMMUNITY_EXCHANGE = Protocol("community_exchange", (
    MessageKind(EXCHANGE_BID, ("electricity_kw", "heat_kw"),
                "household → EOA: what it takes from the community per hour (imp − exp, heat)"),
    MessageKind(COMMUNITY_PRICE,
                ("mean_electricity_kw", "mean_heat_kw", "u_electricity", "u_heat"),
                "EOA → household: mean imbalance ā and scaled price u (price = ρ·u, €/kWh)"),
    MessageKind(COMMITMENT, ("electricity_kw", "heat_kw"),
                "household → EOA: the integer-feasible exchange profile it commits to"),
    MessageKind(TWIN_REPORT, ("primal_kw", "dual_kw", "mean_price_eur_per_kwh"),
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

#: The grid's DR program and the DC's reverse auction with its users (paper 002).
DEMAND_RESPONSE = Protocol("demand_response", (
    MessageKind(DR_PROGRAM, ("theta0_eur_per_mwh", "requested_share", "n_events", "er_floor",
                             "er_cap"), "grid → DC: the DR program's public terms"),
    MessageKind(METER_HISTORY, ("day", "power_mw_by_slot"),
                "DC → grid: a past day's metered power per slot, MW (reference power)"),
    MessageKind(DR_EVENT, ("slot", "requested_mw", "reference_mw"),
                "grid → DC: a DR event starts now; reduction requested against the reference"),
    MessageKind(METERED_POWER, ("slot", "power_mw"), "DC → grid: the slot's meter reading"),
    MessageKind(BILL, ("slot", "price_eur_per_mwh", "energy_cost_eur"),
                "grid → DC: the slot's energy bill at the real-time price"),
    MessageKind(DR_REWARD, ("slot", "reduction_mw", "execution_rate", "reward_eur"),
                "grid → DC: reward (1) of an event slot"),
    MessageKind(SUBMIT_TASKS, ("slot", "interactive", "sensitive", "insensitive"),
                "user → DC: the slot's tasks by type"),
    MessageKind(DR_CALL, ("slot", "resume_slot"), "DC → user: call for bids"),
    MessageKind(BID, ("slot", "n_sensitive", "n_insensitive", "fee_eur"),
                "user → DC: ⟨n_u(t), c_u(t)⟩, tasks it lets the DC postpone and its fee"),
    MessageKind(AWARD, ("slot", "won", "n_tasks", "payment_eur", "resume_slot"),
                "DC → user: the auction's outcome for this bidder"),
))

ALL = (P2P_MARKET, BILEVEL, COMMUNITY_EXCHANGE, DEMAND_RESPONSE)
