"""The packages are floors: a module imports from its own package and from the floors below it,
never from above or sideways, and no two modules import each other, directly or in a circle."""

import ast
from pathlib import Path

from pipelines.settings import PACKAGE_DIR

# lowest first; packages on one floor do not import each other
FLOORS = [
    {"settings", "storage"},
    {"contract"},
    {"readers"},
    {"ingest", "transform", "run_history", "report", "demo"},
    {"publish"},
    {"defs", "definitions"},
    {"cli"},
]
FLOOR = {area: level for level, areas in enumerate(FLOORS) for area in areas}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE_DIR.rglob("*.py"):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The project's modules a module imports, at the top or inside a function (imports for type
    checkers only do not count: they never run)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
        for inner in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in known}
    return found


def area(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(path, set(found)) - {name} for name, path in found.items()}


def test_every_area_has_a_floor():
    assert {area(m) for m in modules()} - {None} <= set(FLOOR)


def test_no_import_from_a_higher_floor_or_a_neighbour():
    wrong = []
    for module, imported in graph().items():
        here = area(module)
        if here is None:
            continue
        for target in imported:
            there = area(target)
            if there is None or there == here:
                continue
            if FLOOR[there] >= FLOOR[here]:
                wrong.append(f"{module} imports {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_circles():
    edges = graph()
    circles = []

    def visit(module: str, path: list[str]) -> None:
        for target in sorted(edges.get(module, ())):
            if target in path:
                circles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in done:
                visit(target, [*path, target])
        done.add(module)

    done: set[str] = set()
    for module in sorted(edges):
        if module not in done:
            visit(module, [module])
    assert not circles, "\n".join(circles)
