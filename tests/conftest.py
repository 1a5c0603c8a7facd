"""Shared fixtures: a tiny journal laid down in tmp_path, and the committed journal built once."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.helpers import make_journal
from tests.site_helpers import chromium, copy_committed_journal, served_site
from torchleet_journal.build.pipeline import Options, Report, build

# Modules that import POSIX-only modules at the top (fcntl, pty, termios) cannot be collected on
# Windows; the runner's Windows fallbacks are tested on Linux by taking each piece away
# (test_platforms.py), and review's Windows keys through msvcrt's stand-in (test_keypress.py).
collect_ignore = ["test_kill.py", "test_review.py"] if sys.platform == "win32" else []


class Seed(NamedTuple):
    """The committed journal, built from its stored results (nothing trains)."""

    root: Path
    report: Report
    committed: dict[str, bytes]  # results/ as committed, before the build: path -> bytes


@pytest.fixture
def journal(tmp_path) -> Path:
    """A fresh two-day toy journal, not yet built."""
    return make_journal(tmp_path)


@pytest.fixture(scope="session")
def seed(tmp_path_factory) -> Seed:
    """The committed journal, copied and built once per session. Read it, never change it: a
    test that edits or builds again works on a copy (`copy_journal`)."""
    root = copy_committed_journal(tmp_path_factory.mktemp("seed"))
    committed = {p.relative_to(root).as_posix(): p.read_bytes()
                 for p in sorted((root / "results").rglob("*")) if p.is_file()}
    return Seed(root, build(root, Options()), committed)


# --- the browser tests' ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def site_url(seed):
    """The seed's site/ served on localhost."""
    with served_site(seed.root / "site") as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium (tests that use it skip where it is missing)."""
    with chromium() as launched:
        yield launched
