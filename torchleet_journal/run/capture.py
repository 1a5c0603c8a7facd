"""What runs inside the child process: one solution, with everything it shows, prints and reads.

The solution never imports the journal. All the build learns about a run it learns from here:
figures are saved when the solution calls `plt.show()` (and any still open at the end), output
goes to a log file, an audit hook records every project file the run reads, and the
TensorBoard event files it wrote are read back once it is done. The child writes the run's
record, a `Result` as `result.json` beside the figures, with what only it can know; the parent
completes it with what only the parent sees (how the process ended, its time, the cache key).
A child that dies without one (a crash, a timeout) leaves its Python stack in `fault.log`.
"""

from __future__ import annotations

import atexit
import faulthandler
import functools
import io
import json
import linecache
import os
import random
import signal
import sys
import tokenize
import traceback
import types
import weakref
from dataclasses import dataclass
from pathlib import Path
from traceback import FrameSummary

from torchleet_journal.base.files import file_state, sha256_bytes, sha256_file
from torchleet_journal.base.layout import STATE
from torchleet_journal.base.portable import new_session, peak_memory_mb
from torchleet_journal.base.processes import become_subreaper, die_with, watch_parent
from torchleet_journal.model.results import CHANGED, FAILED, PASSED, Result
from torchleet_journal.run.workdir import (
    CHANGES,
    DOWNLOADS,
    break_link,
    download_env,
    guard_torch_writers,
    keep_downloads,
    prepare,
    refuse_change,
)

RECORD = "result.json"  # the run's record, as the child leaves it for the parent
LOG = "output.log"
FAULT = "fault.log"  # Python's own stack dump, on a crash or when the runner asks for it
# The runner sends it before killing a run past its timeout; Windows has none, and a run
# stopped there is killed without a stack (its timeout holds, its page says less).
STACK_SIGNAL = getattr(signal, "SIGUSR1", None)
EXECUTED = "executed.sha256"  # the hash of the solution's bytes the run executed
JOURNAL_DIR = str(Path(__file__).parent.parent) + os.sep  # the whole engine, torchleet_journal/
# The process this module was imported in: the fork server, when children are forked.
_IMPORTED_IN = os.getpid()
# Folders the build itself writes: reading them is not a dependency of the solution.
NOT_DEPENDENCIES = ("results", "docs", "site", STATE, ".git")
NON_INTERACTIVE = {"agg", "pdf", "ps", "svg", "pgf", "cairo", "template"}


@dataclass(frozen=True)
class Job:
    """One solution to run, and where its run may write."""

    day: int
    root: Path
    solution: Path
    workdir: Path  # the run's working folder: whatever the solution writes lands here
    outdir: Path  # where the child puts figures, charts, the log and its record
    threads: int | None = None  # torch threads its entry asks for; None: the machine's default


def child_main(job: Job) -> None:
    """The child process's target: isolate, run the solution, write its record, exit with its status."""
    _isolate(job)
    reads = ReadRecorder(job)
    figures = FigureSaver(job.outdir)
    writers = _track_summary_writers()
    record = Result(job.day, PASSED, exit_code=0)
    source = _read_once(job, record)
    sys.addaudithook(reads.hook)
    if source is None:
        pass  # unreadable: the record says why
    elif job.solution.suffix == ".ipynb":
        from torchleet_journal.run.cells import run_notebook

        run_notebook(job, figures, record, fail, exited, source)
    else:
        run_script(job, figures, record, source)
    atexit._run_exitfuncs()  # as `python` does once a script ends; a child would skip them
    reads.active = False
    _reopen_streams()
    _finish(job, figures, record, reads, writers, source)
    sys.exit(record.exit_code)


def _read_once(job: Job, record: Result) -> bytes | None:
    """The solution's bytes, read once: what runs, and what the result is recorded against.

    A learner may save the file while it runs; the run's record names the version that ran,
    and its hash is in EXECUTED from the start, for a run stopped before it could report.
    """
    try:
        source = job.solution.read_bytes()
    except OSError as error:
        fail(record, job, error, where="reading the solution: ")
        return None
    (job.outdir / EXECUTED).write_text(sha256_bytes(source), encoding="utf-8")
    return source


def run_script(job: Job, figures: "FigureSaver", record: Result, source: bytes) -> None:
    try:
        _run_main(source, str(job.solution))
    except SystemExit as stop:
        exited(stop, record, job)
    except BaseException as error:  # a solution's failure is content, whatever it raised
        fail(record, job, error)


