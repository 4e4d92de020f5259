"""The package's import graph: no import circles, and data flowing one way through the stages.

Read statically (``ast``): every ``import``/``from`` of a ``qa`` module, at any depth (inside
functions and ``TYPE_CHECKING`` blocks too), relative ones resolved. Stages, lowest first::

    modeling  model loading shared by every stage (hf, base_encoder)
    ingest    files -> documents -> passages (loading, splitting)
    store     passages -> vectors and the index (embedding, int8, index, keywords, families)
    answer    a question -> spans (retrieval, reading, verify, followup, questions, roles, citing)
    cluster   the Ray backend of indexing
    pipeline  build_index and QA: the stages wired together (the public API)
    eval      measuring answers (evaluation, report, squad)
    train     making readers (training, distill)
    apps      what people run (cli, webapp, server, serving, accounts, discovery): may import anything

In the target layout a module's stage is its package (``qa.store.index``: store). Until
``scripts/relayout.py`` has moved the modules, the flat names are mapped through that script's
``TARGET`` table, so the same rules hold now and after the move.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "qa"

# stage -> the stages it may import (besides itself)
MAY_IMPORT = {
    "modeling": set(),
    "ingest": {"modeling"},
    "store": {"modeling", "ingest"},
    "answer": {"modeling", "ingest", "store"},
    "cluster": {"modeling", "ingest", "store"},
    "pipeline": {"modeling", "ingest", "store", "answer", "cluster"},
    "eval": {"modeling", "ingest", "store", "answer", "cluster", "pipeline"},
    "train": {"modeling", "ingest", "store", "answer", "eval"},
    "apps": {"modeling", "ingest", "store", "answer", "cluster", "pipeline", "eval", "train"},
}
TOP_LEVEL = {"pipeline": "pipeline", "cluster": "cluster", "__main__": "apps"}  # top-level modules and their stage


def modules() -> dict[str, Path]:
    """Every module of the package: dotted name -> file (a package is its ``__init__.py``)."""
    out = {}
    for f in PACKAGE.rglob("*.py"):
        parts = list(f.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def import_graph() -> dict[str, set[str]]:
    """module -> the package modules it imports (the nearest existing module of each dotted name).

    ``from qa import X`` counts as an import of the module ``qa.X`` when there is one; an import of
    the package ``qa`` itself (its lazy public names) is left out, as is a module's import of a
    package that holds it.
    """
    mods = modules()

    def nearest(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for mod, path in mods.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    here = mod.split(".") if is_package else mod.split(".")[:-1]
                    here = here[: len(here) - (node.level - 1)]
                    base = ".".join(here + ([base] if base else []))
                targets = [f"{base}.{a.name}" for a in node.names] + [base]
            else:
                continue
            for target in targets:
                found = nearest(target) if target.split(".")[0] == "qa" else None
                if found and found != "qa" and found != mod and not mod.startswith(found + "."):
                    graph[mod].add(found)
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def flat_targets() -> dict[str, str] | None:
    """Before the move: ``scripts/relayout.py``'s table, top-level name -> stage; None after it."""
    if any((PACKAGE / stage).is_dir() for stage in MAY_IMPORT if stage not in TOP_LEVEL):
        return None
    spec = importlib.util.spec_from_file_location("relayout", ROOT / "scripts" / "relayout.py")
    relayout = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(relayout)
    return {name.removesuffix(".py"): stage for name, stage in relayout.TARGET.items()}


def stage_of(module: str, flat: dict[str, str] | None) -> str | None:
    """The stage of a package module (None for the package itself)."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    top = parts[1]
    if top in TOP_LEVEL:
        return TOP_LEVEL[top]
    if flat is not None and top in flat:
        return flat[top]
    if flat is None and top in MAY_IMPORT:
        return top
    raise AssertionError(f"{module} belongs to no stage: put it in a stage package "
                         f"({', '.join(s for s in MAY_IMPORT if s not in TOP_LEVEL)}) "
                         "or, before the move, add it to TARGET in scripts/relayout.py")


def test_the_import_graph_is_read():
    graph = import_graph()
    assert len(graph) > 20
    assert any(graph.values())  # resolution works: a package that imports nothing would pass anything


def test_no_import_circles():
    assert circles(import_graph()) == []


def test_circles_are_found():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_data_flows_one_way_through_the_stages():
    flat = flat_targets()
    wrong = []
    for mod, targets in sorted(import_graph().items()):
        stage = stage_of(mod, flat)
        for target in sorted(targets):
            other = stage_of(target, flat)
            if stage is not None and other is not None and other != stage and other not in MAY_IMPORT[stage]:
                wrong.append(f"{mod} ({stage}) imports {target} ({other})")
    assert wrong == []


@pytest.mark.parametrize("serving", ["ingest", "store", "answer", "pipeline", "cluster"])
def test_serving_stages_import_no_training_or_evaluation(serving):
    assert not MAY_IMPORT[serving] & {"train", "eval", "apps"}
