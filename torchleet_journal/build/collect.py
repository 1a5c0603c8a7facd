"""Collecting results: what the runner saw of one child, turned into a `Result` to store.

A child that could not report (killed by a signal, stopped at its timeout) still gets a reason
line and, from Python's own stack dump, a traceback of where it was.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
import re
import shutil
import traceback
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

from torchleet_journal.base.environment import machine, torch_build
from torchleet_journal.base.files import sha256_file
from torchleet_journal.build.clean import scrubber
from torchleet_journal.build.hints import failure_hint
from torchleet_journal.build.run_key import cache_key, packages_imported
from torchleet_journal.model import source
from torchleet_journal.model.entries import Entry
from torchleet_journal.model.notebook import cell_lines
from torchleet_journal.model.results import FAILED, PASSED, TIMED_OUT, Result, read_record
from torchleet_journal.run.capture import EXECUTED, FAULT, LOG, RECORD, solution_frames

if TYPE_CHECKING:  # the runner is imported only when something runs
    from torchleet_journal.run.runner import Outcome

LOG_HEAD_LINES, LOG_TAIL_LINES = 30, 60
LOG_KEEP_PLAIN = 1 << 20  # a bigger log is stored gzipped
LOG_PAGE_CHARS = 20_000  # of the head, and of the tail, at most: lines can be huge too
SIGNAL_HINTS = {
    "SIGKILL": " (often the system running out of memory)",
    "SIGSEGV": " (a crash in native code, such as torch or numpy)",
    "SIGABRT": " (a native library gave up, calling abort())",
}
# One frame of a faulthandler dump: `  File "x.py", line 3 in main`.
DUMP_FRAME = re.compile(r'^[ \t]+File "(.*)", line (\d+) in (.*)$', re.M)  # \s+ crossed lines


def to_result(root: Path, entry: Entry, outcome: Outcome, env: dict[str, str]) -> tuple[Result, dict[str, Path]]:
    """Complete the child's record with what the runner saw, and list the files to store."""
    out = outcome.job.outdir
    record = _child_record(out, entry.day)
    result = record or Result(entry.day, FAILED)
    # What only the parent knows, over anything the child (or the solution) wrote there.
    result.exit_code, result.signal = outcome.exit_code, outcome.signal
    result.wall_time = round(outcome.wall_time, 3)
    result.ran_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    # Where it was made, for its page: the key holds torch's release, the page its build.
    result.python, result.torch, result.platform = env["python"], torch_build(), machine()
    result.log, result.log_head, result.log_tail, result.log_lines = None, "", "", 0
    result.last_good = None
    result.ran_on = None  # it ran here: only `build.py ingest` says a run was elsewhere
    _judge(root, result, outcome, entry.solution, reported=record is not None)
    clean = scrubber(root, outcome.job.workdir)  # what is stored is committed and published
    result.reason, result.traceback = clean(result.reason), clean(result.traceback)
    _clean_log(out / LOG, clean)
    produced = {name: out / name for name in result.files() if (out / name).exists()}
    result.log, produced_log = _store_log(result, out)
    if produced_log:
        produced[result.log] = produced_log
    if entry.solution not in result.deps:  # the child never reported: the hash of what it ran
        executed = _executed(out) or _hash(root / entry.solution)
        if executed:
            result.deps = dict(sorted({**result.deps, entry.solution: executed}.items()))
    result.packages = packages_imported(root, result.deps)
    result.settings = entry.run_settings()
    result.key = cache_key(root, entry, result.deps, env, result.status, outcome.timeout,
                           packages=result.packages)
    if result.status == PASSED:
        result.reason = ""
    result.reason += failure_hint(entry, result.status != PASSED, result.missing,
                                  f"{result.reason}\n{result.traceback}")
    return result, produced


def _executed(out: Path) -> str | None:
    """The hash of the solution's bytes, as the child noted it before running them."""
    try:
        text = (out / EXECUTED).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if re.fullmatch(r"[0-9a-f]{64}", text) else None


def _hash(path: Path) -> str | None:
    return sha256_file(path) if path.is_file() else None


def _child_record(out: Path, day: int) -> Result | None:
    """The record the child wrote, checked as a stored one is; None if it wrote none we trust."""
    try:
        return read_record(out / RECORD, day)
    except (OSError, ValueError, RecursionError):  # BadResult is a ValueError
        return None


