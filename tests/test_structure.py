"""The engine's layout: packages by stage, imports pointing down only, no cycle, small modules.

A newcomer finds "where are figures captured?" (run/) or "what does `review` run?" (review/,
commands/) from folder and file names; each stage reads on its own because it imports only the
stages below it (see README, Layout).
"""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "torchleet_journal"
PACKAGE = ENGINE.name
# Lower number = lower layer; a module imports only its own package or a lower layer. The
# doors (the top-level modules and commands/) may import anything below them.
LAYERS = {"base": 0, "model": 1, "run": 2, "review": 2, "website": 2, "pages": 3,
          "build": 4, "intake": 4, "commands": 5, "": 6}
MAX_LINES = 600
MAX_TOP_MODULES = 12


def modules() -> dict[str, Path]:
    """Dotted name -> file, for every module of the engine."""
    return {".".join((PACKAGE, *p.relative_to(ENGINE).with_suffix("").parts)): p
            for p in sorted(ENGINE.rglob("*.py")) if "starter" not in p.parts}


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """The engine modules `path` imports at run time, in functions too (not for type checks)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(node) for block in ast.walk(tree)
                   if isinstance(block, ast.If) and getattr(block.test, "id", "") == "TYPE_CHECKING"
                   for node in ast.walk(block)}
    package = name.rsplit(".", 1)[0] if not path.name == "__init__.py" else name
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
            found.update(t for t in targets if t in known)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
    return found - {name}


def layer(name: str) -> int:
    parts = name.split(".")
    return LAYERS[parts[1] if len(parts) > 2 else ""]


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(path, name, set(found)) for name, path in found.items()}


def cycle_from(start: str, edges: dict[str, set[str]]) -> list[str] | None:
    stack = [(start, [start])]
    seen = set()
    while stack:
        node, path = stack.pop()
        for nxt in sorted(edges.get(node, ())):
            if nxt == start:
                return path + [start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return None


def upward(edges: dict[str, set[str]]) -> list[str]:
    """Each import that points up a layer, or across two packages of the same layer."""
    wrong = []
    for name, targets in edges.items():
        for target in targets:
            same_package = name.split(".")[:2] == target.split(".")[:2] and len(name.split(".")) > 2 \
                and len(target.split(".")) > 2
            if target.endswith("__init__") or same_package:
                continue
            if layer(target) > layer(name) or (layer(target) == layer(name) and not same_package
                                               and layer(name) < LAYERS[""]):
                wrong.append(f"{name} -> {target}")
    return sorted(wrong)


def test_no_import_cycle_in_the_engine():
    edges = graph()
    cycles = [cycle for m in sorted(edges) if (cycle := cycle_from(m, edges))]
    assert cycles == [], " ; ".join(" -> ".join(c) for c in cycles)


def test_every_import_points_down():
    assert upward(graph()) == []


def test_the_checks_find_a_cycle_and_an_upward_import():
    assert cycle_from("a", {"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]
    edges = {f"{PACKAGE}.base.x": {f"{PACKAGE}.model.y"}, f"{PACKAGE}.run.a": {f"{PACKAGE}.review.b"},
             f"{PACKAGE}.pages.p": {f"{PACKAGE}.base.x", f"{PACKAGE}.pages.q"}}
    assert upward(edges) == [f"{PACKAGE}.base.x -> {PACKAGE}.model.y", f"{PACKAGE}.run.a -> {PACKAGE}.review.b"]


def test_every_package_is_a_known_stage_with_an_empty_door():
    packages = sorted(p.name for p in ENGINE.iterdir() if (p / "__init__.py").is_file())
    assert len(packages) >= 5 and set(packages) <= set(LAYERS)
    doors = [ENGINE / "__init__.py", *(ENGINE / p / "__init__.py" for p in packages)]
    assert [d for d in doors if d.read_text(encoding="utf-8").strip()] == []


def test_no_module_is_too_long_and_the_top_is_short():
    long = {n: lines for n, p in modules().items()
            if (lines := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
    assert len(list(ENGINE.glob("*.py"))) <= MAX_TOP_MODULES
