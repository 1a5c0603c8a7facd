"""The runner: every solution in a child process of its own, several at a time, with timeouts.

Children are forked from a warm fork server that has already imported torch, matplotlib and
tensorboard and taken one training step (`torchleet_journal.run.warm`), so a child starts in milliseconds,
not seconds. Where fork is unavailable, children are plain fresh interpreters. When a run
ends, everything it started ends with it (`torchleet_journal.base.processes`); a timeout first asks it for a
dump of its stack, so the page can say where it was stuck.

A solution may kill the fork server (its parent), which takes every running child with it.
Those runs are run again, each alone on a fresh server: the one that kills it alone is the
culprit and fails; the others pass or fail on their own merits.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import signal
import time
from dataclasses import dataclass
from multiprocessing import connection
from typing import Callable

from torchleet_journal.base.processes import alive, children, kill_tree
from torchleet_journal.run.capture import FAULT, STACK_SIGNAL, Job, child_main

STACK_DUMP_WAIT = 1.0  # seconds a run past its timeout gets to write its stack
SERVER_DEATH_WAIT = 1.0  # its pipes close as it dies, a moment before /proc shows it dead
LOST_EXIT_CODE = 255  # what multiprocessing reports for a child whose fork server died
# A solution that sets its own thread count, as the seed's do: `torch.set_num_threads(1)`.
OWN_THREADS = re.compile(rb"torch\.set_num_threads\(\s*(\d+)\s*\)")
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass
class Outcome:
    """How one child ended, as the parent saw it (its own record is in the job's outdir)."""

    job: Job
    wall_time: float
    exit_code: int | None
    signal: str | None
    timed_out: bool
    timeout: float
    lost_server: bool = False  # its fork server died under it (final only if it ran alone)


@dataclass
class _Pending:
    job: Job
    timeout: float
    cores: int
    alone: bool = False  # suspected of killing the fork server: nothing runs beside it


@dataclass
class _Running:
    process: multiprocessing.Process
    job: Job
    started: float
    timeout: float
    server: int | None  # the fork server's pid, None for a spawned child
    alone: bool
    cores: int  # the cores its torch threads keep busy (see cores_taken)


def _context():
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["torchleet_journal.run.warm"])
        return context
    return multiprocessing.get_context("spawn")


def _start_fork_server() -> int | None:
    """Start the fork server (again, if a run killed it) with `torchleet_journal.run.warm`; its pid."""
    context = _context()
    if context.get_start_method() != "forkserver":
        return None
    from multiprocessing import forkserver

    # Python 3.11's fork server ignores the parent's sys.path: run from another folder, it
    # could not import torchleet_journal.run.warm, and every child would pay the whole warm-up itself.
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_PARENT, saved]))
    try:
        forkserver.ensure_running()
    finally:
        if saved is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = saved
    return forkserver._forkserver._forkserver_pid


def run_jobs(jobs: list[tuple[Job, float]], parallel: int,
             on_start: Callable[[Job], None] = lambda job: None,
             on_done: Callable[[Outcome], None] = lambda outcome: None,
             on_tick: Callable[[list[tuple[Job, float]]], None] = lambda running: None,
             ) -> list[Outcome]:
    """Run (job, timeout) pairs, at most `parallel` at once, in the order given, each started
    as soon as its threads fit the idle cores (the first in order that fits goes first)."""
    context = _context()
    pending = [_Pending(job, timeout, cores_taken(job)) for job, timeout in jobs]
    running: dict[int, _Running] = {}
    outcomes = []

    def finish(outcome: Outcome) -> None:
        outcomes.append(outcome)
        on_done(outcome)

    try:
        while pending or running:
            while len(running) < parallel and (item := _next_to_start(pending, running)):
                pending.remove(item)
                server = _start_fork_server()
                process = context.Process(target=child_main, args=(item.job,),
                                          name=f"day-{item.job.day:02d}")
                on_start(item.job)
                process.start()
                running[process.sentinel] = _Running(process, item.job, time.monotonic(),
                                                     item.timeout, server, item.alone,
                                                     item.cores)
            for sentinel in _wait(running):
                run = running.pop(sentinel)
                outcome = _collect(run, running, timed_out=False)
                if outcome.lost_server and not run.alone:
                    pending.insert(0, _retry(run))  # maybe innocent: run it again, alone
                else:
                    finish(outcome)
            for sentinel, run in list(running.items()):
                if time.monotonic() - run.started > run.timeout:
                    _stop(run)
                    finish(_collect(running.pop(sentinel), running, timed_out=True))
            now = time.monotonic()
            on_tick([(run.job, now - run.started) for run in running.values()])
    finally:
        for run in running.values():  # interrupted: leave no solution training behind
            kill_tree([run.process.pid])
            run.process.join()
    return outcomes


