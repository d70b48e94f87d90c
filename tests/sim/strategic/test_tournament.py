"""``dcmarket tournament``: entrants on the 4-DC market — one that
withholds, one that crashes, one that times out, one that breaks the
market's convergence.  The market always
finishes, faults are recorded against their entrants, the ranking is the
sum of per-run z-scores, and every entrant's source digest is in the
manifest."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

import dcmarket
from dcmarket.sim.cli import main

ENTRANTS = {
    "withholder.py": """
from dcmarket import DataCentreStrategy

class Withholder(DataCentreStrategy):
    name = "withholder"
    def trade_limits(self, limits):
        return {j: 0.75 * q for j, q in limits.items()}
""",
    "crasher.py": """
from dcmarket import DataCentreStrategy

class Crasher(DataCentreStrategy):
    name = "crasher"
    def report(self, prices, trades):
        raise SystemExit(9)
""",
    "shader.py": """
import numpy as np
from dcmarket import DataCentreStrategy

class Shader(DataCentreStrategy):
    name = "shader"
    def estimate(self, partner, y, trades):
        return y - 0.2 * np.sign(trades)
""",
    "sleeper.py": """
import time
from dcmarket import DataCentreStrategy

class Sleeper(DataCentreStrategy):
    name = "sleeper"
    def estimate(self, partner, y, trades):
        time.sleep(5)
        return y
""",
}


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    folder = tmp_path_factory.mktemp("entrants")
    for name, text in ENTRANTS.items():
        (folder / name).write_text(text)
    out = tmp_path_factory.mktemp("board") / "run"
    code = main(["tournament", str(folder), "--scenario", "p2p_4dc_fixed_lmp", "--seats", "DC2",
                 "--wall-s", "0.5", "--out", str(out)])
    return folder, out, code


def test_the_market_finishes_and_faults_are_recorded_against_their_entrants(played):
    _, out, code = played
    assert code == 0
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == 4 and runs.set_index("entrant").converged.drop("shader").all()
    faults = pd.read_csv(out / "faults.csv").set_index("entrant")
    assert "SystemExit: 9" in faults.loc["crasher", "reason"]
    assert "no answer within 0.5 s" in faults.loc["sleeper", "reason"]
    fell = runs.set_index("entrant").fell_back
    assert fell["crasher"] and fell["sleeper"] and not fell["withholder"]
    # after the fault the seat plays truthfully: the crasher fell at its first report
    # (after round 1), the sleeper at its first estimate: it ends as truthful play
    sleeper = runs.set_index("entrant").loc["sleeper"]
    assert sleeper.profit == pytest.approx(sleeper.profit_truthful, rel=1e-9)


def test_an_entrant_that_breaks_convergence_is_counted_at_no_trade(played):
    _, out, _ = played
    shader = pd.read_csv(out / "runs.csv").set_index("entrant").loc["shader"]
    alone = dcmarket.run(dcmarket.load("p2p_4dc_fixed_lmp"), "no_trade")
    assert not shader.converged and shader.flagged.startswith("the protocol did not converge")
    assert shader.profit == pytest.approx(alone.profits["DC2"], rel=1e-9)
    assert "no_trade" in shader.counted_as


def test_the_ranking_is_the_sum_of_z_scores_of_profit_per_run(played):
    _, out, _ = played
    runs = pd.read_csv(out / "runs.csv")
    board = pd.read_csv(out / "leaderboard.csv")
    profits = runs.set_index("entrant").profit
    z = (profits - profits.mean()) / profits.std(ddof=0)
    for row in board.itertuples():
        assert row.score == pytest.approx(z[row.entrant], abs=1e-9)
    assert list(board.entrant) == list(z.sort_values(ascending=False).index)
    assert board.score.sum() == pytest.approx(0.0, abs=1e-9)
    assert np.all(np.diff(board["rank"]) == 1)


def test_the_manifest_holds_every_entrants_digest(played):
    folder, out, _ = played
    manifest = json.loads((out / "manifest.json").read_text())
    for name in ENTRANTS:
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert manifest["entrants"][name[:-3]]["sha256"] == digest
    assert main(["verify", str(out)]) == 0
    assert "z-score" in (out / "leaderboard.html").read_text()


def test_a_folder_without_entrants_or_a_seat_no_entrant_can_play_is_refused(tmp_path):
    assert main(["tournament", str(tmp_path), "--scenario", "p2p_4dc_fixed_lmp"]) == 2
    (tmp_path / "a.py").write_text("x = 1\n")
    assert main(["tournament", str(tmp_path), "--scenario", "dr_2000hosts",
                 "--seats", "DC"]) == 2


def test_seats_one_named_all_or_the_first_an_entrant_can_play():
    from dcmarket.sim.scenario import ScenarioError
    from dcmarket.sim.strategic.tournament import seats_of

    p2p = dcmarket.load("p2p_4dc_fixed_lmp")
    assert seats_of(p2p, None) == ["DC1"]
    assert seats_of(p2p, "all") == ["DC1", "DC2", "DC3", "DC4"]
    assert seats_of(p2p, "DC3,DC4") == ["DC3", "DC4"]
    dr = dcmarket.load("dr_2000hosts")
    assert "DC" not in seats_of(dr, "all") and len(seats_of(dr, "all")) == 10
    with pytest.raises(ScenarioError, match="an entrant cannot"):
        seats_of(dr, "DC")
