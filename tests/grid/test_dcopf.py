"""DC-OPF and LMPs against pandapower's own DC OPF on the IEEE 30-bus case."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

from dcmarket.grid.dcopf import DCOPF, OPFError, Unit
from dcmarket.grid.network import load_pandapower_ieee30

pp = pytest.importorskip("pandapower")

COST_FACTOR = 10.0
# docs/p2p.md (assumption): Alsac–Stott costs at buses 1, 2, 5, 8
THERMAL = {1: (0.00375, 2.0), 2: (0.0175, 1.75), 5: (0.0625, 1.0), 8: (0.00834, 3.25)}


@pytest.fixture(scope="module")
def ieee30():
    return load_pandapower_ieee30()


def _units(net) -> list[Unit]:
    units = [Unit("G1", 1, float(net.ext_grid.max_p_mw.iloc[0]),
                  a=THERMAL[1][0] * COST_FACTOR, b=THERMAL[1][1] * COST_FACTOR)]
    for _, row in net.gen.iterrows():
        label = int(row.bus) + 1
        if label in THERMAL:
            a, b = THERMAL[label]
            units.append(Unit(f"G{label}", label, float(row.max_p_mw),
                              a=a * COST_FACTOR, b=b * COST_FACTOR))
    return units


def _pandapower_dcopf(net, units, rating: dict[tuple[int, int], float]):
    net = copy.deepcopy(net)
    net.poly_cost.drop(net.poly_cost.index, inplace=True)
    by_bus = {u.bus: u for u in units}
    pp.create_poly_cost(net, 0, "ext_grid", cp1_eur_per_mw=by_bus[1].b,
                        cp2_eur_per_mw2=by_bus[1].a)
    for gi, row in net.gen.iterrows():
        unit = by_bus.get(int(row.bus) + 1)
        if unit is None:
            net.gen.loc[gi, "max_p_mw"] = 0.0
            pp.create_poly_cost(net, gi, "gen", cp1_eur_per_mw=0.0)
        else:
            pp.create_poly_cost(net, gi, "gen", cp1_eur_per_mw=unit.b, cp2_eur_per_mw2=unit.a)
    net.line["max_loading_percent"] = 100.0
    net.trafo["max_loading_percent"] = 1e6
    for (a, b), mw in rating.items():
        line = net.line.index[(net.line.from_bus == a - 1) & (net.line.to_bus == b - 1)][0]
        kv = net.bus.vn_kv.at[a - 1]
        net.line.loc[line, "max_i_ka"] = mw / (kv * np.sqrt(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pp.rundcopp(net, numba=False)
    dispatch = {"G1": float(net.res_ext_grid.p_mw.iloc[0])}
    for gi, row in net.gen.iterrows():
        if int(row.bus) + 1 in by_bus:
            dispatch[f"G{int(row.bus) + 1}"] = float(net.res_gen.p_mw.at[gi])
    return net.res_bus.lam_p.to_numpy(), dispatch


def test_ptdf_matches_pandapower(ieee30):
    from pandapower.pypower.makePTDF import makePTDF

    network, net = ieee30
    ppc = net._ppc
    reference = makePTDF(ppc["baseMVA"], np.real(ppc["bus"]), np.real(ppc["branch"]), 0)
    assert np.allclose(network.ptdf(), reference, atol=1e-10)


@pytest.mark.parametrize(
    "rating", [{}, {(10, 17): 6.0}, {(2, 5): 60.0}],
    ids=["uncongested", "line 10-17", "line 2-5"],
)
def test_lmps_and_dispatch_match_pandapower(ieee30, rating):
    network, net = ieee30
    units = _units(net)
    grid = network.with_ratings({f"{a}-{b}": mw for (a, b), mw in rating.items()})
    opf = DCOPF(grid, units, hours=1)
    result = opf.solve(network.base_load_mw[None, :], np.array([[u.p_max for u in units]]))
    lmp_pp, dispatch_pp = _pandapower_dcopf(net, units, rating)
    assert np.allclose(result.lmp[0], lmp_pp, atol=0.01)
    for name, mw in dispatch_pp.items():
        assert result.dispatch[name][0] == pytest.approx(mw, abs=0.01)
    if not rating:
        assert np.ptp(result.lmp[0]) < 1e-6  # no binding line: one system price
        assert np.allclose(result.congestion, 0.0, atol=1e-6)
    else:
        (a, b), mw = next(iter(rating.items()))
        line = grid.branch_index(f"{a}-{b}")
        assert abs(result.flows[0, line]) == pytest.approx(mw, abs=1e-4)  # binding
        # the bus fed by the congested line (its receiving end) is priced higher
        receiving = b if result.flows[0, line] > 0 else a
        sending = a if receiving == b else b
        assert (result.lmp[0, network.position(receiving)]
                > result.lmp[0, network.position(sending)] + 0.01)


def test_system_price_is_the_marginal_units_cost(ieee30):
    """Pins the dual sign: uncongested, λ = b + 2·a·P of every unit strictly
    between its limits."""
    network, net = ieee30
    units = _units(net)
    result = DCOPF(network, units, hours=1).solve(
        network.base_load_mw[None, :], np.array([[u.p_max for u in units]])
    )
    for u in units:
        p = result.dispatch[u.name][0]
        if 1e-3 < p < u.p_max - 1e-3:
            assert result.energy_price[0] == pytest.approx(u.b + 2 * u.a * p, abs=1e-4)


def test_load_above_capacity_names_the_hour(ieee30):
    network, net = ieee30
    units = _units(net)
    opf = DCOPF(network, units, hours=3)
    demand = np.tile(network.base_load_mw, (3, 1))
    demand[2] *= 10
    with pytest.raises(OPFError, match="hour 2"):
        opf.solve(demand, np.tile([u.p_max for u in units], (3, 1)))


def test_bad_bus_and_rating_are_named(ieee30):
    network, _ = ieee30
    with pytest.raises(ValueError, match="bus 31 does not exist"):
        network.position(31)
    with pytest.raises(ValueError, match="10-17: 0"):
        network.with_ratings({"10-17": 0})
    with pytest.raises(ValueError, match="no line"):
        network.with_ratings({"1-30": 10})
