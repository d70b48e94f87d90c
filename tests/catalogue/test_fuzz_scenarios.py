"""Property-based fuzzing of scenario loading: any change to a shipped
scenario (a leaf replaced by a value of any type, a key removed or added)
either validates or fails with a ScenarioError naming the file — never
another exception."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dcmarket.sim.scenario import ScenarioError, read_yaml, scenario_path
from dcmarket.sim.studies import load_any

SHIPPED = {name: read_yaml(scenario_path(name))
           for name in ("p2p_4dc_fixed_lmp", "p2p_ieee30", "dr_2000hosts", "lec_10households")}

LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=30),
    st.dictionaries(st.text(max_size=6), st.integers(-5, 5), max_size=3),
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node[:3]):
            yield from _paths(value, (*prefix, i))


def _apply(raw, path, action, value):
    if not path:
        return value if action == "replace" else raw
    parent = raw
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if action == "delete" and isinstance(parent, dict):
        parent.pop(last, None)
    elif action == "add" and isinstance(parent, dict):
        parent[f"{last}_extra"] = value
    else:
        parent[last] = value
    return raw


def _load(raw) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.yaml"
        path.write_text(yaml.safe_dump(raw, allow_unicode=True))
        try:
            load_any(str(path))
        except ScenarioError as exc:
            assert "fuzzed.yaml" in str(exc)
            assert "\n" not in str(exc)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_change_to_a_scenario_validates_or_is_named(data):
    name = data.draw(st.sampled_from(sorted(SHIPPED)), label="scenario")
    raw = copy.deepcopy(SHIPPED[name])
    paths = list(_paths(raw))
    for _ in range(data.draw(st.integers(1, 3), label="changes")):
        path = data.draw(st.sampled_from(paths), label="path")
        action = data.draw(st.sampled_from(["replace", "delete", "add"]), label="action")
        try:
            raw = _apply(raw, path, action, data.draw(LEAVES, label="value"))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed the path
    _load(raw)
