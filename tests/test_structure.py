"""The build's modules import one another without cycles: each stage can be read on its own."""

from __future__ import annotations

import ast
from pathlib import Path

JOURNAL = Path(__file__).resolve().parent.parent / "journal"


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The journal modules `path` imports at run time, in functions too (not for type checks)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(node) for block in ast.walk(tree)
                   if isinstance(block, ast.If) and getattr(block.test, "id", "") == "TYPE_CHECKING"
                   for node in ast.walk(block)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                found.update([node.module.split(".")[0]] if node.module else
                             [alias.name for alias in node.names])
            elif node.module and node.module.startswith("journal."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("journal."))
    return (found & modules) - {path.stem}


def cycle_from(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    stack = [(start, [start])]
    seen = set()
    while stack:
        node, path = stack.pop()
        for nxt in graph[node]:
            if nxt == start:
                return path + [start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return None


def test_no_import_cycle_in_journal():
    modules = {p.stem for p in JOURNAL.glob("*.py")}
    graph = {m: imports_of(JOURNAL / f"{m}.py", modules) for m in modules}
    cycles = [cycle for m in sorted(modules) if (cycle := cycle_from(m, graph))]
    assert cycles == [], " ; ".join(" -> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle():
    assert cycle_from("a", {"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]
