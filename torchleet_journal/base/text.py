"""Text that came from a run, made safe for where it goes: stored results and the terminal.

A solution's output and exception messages are data. Escape sequences in them could retitle
the terminal, erase lines or move the cursor when the build prints them, so they are removed
here, in one place, for every caller. Imports nothing of the journal, so anyone can import it.
"""

from __future__ import annotations

import re

# ECMA-48 sequences, in 7-bit (ESC ...) and 8-bit (C1) form: CSI (ESC [ ... final byte);
# OSC, DCS, SOS, PM and APC strings, ended by BEL or ST, or at the end of the line so that an
# unended one cannot swallow the rest of a log; then any other ESC sequence (ESC c, ESC ( B).
ANSI = re.compile(r"""
    (?:\x1b\[|\x9b) [\x30-\x3f]* [\x20-\x2f]* [\x40-\x7e]?
  | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]) [^\n]*? (?:\x07|\x1b\\|\x9c|(?=\n)|\Z)
  | \x1b [\x20-\x2f]* [\x30-\x7e]?
""", re.VERBOSE)
# What is left that a terminal acts on: C0 controls but tab and newline, DEL, and C1 controls.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_ansi(text: str) -> str:
    """`text` without terminal escape sequences (colours, titles, cursor moves)."""
    return ANSI.sub("", text)


def terminal_safe(text: str) -> str:
    """`text` with escape sequences removed and other control characters shown as `\\xNN`."""
    return CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", strip_ansi(text))
