"""Collecting results: what the runner saw of one child, turned into a `Result` to store."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

from .entries import Entry
from .files import sha256_file
from .results import FAILED, PASSED, TIMED_OUT, Result, cache_key

if TYPE_CHECKING:  # the runner is imported only when something runs
    from .runner import Outcome

LOG_HEAD_LINES, LOG_TAIL_LINES = 30, 60
LOG_KEEP_PLAIN = 1 << 20  # a bigger log is stored gzipped


def to_result(root: Path, entry: Entry, outcome: Outcome, env: dict[str, str]) -> tuple[Result, dict[str, Path]]:
    """Turn what the runner saw into a Result, and the files it should store with it."""
    report = outcome.report or {}
    out = outcome.job.outdir
    result = Result(entry.day, report.get("status", FAILED), reason=report.get("reason", ""),
                    exit_code=outcome.exit_code, signal=outcome.signal,
                    wall_time=round(outcome.wall_time, 3),
                    peak_memory_mb=report.get("peak_memory_mb"),
                    figures=report.get("figures", []), charts=report.get("charts", {}),
                    sparkline=report.get("sparkline"), scalars=report.get("scalars", {}),
                    traceback=report.get("traceback", ""), cells=report.get("cells", []),
                    ran_at=dt.datetime.now().astimezone().isoformat(timespec="seconds"), **env)
    if outcome.timed_out:
        result.status = TIMED_OUT
        result.reason = f"still running after {outcome.timeout:g} s, so it was stopped (set " \
                        "`timeout:` in the entry or pass --timeout to allow longer)"
    elif outcome.signal:
        result.status = FAILED
        result.reason = f"the process was killed by {outcome.signal}"
    elif outcome.report is None:
        result.status = FAILED
        result.reason = f"the process ended with status {outcome.exit_code} before reporting"
    produced = {name: out / name for name in result.files() if (out / name).exists()}
    result.log, produced_log = _store_log(result, out)
    if produced_log:
        produced[result.log] = produced_log
    deps = {rel: sha256_file(root / rel) for rel in
            sorted(set(report.get("reads", [])) | {entry.solution}) if (root / rel).is_file()}
    result.deps = deps
    result.key = cache_key(root, entry, deps, env)
    if result.status == PASSED:
        result.reason = ""
    return result, produced


def _store_log(result: Result, out: Path) -> tuple[str | None, Path | None]:
    """Keep the head and tail for the page; the full log goes beside it, gzipped if large."""
    log = out / "output.log"
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
    result.log_head, result.log_tail = result.log_head[-20_000:], result.log_tail[-20_000:]
    if log.stat().st_size <= LOG_KEEP_PLAIN:
        return "output.log", log
    packed = out / "output.log.gz"
    with open(log, "rb") as src, gzip.open(packed, "wb", mtime=0) as dst:
        shutil.copyfileobj(src, dst)
    return "output.log.gz", packed
