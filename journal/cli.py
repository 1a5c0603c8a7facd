"""The command line: `build` (the default), `status`, `new`, `serve`, `init`, `import`, `review`,
`anki`, `ingest` and `remote`.

The only module that prints or picks an exit code: 0 all good, 1 a solution failed (the site
is still built), 2 invalid input (nothing written), 3 another build is running here, 4 a file
could not be written (disk full, read-only folder).
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import ipaddress
import os
import sys
import time
from pathlib import Path

from .entries import Entry, day_slug
from .errors import EXIT_BUSY, EXIT_CANNOT_WRITE, EXIT_FAILED, EXIT_INVALID, EXIT_OK, InputError
from .files import refuse_linked_folders
from .pipeline import DEFAULT_TIMEOUT, Day, Events, Options, build, survey
from .portable import try_lock
from .render import CONFIG, count, status_label
from .results import NOT_RUN
from .text import terminal_safe

COMMANDS = ("build", "status", "new", "serve", "init", "import", "review", "anki", "ingest",
            "remote")


class Busy(Exception):
    """Another build holds this journal's lock."""


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
        return args.func(args)
    except (InputError, Busy) as error:
        return _refused(error)
    except OSError as error:
        return _cannot_write(error)
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
    lock_dir = root / ".journal"
    refuse_linked_folders(root, [".journal"])  # the lock, the runs' scratch, the site's staging
    if lock_dir.exists() and not lock_dir.is_dir():
        raise InputError.one(".journal", 1, "must be the build's own folder, got a file; remove "
                             "it (the build makes the folder again)")


def _cannot_write(error: OSError) -> int:
    """A full disk or a read-only folder: what could not be written, and nothing half-written."""
    where = f" {error.filename}" if error.filename else ""
    print(f"build.py: cannot write{where}: {error.strerror or error}; free disk space or make "
          "the folder writable, then build again (files already there are intact)",
          file=sys.stderr)
    return EXIT_CANNOT_WRITE


def _refused(error: InputError | Busy) -> int:
    """Say why nothing was built, and return the exit code that says so."""
    if isinstance(error, Busy):
        _say(error)
        return EXIT_BUSY
    for mistake in error.mistakes:
        _say(mistake)
    count = len(error.mistakes)
    print(f"{count} problem{'s' if count != 1 else ''} found; nothing was run or written.",
          file=sys.stderr)
    return EXIT_INVALID


