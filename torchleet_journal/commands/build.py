"""`build` (the default) and `status`: run what changed and build the site, or say what would run."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from torchleet_journal.base.errors import (
    EXIT_FAILED,
    EXIT_OK,
)
from torchleet_journal.base.lock import journal_lock
from torchleet_journal.base.text import terminal_safe
from torchleet_journal.build.pipeline import Options, build, survey
from torchleet_journal.commands.args import build_options
from torchleet_journal.commands.progress import Progress
from torchleet_journal.commands.say import say, say_out
from torchleet_journal.model.results import NOT_RUN
from torchleet_journal.pages.render import status_label


def cmd_build(args) -> int:
    root = args.root.resolve()
    with journal_lock(root):
        return build_once(root, build_options(args))


def build_once(root: Path, options: Options) -> int:
    from torchleet_journal.website.site import SiteError

    started = time.monotonic()
    progress = Progress(sys.stderr)
    try:
        report = build(root, options, progress)
    except SiteError as error:
        say(error)
        return EXIT_FAILED
    progress.summary(report, time.monotonic() - started, options.site)
    return EXIT_FAILED if report.failures else EXIT_OK


def cmd_status(args) -> int:
    """Each day fresh or out of date with the reason, as the next build would decide."""
    from torchleet_journal.model.catalog import load_catalog
    from torchleet_journal.pages.journey import next_problems

    days = survey(args.root.resolve(), Options(timeout=args.timeout), Progress(sys.stderr))
    width = max((len(status_label(d.entry, d.result)) for d in days), default=0)
    counts = {"fresh": 0, "out of date": 0, "not run here": 0}
    for day in days:
        state = "out of date" if day.why else "fresh"
        if day.result is not None and day.result.status == NOT_RUN:
            state = "not run here"
        counts[state] += 1
        said = {"out of date": f"out of date: {day.why}",
                "not run here": "not run on this machine (requires: cuda)"}.get(state, state)
        say_out(f"{day.entry.slug}  {status_label(day.entry, day.result):<{width}}  {said}")
    tally = ", ".join(f"{n} {state}" for state, n in counts.items() if n or state != "not run here")
    hint = " (`python build.py` runs them)" if counts["out of date"] else ""
    say_out(f"{len(days)} day{'' if len(days) == 1 else 's'}: {tally}{hint}")
    for problem in next_problems([d.entry for d in days], load_catalog(args.root.resolve())):
        say_out(f"next {problem.set} problem: {problem.id} {problem.title} ({problem.difficulty});"
                " `python build.py new` starts it")
    from torchleet_journal.base.engine import stale_overrides

    for line in stale_overrides(args.root.resolve()):
        print(terminal_safe(f"warning: {line}"), file=sys.stderr)
    return EXIT_OK
