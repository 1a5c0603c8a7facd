"""The one-line messages every command prints: data quoted safely, and the exit code that says
why nothing was built."""

from __future__ import annotations

import sys

from torchleet_journal.base.errors import (
    EXIT_BUSY,
    EXIT_CANNOT_WRITE,
    EXIT_INVALID,
    InputError,
)
from torchleet_journal.base.lock import Busy
from torchleet_journal.base.text import terminal_safe


def say(message: object) -> None:
    """Print a line that quotes data (an entry, a lock file, mkdocs' output) to stderr."""
    print(terminal_safe(str(message)), file=sys.stderr)


def say_out(line: str) -> None:
    print(terminal_safe(line))


def refused(error: InputError | Busy) -> int:
    """Say why nothing was built, and return the exit code that says so."""
    if isinstance(error, Busy):
        say(error)
        return EXIT_BUSY
    for mistake in error.mistakes:
        say(mistake)
    count = len(error.mistakes)
    print(f"{count} problem{'s' if count != 1 else ''} found; nothing was run or written.",
          file=sys.stderr)
    return EXIT_INVALID


def cannot_write(error: OSError) -> int:
    """A full disk or a read-only folder: what could not be written, and nothing half-written."""
    where = f" {error.filename}" if error.filename else ""
    print(f"build.py: cannot write{where}: {error.strerror or error}; free disk space or make "
          "the folder writable, then build again (files already there are intact)",
          file=sys.stderr)
    return EXIT_CANNOT_WRITE
