"""The layout holds: every module lives under ``dcmarket`` (no top-level
``agents``, ``market``, ``grid`` or ``sim`` import anywhere in the project),
imports run one way (sim → agents → market → grid), no two modules import
each other (no cycle at all), and no study imports another."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"grid": 0, "market": 1, "agents": 2, "sim": 3}

def _study_names() -> set[str]:
    from dcmarket.sim.registry import studies

    return set(studies())


STUDIES = _study_names()
#: shared modules allowed to import a study's module (none: they ask the registry)
NAMES_STUDIES: set[str] = set()


def _modules() -> dict[str, Path]:
    found = {}
    for top in LAYERS:
        for path in (ROOT / top).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(["dcmarket", *parts])] = path
    return found


def _imports(path: Path, known: set[str]) -> set[str]:
    """Every project module ``path`` imports, lazily inside functions too."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            if name in known:
                out.add(name)
    return out


def _layer(module: str) -> str:
    """``dcmarket.sim.p2p.model`` → ``sim``."""
    return module.split(".")[1]


def _graph() -> nx.DiGraph:
    modules = _modules()
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        for target in _imports(path, set(modules)):
            if target != name and not name.startswith(target + "."):
                graph.add_edge(name, target)
    return graph


def test_the_module_graph_is_found():
    graph = _graph()
    assert {"dcmarket.sim.p2p.model", "dcmarket.agents.base", "dcmarket.market.messages",
            "dcmarket.grid.dcopf"} <= set(graph)
    assert graph.has_edge("dcmarket.sim.p2p.model", "dcmarket.agents.p2p.datacenter")


def test_imports_never_run_up_a_layer():
    upward = [(a, b) for a, b in _graph().edges
              if LAYERS[_layer(b)] > LAYERS[_layer(a)]]
    assert not upward, f"imports that run up a layer: {upward}"


def test_no_import_cycles():
    cycles = list(nx.simple_cycles(_graph()))
    assert not cycles, f"modules that import each other: {cycles}"


def test_no_study_imports_another_study():
    def study(module: str) -> str | None:
        parts = module.split(".")
        return parts[2] if len(parts) > 2 and parts[2] in STUDIES else None

    crossing = [(a, b) for a, b in _graph().edges
                if study(a) and study(b) and study(a) != study(b)]
    assert not crossing, f"study folders importing each other: {crossing}"


OLD_IMPORT = re.compile(r"^\s*(from|import) (agents|market|grid|sim)(\.|\s|$)", re.MULTILINE)


def test_no_code_imports_the_old_top_level_names():
    """``import agents`` would load a second copy of a module beside
    ``dcmarket.agents`` (two classes of one name), or another project's
    ``agents`` package: every import goes through ``dcmarket``."""
    sources = [p for top in (*LAYERS, "tests", "benchmarks", "scripts", "dcmarket")
               for p in (ROOT / top).rglob("*.py")]
    sources += list((ROOT / "notebooks").glob("*.ipynb")) + list((ROOT / "docs").rglob("*.md"))
    sources.append(ROOT / "README.md")
    offenders = []
    for path in sources:
        text = path.read_text()
        if path.suffix == ".ipynb":
            text = "\n".join(line.strip().strip('",').replace("\\n", "")
                             for line in text.splitlines())
        offenders += [f"{path.relative_to(ROOT)}: {m.group(0).strip()}"
                      for m in OLD_IMPORT.finditer(text)]
    assert not offenders, f"old top-level imports: {offenders}"


def test_shared_modules_reach_studies_only_through_the_registry():
    """Shared code (sim/*.py, the dashboard, the executors) imports no study's
    module: it finds a study's parts in the registry (sim.registry)."""
    def study(module: str) -> str | None:
        parts = module.split(".")
        return parts[2] if len(parts) > 2 and parts[1] in ("sim", "agents") \
            and parts[2] in STUDIES else None

    naming = sorted({a for a, b in _graph().edges
                     if a.startswith("dcmarket.sim.") and study(a) is None and study(b)})
    studies_seen = {m for m in _graph() if study(m)}
    assert studies_seen, "the graph shows no study module (the check is blind)"
    assert set(naming) <= NAMES_STUDIES, f"shared modules importing a study: {naming}"


def test_mesa_lives_in_agents_and_sim_only():
    """Protocols (market/) and physics (grid/) know no Mesa: an agent is a Mesa
    agent, a model a Mesa model, and nothing below them depends on either."""
    users = []
    for top in ("market", "grid"):
        for path in (ROOT / top).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                users += [f"{path.relative_to(ROOT)}: {n}" for n in names
                          if n == "mesa" or n.startswith("mesa.")]
    assert not users, f"mesa imported below agents/: {users}"
