"""Any pandapower case by name: LMPs equal pandapower's own DC OPF
(``rundcopp``) with data-centre loads added at random buses."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

from dcmarket.grid.dcopf import DCOPF, Unit
from dcmarket.grid.network import load_pandapower_case

pp = pytest.importorskip("pandapower")


def _units(net) -> list[Unit]:
    """Every unit with a cost in the case, at its bus's own number."""
    label = dict(zip(net.bus.index, load_pandapower_case_labels(net), strict=True))
    units = []
    for _, cost in net.poly_cost.iterrows():
        table = net.ext_grid if cost.et == "ext_grid" else net.gen
        row = table.loc[cost.element]
        if not row.in_service:
            continue
        p_max = float(row.max_p_mw) if np.isfinite(row.max_p_mw) else 1e4
        p_min = float(row.min_p_mw) if np.isfinite(row.min_p_mw) else 0.0
        units.append(Unit(f"{cost.et}{cost.element}", label[row.bus], p_max, p_min,
                          a=float(cost.cp2_eur_per_mw2), b=float(cost.cp1_eur_per_mw)))
    return units


def load_pandapower_case_labels(net) -> list[int]:
    names = net.bus.name
    if names.map(lambda v: isinstance(v, int | np.integer)).all() and names.min() >= 1:
        return [int(v) for v in names]
    return [int(b) + 1 for b in net.bus.index]


@pytest.mark.parametrize("case", ["case14", "case57", "case118", "case300"])
def test_lmps_equal_rundcopp_with_dcs_on_random_buses(case):
    network, net = load_pandapower_case(case)
    rng = np.random.default_rng(7)
    buses = rng.choice(len(net.bus), size=3, replace=False)
    extra = {int(b): float(rng.uniform(5, 20)) for b in buses}  # DC loads, MW
    load = network.base_load_mw.copy()
    net = copy.deepcopy(net)
    for position, mw in extra.items():
        load[position] += mw
        pp.create_load(net, net.bus.index[position], p_mw=mw, q_mvar=0.0)
    net.line["max_loading_percent"] = 1e6  # unrated, as in our copy of the network
    net.trafo["max_loading_percent"] = 1e6
    units = _units(net)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pp.rundcopp(net, numba=False)
    result = DCOPF(network, units, hours=1).solve(
        load[None, :], np.array([[u.p_max for u in units]]))
    assert np.allclose(result.lmp[0], net.res_bus.lam_p.to_numpy(), atol=1e-3)
    assert network.bus_labels == tuple(load_pandapower_case_labels(net))
