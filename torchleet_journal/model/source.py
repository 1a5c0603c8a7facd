"""A solution's source as text, read the way Python reads it, and parsed without crashing.

Every part of the build that reads a solution without running it (its lead, its APIs, its
page, its notebook, a stopped run's stack) takes the text from `decode` and the tree from
`parse`, so a file Python runs is a file the journal reads: a PEP 263 coding cookie or a BOM
decides the encoding, as `python FILE` would, and bytes that are not text show as U+FFFD
rather than failing the page. A tree Python's parser cannot build (a 50,000-term expression)
is None, as a file that does not parse is: the day still runs, and what is read from source is
left out.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path


def decode(data: bytes, notebook: bool = False) -> str:
    """A script's bytes as Python decodes them, a notebook's as Jupyter does (UTF-8)."""
    encoding = "utf-8-sig"
    if not notebook:
        try:
            encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
        except SyntaxError:  # an unknown or contradicting cookie: python would not run it either
            pass
    return data.decode(encoding, errors="replace")


def read(path: Path) -> str:
    """The text of the solution at `path` (see `decode`)."""
    return decode(path.read_bytes(), path.suffix == ".ipynb")


def parse(code: str) -> ast.Module | None:
    """`code`'s syntax tree, or None when it does not parse or is too deep or large to build."""
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
