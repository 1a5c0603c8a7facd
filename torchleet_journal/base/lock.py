"""One build at a time per journal: the lock in .journal/lock, and what a second build says."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from torchleet_journal.base.layout import STATE
from torchleet_journal.base.portable import try_lock


class Busy(Exception):
    """Another build holds this journal's lock."""


@contextlib.contextmanager
def journal_lock(root: Path):
    """One build at a time per journal: a second one says so instead of racing the first."""
    lock_dir = root / STATE
    lock_dir.mkdir(exist_ok=True)
    with open(lock_dir / "lock", "a+") as handle:
        if not try_lock(handle):
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise Busy(f"{root}: a build is already running here (pid {holder}); wait for it "
                       "to finish, or stop it, then build again") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
