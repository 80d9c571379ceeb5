"""The package's structure: its layers import downwards only, and nothing imports in a circle.

The graph is read from the code's own ``import`` statements, those inside
functions included (an import deferred to break a cycle is still a cycle).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "basket_segments"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imported(name: str, path: Path) -> set[str]:
    """The package's modules that ``name`` imports, anywhere in its code."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {target for target in found if target in MODULES and target != name}


GRAPH = {name: imported(name, path) for name, path in MODULES.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm).

    >>> cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}})
    [['b', 'a']]
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while not group or group[-1] != node:
                group.append(stack.pop())
            if len(group) > 1:
                found.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_is_read_from_the_code():
    assert len(MODULES) > 60
    assert "basket_segments.store.storage" in GRAPH["basket_segments.store.results"]
    assert cycles({"a": {"b"}, "b": {"a"}}) == [["b", "a"]]


def test_no_module_imports_itself_in_a_circle():
    assert cycles(GRAPH) == []


@pytest.mark.parametrize(
    ("layer", "may_import"),
    [
        ("basket_segments.analytics", ("basket_segments.analytics",)),
        ("basket_segments.cli", ("basket_segments.cli", "basket_segments.analytics")),
        (
            "basket_segments.store",
            (
                "basket_segments.store",
                "basket_segments.analytics",
                "basket_segments.queries",
                "basket_segments.settings",
            ),
        ),
    ],
)
def test_layers_import_downwards_only(layer, may_import):
    """Analytics knows nothing of the dashboard or the web; the store nothing of the pages."""
    upwards = {
        (name, target)
        for name, targets in GRAPH.items()
        if name.startswith(layer)
        for target in targets
        if not target.startswith(may_import) and target != "basket_segments"
    }
    assert upwards == set()


def test_the_engines_share_the_core_never_each_other():
    """Spark imports the shared pandas core, never the local engine, and the other way
    round; only ``analytics.engines`` (the setting) names both."""
    local, spark = "basket_segments.analytics.local", "basket_segments.analytics.spark"
    spark_modules = [name for name in GRAPH if name.startswith(spark)]
    assert len(spark_modules) > 5
    assert [name for name in spark_modules if local in GRAPH[name]] == []
    assert [t for t in GRAPH[local] if t.startswith(spark)] == []
    assert {local, f"{spark}.engine"} <= GRAPH["basket_segments.analytics.engines"]


def test_analytics_never_imports_dash_flask_or_plotly():
    for name, path in MODULES.items():
        if not name.startswith("basket_segments.analytics"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            assert not [n for n in names if n.split(".")[0] in ("dash", "flask", "plotly")], name


LIGHT_CHECK = """
import sys
import basket_segments.analytics.stages
print(sorted(m for m in ("efficient_apriori", "joblib", "pandas", "sklearn") if m in sys.modules))
"""


def test_the_stages_module_is_light():
    """The types every engine and the dashboard share cost neither pandas nor the miners."""
    run = subprocess.run(
        [sys.executable, "-c", LIGHT_CHECK], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == "[]"
