"""Strategies by name, file, module and entry point; by value to another
process; every failure named."""

from __future__ import annotations

import pickle
from importlib import metadata

import pytest

from dcmarket.agents import strategy_registry as registry
from dcmarket.agents.strategies import Markup, Shade, StrategyError, Withhold
from dcmarket.agents.strategy_origin import rebuilt
from dcmarket.agents.strategy_registry import provenance, strategy_of

RULES = '''
from dcmarket.agents.strategies import DRUserStrategy


class Double(DRUserStrategy):
    name = "double"

    def fee(self, true_cost_eur, n_tasks, delay_slots):
        return 2 * true_cost_eur
'''


def test_a_shipped_strategy_by_name_with_its_parameters():
    made = strategy_of({"name": "shade", "delta": 0.5}, "p2p_datacentre")
    assert isinstance(made, Shade) and made.delta == 0.5
    assert made.label() == "shade(delta=0.5)"
    with pytest.raises(StrategyError, match=r"unknown strategy .markup. for a p2p_datacentre"):
        strategy_of("markup", "p2p_datacentre")
    with pytest.raises(StrategyError, match=r"withhold.share = 1.5"):
        strategy_of({"name": "withhold", "share": 1.5}, "p2p_datacentre")
    with pytest.raises(StrategyError, match="unexpected keyword"):
        strategy_of({"name": "withhold", "fraction": 0.5}, "p2p_datacentre")


def test_a_strategy_from_a_file_travels_by_value(tmp_path):
    path = tmp_path / "rules.py"
    path.write_text(RULES)
    made = strategy_of(f"{path}:Double", "dr_user")
    assert made.fee(1.5, 3, 2) == 3.0
    # a pickle carries the file's source: it rebuilds where the file is not
    path.unlink()
    clone = pickle.loads(pickle.dumps(made))
    assert type(clone).__name__ == "Double" and clone.fee(1.0, 1, 1) == 2.0
    record = provenance(made)
    assert record["origin"] == "rules.py" and len(record["source_sha256"]) == 64


def test_a_broken_or_missing_file_is_named(tmp_path):
    broken = tmp_path / "broken.py"
    broken.write_text("def (:\n")
    with pytest.raises(StrategyError, match=r"broken\.py fails to load: SyntaxError"):
        strategy_of(f"{broken}:X", "dr_user")
    with pytest.raises(StrategyError, match="cannot read strategy file"):
        strategy_of(f"{tmp_path / 'nowhere.py'}:X", "dr_user")
    with pytest.raises(StrategyError, match="defines no 'Nope'"):
        (tmp_path / "ok.py").write_text(RULES)
        strategy_of(f"{tmp_path / 'ok.py'}:Nope", "dr_user")


def test_an_installed_packages_entry_point_names_a_strategy(monkeypatch):
    point = metadata.EntryPoint(name="greedy_markup", group=registry.ENTRY_POINTS,
                                value="dcmarket.agents.strategies:Markup")
    real = metadata.entry_points
    monkeypatch.setattr(registry.metadata, "entry_points",
                        lambda **kw: [point] if kw.get("group") == registry.ENTRY_POINTS
                        else real(**kw))
    made = strategy_of({"name": "greedy_markup", "factor": 3}, "dr_user")
    assert isinstance(made, Markup) and made.fee(1.0, 1, 1) == 3.0


def test_a_module_strategy_pickles_by_reference_and_a_missing_one_is_unloadable():
    made = Withhold(share=0.25)
    assert pickle.loads(pickle.dumps(made)) == made
    ghost = rebuilt(("module", "no_such_module_anywhere", "X"), {})
    with pytest.raises(StrategyError, match="no_such_module_anywhere:X cannot be loaded"):
        ghost.trade_limits({})