def _run_main(source: bytes, path: str) -> None:
    """Run a script's bytes as `python path` runs the file: compiled as Python reads source
    (its coding cookie), in a fresh `__main__` module, its lines there for tracebacks."""
    code = compile(source, path, "exec", dont_inherit=True)
    encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
    lines = source.decode(encoding, errors="replace").splitlines(keepends=True)
    linecache.cache[path] = (len(source), None, lines, path)  # no mtime: never checked again
    main = types.ModuleType("__main__")
    main.__file__, main.__cached__, main.__loader__ = path, None, None
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = main  # so pickle and multiprocessing find what the script defines
    try:
        exec(code, main.__dict__)
    finally:
        sys.modules["__main__"] = saved


def exited(stop: SystemExit, record: Result, job: Job) -> None:
    """Record a sys.exit(): a non-zero status fails the run, with where it was called."""
    code = stop.code
    if code is None or code == 0:
        return
    _reopen_streams()
    if not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    record.status, record.exit_code = FAILED, code
    record.reason = f"the solution called sys.exit({code})"
    record.traceback = trimmed_traceback(stop, job)


def fail(record: Result, job: Job, error: BaseException, where: str = "") -> None:
    """Record an exception as the run's failure, its traceback cut to the learner's frames."""
    _reopen_streams()
    record.status, record.exit_code = FAILED, 1
    message = str(error).splitlines()[0] if str(error) else ""
    record.reason = f"{where}{type(error).__name__}: {message}".rstrip(": ")
    if isinstance(error, EOFError) and message == "EOF when reading a line":  # input()'s words
        record.reason += " (the build runs solutions with no input, so input() cannot wait)"
    # Only a missing top-level module: a submodule missing from an installed package comes
    # with its version, which the packages in the cache key already follow.
    if isinstance(error, ModuleNotFoundError) and error.name and "." not in error.name:
        record.missing = error.name
    record.traceback = trimmed_traceback(error, job)
    sys.stderr.write(record.traceback)  # the log shows what `python solution.py` would


def trimmed_traceback(error: BaseException, job: Job) -> str:
    """The traceback, causes included, cut to the learner's frames and relative paths."""
    summary = traceback.TracebackException.from_exception(error)
    part = summary
    while part is not None:
        part.stack = traceback.StackSummary.from_list(solution_frames(part.stack, job.root))
        if getattr(part, "filename", None):  # a SyntaxError names the file it could not compile
            part.filename = _relative(part.filename, job.root)
        part = part.__cause__ or (None if part.__suppress_context__ else part.__context__)
    return "".join(summary.format())


def solution_frames(frames: list[FrameSummary], root: Path) -> list[FrameSummary]:
    """The frames the learner's code ran, oldest first, without the journal's or frozen ones.

    Frames before the journal's first (the fork server, multiprocessing) are how the child was
    started; the journal's own (runpy's call, a patched `plt.show`) are not the learner's.
    """
    first = next((i for i, f in enumerate(frames) if f.filename.startswith(JOURNAL_DIR)), 0)
    kept = [f for f in frames[first:] if not f.filename.startswith((JOURNAL_DIR, "<frozen "))]
    for frame in kept:
        frame.filename = _relative(frame.filename, root)
    return kept


def _relative(path: str, root: Path) -> str:
    """A project file as the learner names it (`solutions/day03.py`); others stay as they are."""
    return os.path.relpath(path, root) if path.startswith(str(root) + os.sep) else path


# --- isolation -----------------------------------------------------------------------------


