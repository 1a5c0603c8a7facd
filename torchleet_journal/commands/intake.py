"""`new`, `init` and `import`: a new day, a new journal, a hand-kept log brought in."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from torchleet_journal.base.errors import (
    EXIT_INVALID,
    EXIT_OK,
    InputError,
)
from torchleet_journal.base.lock import journal_lock
from torchleet_journal.base.text import terminal_safe
from torchleet_journal.commands.say import say_out


def cmd_new(args) -> int:
    from torchleet_journal.intake.scaffold import new_day

    root = args.root.resolve()
    entry_path, solution_path = new_day(root, args.task, args.problem, args.date, args.notebook)
    entry, solution = (p.relative_to(root).as_posix() for p in (entry_path, solution_path))
    print(f"created {entry}\ncreated {solution}\n")
    if args.task is None:  # the day took a problem's title: say which problem it is
        import yaml

        header = yaml.load(entry_path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        say_out(f"the day's problem: {header.get('problem')} {header['task']}\n")
    print(f"next: `python build.py serve` shows the new day with its plot and metric at once;\n"
          f"      write your solution in {solution}, and note gaps and learnings in {entry}\n"
          f"      as you go: the page follows every save.")
    return EXIT_OK


def cmd_init(args) -> int:
    from torchleet_journal.base.engine import source_checkout
    from torchleet_journal.intake import init

    ask = init.terminal_ask if init.interactive() else None
    try:
        chosen = init.settings(args.dir, args.title, args.author, args.repo, ask,
                               args.problem_set)
        init.check_target(args.dir)  # before anything is written
    except InputError as error:  # one line: nothing here was run, and nothing was written
        print(error.mistakes[0], file=sys.stderr)
        return EXIT_INVALID
    init.init_journal(args.dir, chosen)
    print(f"created a new journal in {args.dir}: {chosen.title!r} by {chosen.author}, "
          f"published at {chosen.site_url}\n")
    source = source_checkout()
    install = "pip install -r requirements.txt"
    if source:  # the journal's lock names the engine, which no index holds: pip finds its wheel
        dist = source / "dist"
        install = f"pip wheel {source} --no-deps -w {dist} && {install} --find-links {dist}"
    print(f"next: cd {args.dir}\n"
          f"      python -m venv .venv && . .venv/bin/activate && {install}\n"
          "      python build.py new \"<your first task>\" && python build.py serve")
    return EXIT_OK


def cmd_import(args) -> int:
    from torchleet_journal.intake.importer import import_log

    root = args.root.resolve()
    # A dry run writes nothing, not even the lock; a real one waits for no build to race.
    with contextlib.nullcontext() if args.dry_run else journal_lock(root):
        plan = import_log(root, args.table, args.solutions, args.start, args.dry_run)
    for day in plan.days:
        problem = f" [{day.problem}]" if day.problem else ""
        source = day.source.name if day.source else "no file: a skeleton"
        data = f" + {', '.join(Path(rel).name for rel in day.data)}" if day.data else ""
        lines = [f"day {day.day:>2}  {day.date}  {day.task}{problem}",
                 f"        {source} -> {day.solution}{data}  (dated by {day.dated_by})"]
        print(terminal_safe("\n".join(lines)))  # the table's text, shown as text
    for line in [f"not matched: {u}" for u in plan.unmatched] + [f"note: {n}" for n in plan.notes]:
        print(terminal_safe(line))
    count = f"{len(plan.days)} day{'s' if len(plan.days) != 1 else ''}"
    if not plan.written:
        print(f"dry run: {count} planned; nothing was written")
        return EXIT_OK
    print(f"imported {count} into entries/ and solutions/; next: `python build.py` runs them")
    return EXIT_OK
