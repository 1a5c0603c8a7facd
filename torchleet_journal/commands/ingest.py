"""`ingest`: a day's notebook run elsewhere (Colab), stored as the day's run."""

from __future__ import annotations

from torchleet_journal.base.errors import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    InputError,
)
from torchleet_journal.base.lock import journal_lock
from torchleet_journal.base.text import terminal_safe
from torchleet_journal.commands.say import say


def cmd_ingest(args) -> int:
    """One line: the run stored (exit 0, or 1 if it failed where it should pass), or why not (2)."""
    from torchleet_journal.build.ingest import ingest, outcome
    from torchleet_journal.model.status import status_of

    root = args.root.resolve()
    try:
        with journal_lock(root):
            entry, result, notes = ingest(root, args.notebook, args.day)
    except InputError as error:  # one line each, and nothing was written
        for mistake in error.mistakes:
            say(f"{mistake}; nothing was written")
        return EXIT_INVALID
    print(terminal_safe(outcome(entry, result, notes)))  # it quotes the run's failure, if any
    return EXIT_OK if status_of(entry, result).as_expected else EXIT_FAILED
