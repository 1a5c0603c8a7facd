"""A journal's places (its config, the build's own folder) and where its templates come from.

The engine ships its page templates, assets and theme overrides in `torchleet_journal/
site_templates/`. A journal's `site_templates/` holds only what its learner changed: a file
there replaces the packaged file of the same name, as Material's `custom_dir` does for the
theme. Imports nothing of the engine: the MkDocs plugin reads it on every page build.
"""

from __future__ import annotations

import os
from pathlib import Path

# A journal's own places, relative to its root: named here once.
CONFIG = "mkdocs.yml"  # the site's configuration
STATE = ".journal"  # the build's own folder (git-ignored): lock, scratch, caches, stamps
TEMPLATES = "site_templates"  # a journal's overrides
PACKAGED = Path(__file__).resolve().parent.parent / TEMPLATES  # the engine's own
ASSETS = "assets"
OVERRIDES = "overrides"  # the theme's (Material's custom_dir)


def template_folders(root: Path) -> list[Path]:
    """Where a template is looked for, first match wins: the journal's, then the engine's."""
    return [root / TEMPLATES, PACKAGED]


def own_templates(root: Path) -> tuple[str, ...]:
    """The names of the journal's own templates (top level of site_templates/, one listing)."""
    try:
        return tuple(sorted(entry.name for entry in os.scandir(root / TEMPLATES)
                            if entry.name.endswith(".j2")))
    except OSError:
        return ()


def template_file(root: Path, name: str) -> Path | None:
    """The file `name` (e.g. `day.md.j2`) resolves to, or None."""
    return next((path for folder in template_folders(root) if (path := folder / name).is_file()),
                None)


def shown_path(root: Path, path: Path) -> str:
    """A template's path as a message names it: relative to the journal, or to the package."""
    for base, label in ((root / TEMPLATES, TEMPLATES), (PACKAGED, f"torchleet_journal/{TEMPLATES}")):
        try:
            return f"{label}/{path.relative_to(base).as_posix()}"
        except ValueError:
            continue
    return path.as_posix()


def merged(root: Path, sub: str) -> dict[str, Path]:
    """Every file under `sub` (e.g. `assets`) by its path there: the engine's, replaced by the
    journal's of the same path."""
    found: dict[str, Path] = {}
    for folder in reversed(template_folders(root)):
        base = folder / sub
        for path in sorted(base.rglob("*")) if base.is_dir() else ():
            if path.is_file():
                found[path.relative_to(base).as_posix()] = path
    return dict(sorted(found.items()))


def theme_dirs(root: Path) -> list[Path]:
    """The theme override folders, first match wins: the journal's (if it has one), the engine's."""
    return [folder / OVERRIDES for folder in template_folders(root) if (folder / OVERRIDES).is_dir()]


def overrides(root: Path) -> list[str]:
    """The journal's files that replace a packaged one of the same name, relative to
    site_templates/ (a template, an asset, a theme override)."""
    mine = root / TEMPLATES
    return sorted(rel for path in (mine.rglob("*") if mine.is_dir() else ())
                  if path.is_file() and (PACKAGED / (rel := path.relative_to(mine).as_posix())).is_file())
