"""What site/ was built from, so the next build can tell what it must rebuild.

A stamp in `.journal/site.json` records, for the last successful site build, every docs/ file's
size and modification time, each page's title and a hash of what shapes every page (mkdocs.yml,
the theme overrides, the page set and titles: the navigation). Comparing it with docs/ now gives
one of three answers: nothing to do, rebuild just these pages (the shape is the same, so no
other page's navigation changed), or rebuild everything.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from torchleet_journal.base.files import sha256_bytes, write_atomic
from torchleet_journal.base.layout import CONFIG, STATE, theme_dirs

STAMP = f"{STATE}/site.json"
DOCS = "docs"
TITLE = re.compile(r'^title:\s*(.+)$|^#\s+(.+)$', re.MULTILINE)


@dataclass
class Plan:
    """What the next site build must do: `mode` is unchanged, pages or full."""

    mode: str
    changed: list[str]
    state: dict


def plan(root: Path, site_ready: bool) -> Plan:
    state = current(root)
    stamp = _read(root)
    if not site_ready or stamp is None or stamp.get("shape") != state["shape"]:
        return Plan("full", [], state)
    before, now = stamp["files"], state["files"]
    if before.keys() - now.keys():  # a dirty build never deletes what is gone
        return Plan("full", [], state)
    changed = sorted(rel for rel, info in now.items() if before.get(rel) != info)
    return Plan("pages" if changed else "unchanged", changed, state)


def current(root: Path, previous: dict | None = None) -> dict:
    """docs/ as it is now: each file's (size, mtime), each page's title, and the shape hash."""
    previous = previous if previous is not None else (_read(root) or {})
    old_files, old_titles = previous.get("files", {}), previous.get("titles", {})
    files, titles = {}, {}
    for rel, info in _walk(root / DOCS, ""):
        files[rel] = [info.st_size, info.st_mtime_ns]
        if rel.endswith(".md"):
            same = old_files.get(rel) == files[rel] and rel in old_titles
            titles[rel] = old_titles[rel] if same else _title(root / DOCS / rel)
    return {"files": files, "titles": titles, "shape": _shape(root, titles)}


def _walk(folder: Path, prefix: str):
    """(relative path, stat) of every regular file below `folder`: one stat call per entry."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        rel = prefix + entry.name
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path), rel + "/")
        elif entry.is_file():
            yield rel, entry.stat()


def save(root: Path, state: dict) -> None:
    write_atomic(root / STAMP, json.dumps(state))


def forget(root: Path) -> None:
    """Before site/ changes: a build killed halfway must not leave a stamp that trusts it."""
    (root / STAMP).unlink(missing_ok=True)


def _title(path: Path) -> str:
    with open(path, encoding="utf-8", errors="replace") as handle:
        head = handle.read(4096)
    match = TITLE.search(head)
    return (match.group(1) or match.group(2)).strip() if match else ""


def _shape(root: Path, titles: dict[str, str]) -> str:
    """A hash of everything that appears on every page: config, theme overrides, navigation."""
    parts = [(root / CONFIG).read_bytes() if (root / CONFIG).is_file() else b""]
    for folder in theme_dirs(root):  # the journal's overrides and the engine's: its version too
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                parts.append(path.relative_to(folder).as_posix().encode() + path.read_bytes())
    parts.append(json.dumps(titles, sort_keys=True).encode())
    parts.append(os.environ.get("JOURNAL_SITE_SHAPE", "").encode())
    return sha256_bytes(b"\0".join(parts))


def _read(root: Path) -> dict | None:
    try:
        stamp = json.loads((root / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(stamp, dict) and isinstance(stamp.get("files"), dict) and isinstance(
        stamp.get("titles"), dict)
    return stamp if ok else None
