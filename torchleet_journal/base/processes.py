"""What the build's child processes share: none outlives the process that started it.

A solution may start processes that leave its process group and session (`setsid`, a double
fork, `start_new_session=True`). The build finds them by ancestry instead: the fork server and
each run's child are child subreapers (Linux's PR_SET_CHILD_SUBREAPER), so an orphan is
re-parented to the run's child while that lives, and to the fork server after, never to init.
Every process a run started therefore stays in a tree the runner can walk in /proc.

Elsewhere each piece has a fallback: without /proc (macOS) the tree is read from `ps`; without
prctl (macOS, Windows) a run's child watches for its parent's death from a thread, and orphans
go to init, where the run's process group (its own, from setsid) still reaches them; without
SIGSTOP, SIGKILL or process groups (Windows) a tree is ended by `taskkill /T`, which follows
the same ancestry.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from typing import Iterable

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
KILL_ROUNDS = 100  # a tree that keeps forking is frozen within this many scans
DEAD = ("Z", "X")  # a zombie has ended already: nothing to kill, only to reap
PROC = "/proc"
KILL = getattr(signal, "SIGKILL", signal.SIGTERM)  # on Windows, os.kill(pid, SIGTERM) terminates
STOP = getattr(signal, "SIGSTOP", None)  # none on Windows
PARENT_POLL = 0.2  # seconds between a watching thread's looks at its parent


def die_with(parent: int, sig: int = KILL) -> bool:
    """In a child: have Linux send `sig` when `parent` dies, and exit now if it already has.

    Elsewhere (no prctl) this does nothing and returns False: see `watch_parent`.
    """
    if not _prctl(PR_SET_PDEATHSIG, sig):
        return False
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)
    return True


def watch_parent(parent: int) -> threading.Thread:
    """Where prctl is missing: a daemon thread that ends this process once `parent` is gone.
    On POSIX an orphan's parent pid changes, seen a fifth of a second later at most; Windows
    never re-parents, so there the thread waits on the parent's process handle."""
    def watch() -> None:
        if sys.platform == "win32":
            import _winapi

            synchronize = 0x00100000  # the right to wait on a process
            _winapi.WaitForSingleObject(_winapi.OpenProcess(synchronize, False, parent),
                                        _winapi.INFINITE)
        else:
            while os.getppid() == parent:
                time.sleep(PARENT_POLL)
        os._exit(1)

    thread = threading.Thread(target=watch, name="journal-parent-watch", daemon=True)
    thread.start()
    return thread


def dies_with_this_process() -> dict:
    """The subprocess.Popen arguments that end a command with this process (a killed build
    takes mkdocs with it); none where there is no preexec_fn (Windows)."""
    if os.name != "posix":
        return {}
    parent = os.getpid()
    return {"preexec_fn": lambda: die_with(parent)}


def become_subreaper() -> None:
    """Adopt this process's orphaned descendants, so they stay findable (Linux only)."""
    _prctl(PR_SET_CHILD_SUBREAPER, 1)


def serve_as_reaper() -> None:
    """In the fork server: adopt every ended run's orphans, and end all that is left with it.

    The server reaps the orphans it adopts; multiprocessing warns about each such pid on the
    build's stderr, which would only be noise. The server exits when the build does, even a
    killed build, so at exit it kills every run still going and everything they started.
    """
    become_subreaper()
    warnings.filterwarnings("ignore", message="forkserver: waitpid returned unexpected pid")
    atexit.register(_end_what_is_left, os.getpid())


def _end_what_is_left(server: int) -> None:
    if os.getpid() == server:  # a solution's os.fork() copies the handler; only the server acts
        kill_tree(descendants([server]))


def _prctl(option: int, value: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None).prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def parents() -> dict[int, int]:
    """Every live process's parent, from one scan of /proc; from `ps` where there is no /proc
    (macOS); empty where there is neither (Windows)."""
    try:
        names = [int(name) for name in os.listdir(PROC) if name.isdigit()]
    except OSError:
        return _ps_parents()
    found = {}
    for pid in names:
        stat = _stat(pid)
        if stat and stat[0] not in DEAD:
            found[pid] = stat[1]
    return found


def _ps_parents() -> dict[int, int]:
    """Every live process's parent as `ps` lists them (POSIX's own columns: pid, ppid, state)."""
    try:
        listed = subprocess.run(["ps", "-A", "-o", "pid=", "-o", "ppid=", "-o", "stat="],
                                capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    found = {}
    for line in listed.splitlines():
        fields = line.split()
        if len(fields) >= 3 and fields[0].isdigit() and fields[1].isdigit() \
                and fields[2][:1] not in DEAD:
            found[int(fields[0])] = int(fields[1])
    return found


def alive(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie waiting to be reaped is not)."""
    if not os.path.isdir(PROC):
        return pid in parents()
    stat = _stat(pid)
    return stat is not None and stat[0] not in DEAD


def _stat(pid: int) -> tuple[str, int] | None:
    """A process's state letter and parent pid, or None if it is gone."""
    try:
        with open(f"{PROC}/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()  # the name may hold ")"
    except (OSError, IndexError):
        return None
    return fields[0].decode(), int(fields[1])


def children(pid: int) -> set[int]:
    """The live processes whose parent is `pid`."""
    return {child for child, parent in parents().items() if parent == pid}


def descendants(roots: Iterable[int], family: dict[int, int] | None = None) -> set[int]:
    """Every live process below `roots` (not the roots themselves)."""
    family = parents() if family is None else family
    below: dict[int, list[int]] = {}
    for pid, parent in family.items():
        below.setdefault(parent, []).append(pid)
    found, todo = set(), list(roots)
    while todo:
        for child in below.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def kill_tree(roots: Iterable[int], spare: Iterable[int] = ()) -> None:
    """SIGKILL `roots` and all their descendants, except `spare` and theirs.

    Everything is stopped first and only then killed: a stopped process cannot fork, and a
    killed parent's children would move to a subreaper above and could be missed.
    """
    roots, spare = set(roots), set(spare)
    stopped: set[int] = set()
    for _ in range(KILL_ROUNDS):
        family = parents()
        tree = ({pid for pid in roots if pid in family} | descendants(roots, family))
        tree -= spare | descendants(spare, family) | {os.getpid()}
        new = tree - stopped
        if not new:
            break
        if STOP is not None:
            _signal(new, STOP)
        stopped |= new
    for root in roots - spare:  # the group each root leads: all there is without /proc
        _kill_group(root)  # (first: Windows follows a tree from its root, which must live)
    _signal(stopped | (roots - spare - {os.getpid()}), KILL)


def _kill_group(root: int) -> None:
    """Kill the process group `root` leads; on Windows, which has none, its tree by ancestry."""
    if hasattr(os, "killpg"):
        try:
            os.killpg(root, KILL)
        except (ProcessLookupError, PermissionError):
            pass
    elif os.name == "nt":
        subprocess.run(["taskkill", "/F", "/T", "/PID", str(root)], capture_output=True)


def _signal(pids: Iterable[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
