"""What differs between Linux, macOS and Windows outside the process tree (torchleet_journal/base/processes.py):
a run's peak memory, its own session, the journal's lock. One function each, with the fallback
beside the Linux path, so a number the page shows is the platform's own or absent, never a guess.
"""

from __future__ import annotations

import ctypes
import os
import sys

try:
    import resource  # POSIX only
except ImportError:  # Windows
    resource = None

try:
    import fcntl  # POSIX only
except ImportError:  # Windows locks a byte of the file instead
    fcntl = None
LOCKED_BYTE = 1 << 20


def peak_memory_mb() -> float | None:
    """This process's peak resident memory in MB, as the OS counts it; None where it cannot say.

    getrusage's ru_maxrss is in kilobytes on Linux and in bytes on macOS; Windows has no
    getrusage, and reports the peak working set through GetProcessMemoryInfo.
    """
    if resource is not None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (2**20 if sys.platform == "darwin" else 2**10)
    if sys.platform == "win32":
        return _windows_peak_mb()
    return None


def _windows_peak_mb() -> float | None:
    class Counters(ctypes.Structure):
        _fields_ = [("cb", ctypes.c_ulong), ("PageFaultCount", ctypes.c_ulong)] + [
            (name, ctypes.c_size_t) for name in (
                "PeakWorkingSetSize", "WorkingSetSize", "QuotaPeakPagedPoolUsage",
                "QuotaPagedPoolUsage", "QuotaPeakNonPagedPoolUsage", "QuotaNonPagedPoolUsage",
                "PagefileUsage", "PeakPagefileUsage")]
    try:
        counters = Counters(cb=ctypes.sizeof(Counters))
        process = ctypes.windll.kernel32.GetCurrentProcess()
        if not ctypes.windll.psapi.GetProcessMemoryInfo(process, ctypes.byref(counters),
                                                        counters.cb):
            return None
    except (AttributeError, OSError):
        return None
    return counters.PeakWorkingSetSize / 2**20


def new_session() -> bool:
    """Give this process a session and process group of its own, so a Ctrl-C in the terminal
    reaches the build alone and the run's group can be killed whole. False where there is no
    setsid (Windows): there the runner ends the run's tree by ancestry (processes.kill_tree)."""
    if not hasattr(os, "setsid"):
        return False
    os.setsid()
    return True


def try_lock(handle) -> bool:
    """Take an exclusive lock on the open file `handle` without waiting; False if another
    process holds it. The lock ends with the process, however it ends."""
    try:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            import msvcrt

            # A byte far past the pid it holds: a locked byte cannot be read by the build
            # that finds the lock held and says whose it is.
            handle.seek(LOCKED_BYTE)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            handle.seek(0)
    except BlockingIOError:
        return False
    except OSError:  # msvcrt says "held" with EACCES or EDEADLOCK
        if fcntl is None:
            return False
        raise
    return True
