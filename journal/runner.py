"""The runner: every solution in a child process of its own, several at a time, with timeouts.

Children are forked from a warm fork server that has already imported torch, matplotlib and
tensorboard and taken one training step (`journal.warm`), so a child starts in milliseconds,
not seconds. Where fork is unavailable, children are plain fresh interpreters. Each child gets
its own process group: a timeout kills the solution and everything it started, after asking it
for a dump of its stack, so the page can say where it was stuck.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass
from multiprocessing import connection
from typing import Callable

from .capture import FAULT, REPORT, STACK_SIGNAL, Job, child_main

STACK_DUMP_WAIT = 1.0  # seconds a run past its timeout gets to write its stack
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Outcome:
    """How one child ended, as the parent saw it, with the child's own report if it wrote one."""

    job: Job
    wall_time: float
    exit_code: int | None
    signal: str | None
    timed_out: bool
    timeout: float
    report: dict | None


@dataclass
class _Running:
    process: multiprocessing.Process
    job: Job
    started: float
    timeout: float


def _context():
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["journal.warm"])
        return context
    return multiprocessing.get_context("spawn")


def _start_fork_server() -> None:
    """Start the fork server, where the children can import `journal.warm` from."""
    context = _context()
    if context.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    # Python 3.11's fork server ignores the parent's sys.path: run from another folder, it
    # could not import journal.warm, and every child would pay the whole warm-up itself.
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_PARENT, saved]))
    try:
        forkserver.ensure_running()
    finally:
        if saved is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = saved


def threads_per_job(jobs: int) -> int:
    """Torch threads per child, so jobs x threads never oversubscribes the cores."""
    return max(1, (os.cpu_count() or 1) // max(1, jobs))


def run_jobs(jobs: list[tuple[Job, float]], parallel: int,
             on_start: Callable[[Job], None] = lambda job: None,
             on_done: Callable[[Outcome], None] = lambda outcome: None,
             on_tick: Callable[[list[tuple[Job, float]]], None] = lambda running: None,
             ) -> list[Outcome]:
    """Run (job, timeout) pairs, at most `parallel` at once, in the order given."""
    context = _context()
    _start_fork_server()
    pending = list(jobs)
    running: dict[int, _Running] = {}
    outcomes = []
    try:
        while pending or running:
            while pending and len(running) < parallel:
                job, timeout = pending.pop(0)
                process = context.Process(target=child_main, args=(job,), name=f"day-{job.day:02d}")
                on_start(job)
                process.start()
                running[process.sentinel] = _Running(process, job, time.monotonic(), timeout)
            for sentinel in _wait(running):
                outcome = _collect(running.pop(sentinel), timed_out=False)
                outcomes.append(outcome)
                on_done(outcome)
            for sentinel, run in list(running.items()):
                if time.monotonic() - run.started > run.timeout:
                    _stop(run)
                    outcome = _collect(running.pop(sentinel), timed_out=True)
                    outcomes.append(outcome)
                    on_done(outcome)
            now = time.monotonic()
            on_tick([(run.job, now - run.started) for run in running.values()])
    finally:
        for run in running.values():  # interrupted: leave no solution training behind
            _kill_group(run.process)
            run.process.join()
    return outcomes


def _wait(running: dict[int, _Running]) -> list[int]:
    if not running:
        return []
    now = time.monotonic()
    next_deadline = min(run.started + run.timeout for run in running.values()) - now
    # Wake at least every half second to redraw progress and check deadlines.
    return connection.wait(list(running), timeout=max(0.0, min(0.5, next_deadline)))


def _collect(run: _Running, timed_out: bool) -> Outcome:
    run.process.join()
    wall_time = time.monotonic() - run.started
    _kill_group(run.process)  # anything the solution started and left behind
    code = run.process.exitcode
    signame = _signal_name(-code) if code is not None and code < 0 else None
    report_path = run.job.outdir / REPORT
    report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else None
    return Outcome(run.job, wall_time, code, signame, timed_out, run.timeout, report)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _stop(run: _Running) -> None:
    """Ask a run past its timeout for its stack, then kill it and everything it started."""
    try:
        os.kill(run.process.pid, STACK_SIGNAL)
    except ProcessLookupError:
        return
    dump = run.job.outdir / FAULT
    deadline, size = time.monotonic() + STACK_DUMP_WAIT, -1
    while time.monotonic() < deadline:  # done when the dump has stopped growing
        time.sleep(0.05)
        now = dump.stat().st_size if dump.exists() else 0
        if now and now == size:
            break
        size = now
    _kill_group(run.process)


def _kill_group(process: multiprocessing.Process) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        if process.is_alive():
            process.kill()
