"""The engine's own version, and what its packaged templates were when a journal last built.

A journal's overrides in site_templates/ replace packaged files; when an upgrade changes a
packaged file that a journal replaced, its copy silently misses the change. The build keeps
`.journal/engine.json` (the version, and a hash of every packaged template) so that `status`
can say which overrides to look at. The engine's version enters no run key.
"""

from __future__ import annotations

import json
import re
from importlib import metadata
from pathlib import Path

from torchleet_journal.base.files import sha256_file, write_atomic
from torchleet_journal.base.layout import PACKAGED, STATE, TEMPLATES, overrides

DISTRIBUTION = "torchleet-journal"
RECORD = f"{STATE}/engine.json"
CHECKOUT = PACKAGED.parent.parent / "pyproject.toml"  # a source checkout's (this repository's)


def version() -> str:
    """This engine's version: a checkout's pyproject.toml, else the installed distribution's."""
    try:
        found = re.search(r'^version\s*=\s*"([^"]+)"', CHECKOUT.read_text(encoding="utf-8"), re.M)
        if found and f'name = "{DISTRIBUTION}"' in CHECKOUT.read_text(encoding="utf-8"):
            return found.group(1)
    except OSError:
        pass
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def source_checkout() -> Path | None:
    """The source checkout this engine runs from (its build.py puts it on the path), or None
    when it is an installed torchleet-journal, which a new journal's lock installs again."""
    try:
        metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return CHECKOUT.parent
    return None


def _record(root: Path) -> dict:
    try:
        record = json.loads((root / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    ok = isinstance(record, dict) and isinstance(record.get("overrides"), dict)
    return record if ok else {}


def remember(root: Path) -> None:
    """After a build: the engine it was built with and, for each override, the packaged file
    it was made against. That stays as it was while the journal's copy is unchanged, so an
    upgrade's change is reported until the learner edits or deletes their copy."""
    before = _record(root).get("overrides", {})
    now = {}
    for rel in overrides(root):
        mine = sha256_file(root / TEMPLATES / rel)
        seen = before.get(rel)
        kept = isinstance(seen, dict) and seen.get("mine") == mine and isinstance(seen.get("packaged"), str)
        now[rel] = {"mine": mine, "packaged": seen["packaged"] if kept else sha256_file(PACKAGED / rel),
                    "version": seen.get("version") if kept else version()}
    text = json.dumps({"version": version(), "overrides": now}, sort_keys=True, indent=1)
    try:
        if (root / RECORD).read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    write_atomic(root / RECORD, text)


def stale_overrides(root: Path) -> list[str]:
    """One line per override whose packaged original changed since the journal's copy was
    made or last edited (as the last build saw it)."""
    seen = _record(root).get("overrides", {})
    lines = []
    for rel in overrides(root):
        then = seen.get(rel)
        if isinstance(then, dict) and then.get("packaged") not in (None, sha256_file(PACKAGED / rel)):
            lines.append(f"{TEMPLATES}/{rel}: replaces the packaged {rel}, which changed since "
                         f"{DISTRIBUTION} {then.get('version')} (now {version()}); carry its "
                         "changes into your copy, or delete your copy to use the packaged one")
    return lines
