"""Writing files safely: through a temporary file and a rename, and only when content changed.

Every file the build writes goes through here, so a build killed at any moment leaves each file
either as it was or as it should be, never half-written, and `mkdocs serve` sees no change
where there was none.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
import tempfile
from pathlib import Path

from torchleet_journal.base.errors import InputError, Mistake


def sha256_file(path: Path) -> str:
    """The one hash of the project: file contents, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


NOT_REGULAR = "not a regular file (a folder, pipe, socket or device)"


def read_regular(path: Path, limit: int) -> bytes:
    """At most `limit` + 1 bytes of the regular file at `path` (links followed), so a caller
    can tell a file over its limit. A FIFO would block forever and /dev/zero never ends: any
    file that is not regular raises OSError (NOT_REGULAR), checked on the open file, without
    waiting for a FIFO's writer."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, NOT_REGULAR)
        return handle.read(limit + 1)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def as_bytes(data: bytes | str) -> bytes:
    """Text as UTF-8. A lone surrogate (a solution's docstring or plot title can hold one, from
    a `\\udcff` escape) is written as that escape, so the page shows it instead of failing."""
    return data.encode("utf-8", errors="backslashreplace") if isinstance(data, str) else data


def write_atomic(path: Path, data: bytes | str, durable: bool = False) -> None:
    """Replace `path` with `data` in one rename, so readers see the old or the new file.

    A killed process cannot leave a half-written file either way; `durable` also survives a
    power cut (fsync), worth its cost for the learner's stored results, not for regenerable docs.
    """
    data = as_bytes(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    # The temporary's name is what remove_temporaries looks for: keep the two in step.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_if_changed(path: Path, data: bytes | str, durable: bool = False) -> bool:
    """Write only when the content differs; returns whether anything was written."""
    data = as_bytes(data)
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_atomic(path, data, durable)
    return True


def sync_tree(target: Path, files: dict[str, bytes | str | Path]) -> list[str]:
    """Make `target` hold exactly `files` (relative path -> content or source file).

    Unchanged files are left alone; files no longer produced are removed. Returns the relative
    paths written or removed.
    """
    changed = []
    for rel, content in sorted(files.items()):
        data = content.read_bytes() if isinstance(content, Path) else content
        if write_if_changed(target / rel, data):
            changed.append(rel)
    if target.is_dir():
        for path in sorted(target.rglob("*"), reverse=True):
            rel = path.relative_to(target).as_posix()
            if path.is_file() and rel not in files:
                path.unlink()
                changed.append(rel)
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return changed


def tree(folder: Path) -> list[Path]:
    """Every path under `folder`, as `rglob("*")` lists them: links listed, never entered.

    A loop of folders, not recursion: a tree a thousand folders deep beside a solution is
    deeper than Python's recursion limit, and `rglob` stops there with a RecursionError.
    A folder that cannot be read is listed, not entered.
    """
    found, stack = [], [folder]
    while stack:
        try:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    found.append(Path(entry.path))
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return found


def remove_temporaries(folder: Path, recursive: bool = False) -> None:
    """Delete what write_atomic left behind when a build was killed between write and rename."""
    pattern = f"{'**/' if recursive else ''}.*.tmp"
    for path in folder.glob(pattern):
        if path.is_file():
            path.unlink()


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def refuse_linked_folders(root: Path, folders: list[str], what: str = "a folder",
                          why: str = "the build writes and deletes files in it, so remove the "
                                     "link (git rm) and build again") -> None:
    """The build writes into these folders and deletes what it no longer needs in them, so none
    may be a symbolic link: a cloned journal can carry `results/day-01 -> ../../..`, and the
    build would clear that place instead. Raises one InputError naming each link. `what` and
    `why` word it for a file the journal appends to (the review log)."""
    mistakes = [Mistake(rel, 1, f"must be {what} of this journal, got a link to "
                        f"{os.readlink(root / rel)!r}; {why}")
                for rel in folders if (root / rel).is_symlink()]
    if mistakes:
        raise InputError(mistakes)


def file_state(path: str | Path) -> tuple[int, int] | None:
    """What tells a file changed without reading it: its modification time and size (None for
    the kernel's files, /proc's and /sys's, whose times say nothing of their content)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    if info.st_size == 0 and os.path.realpath(path).startswith(("/proc/", "/sys/", "/dev/")):
        return None  # (a kernel's file says it is empty whatever it holds)
    return info.st_mtime_ns, info.st_size