def cores_taken(job: Job) -> int:
    """How many cores a run's torch threads keep busy: its entry's `threads:`, else the count
    its solution sets itself (`torch.set_num_threads(1)`, read from its text), else the
    machine's default, every core (torch's own default is at most that).

    Only the scheduling reads this: a guess that is wrong costs time, never other numbers.
    """
    count = job.threads
    if count is None:
        try:
            own = OWN_THREADS.search(job.solution.read_bytes())
        except OSError:
            own = None
        count = int(own.group(1)) if own else None
    cores = os.cpu_count() or 1
    return max(1, min(count or cores, cores))


def _next_to_start(pending: list[_Pending], running: dict[int, _Running]) -> _Pending | None:
    """The first pending run whose threads fit the idle cores, or the first when none runs.

    Two runs whose threads together outnumber the cores slow each other down many times over
    (OpenMP threads wait for each other at every operation), so such runs take turns. A run
    suspected of killing the fork server runs with nothing beside it.
    """
    if not running:
        return pending[0] if pending else None
    if any(run.alone for run in running.values()):
        return None
    idle = (os.cpu_count() or 1) - sum(run.cores for run in running.values())
    return next((item for item in pending if not item.alone and item.cores <= idle), None)


def _retry(run: _Running) -> _Pending:
    """Its fork server died under it: start over, from empty folders, alone."""
    for folder in (run.job.workdir, run.job.outdir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    return _Pending(run.job, run.timeout, run.cores, alone=True)


def _wait(running: dict[int, _Running]) -> list[int]:
    if not running:
        return []
    now = time.monotonic()
    next_deadline = min(run.started + run.timeout for run in running.values()) - now
    # Wake at least every half second to redraw progress and check deadlines.
    return connection.wait(list(running), timeout=max(0.0, min(0.5, next_deadline)))


def _collect(run: _Running, running: dict[int, _Running], timed_out: bool) -> Outcome:
    run.process.join()
    wall_time = time.monotonic() - run.started
    code = run.process.exitcode
    lost_server = code == LOST_EXIT_CODE and _server_died(run.server)
    _end_leftovers(run, running)
    signame = _signal_name(-code) if code is not None and code < 0 else None
    return Outcome(run.job, wall_time, code, signame, timed_out, run.timeout, lost_server)


def _server_died(server: int | None) -> bool:
    """Whether the fork server that started a run is dead (a run may have killed it)."""
    if server is None:
        return False
    deadline = time.monotonic() + SERVER_DEATH_WAIT
    while alive(server):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _end_leftovers(run: _Running, running: dict[int, _Running]) -> None:
    """Kill whatever the run started and left behind, wherever it moved to.

    While the child lived its orphans were its own; once it ended they became the fork
    server's. The server's other children are the runs still going, and are spared.
    """
    orphans = children(run.server) if run.server else set()
    kill_tree({run.process.pid} | orphans, spare=[other.process.pid for other in running.values()])


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _stop(run: _Running) -> None:
    """Ask a run past its timeout for its stack, then kill it and everything it started."""
    if STACK_SIGNAL is None:  # Windows: no signal to ask with; killed at its timeout all the same
        kill_tree([run.process.pid])
        return
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
    kill_tree([run.process.pid])
