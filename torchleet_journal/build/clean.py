"""Clean text from runs: no terminal escapes (`text.strip_ansi`), no absolute path of this machine.

What a run prints and raises is stored in the committed `results/` and shown on the site, so
it must read the same on any machine and give away nothing about this one: colour codes are
removed, library files are named from their site-packages or stdlib folder
(`torch/nn/modules/module.py`), project files from the journal's root, and the rest of the
machine's paths (Python's prefix, the home folder, the temporary folder) by a placeholder.
"""

from __future__ import annotations

import os
import re
import site
import sys
import sysconfig
import tempfile
from collections.abc import Callable
from pathlib import Path

from torchleet_journal.base.text import strip_ansi


def scrubber(root: Path, workdir: Path | None = None) -> Callable[[str], str]:
    """A function that cleans one text: escapes removed, this machine's paths made relative.

    `workdir` is the run's scratch folder: a path in it is named as the solution named it.
    A path is found wherever it stands: alone, quoted, after `=`, `:` or `,` (`PATH` lists,
    `-Wl,-rpath,/...`), glued to a flag (`-L/...`, `-I/...`) or inside a `file://` URL.
    """
    names = _prefixes(root, workdir)
    if not names:
        return strip_ansi
    # Longest first, so a folder inside another is named by the closer one; a prefix ends
    # at a path boundary (`/tmp/x` is not a prefix of `/tmp/xy`).
    ordered = sorted(names, key=len, reverse=True)
    pattern = re.compile("(" + "|".join(map(re.escape, ordered)) + r")(?:(/)|(?![\w-]|\.[\w-]))")

    def name(match: re.Match) -> str:
        if not _starts_a_path(match.string, match.start()):
            return match.group(0)
        inside, bare = names[match.group(1)]
        return inside if match.group(2) else bare

    def clean(text: str) -> str:
        text = strip_ansi(text)
        return pattern.sub(name, text) if "/" in text or "\\" in text else text
    return clean


def _starts_a_path(text: str, at: int) -> bool:
    """Whether a machine folder found at `at` begins a path, rather than sitting inside one.

    `/tmp` in `/var/tmp/x`, `build/tmp` or `https://host/tmp` is part of another path; in
    `-L/tmp/x`, `PATH=/tmp:/usr/bin` or `file:///tmp/x` it is the path itself.
    """
    if text.endswith("file://", 0, at):
        return True
    start = at
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_-"):
        start -= 1
    if start < at and text[start] != "-":  # `build/tmp`: a folder name before it, not a flag
        return False
    return start == 0 or text[start - 1] not in "/~.$\\"


def _prefixes(root: Path, workdir: Path | None) -> dict[str, tuple[str, str]]:
    """Absolute folder -> (what replaces it before a `/`, what replaces it alone)."""
    named: list[tuple[str | None, tuple[str, str]]] = [
        (str(tempfile.gettempdir()), ("<tmp>/", "<tmp>")),
        (os.path.expanduser("~"), ("~/", "~")),
    ]
    named += [(prefix, ("<python>/", "<python>"))
              for prefix in {sys.prefix, sys.exec_prefix, sys.base_prefix}]
    named += [(folder, ("", "<python library>")) for folder in _library_roots()]
    named.append((str(root), ("", ".")))
    if workdir is not None:
        named.append((str(workdir), ("", ".")))
    prefixes = {}
    for folder, names in named:
        if not folder or folder == os.sep:
            continue
        for spelling in {folder.rstrip(os.sep), os.path.realpath(folder)}:
            prefixes[spelling] = names
    return prefixes


def _library_roots() -> set[str]:
    """Folders imports are found in: site-packages (every kind) and the standard library."""
    paths = sysconfig.get_paths()
    roots = {paths[key] for key in ("purelib", "platlib", "stdlib", "platstdlib") if key in paths}
    roots.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    roots.add(site.getusersitepackages())
    roots.update(p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages"))
    return {r for r in roots if r}
