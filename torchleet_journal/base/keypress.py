"""One key a grade: how `review` reads its answers from a terminal, as Anki and other
flash-card tools do (Enter shows the answer, 1-4 grade, q quits).

On a terminal with termios (Linux, macOS) the terminal is put in cbreak mode for the session
and put back as it was on every way out (the last card, q, Ctrl-C, an error): cbreak keeps
Ctrl-C a signal, so it still stops the session. On Windows, msvcrt reads one key. Anywhere
else, or when standard input is no terminal, answers are read a line at a time.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator

KEYS = ("1", "2", "3", "4", "q")
ENTER = ("\r", "\n")
EOF_KEYS = ("\x04", "\x1a")  # Ctrl-D, and Ctrl-Z on Windows: the end of input, as in a line
Ask = Callable[[str], str]


@contextlib.contextmanager
def one_key(stdin=None, stdout=None) -> Iterator[Ask]:
    """An `ask(prompt)` that returns the key pressed ("" for Enter, "1"-"4" or "q"); keys that
    mean nothing here are ignored. Ctrl-D raises EOFError, Ctrl-C KeyboardInterrupt."""
    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    if not stdin.isatty():
        yield input
        return
    try:
        import termios
        import tty
    except ImportError:  # Windows
        yield _windows(stdout) if _has_msvcrt() else input
        return
    fd = stdin.fileno()
    try:
        saved = termios.tcgetattr(fd)
    except termios.error:
        yield input
        return
    try:
        tty.setcbreak(fd, termios.TCSANOW)
        yield lambda prompt: _ask(prompt, lambda: os.read(fd, 1).decode("latin-1"), stdout)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _ask(prompt: str, read: Callable[[], str], stdout) -> str:
    stdout.write(prompt)
    stdout.flush()
    while True:
        key = read()
        if key == "" or key in EOF_KEYS:
            stdout.write("\n")
            raise EOFError
        if key == "\x03":  # msvcrt hands Ctrl-C over as a key
            raise KeyboardInterrupt
        if key in ENTER:
            stdout.write("\n")
            return ""
        if key.lower() in KEYS:
            stdout.write(key.lower() + "\n")  # cbreak does not echo: show what was chosen
            stdout.flush()
            return key.lower()


def _has_msvcrt() -> bool:
    try:
        import msvcrt  # noqa: F401
    except ImportError:
        return False
    return True


def _windows(stdout) -> Ask:
    import msvcrt

    return lambda prompt: _ask(prompt, msvcrt.getwch, stdout)
