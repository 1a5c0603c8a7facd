"""The site: writes docs/ and the README's table, and builds site/ with MkDocs.

This is the one place the build writes rendered output. Files are written only when their
content changed, each through a temporary file and a rename.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from torchleet_journal.base.errors import InputError, Mistake
from torchleet_journal.base.files import remove_tree, sync_tree, write_atomic, write_if_changed
from torchleet_journal.base.layout import CONFIG, STATE
from torchleet_journal.base.processes import dies_with_this_process
from torchleet_journal.model.siteconfig import read_config
from torchleet_journal.website import site_state
from torchleet_journal.website.mkdocs_env import mkdocs_env

DOCS, SITE = "docs", "site"
# A fresh clone must have docs/: MkDocs refuses a missing docs_dir before any hook can run. So
# docs/ is committed as this one file, which ignores everything else in it (MkDocs and Zensical
# both leave dotfiles out of the site).
DOCS_KEEP = {".gitignore": "# Generated from entries/ and results/ by build.py or mkdocs' hook; "
             "never edit.\n*\n!.gitignore\n"}
README = "README.md"
START, END = "<!-- progress:start -->", "<!-- progress:end -->"
SEARCH_INDEX = "search/search_index.json"
DIRTY_WARNING = "A 'dirty' build is being performed"


class SiteError(Exception):
    """MkDocs refused the generated docs; its own words say why."""


def write_docs(root: Path, files: dict[str, str | Path]) -> list[str]:
    """Make docs/ hold exactly the rendered files (and its .gitignore); returns what changed."""
    files = {**files, **DOCS_KEEP}
    return [f"{DOCS}/{rel}" for rel in sync_tree(root / DOCS, files)]


def check_config(root: Path, building: bool) -> None:
    """Before anything runs: a site build needs mkdocs.yml, with URLs MkDocs accepts."""
    if building and not (root / CONFIG).is_file():
        raise InputError.one(CONFIG, 1, "the site's configuration is missing, got no such file; "
                             "restore it from the project, or pass --no-site to stop at docs/")
    refused = read_config(root).refused if building else ()
    if refused:
        raise InputError([Mistake(CONFIG, line, message) for line, message in refused])


def check_readme(root: Path) -> None:
    """Before anything runs: a README.md must have the markers its table is written between."""
    path = root / README
    if path.exists() and _table_span(path.read_text(encoding="utf-8")) is None:
        raise InputError.one(README, 1, f"the progress table goes between {START} and {END}, "
                             "got a README without them; add both, each on a line of its own")


def update_readme(root: Path, table: str, warn=lambda text: None) -> list[str]:
    """Replace the progress table between the README's markers.

    check_readme saw them before anything ran; a solution may have rewritten README.md since
    (it runs with the learner's rights), and then the README is left as it is, with a warning.
    """
    path = root / README
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    span = _table_span(text)
    if span is None:
        warn(f"{README}: its {START} / {END} markers are gone (changed during the build?); "
             "the progress table was not updated: add them back and build again")
        return []
    start, end = span
    updated = f"{text[:start]}\n{table.strip()}\n{text[end:]}"
    return [README] if write_if_changed(path, updated) else []


def _table_span(text: str) -> tuple[int, int] | None:
    """Where the table sits: from the end of the start marker to the end marker.

    A marker counts only on a line of its own: a table row that quotes one (a note's code
    span, a metric's name) starts with `|`, and must not end the table early, or the README
    would keep the rest of the old table and grow on every build.
    """
    start = _marker(START).search(text)
    end = _marker(END).search(text, start.end()) if start else None
    return (start.end(), end.start()) if start and end else None


@functools.lru_cache(maxsize=2)
def _marker(marker: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(marker)}(?=[ \t]*\r?$)", re.MULTILINE)


def build_site(root: Path) -> str:
    """Bring site/ up to date with docs/; returns what that took: unchanged, pages or full.

    A full build runs `mkdocs build --strict` into a staging folder and swaps it in whole. When
    only page contents changed (same pages, titles, config and theme: every other page's
    navigation is as it was), MkDocs' dirty build rewrites just those pages in place, and the
    search index keeps the other pages' entries. With nothing changed, MkDocs does not run.
    """
    plan = site_state.plan(root, (root / SITE / "index.html").is_file())
    if plan.mode == "unchanged":
        return plan.mode
    site_state.forget(root)  # a build killed from here on leads to a full build next time
    if plan.mode == "pages":
        _dirty_build(root)
    else:
        _full_build(root)
    site_state.save(root, plan.state)
    return plan.mode


def _full_build(root: Path) -> None:
    staging = root / STATE / "site-build"
    remove_tree(staging)
    _mkdocs(root, ["--strict", "--quiet", "--site-dir", str(staging)], staging)
    _drop_source_maps(staging)
    _swap_in(staging, root / SITE)


def _dirty_build(root: Path) -> None:
    index = root / SITE / SEARCH_INDEX
    before = _read_index(index)
    done = _mkdocs(root, ["--dirty", "--no-strict", "--site-dir", str(root / SITE)])
    # --strict would refuse the dirty build's own warning, so other warnings are checked here.
    warnings = [line for line in (done.stderr + done.stdout).splitlines()
                if line.startswith("WARNING") and DIRTY_WARNING not in line]
    if warnings:
        site_state.forget(root)
        raise SiteError("mkdocs build failed: " + " | ".join(warnings[-5:]))
    if before is not None:
        _merge_index(index, before)
    _drop_source_maps(root / SITE)  # a dirty build copies the theme's maps back


def _mkdocs(root: Path, options: list[str], staging: Path | None = None):
    command = [sys.executable, "-m", "mkdocs", "build", "--config-file", str(root / CONFIG),
               *options]
    # A build killed meanwhile takes mkdocs with it. (preexec_fn: the build runs no threads.)
    done = subprocess.run(command, cwd=root, capture_output=True, text=True,
                          **dies_with_this_process(), env=mkdocs_env())
    if done.returncode != 0:
        if staging is not None:
            remove_tree(staging)
        lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        raise SiteError("mkdocs build --strict failed: " + (" | ".join(lines[-5:]) or "no output"))
    return done


def _read_index(path: Path) -> dict | None:
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return index if isinstance(index, dict) and isinstance(index.get("docs"), list) else None


def _merge_index(path: Path, before: dict) -> None:
    """A dirty build indexes only the pages it rebuilt: add back every other page's entries."""
    after = _read_index(path)
    if after is None:
        return
    rebuilt = {str(doc.get("location", "")).split("#")[0] for doc in after["docs"]}
    kept = [doc for doc in before["docs"]
            if str(doc.get("location", "")).split("#")[0] not in rebuilt]
    after["docs"] = kept + after["docs"]
    write_atomic(path, json.dumps(after, ensure_ascii=False, separators=(",", ":")))


def _drop_source_maps(site: Path) -> None:
    """The theme's .map files (a third of site/) serve only someone debugging its scripts."""
    for path in site.rglob("*.map"):
        path.unlink()


def _swap_in(new: Path, target: Path) -> None:
    old = target.with_name(target.name + ".old")
    remove_tree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)
