"""What the build reads from the solutions' source without running them, cached by its hash.

Parsing a solution with `ast` takes milliseconds; a journal of a year of days would pay that
on every build. Each kind of reading (the APIs a day uses, its lead paragraph and plot titles)
keeps one JSON file in `.journal/`, source hash -> what was read, holding only the current
solutions'. A cache that is missing, unreadable or of another shape is read afresh.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from torchleet_journal.base.files import sha256_bytes, write_if_changed
from torchleet_journal.base.layout import STATE

CACHE_DIR = STATE


def read_each(root: Path, name: str, salt: str, sources: dict[int, tuple[str, bool]],
              read: Callable[[str, bool], Any], valid: Callable[[Any], bool]) -> dict[int, Any]:
    """`read(source, is_notebook)` for each day, from `.journal/<name>.json` where it is there.

    `salt` names whatever else the answers depend on (e.g. the API list's hash); `valid` says
    whether a cached answer has the shape `read` returns, so a damaged cache is never trusted.
    """
    path = root / CACHE_DIR / f"{name}.json"
    try:
        cache = json.loads(path.read_text(encoding="utf-8"))
        cache = cache if isinstance(cache, dict) else {}
    except (OSError, ValueError):
        cache = {}
    found, fresh = {}, {}
    for day, (source, notebook) in sources.items():
        key = f"{salt}:{int(notebook)}:{sha256_bytes(source.encode('utf-8'))}"
        if key in cache and valid(cache[key]):
            answer = cache[key]
        else:
            answer = read(source, notebook)
        found[day] = fresh[key] = answer
    if fresh != cache:  # only this journal's current solutions are kept
        write_if_changed(path, json.dumps(fresh, indent=0, sort_keys=True))
    return found
