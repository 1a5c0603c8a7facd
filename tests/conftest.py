"""Shared fixtures: a tiny journal laid down in tmp_path, built by the real build."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import make_journal


@pytest.fixture
def journal(tmp_path) -> Path:
    """A fresh two-day toy journal, not yet built."""
    return make_journal(tmp_path)
