"""`review` and `anki`: the gaps as cards, in the terminal or as an Anki deck."""

from __future__ import annotations

import os
import sys

from torchleet_journal.base.errors import (
    EXIT_INVALID,
    EXIT_OK,
)
from torchleet_journal.base.text import terminal_safe
from torchleet_journal.commands.say import say
from torchleet_journal.pages.render import count


def cmd_review(args) -> int:
    from torchleet_journal.base.keypress import one_key
    from torchleet_journal.model.catalog import load_catalog
    from torchleet_journal.model.entries import load_entries
    from torchleet_journal.review import cards as review

    root = args.root.resolve()
    entries = load_entries(root, load_catalog(root))
    if args.list:
        reviews = review.deck(root, entries)
        for problem in reviews.problems:
            say(f"warning: {problem}")
        for line in review.due_lines(reviews, review.now()):
            print(terminal_safe(line))
        return EXIT_OK
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print("build.py review: needs a terminal to show cards and read grades; `python "
              "build.py review --list` prints what is due", file=sys.stderr)
        return EXIT_INVALID
    session = review.Session()
    try:
        with one_key() as ask:  # the terminal is as it was again before "stopped" is said
            review.run_session(root, entries, ask, lambda text: print(terminal_safe(text)),
                               session)
    except (KeyboardInterrupt, EOFError) as stop:
        print(f"\nstopped; {count(session.answered, 'answer')} saved in {review.LOG}")
        return 130 if isinstance(stop, KeyboardInterrupt) else EXIT_OK
    return EXIT_OK


def cmd_anki(args) -> int:
    from torchleet_journal.review.anki import write_deck

    root = args.root.resolve()
    given = args.file or root / "gaps.apkg"
    target = given.parent.resolve() / given.name  # the name itself is not followed: a link
    if target.suffix != ".apkg" or not target.parent.is_dir():
        print(f"build.py anki: {args.file}: must be an .apkg file in a folder that exists",
              file=sys.stderr)
        return EXIT_INVALID
    if target.is_symlink():  # a committed gaps.apkg -> ~/.bashrc would have the deck written there
        print(f"build.py anki: {given}: is a link to {os.readlink(target)!r}, and the deck is "
              "written as a file of its own; remove the link or name another .apkg",
              file=sys.stderr)
        return EXIT_INVALID
    notes, media = write_deck(root, target)
    print(f"wrote {target}: {count(notes, 'note')}, {count(media, 'figure')}; import it in "
          "Anki (File > Import): notes already there are updated, not doubled")
    return EXIT_OK
