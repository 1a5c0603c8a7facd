"""`remote`: days run on Kaggle with the learner's own token, each run brought back as the day's."""

from __future__ import annotations

from torchleet_journal.base.errors import EXIT_INVALID, InputError
from torchleet_journal.base.lock import journal_lock
from torchleet_journal.commands.say import say, say_out


def cmd_remote(args) -> int:
    """A line per day as its run goes; exit 0 when all came back as expected, 1 if not."""
    from torchleet_journal.build.remote import Refused, remote

    try:
        return remote(args.root, args.days, args.fetch, args.timeout, say_out, journal_lock)
    except Refused as error:
        say(f"build.py remote: {error}; nothing was run or written")
    except InputError as error:
        for mistake in error.mistakes:
            say(f"{mistake}; nothing was run or written")
    return EXIT_INVALID
