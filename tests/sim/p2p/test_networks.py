"""The grid study on a network of one's own: a pandapower case by name with
its own generators and costs, a pandapower JSON file and a MATPOWER case
file.  Oracles: pandapower's own case data and its DC OPF (``rundcopp``)."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import numpy as np
import pytest

import dcmarket
from dcmarket.grid.dcopf import DCOPF
from dcmarket.grid.network import case_units, load_network, load_pandapower_case
from dcmarket.sim.cli import main
from dcmarket.sim.p2p.case_study import run_case_study
from dcmarket.sim.p2p.coordination import build_grid_case
from dcmarket.sim.scenario import ScenarioError

pp = pytest.importorskip("pandapower")
CASE14 = Path(__file__).parent / "data" / "p2p_case14.yaml"


def write_matpower(net, path: Path) -> Path:
    """``net`` as a MATPOWER case file (version 2), from pandapower's own PYPOWER
    case: buses, generators, branches and polynomial costs, 1-based numbers."""
    from pandapower.converter.pypower.to_ppc import to_ppc

    net = copy.deepcopy(net)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pp.rundcpp(net, numba=False)
        ppc = to_ppc(net, init="results")
    bus, gen, branch, cost = (np.array(ppc[k], float) for k in ("bus", "gen", "branch",
                                                                "gencost"))
    bus, gen, branch = bus[:, :13], gen[:, :21], branch[:, :13]
    bus[:, 0] += 1
    gen[:, 0] += 1
    branch[:, :2] += 1

    def block(name: str, rows: np.ndarray) -> str:
        body = "\n".join("\t" + "\t".join(f"{v:.10g}" for v in row) + ";" for row in rows)
        return f"mpc.{name} = [\n{body}\n];\n"

    path.write_text("function mpc = case_file\nmpc.version = '2';\n"
                    f"mpc.baseMVA = {float(ppc['baseMVA']):g};\n" + block("bus", bus)
                    + block("gen", gen) + block("branch", branch)
                    + block("gencost", cost[:, :7]))
    return path


def lmps_equal_rundcopp(source: str) -> None:
    """Our DC OPF with the case's units on ``source`` against pandapower's own."""
    network, net = load_network(source)
    units = case_units(net, network, source)
    from dcmarket.grid.dcopf import Unit

    opf_units = [Unit(u.name, u.bus, u.p_max_mw, u.p_min_mw, u.a, u.b) for u in units]
    net = copy.deepcopy(net)
    net.line["max_loading_percent"] = 1e6
    net.trafo["max_loading_percent"] = 1e6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pp.rundcopp(net, numba=False)
    result = DCOPF(network, opf_units, hours=1).solve(
        network.base_load_mw[None, :], np.array([[u.p_max for u in opf_units]]))
    assert np.allclose(result.lmp[0], net.res_bus.lam_p.to_numpy(), atol=1e-3), source


@pytest.fixture(scope="module")
def case14_study():
    scenario = dcmarket.load(CASE14)
    text, summary = run_case_study(scenario)
    return scenario, text, summary


def test_a_case_by_name_runs_the_whole_case_study_with_its_own_generators(case14_study):
    scenario, text, summary = case14_study
    assert summary["converged"] and summary["bilevel_converged"]
    case = build_grid_case(scenario.grid, scenario.hours)
    _, net = load_pandapower_case("case14")
    costs = {(r.et, r.element): (r.cp2_eur_per_mw2, r.cp1_eur_per_mw)
             for r in net.poly_cost.itertuples()}
    assert len(case.units) == len(costs)  # every generator of the case, at its own cost
    assert sorted((u.a, u.b) for u in case.units) == sorted(costs.values())
    assert "paper" not in text  # paper 000's numbers stand beside its own scenario only
    assert set(summary["ptdf_on_rated_lines"]) == {"9-14"}
    assert set(summary["ptdf_on_rated_lines"]["9-14"]) == {"DC1", "DC2", "DC3"}


def test_network_files_read_as_the_case_they_hold(tmp_path):
    _, net = load_pandapower_case("case14")
    json_path = tmp_path / "grid.json"
    pp.to_json(net, str(json_path))
    m_path = write_matpower(net, tmp_path / "grid.m")
    named, _ = load_network("pandapower:case14")
    for path in (json_path, m_path):
        network, _ = load_network(str(path))
        assert network.n_buses == named.n_buses and network.n_branches == named.n_branches
        np.testing.assert_allclose(np.sort(network.reactance_pu), np.sort(named.reactance_pu))
        np.testing.assert_allclose(network.base_load_mw.sum(), named.base_load_mw.sum())
        lmps_equal_rundcopp(str(path))
    scenario = dcmarket.load(CASE14, f"grid.network={m_path}")
    assert scenario.grid.network == str(m_path)


def test_a_bad_network_is_named_before_anything_is_solved(tmp_path):
    with pytest.raises(ScenarioError, match="no such network file"):
        dcmarket.load(CASE14, f"grid.network={tmp_path / 'none.json'}")
    (tmp_path / "grid.txt").write_text("x")
    with pytest.raises(ScenarioError, match="pandapower JSON or MATPOWER"):
        dcmarket.load(CASE14, f"grid.network={tmp_path / 'grid.txt'}")
    (tmp_path / "broken.json").write_text("{\"not\": \"a net\"}")
    assert main(["validate", str(CASE14), "--set",
                 f"grid.network={tmp_path / 'broken.json'}"]) == 2


def test_a_market_stopped_at_its_cap_says_which_and_how_far(case14_study):
    scenario, _, _ = case14_study
    short = scenario.model_copy(update={"market": scenario.market.model_copy(
        update={"max_rounds": 15})})
    _, summary = run_case_study(short)
    stopped = summary["admm_not_converged"]
    assert stopped and not summary["converged"]
    for market in stopped:
        assert market["rounds"] == market["cap"] == 15
        assert (market["primal_residual"] > market["tol_primal"]
                or market["dual_change"] > market["tol_dual"])


def test_the_round_cap_grows_with_the_fleet():
    four = dcmarket.load("p2p_4dc_fixed_lmp")
    assert four.market.max_rounds is None and four.round_cap == 500  # as before
    three = dcmarket.load(CASE14)
    assert three.round_cap == three.market.max_rounds == 3000  # a cap given is kept
    unset = three.model_copy(update={"market": three.market.model_copy(
        update={"max_rounds": None})})
    assert unset.round_cap == max(500, 100 * len(unset.datacenters))
