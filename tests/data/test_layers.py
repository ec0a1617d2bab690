"""The data layer's modules import each other in one direction only: no circle, no late import."""

import ast
from graphlib import CycleError, TopologicalSorter

from helpers.config import REPO

PACKAGE = REPO / "helpers" / "data"


def imports_of_the_data_layer() -> dict[str, set[str]]:
    """Module name -> the helpers.data modules it imports anywhere (late imports included)."""
    graph = {}
    for source in sorted(PACKAGE.glob("*.py")):
        imported = set()
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith("helpers.data."):
                    imported.add(node.module.removeprefix("helpers.data."))
                elif node.module == "helpers.data":
                    imported.update(alias.name for alias in node.names)
        graph[source.stem] = imported
    return graph


def test_the_data_layer_has_no_import_circle():
    graph = imports_of_the_data_layer()
    assert {"fetch", "derive", "download", "store"} <= set(graph)
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as error:  # pragma: no cover - the failure message
        raise AssertionError(f"import circle in helpers.data: {error.args[1]}") from None
    assert order.index("derive") < order.index("fetch")  # fetch builds on derive, not back
    assert "fetch" not in graph["derive"] and "fetch" not in graph["download"]


def test_no_data_module_imports_inside_a_function():
    for source in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef):
                late = [
                    node.module
                    for node in ast.walk(function)
                    if isinstance(node, ast.ImportFrom)
                    and (node.module or "").startswith("helpers")
                ]
                assert not late, f"{source.name}: {function.name} imports {late} late"


def test_the_check_sees_a_circle():
    graph = {"fetch": {"derive"}, "derive": {"fetch"}}
    try:
        list(TopologicalSorter(graph).static_order())
    except CycleError:
        return
    raise AssertionError("graphlib did not report the circle")
