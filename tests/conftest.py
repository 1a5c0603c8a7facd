"""Shared fixtures: a tiny journal laid down in tmp_path, built by the real build."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import make_journal
from tests.site_helpers import built_seed_journal, chromium, served_site


@pytest.fixture
def journal(tmp_path) -> Path:
    """A fresh two-day toy journal, not yet built."""
    return make_journal(tmp_path)


# --- the browser tests' ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    """The committed journal, copied and built once per session: (root, report)."""
    root, report, _ = built_seed_journal(tmp_path_factory)
    return root, report


@pytest.fixture(scope="module")
def site_url(seed):
    """The seed's site/ served on localhost."""
    with served_site(seed[0] / "site") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium (tests that use it skip where it is missing)."""
    with chromium() as launched:
        yield launched