def _isolate(job: Job) -> None:
    """Make the forked child look like a fresh `python solution.py` in a scratch folder."""
    new_session()  # its own group and session: a Ctrl-C in the terminal reaches the build alone
    become_subreaper()  # what it starts stays below it, even after setsid or a double fork
    _forget_fork_server()
    atexit._clear()  # the fork server's exit functions are its own; the solution's run at its end
    # Killed with the fork server, which dies with the build. (Spawned, the build is the parent.)
    parent = _IMPORTED_IN if _IMPORTED_IN != os.getpid() else os.getppid()
    if not die_with(parent):
        watch_parent(parent)  # no prctl (macOS, Windows): a thread watches for it instead
    fault = os.open(job.outdir / FAULT, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    faulthandler.enable(fault)  # a crash (SIGSEGV, SIGABRT...) still says where it happened
    if STACK_SIGNAL is not None:
        faulthandler.register(STACK_SIGNAL, fault)  # and so does a run stopped at its timeout
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)  # input() gets EOF at once instead of waiting forever
    sys.stdin = open(os.devnull, encoding="utf-8")
    log = os.open(job.outdir / LOG, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    sys.stdout, sys.stderr = _log_stream(1), _log_stream(2)
    # Jupyter's working folder: the solution's own, mirrored so the run cannot change it.
    prepare(job.workdir, job.solution.parent, job.root / DOWNLOADS)
    os.environ.update(download_env(job.root / DOWNLOADS))
    guard_torch_writers()
    os.chdir(job.workdir)
    sys.argv = [str(job.solution)]
    sys.path[:] = [str(job.solution.parent)] + [p for p in sys.path if p not in ("", str(job.root))]
    sys.dont_write_bytecode = True  # never leave __pycache__ inside the learner's solutions/
    os.environ["MPLBACKEND"] = "Agg"
    _reset_state(job.threads)


def _log_stream(fd: int):
    return open(fd, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)


def _reopen_streams() -> None:
    """Give the traceback and the final flush a stream again if the solution closed sys.stdout/err.

    Closing them is legal (`python` itself then exits 0); the log's descriptors stay open.
    """
    for name, fd in (("stdout", 1), ("stderr", 2)):
        stream = getattr(sys, name)
        if stream is None or getattr(stream, "closed", False):
            setattr(sys, name, _log_stream(fd))


def _reset_state(threads: int | None) -> None:
    """Undo what the fork server's warm-up touched, so numbers match a standalone run.

    The thread count is set once, for the whole run: a sum or a matrix product split over
    another number of threads ends in other last digits, and so would every later step.
    """
    import torch

    from torchleet_journal.run.seed import INITIAL_SEED

    torch.manual_seed(INITIAL_SEED)
    torch.set_num_threads(threads or machine_threads())
    random.seed()
    try:
        import numpy

        numpy.random.seed()
    except ImportError:
        pass


def machine_threads() -> int:
    """The torch thread count a plain `python FILE` gets on this machine.

    The fork server read it before its warm-up set one thread; a spawned child is itself a
    fresh interpreter, whose torch has not been told otherwise.
    """
    warm = sys.modules.get("torchleet_journal.run.warm")
    if warm is not None:
        return warm.MACHINE_THREADS
    import torch

    return torch.get_num_threads()


def _forget_fork_server() -> None:
    """Close the fork server's "alive" pipe and the resource tracker's, which every child gets.

    The server and the tracker each exit once no process holds their pipe. Held here, and
    inherited by anything the solution forks, the server's would keep it, and with it this
    child, alive after a killed build; the tracker's would keep the tracker alive, and it
    holds the build's stdout and stderr, so `build.py | tee log` would never end.
    """
    from multiprocessing import forkserver, resource_tracker

    server = forkserver._forkserver
    if getattr(server, "_forkserver_alive_fd", None) is not None:
        os.close(server._forkserver_alive_fd)
        # Forgotten too, so a solution using multiprocessing starts a server of its own.
        server._forkserver_alive_fd = server._forkserver_address = None
    tracker = resource_tracker._resource_tracker
    if getattr(tracker, "_fd", None) is not None:
        os.close(tracker._fd)
        tracker._fd = tracker._pid = None  # a solution that needs one starts its own


# --- what the solution reads ---------------------------------------------------------------


class ReadRecorder:
    """An audit hook that records every project file opened for reading (imports included).

    A file read through the run's working folder is recorded as the learner's file it mirrors,
    unless the run wrote it first. A write or a change in place there (truncate, chmod) first
    turns a link into a private copy.
    """

    def __init__(self, job: Job):
        self.root = str(job.root) + os.sep
        self.work = str(job.workdir) + os.sep
        self.source = job.solution.parent
        self.skip = tuple(self.root + d + os.sep for d in NOT_DEPENDENCIES)
        self.reads: dict[str, tuple | None] = {}  # file -> its state when first opened
        self.written: set[str] = set()
        self.active = True

    def hook(self, event: str, args: tuple) -> None:
        if not self.active:
            return
        if event in CHANGES:
            self._change(event, args)
            return
        if event != "open" or isinstance(args[0], int):
            return
        path, mode, flags = args
        path = os.path.abspath(os.fsdecode(path))
        if _writes(mode, flags):
            if path.startswith(self.work):
                self.written.add(path)
                self._break_link(path, truncating=_truncates(mode, flags))
            return
        learner = self._mirrored(path) if path.startswith(self.work) else path
        if learner and learner.startswith(self.root) and not learner.startswith(self.skip):
            rel = _source_of(learner)[len(self.root):]
            if rel not in self.reads:  # as it was before this first read: compared at the end
                self.reads[rel] = file_state(_source_of(path))

    def _change(self, event: str, args: tuple) -> None:
        """A change in place (truncate, chmod, utime...): never to the learner's linked file."""
        target = args[0]
        if isinstance(target, int):
            refuse_change(target, event)
            return
        if not isinstance(target, (str, bytes, os.PathLike)):
            return
        path = os.path.abspath(os.fsdecode(target))
        if path.startswith(self.work):
            truncating = event == "os.truncate" and args[1] == 0
            if truncating:
                self.written.add(path)
            self._break_link(path, truncating)

    def _break_link(self, path: str, truncating: bool) -> None:
        self.active = False  # the copy's own opens are not the solution's
        try:
            break_link(path, truncating)
        finally:
            self.active = True

    def _mirrored(self, path: str) -> str | None:
        """The learner's file that `path` in the working folder stands for, if any."""
        if path in self.written:
            return None
        learner = self.source / path[len(self.work):]
        return str(learner) if learner.is_file() else None


def _writes(mode: str | None, flags: int | None) -> bool:
    if mode:
        return any(c in mode for c in "wax+")
    return flags is not None and flags & os.O_ACCMODE != os.O_RDONLY


def _truncates(mode: str | None, flags: int | None) -> bool:
    return "w" in mode if mode else bool(flags and flags & os.O_TRUNC)


def _source_of(path: str) -> str:
    """A compiled module in __pycache__ stands for its source file."""
    folder, name = os.path.split(path)
    if os.path.basename(folder) == "__pycache__" and name.endswith(".pyc"):
        return os.path.join(os.path.dirname(folder), name.split(".")[0] + ".py")
    return path


# --- figures -------------------------------------------------------------------------------


class FigureSaver:
    """Saves every figure the solution shows, in order, instead of opening a window."""

    def __init__(self, outdir: Path):
        import matplotlib
        import matplotlib.pyplot as plt

        self.outdir = outdir
        self.saved: list[str] = []
        self.titles: dict[str, list[str]] = {}  # file name -> its titles, as it was shown
        self.plt = plt
        original_use, original_switch = matplotlib.use, plt.switch_backend
        # Settle pyplot on Agg now (before show is replaced: switching re-signs pyplot's show): a
        # spawned child has drawn nothing yet, and would pick its backend through the guard below.
        original_switch("agg")
        plt.show = self._show_function()

        def refuse_interactive(backend) -> None:
            name = str(backend).lower()
            if name not in NON_INTERACTIVE and not name.startswith("module://"):
                raise RuntimeError(
                    f"the interactive backend {backend!r} needs a screen and builds have none; "
                    f"remove matplotlib.use({backend!r}): plt.show() is saved as a figure")

        def use(backend, *args, **kwargs):
            refuse_interactive(backend)
            return original_use(backend, *args, **kwargs)

        def switch_backend(backend):
            refuse_interactive(backend)
            return original_switch(backend)

        matplotlib.use = use
        plt.switch_backend = switch_backend

    def _show_function(self):
        # A function, not a bound method: pyplot's switch_backend sets attributes on show.
        def show(*args, **kwargs) -> None:
            self.save_open()
        return show

    def save_open(self) -> list[str]:
        """Save and close every open figure, with its titles; returns the new file names."""
        names = []
        for number in self.plt.get_fignums():
            figure = self.plt.figure(number)
            name = f"figure-{len(self.saved) + 1:02d}.png"
            if _save(figure, self.outdir / name):
                self.saved.append(name)
                self.titles[name] = figure_titles(figure)
                names.append(name)
        self.plt.close("all")
        return names


def figure_titles(figure) -> list[str]:
    """The titles on a figure as it is shown: its suptitle first, then each axes' titles."""
    titles = [figure.get_suptitle()]
    for axes in figure.axes:
        titles += [axes.get_title(loc) for loc in ("left", "center", "right")]
    return [title.strip() for title in titles if title.strip()]


def _save(figure, path: Path) -> bool:
    """Draw the figure into `path`; whether it could be drawn.

    Plain `python` never draws a shown figure under a non-interactive backend, so a figure that
    cannot be drawn must not fail the day: broken mathtext (`$\\broken{$`) is drawn again as
    plain text, and what still fails is left out with a note in the output.
    """
    for attempt in range(2):
        try:
            figure.savefig(path, dpi=200, metadata={"Software": None})
            return True
        except Exception as error:  # matplotlib raises many kinds while drawing
            path.unlink(missing_ok=True)
            if attempt == 0:
                from matplotlib.text import Text
                for text in figure.findobj(Text):
                    text.set_parse_math(False)
                continue
            print(f"[journal] a shown figure could not be drawn, so the page leaves it out: "
                  f"{type(error).__name__}: {(str(error).splitlines() or [''])[0]}", file=sys.stderr)
    return False


# --- after the run -------------------------------------------------------------------------


def _finish(job: Job, figures: FigureSaver, record: Result, reads: ReadRecorder,
            writers: weakref.WeakSet, source: bytes | None) -> None:
    try:
        figures.save_open()
        _flush_summary_writers(writers)
        _collect_metrics(job, record)
    except Exception as error:  # the solution's own outcome stands; say what capture missed
        print(f"[journal] could not capture figures or metrics: {error!r}", file=sys.stderr)
    shown_by_cells = set(record.cell_figures())
    record.figures = [name for name in figures.saved if name not in shown_by_cells]
    record.captions = figures.titles
    solution = job.solution.relative_to(job.root).as_posix()
    # What ran, whatever the file holds by now.
    executed = {solution: sha256_bytes(source)} if source is not None else {}
    record.deps = dict(sorted({**_hashes(job.root, reads.reads), **executed}.items()))
    try:
        keep_downloads(job.workdir, job.solution.parent, job.root / DOWNLOADS)
    except OSError as error:
        print(f"[journal] could not keep what the run downloaded: {error!r}", file=sys.stderr)
    record.peak_memory_mb = peak_memory_mb()
    sys.stdout.flush()
    sys.stderr.flush()
    tmp = job.outdir / (RECORD + ".tmp")
    tmp.write_text(json.dumps(record.to_dict()), encoding="utf-8")
    os.replace(tmp, job.outdir / RECORD)


def _hashes(root: Path, reads: dict[str, tuple | None]) -> dict[str, str]:
    """The project files the run read, with their hashes now: what its cache key covers.

    A file changed since the run first opened it (a learner saving a CSV mid-run) has no hash
    that the run's outcome belongs to: it is recorded as CHANGED, which no file's hash matches,
    so the day is out of date and runs again.
    """
    hashes = {}
    for rel, before in sorted(reads.items()):
        path = root / rel
        if path.is_file():
            now = file_state(path)
            hashes[rel] = sha256_file(path) if None in (now, before) or now == before else CHANGED
    return hashes


def _track_summary_writers() -> weakref.WeakSet:
    """Every SummaryWriter the solution makes, subclasses included, to flush at the end.

    Recorded as they are made: searching all live objects for them afterwards took a tenth of
    a second per run, with torch's objects in memory.
    """
    from torch.utils.tensorboard import SummaryWriter

    made: weakref.WeakSet = weakref.WeakSet()
    original = SummaryWriter.__init__

    @functools.wraps(original)
    def init(self, *args, **kwargs):
        made.add(self)
        original(self, *args, **kwargs)

    SummaryWriter.__init__ = init
    return made


def _flush_summary_writers(writers: weakref.WeakSet) -> None:
    """A SummaryWriter buffers until closed; flush any the solution forgot to close."""
    for writer in list(writers):
        writer.flush()


def _collect_metrics(job: Job, record: Result) -> None:
    import matplotlib

    from torchleet_journal.base import charts
    from torchleet_journal.model.metrics import read_scalars

    matplotlib.rcdefaults()  # the journal's charts look the same whatever style a solution set
    record.scalars = read_scalars(job.workdir)
    for i, (tag, series) in enumerate(record.scalars.items()):
        if len(series["values"]) > 1:
            name = f"chart-{i + 1:02d}.png"
            charts.metric_chart(tag, series["steps"], series["values"], job.outdir / name)
            record.charts[tag] = name
