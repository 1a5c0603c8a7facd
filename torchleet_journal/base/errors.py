"""The one exception type for a user's mistake: it names the file, the line and the fix."""

from __future__ import annotations

import reprlib
from dataclasses import dataclass
from pathlib import Path

# Bounded repr: a YAML alias can nest one list a billion times, and repr would print them all.
_REPR = reprlib.Repr()
_REPR.maxlevel = 2
_REPR.maxlist = _REPR.maxdict = _REPR.maxtuple = _REPR.maxset = 4
_REPR.maxstring = _REPR.maxother = 60


# The exit status of every command: 0 all good, 1 a solution failed (the site is still built),
# 2 invalid input (nothing written), 3 another build holds the journal, 4 a file could not be
# written (disk full, read-only folder).
EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_BUSY, EXIT_CANNOT_WRITE = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class Mistake:
    """One mistake in the user's input, located by file and line."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class InputError(Exception):
    """Every mistake found in the input, reported together so one pass fixes them all."""

    def __init__(self, mistakes: list[Mistake]):
        super().__init__("\n".join(str(p) for p in mistakes))
        self.mistakes = mistakes

    @classmethod
    def one(cls, path: Path | str, line: int, message: str) -> InputError:
        return cls([Mistake(str(path), line, message)])


def shown(value: object, limit: int = 60) -> str:
    """A user's value as an error shows it: repr, cut short so one line stays one line."""
    text = _REPR.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
