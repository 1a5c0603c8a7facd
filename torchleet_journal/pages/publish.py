"""What may leave the machine: the one rule for a journal file carried into what is published.

A run records every project file it read, by the path it used; a path can lead anywhere
through a link (`solutions/j -> ..`, `solutions/env.txt -> /proc/self/environ`). So each path
is resolved first, then allowed only if it is a regular file inside the journal that git
would track (not ignored, not under .git/ or .journal/), within the size asked for. What is
refused is published by name only, with why, so the learner can commit it or fetch it.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path
from typing import Iterable

from torchleet_journal.base.files import file_state
from torchleet_journal.base.layout import STATE

PRIVATE = (".git", STATE)  # git's own state, and the build's (caches, downloads)
GITIGNORE = ".gitignore"

# Why a file is not published; the notebook lists each refused file with one of these.
OUTSIDE = "outside the journal"
NOT_REGULAR = "not a regular file"
PRIVATE_STATE = "the journal's private state"
IGNORED = "ignored by git"
MISSING = "missing"
TOO_LARGE = "too large to carry"


def publishable(root: Path, paths: Iterable[str], max_bytes: int | None = None) -> dict[str, str | None]:
    """For each path (relative to the journal's root): None if it may be published, else why not.

    All the paths are checked against git's ignore rules in one go (one `git check-ignore`).
    """
    root = Path(os.path.realpath(root))
    verdicts: dict[str, str | None] = {}
    asked: dict[str, set[str]] = {}  # path as given -> the places git is asked about
    for rel in paths:
        why, real = _where(root, rel, max_bytes)
        verdicts[rel] = why
        if why is None:  # the file it leads to, and the last link on the way, if one is
            asked[rel] = {real, _in_real_folder(root, rel)} - {""}
    ignored = _ignored(root, set().union(*asked.values()))
    for rel, places in asked.items():
        if places & ignored:
            verdicts[rel] = IGNORED
    return verdicts


def rules_stamp(root: Path, paths: Iterable[str]) -> list:
    """What `publishable`'s answer for `paths` depends on, cheap to read (no git): where each
    path leads, and the .gitignore files above it. A cache of its answers is kept by this."""
    stamp, seen = [], set()
    for rel in paths:
        real = os.path.realpath(root / rel)
        stamp.append(real)
        inside = Path(os.path.relpath(real, root)).parts
        folder = root
        for part in ("", *inside[:-1]) if os.pardir not in inside else ():
            folder = folder / part
            if folder not in seen:
                seen.add(folder)
                stamp.append(file_state(folder / GITIGNORE))
    return stamp + [file_state(root / ".git" / "info" / "exclude")]


def journal_path(root: Path, rel: str) -> str:
    """Where a published path really is in the journal (`solutions/j/x.csv` -> `x.csv`), as
    the repository holds it: the place its raw URL names."""
    return Path(os.path.relpath(os.path.realpath(root / rel), os.path.realpath(root))).as_posix()


def read_published(root: Path, rel: str) -> bytes:
    """The bytes of a file `publishable` allowed, read from where it really is, as a regular file.

    Opened without following a link at the last step, and checked on the open file: a file
    swapped for a link or a FIFO since the check is refused (OSError), never read.
    """
    real = os.path.realpath(root / rel)
    fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{rel}: {NOT_REGULAR}")
        return handle.read()


def _where(root: Path, rel: str, max_bytes: int | None) -> tuple[str | None, str]:
    """Why `rel` may not be published, judged by where it leads; and that place, from the root."""
    real = os.path.realpath(root / rel)  # every link and `..` on the way, /proc's too
    inside = os.path.relpath(real, root)
    if inside == os.curdir or inside == os.pardir or inside.startswith(os.pardir + os.sep):
        return OUTSIDE, ""
    parts = Path(inside).parts + Path(os.path.normpath(rel)).parts
    if any(part in PRIVATE for part in parts):
        return PRIVATE_STATE, ""
    try:
        info = os.stat(real)
    except OSError:
        return MISSING, ""
    if not stat.S_ISREG(info.st_mode):
        return NOT_REGULAR, ""
    if max_bytes is not None and info.st_size > max_bytes:
        return TOO_LARGE, ""
    return None, Path(inside).as_posix()


def _in_real_folder(root: Path, rel: str) -> str:
    """`rel` with its folders resolved but not its own name (a link stays the link), from the
    root; "" when that folder is outside the journal. Git knows a path only that way: one
    "beyond a symbolic link" is an error to it."""
    folder = os.path.relpath(os.path.realpath((root / rel).parent), root)
    if folder == os.pardir or folder.startswith(os.pardir + os.sep):
        return ""
    return Path(folder, Path(rel).name).as_posix().removeprefix("./")


def _ignored(root: Path, rels: set[str]) -> set[str]:
    """Which of `rels` git ignores: asked of git in a repository, else read from .gitignore files."""
    if not rels:
        return set()
    try:
        done = subprocess.run(["git", "check-ignore", "--stdin", "-z"], cwd=root,
                              input=b"".join(os.fsencode(rel) + b"\0" for rel in sorted(rels)),
                              capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        done = None
    if done is not None and done.returncode in (0, 1):  # 1: none of them is ignored
        return {os.fsdecode(name) for name in done.stdout.split(b"\0") if name}
    return {rel for rel in rels if _ignored_by_files(root, rel)}


def _ignored_by_files(root: Path, rel: str) -> bool:
    """Git's answer without git: a path is ignored when it, or a folder on its way, is; each is
    judged by the .gitignore files above it, the deepest that has a say winning."""
    import pathspec  # MkDocs' own dependency; only journals outside a git repository need it

    parts = Path(rel).parts
    specs = [_spec(root.joinpath(*parts[:depth]) / GITIGNORE, pathspec)
             for depth in range(len(parts))]
    for end in range(1, len(parts) + 1):
        folder = "/" if end < len(parts) else ""  # git reads `data/` as a folder only
        ignored = False
        for depth in range(end):
            said = specs[depth].check_file("/".join(parts[depth:end]) + folder).include
            ignored = ignored if said is None else said
        if ignored:
            return True
    return False


def _spec(path: Path, pathspec):
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    return pathspec.GitIgnoreSpec.from_lines(lines)
