"""The site: writes docs/ and the README's table, and builds site/ with MkDocs.

This is the one place the build writes rendered output. Files are written only when their
content changed, each through a temporary file and a rename.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .errors import InputError
from .files import remove_tree, sync_tree, write_if_changed
from .processes import die_with

DOCS, SITE = "docs", "site"
README = "README.md"
CONFIG = "mkdocs.yml"
START, END = "<!-- progress:start -->", "<!-- progress:end -->"


class SiteError(Exception):
    """MkDocs refused the generated docs; its own words say why."""


def write_docs(root: Path, files: dict[str, str | Path]) -> list[str]:
    """Make docs/ hold exactly the rendered files; returns what changed."""
    return [f"{DOCS}/{rel}" for rel in sync_tree(root / DOCS, files)]


def check_config(root: Path, building: bool) -> None:
    """Before anything runs: a site build needs mkdocs.yml."""
    if building and not (root / CONFIG).is_file():
        raise InputError.one(CONFIG, 1, "the site's configuration is missing, got no such file; "
                             "restore it from the project, or pass --no-site to stop at docs/")


def check_readme(root: Path) -> None:
    """Before anything runs: a README.md must have the markers its table is written between."""
    path = root / README
    if path.exists() and _table_span(path.read_text(encoding="utf-8")) is None:
        raise InputError.one(README, 1, f"the progress table goes between {START} and {END}, "
                             "got a README without them; add both, each on a line of its own")


def update_readme(root: Path, table: str) -> list[str]:
    """Replace the progress table between the README's markers (check_readme made sure)."""
    path = root / README
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    start, end = _table_span(text)
    updated = f"{text[:start]}\n{table.strip()}\n{text[end:]}"
    return [README] if write_if_changed(path, updated) else []


def _table_span(text: str) -> tuple[int, int] | None:
    """Where the table sits: from the end of the start marker to the end marker."""
    start, end = text.find(START), text.find(END)
    return (start + len(START), end) if start != -1 and end > start else None


def build_site(root: Path) -> None:
    """Build site/ with `mkdocs build --strict`, swapping it in whole when the build succeeds."""
    staging = root / ".journal" / "site-build"
    remove_tree(staging)
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet",
               "--config-file", str(root / CONFIG), "--site-dir", str(staging)]
    # A build killed meanwhile takes mkdocs with it. (preexec_fn: the build runs no threads.)
    done = subprocess.run(command, cwd=root, capture_output=True, text=True,
                          preexec_fn=functools.partial(die_with, os.getpid()),
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    if done.returncode != 0:
        remove_tree(staging)
        lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        raise SiteError("mkdocs build --strict failed: " + (" | ".join(lines[-5:]) or "no output"))
    _drop_source_maps(staging)
    _swap_in(staging, root / SITE)


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
