"""The command line: `build` (the default), `status`, `new`, `serve`, `init`, `import`, `review`,
`anki`, `ingest` and `remote`. A thin door: it parses, imports the command's module in commands/ and
calls it; the command bodies live there.

The command line (with commands/) is the only place that prints or picks an exit code: 0 all good, 1 a solution failed (the site
is still built), 2 invalid input (nothing written), 3 another build is running here, 4 a file
could not be written (disk full, read-only folder).
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import sys
from pathlib import Path

from torchleet_journal.base.errors import (
    EXIT_INVALID,
    InputError,
)
from torchleet_journal.base.files import refuse_linked_folders
from torchleet_journal.base.layout import CONFIG, STATE
from torchleet_journal.base.lock import Busy
from torchleet_journal.build.pipeline import DEFAULT_TIMEOUT
from torchleet_journal.commands.args import (
    add_build_options,
    day_numbers,
    dev_addr,
    iso_date,
    positive_int,
    seconds,
)
from torchleet_journal.commands.say import cannot_write, refused, say

COMMANDS = ("build", "status", "new", "serve", "init", "import", "review", "anki", "ingest",
            "remote")


def main(argv: list[str] | None = None) -> int:
    _standard_streams()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        guess = difflib.get_close_matches(argv[0], COMMANDS, n=1)
        hint = f"did you mean {guess[0]!r}? " if guess else ""
        print(f"build.py: unknown command {argv[0]!r}; {hint}the commands are "
              f"{', '.join(COMMANDS)} (see build.py --help)", file=sys.stderr)
        return EXIT_INVALID
    if not argv or argv[0] not in COMMANDS + ("-h", "--help"):
        argv.insert(0, "build")
    args = _parser().parse_args(argv)
    try:
        if args.command != "init":  # init makes a journal elsewhere: it needs none here
            _check_root(args.root)
        module, name = args.func  # ("build", "cmd_build"): commands/build.py's cmd_build
        return getattr(importlib.import_module(f"torchleet_journal.commands.{module}"), name)(args)
    except (InputError, Busy) as error:
        return refused(error)
    except OSError as error:
        return cannot_write(error)
    except KeyboardInterrupt:
        print("\nstopped; the next build picks up where this one left off", file=sys.stderr)
        return 130


def _standard_streams() -> None:
    """Make printing safe whatever the streams are.

    A standard stream closed by the caller (`2>&-`) is opened on /dev/null: left closed, the
    first file the build opens (its lock) would take its number, and every message and every
    run's output would be written into that file. A stream that cannot encode some text
    (`PYTHONIOENCODING=ascii`, a byte that was not UTF-8 in a file name) prints it escaped;
    what is typed in another encoding is read, for `init` to refuse in one line.
    """
    for fd, name, flags in ((0, "stdin", os.O_RDONLY), (1, "stdout", os.O_WRONLY),
                            (2, "stderr", os.O_WRONLY)):
        try:
            os.fstat(fd)
        except OSError:
            opened = os.open(os.devnull, flags)  # the lowest free number: `fd` itself
            if opened != fd:
                os.dup2(opened, fd)
                os.close(opened)
            setattr(sys, name, open(fd, "w" if fd else "r", encoding="utf-8", closefd=False))
    for stream, errors in ((sys.stdout, "backslashreplace"), (sys.stderr, "backslashreplace"),
                           (sys.stdin, "surrogateescape")):  # init's answers: checked, not a crash
        if stream is not None and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors=errors)


def _check_root(root: Path) -> None:
    """`root` must be a journal before anything (the lock first) is written into it."""
    if not root.is_dir():
        raise InputError.one(str(root), 1, "--root must be the journal's folder, got no such "
                             "folder; check the path")
    if not (root / "entries").is_dir() and not (root / CONFIG).is_file():
        raise InputError.one(str(root), 1, "is not a journal (it has no entries/ and no "
                             f"{CONFIG}); run build.py in the journal's folder or pass --root "
                             "with it, or start one with `python build.py init DIR`")
    lock_dir = root / STATE
    refuse_linked_folders(root, [STATE])  # the lock, the runs' scratch, the site's staging
    if lock_dir.exists() and not lock_dir.is_dir():
        raise InputError.one(STATE, 1, "must be the build's own folder, got a file; remove "
                             "it (the build makes the folder again)")


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad option is one line (the usage is a `--help` away), exit 2."""

    def error(self, message: str):
        say(f"{self.prog}: error: {message}")
        sys.exit(EXIT_INVALID)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="build.py", description="Build the TorchLeet journal: "
                                     "run each day's solution, render its pages, build the site.")
    commands = parser.add_subparsers(dest="command")

    def command(name: str, func, help: str, root: bool = True) -> argparse.ArgumentParser:
        """A sub-command working on the journal in --root (the current folder by default)."""
        sub = commands.add_parser(name, help=help)
        sub.add_argument("--root", type=Path, default=Path.cwd(), help="the journal's folder "
                         "(default: the current folder)" if root else argparse.SUPPRESS)
        sub.set_defaults(func=func)  # (module in commands/, function): imported when it runs
        return sub

    add_build_options(command("build", ("build", "cmd_build"), "run what changed, render docs/, build site/ "
                               "(default)"))
    status = command("status", ("build", "cmd_status"), "say which days a build would run, and why, "
                     "running nothing")
    status.add_argument("--timeout", type=seconds, default=DEFAULT_TIMEOUT,
                        help="as for build: a day that no longer fits its timeout runs again")
    new = command("new", ("intake", "cmd_new"), "start the next day: an entry and a solution skeleton")
    new.add_argument("task", nargs="?", help='what the day is about, e.g. "Implement a CNN on '
                     'CIFAR-10" (default: the title of --problem, else of the next problem of '
                     'the sets the journal follows)')
    new.add_argument("--problem", help="a problem id from a set's catalog, e.g. v1-8 or np-12")
    new.add_argument("--date", help="the day's date, YYYY-MM-DD (default: today)")
    new.add_argument("--notebook", action="store_true",
                     help="write the solution as a Jupyter notebook (.ipynb) instead of a script")
    serve = command("serve", ("serve", "cmd_serve"), "build, serve with live reload, rebuild on change")
    add_build_options(serve)
    serve.add_argument("--dev-addr", default="127.0.0.1:8000", type=dev_addr,
                       help="address to serve on, IP:PORT (default: %(default)s)")
    init = command("init", ("intake", "cmd_init"), "start a journal of your own in a new folder", root=False)
    init.add_argument("dir", type=Path, help="the new journal's folder (new or empty)")
    init.add_argument("--title", help='the site\'s title (default: "My PyTorch journal")')
    init.add_argument("--author", help="your name (default: git's user.name)")
    init.add_argument("--repo", help="its GitHub repository, owner/name or URL; sets repo_url "
                      "and site_url (default: your-github-user/<folder name>)")
    init.add_argument("--problem-set", help="the problem set it follows: torchleet (default), "
                      "numpy-100 or tensor-puzzles")
    log = command("import", ("intake", "cmd_import"), "turn a hand-kept progress table or day-by-day log "
                  "(Markdown) and its notebooks into entries")
    log.add_argument("table", type=Path, help="the Markdown file: a progress table, or a "
                     "heading per day (### Day 1: June 27, Monday) as #100DaysOfCode logs have")
    log.add_argument("--solutions", type=Path, help="the folder of its notebooks and scripts "
                     "(default: the table's folder)")
    log.add_argument("--start", type=iso_date, help="without git history, day 1's date "
                     "(YYYY-MM-DD); the others follow one a day (default: today, to check)")
    log.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    review = command("review", ("review", "cmd_review"), "review the gaps that are due, in the terminal")
    review.add_argument("--list", action="store_true", help="print what is due, one card a "
                        "line, and how many; needs no terminal")
    anki = command("anki", ("review", "cmd_anki"), "write every gap as a note of an Anki deck")
    anki.add_argument("file", type=Path, nargs="?", help="the .apkg to write (default: gaps.apkg "
                      "in the journal's folder)")
    ingest = command("ingest", ("ingest", "cmd_ingest"), "store a day's notebook run elsewhere (Colab) as the "
                     "day's run")
    ingest.add_argument("notebook", type=Path, help="the notebook, run and downloaded (.ipynb)")
    ingest.add_argument("--day", type=positive_int, help="the day it is (default: the day its "
                        "metadata names)")
    remote = command("remote", ("remote", "cmd_remote"), "run days on Kaggle with your own token "
                     "and store each run as the day's")
    remote.add_argument("days", type=day_numbers, help="the days, e.g. 8 or 5,8")
    remote.add_argument("--kaggle", action="store_true", required=True,
                        help="run them on Kaggle, through its CLI (pip install kaggle)")
    remote.add_argument("--fetch", action="store_true", help="push nothing: wait for the "
                        "days' latest runs there and bring them back")
    remote.add_argument("--timeout", type=seconds, help="seconds to wait for a run before "
                        "leaving it to --fetch (default: the entry's timeout:, else 600)")
    return parser