def _say(message: object) -> None:
    """Print a line that quotes data (an entry, a lock file, mkdocs' output) to stderr."""
    print(terminal_safe(str(message)), file=sys.stderr)


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad option is one line (the usage is a `--help` away), exit 2."""

    def error(self, message: str):
        _say(f"{self.prog}: error: {message}")
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
        sub.set_defaults(func=func)
        return sub

    _add_build_options(command("build", cmd_build, "run what changed, render docs/, build site/ "
                               "(default)"))
    status = command("status", cmd_status, "say which days a build would run, and why, "
                     "running nothing")
    status.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT,
                        help="as for build: a day that no longer fits its timeout runs again")
    new = command("new", cmd_new, "start the next day: an entry and a solution skeleton")
    new.add_argument("task", nargs="?", help='what the day is about, e.g. "Implement a CNN on '
                     'CIFAR-10" (default: the title of --problem, else of the next problem of '
                     'the sets the journal follows)')
    new.add_argument("--problem", help="a problem id from a set's catalog, e.g. v1-8 or np-12")
    new.add_argument("--date", help="the day's date, YYYY-MM-DD (default: today)")
    new.add_argument("--notebook", action="store_true",
                     help="write the solution as a Jupyter notebook (.ipynb) instead of a script")
    serve = command("serve", cmd_serve, "build, serve with live reload, rebuild on change")
    _add_build_options(serve)
    serve.add_argument("--dev-addr", default="127.0.0.1:8000", type=_dev_addr,
                       help="address to serve on, IP:PORT (default: %(default)s)")
    init = command("init", cmd_init, "start a journal of your own in a new folder", root=False)
    init.add_argument("dir", type=Path, help="the new journal's folder (new or empty)")
    init.add_argument("--title", help='the site\'s title (default: "My PyTorch journal")')
    init.add_argument("--author", help="your name (default: git's user.name)")
    init.add_argument("--repo", help="its GitHub repository, owner/name or URL; sets repo_url "
                      "and site_url (default: your-github-user/<folder name>)")
    init.add_argument("--problem-set", help="the problem set it follows: torchleet (default), "
                      "numpy-100 or tensor-puzzles")
    log = command("import", cmd_import, "turn a hand-kept progress table or day-by-day log "
                  "(Markdown) and its notebooks into entries")
    log.add_argument("table", type=Path, help="the Markdown file: a progress table, or a "
                     "heading per day (### Day 1: June 27, Monday) as #100DaysOfCode logs have")
    log.add_argument("--solutions", type=Path, help="the folder of its notebooks and scripts "
                     "(default: the table's folder)")
    log.add_argument("--start", type=_iso_date, help="without git history, day 1's date "
                     "(YYYY-MM-DD); the others follow one a day (default: today, to check)")
    log.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    review = command("review", cmd_review, "review the gaps that are due, in the terminal")
    review.add_argument("--list", action="store_true", help="print what is due, one card a "
                        "line, and how many; needs no terminal")
    anki = command("anki", cmd_anki, "write every gap as a note of an Anki deck")
    anki.add_argument("file", type=Path, nargs="?", help="the .apkg to write (default: gaps.apkg "
                      "in the journal's folder)")
    ingest = command("ingest", cmd_ingest, "store a day's notebook run elsewhere (Colab) as the "
                     "day's run")
    ingest.add_argument("notebook", type=Path, help="the notebook, run and downloaded (.ipynb)")
    ingest.add_argument("--day", type=_positive_int, help="the day it is (default: the day its "
                        "metadata names)")
    remote = command("remote", cmd_remote, "run days on Kaggle with your own token and store "
                     "each run as the day's")
    remote.add_argument("days", type=_days, help="the days, e.g. 8 or 5,8")
    remote.add_argument("--kaggle", action="store_true", required=True,
                        help="run them on Kaggle, through its CLI (pip install kaggle)")
    remote.add_argument("--fetch", action="store_true", help="push nothing: wait for the "
                        "days' latest runs there and bring them back")
    remote.add_argument("--timeout", type=_seconds, help="seconds to wait for a run before "
                        "leaving it to --fetch (default: the entry's timeout:, else 600)")
    return parser


def _add_build_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", "-j", type=_positive_int, help="solutions run at once "
                        "(default: one per core)")
    parser.add_argument("--force", action="store_true", help="re-run every day, cached or not")
    parser.add_argument("--only", type=_days, help="re-run only these days, e.g. 3,5")
    parser.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT,
                        help="seconds a solution may run (default: %(default)g); an entry's "
                        "`timeout:` wins")
    parser.add_argument("--no-site", action="store_true", help="stop after rendering docs/")
    parser.add_argument("--publish", action="store_true", help="run a day only when its code, "
                        "data or settings changed or it has no stored run; publish one made "
                        "with other versions, Python or OS as stored (the Pages workflow)")


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of 1 or more, got {text!r}")
    return int(text)


def _dev_addr(text: str) -> str:
    """IP:PORT as mkdocs serve takes it (`localhost` too), checked before anything is built."""
    host, _, port = text.rpartition(":")
    try:
        if host != "localhost":
            ipaddress.ip_address(host[1:-1] if host[:1] + host[-1:] == "[]" else host)
        valid = port.isdigit() and int(port) <= 65535
    except ValueError:
        valid = False
    if not valid:
        raise argparse.ArgumentTypeError(f"must be IP:PORT with a port from 0 to 65535, e.g. "
                                         f"127.0.0.1:8000, got {text!r}")
    return text


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, got {text!r}")
    return seconds


def _iso_date(text: str):
    from .dates import BOUNDS, parse_date

    date = parse_date(text)
    if date is None:
        raise argparse.ArgumentTypeError(f"must be a real date {BOUNDS} written YYYY-MM-DD, "
                                         f"got {text!r}")
    return date


def _days(text: str) -> frozenset[int]:
    try:
        days = frozenset(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be day numbers separated by commas, e.g. 3,5; "
                                         f"got {text!r}") from None
    if not days:
        raise argparse.ArgumentTypeError("name at least one day, e.g. --only 3")
    return days


def _options(args) -> Options:
    return Options(jobs=args.jobs, force=args.force, only=args.only, timeout=args.timeout,
                   site=not args.no_site, publish=args.publish)


# --- build ---------------------------------------------------------------------------------


@contextlib.contextmanager
def journal_lock(root: Path):
    """One build at a time per journal: a second one says so instead of racing the first."""
    lock_dir = root / ".journal"
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


def cmd_build(args) -> int:
    root = args.root.resolve()
    with journal_lock(root):
        return _build_once(root, _options(args))


def _build_once(root: Path, options: Options) -> int:
    from .site import SiteError

    started = time.monotonic()
    progress = Progress(sys.stderr)
    try:
        report = build(root, options, progress)
    except SiteError as error:
        _say(error)
        return EXIT_FAILED
    progress.summary(report, time.monotonic() - started, options.site)
    return EXIT_FAILED if report.failures else EXIT_OK


class Progress(Events):
    """Shows a build as it goes: one line per finished day and a live line while they run."""

    def __init__(self, stream):
        self.stream = stream
        self.live = stream.isatty()
        self.total = 0

    def _line(self, text: str) -> None:
        if self.live:
            self.stream.write("\r\033[K")
        # Lines quote runs (a day's failure reason): their escape sequences must not reach
        # the terminal, where they could retitle the window or erase what was printed.
        self.stream.write(terminal_safe(text) + "\n")
        self.stream.flush()

    def plan(self, to_run: list[Day], cached: list[Entry]) -> None:
        self.total = len(to_run)
        if to_run:
            self._line(f"running {len(to_run)} solution{'s' if len(to_run) != 1 else ''} "
                       f"({len(cached)} cached)")
            for line in why_lines(to_run):
                self._line(f"  {line}")

    def as_stored(self, days: list[Day]) -> None:
        self._line("published as stored, made with other versions than here (--publish does "
                   "not run " + ("it):" if len(days) == 1 else "them):"))
        for line in why_lines(days):
            self._line(f"  {line}")

    def finished(self, day: Day, done: int, total: int) -> None:
        result = day.result
        bar = _bar(done, total)
        self._line(f"{bar} {done}/{total}  {day.entry.slug}  {status_label(day.entry, result):<24}"
                   f" {result.wall_time:6.2f} s")

    def tick(self, running: list[tuple[Entry, float]]) -> None:
        if self.live and running:
            now = ", ".join(f"{entry.slug} {seconds:.0f} s" for entry, seconds in running)
            self.stream.write(f"\r\033[K  running: {now}")
            self.stream.flush()

    def building_site(self) -> None:
        self._line("bringing site/ up to date (mkdocs)")

    def warning(self, text: str) -> None:
        self._line(f"warning: {text}")

    def summary(self, report, seconds: float, site: bool) -> None:
        ran = [d for d in report.days if d.ran]
        # A year of cached days is not news: the table lists what ran and what is wrong.
        shown = [d for d in report.days if d.ran or not d.ok] if len(report.days) > 20 \
            else report.days
        lines = ["", f"{'day':<8} {'status':<26} {'time':>8}  run"] if shown else []
        for day in shown:
            result = day.result
            time_text = f"{result.wall_time:7.2f}s" if result and result.wall_time else "       –"
            lines.append(f"{day.entry.slug:<8} {status_label(day.entry, result):<26} "
                         f"{time_text}  {'ran' if day.ran else 'cached'}")
        lines.append("")
        where = {"unchanged": "site/index.html (unchanged)", "pages": "site/index.html "
                 "(changed pages only)", "full": "site/index.html"}.get(report.site, "docs/")
        days = f"{len(report.days)} day{'' if len(report.days) == 1 else 's'}"
        lines.append(f"{days}, {len(ran)} ran, {len(report.failures)} failed; {where} ready in "
                     f"{seconds:.1f} s")
        if report.stale_skipped:
            lines.append("out of date but not run (--only): "
                         + ", ".join(f"day {d}" for d in report.stale_skipped))
        for day in report.failures:
            reason = day.result.reason if day.result else ""
            lines.append(f"failed: {day.entry.slug}: {reason} (see docs/days/{day.entry.slug}.md)")
        self._line("\n".join(lines))


def why_lines(days: list[Day]) -> list[str]:
    """Why days run, one line per reason: `day-05: matplotlib 3.11.2 → 3.11.1`, or for several
    days with one reason `days 1-3, 5: no stored result yet`."""
    groups: dict[str, list[int]] = {}
    for day in sorted(days, key=lambda d: d.entry.day):
        groups.setdefault(day.why, []).append(day.entry.day)
    return [f"{_days_named(numbers)}: {why}" for why, numbers in groups.items()]


def _days_named(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return day_slug(numbers[0])
    spans: list[list[int]] = []
    for number in numbers:
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return "days " + ", ".join(f"{a}-{b}" if b > a else f"{a}" for a, b in spans)


def _bar(done: int, total: int, width: int = 12) -> str:
    filled = round(width * done / max(total, 1))
    return "[" + "#" * filled + "." * (width - filled) + "]"


# --- status ------------------------------------------------------------------------------


def cmd_status(args) -> int:
    """Each day fresh or out of date with the reason, as the next build would decide."""
    from .catalog import load_catalog
    from .journey import next_problems

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
        _say_out(f"{day.entry.slug}  {status_label(day.entry, day.result):<{width}}  {said}")
    tally = ", ".join(f"{n} {state}" for state, n in counts.items() if n or state != "not run here")
    hint = " (`python build.py` runs them)" if counts["out of date"] else ""
    _say_out(f"{len(days)} day{'' if len(days) == 1 else 's'}: {tally}{hint}")
    for problem in next_problems([d.entry for d in days], load_catalog(args.root.resolve())):
        _say_out(f"next {problem.set} problem: {problem.id} {problem.title} ({problem.difficulty});"
                 " `python build.py new` starts it")
    return EXIT_OK


def _say_out(line: str) -> None:
    print(terminal_safe(line))


# --- new and serve -------------------------------------------------------------------------


def cmd_new(args) -> int:
    from .scaffold import new_day

    root = args.root.resolve()
    entry_path, solution_path = new_day(root, args.task, args.problem, args.date, args.notebook)
    entry, solution = (p.relative_to(root).as_posix() for p in (entry_path, solution_path))
    print(f"created {entry}\ncreated {solution}\n")
    if args.task is None:  # the day took a problem's title: say which problem it is
        import yaml

        header = yaml.load(entry_path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        _say_out(f"the day's problem: {header.get('problem')} {header['task']}\n")
    print(f"next: `python build.py serve` shows the new day with its plot and metric at once;\n"
          f"      write your solution in {solution}, and note gaps and learnings in {entry}\n"
          f"      as you go: the page follows every save.")
    return EXIT_OK


def cmd_init(args) -> int:
    from . import init

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
    print(f"next: cd {args.dir}\n"
          "      python -m venv .venv && . .venv/bin/activate && pip install -r requirements.txt\n"
          "      python build.py new \"<your first task>\" && python build.py serve")
    return EXIT_OK


def cmd_ingest(args) -> int:
    """One line: the run stored (exit 0, or 1 if it failed where it should pass), or why not (2)."""
    from .ingest import ingest, outcome
    from .status import status_of

    root = args.root.resolve()
    try:
        with journal_lock(root):
            entry, result, notes = ingest(root, args.notebook, args.day)
    except InputError as error:  # one line each, and nothing was written
        for mistake in error.mistakes:
            _say(f"{mistake}; nothing was written")
        return EXIT_INVALID
    print(terminal_safe(outcome(entry, result, notes)))  # it quotes the run's failure, if any
    return EXIT_OK if status_of(entry, result).as_expected else EXIT_FAILED


def cmd_remote(args) -> int:
    """A line per day as its run goes; exit 0 when all came back as expected, 1 if not."""
    from .remote import Refused, remote

    try:
        return remote(args.root, args.days, args.fetch, args.timeout, _say_out, journal_lock)
    except Refused as error:
        _say(f"build.py remote: {error}; nothing was run or written")
    except InputError as error:
        for mistake in error.mistakes:
            _say(f"{mistake}; nothing was run or written")
    return EXIT_INVALID


def cmd_import(args) -> int:
    from .importer import import_log

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


def cmd_serve(args) -> int:
    from .serve import serve

    root = args.root.resolve()
    return serve(root, _options(args), args.dev_addr, lambda options: _serve_build(root, options))


def _serve_build(root: Path, options: Options) -> int:
    """One locked build while serving: a mistake in the input is shown, and serving goes on."""
    try:
        with journal_lock(root):
            return _build_once(root, options)
    except (InputError, Busy) as error:
        return _refused(error)
    except OSError as error:
        return _cannot_write(error)


# --- review and anki -----------------------------------------------------------------------


def cmd_review(args) -> int:
    from . import review
    from .catalog import load_catalog
    from .entries import load_entries
    from .keypress import one_key

    root = args.root.resolve()
    entries = load_entries(root, load_catalog(root))
    if args.list:
        reviews = review.deck(root, entries)
        for problem in reviews.problems:
            _say(f"warning: {problem}")
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
    from .anki import write_deck

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
