"""What the build's child processes share: none outlives the process that started it."""

from __future__ import annotations

import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1


def die_with(parent: int, sig: int = signal.SIGKILL) -> None:
    """In a child: have Linux send `sig` when `parent` dies, and exit now if it already has.

    Elsewhere (no prctl) this does nothing: children then end only when they finish.
    """
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, sig)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)
