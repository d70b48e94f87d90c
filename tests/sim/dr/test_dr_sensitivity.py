"""The DR headline against the assumptions the paper leaves open (θ0, the
requested share): the sweep agrees with the day's study at the scenario's
own values, and ST, which never takes part, does not move."""

from __future__ import annotations

import pytest

from dcmarket.sim.dr.sensitivity import sensitivity
from dcmarket.sim.dr.study import run_dr_study
from dcmarket.sim.studies import load_any


@pytest.fixture(scope="module")
def scenario():
    return load_any("dr_2000hosts")[1]


def test_sweep_matches_the_study_at_the_scenarios_own_values(scenario):
    own = (scenario.program.theta0_eur_per_mwh, scenario.program.requested_share)
    frame = sensitivity(scenario, thetas=(40.0, own[0]), shares=(own[1],))
    study = run_dr_study(scenario, quality=False).summary().set_index("strategy")
    at_own = frame[frame.theta0_eur_per_mwh == own[0]].set_index("strategy")
    for strategy in ("OP", "BS", "ST"):
        assert at_own.loc[strategy, "operating_cost_eur"] == pytest.approx(
            study.loc[strategy, "operating_cost_eur"])
    st = frame[frame.strategy == "ST"]
    assert st.operating_cost_eur.nunique() == 1 and (st.reward_eur == 0).all()
    op = frame[frame.strategy == "OP"].set_index("theta0_eur_per_mwh")
    assert op.loc[40.0, "reward_eur"] < op.loc[own[0], "reward_eur"]