def _judge(root: Path, result: Result, outcome: Outcome, solution: str, reported: bool) -> None:
    """Pass or fail from how the process ended, as under plain `python`, and why it failed.

    The child's record explains a failure; it does not decide one. A run that exits 0 has
    passed even if it never wrote one (`os._exit(0)`): what it left on disk is kept.
    """
    out = outcome.job.outdir
    if outcome.timed_out:
        result.status = TIMED_OUT
        result.reason = f"timed out after {outcome.timeout:g} s and was stopped, with everything " \
                        "it started; set timeout: in the entry to allow longer"
        result.traceback = _stack_dump(root, out, f"Stopped here after {outcome.timeout:g} s",
                                       solution)
    elif outcome.lost_server:
        result.status = FAILED
        result.reason = "the build's fork server, the process that started it, died while this " \
                        "day ran alone: does the solution kill its parent (os.getppid())?"
    elif outcome.signal:
        result.status = FAILED
        result.reason = f"killed by {outcome.signal}{SIGNAL_HINTS.get(outcome.signal, '')}"
        result.traceback = (result.traceback or
                            _stack_dump(root, out, f"Killed here by {outcome.signal}", solution))
    elif outcome.exit_code == 0:
        result.status = PASSED
        if not reported:  # the figures it showed before it left are on disk
            result.figures = sorted(path.name for path in out.glob("figure-*.png"))
    else:
        result.status = FAILED
        if not reported or not result.reason:
            result.reason = f"the process ended with status {outcome.exit_code}" + \
                            ("" if reported else " before reporting")


def _stack_dump(root: Path, out: Path, ending: str, solution: str) -> str:
    """The solution's frames from faulthandler's dump, written as a Python traceback."""
    dump = out / FAULT
    if not dump.exists():
        return ""
    # The dump gives each thread's frames, most recent call first, the main thread's last.
    text = dump.read_text(encoding="utf-8", errors="replace")
    stacks = [DUMP_FRAME.findall(block) for block in text.split("\n\n")]
    main = next((stack for stack in reversed(stacks) if stack), [])
    cells = cell_lines(solution, source.read(root / solution)) \
        if solution.endswith(".ipynb") else {}
    frames = solution_frames([_frame(name, int(line), function, cells)
                              for name, line, function in reversed(main)], root)
    if not frames:
        return ""
    return "Traceback (most recent call last):\n" + "".join(traceback.format_list(frames)) + ending


def _frame(filename: str, line: int, function: str, cells: dict[str, list[str]]):
    """One frame, its source line read from the notebook's cell when it ran in one."""
    lines = cells.get(filename)
    if lines is None:
        return traceback.FrameSummary(filename, line, function)
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    return traceback.FrameSummary(filename, line, function, lookup_line=False, line=source)


def _clean_log(log: Path, clean) -> None:
    """Rewrite the run's output through `clean`, a line at a time: it can be gigabytes."""
    if not log.exists():
        return
    tmp = log.with_name(log.name + ".clean")
    with open(log, encoding="utf-8", errors="replace", newline="") as src, \
            open(tmp, "w", encoding="utf-8", newline="") as dst:
        for line in src:
            dst.write(clean(line))
    os.replace(tmp, log)


def _store_log(result: Result, out: Path) -> tuple[str | None, Path | None]:
    """Keep the head and tail for the page; the full log goes beside it, gzipped if large."""
    log = out / LOG
    if not log.exists():
        return None, None
    head, tail, count = [], deque(maxlen=LOG_TAIL_LINES), 0
    with open(log, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            count += 1
            if count <= LOG_HEAD_LINES:
                head.append(line)
            else:
                tail.append(line)
    result.log_head, result.log_tail, result.log_lines = "".join(head), "".join(tail), count
    result.log_head = result.log_head[:LOG_PAGE_CHARS]
    result.log_tail = result.log_tail[-LOG_PAGE_CHARS:]
    if log.stat().st_size <= LOG_KEEP_PLAIN:
        return LOG, log
    packed = out / (LOG + ".gz")
    # mtime=0 keeps the gzip bytes, and so the stored name, the same for the same output.
    with open(log, "rb") as src, open(packed, "wb") as raw, \
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as dst:
        shutil.copyfileobj(src, dst)
    return LOG + ".gz", packed
