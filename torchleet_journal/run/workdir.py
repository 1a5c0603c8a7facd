"""A run's working folder: the solution's own folder, as Jupyter gives it, that the run cannot change.

Jupyter runs a notebook in the notebook's folder, so `open("data.csv")` finds the file beside
it. The build runs each solution in a scratch folder that mirrors that one: its folders are
made anew, its small files copied (a write replaces the copy, never the learner's file), its
large files, and any past COPY_BUDGET, symlinked so a dataset is not copied per run. A symlink
would let a change go through to the learner's file, so the child's audit hook replaces a link
with a private copy before Python opens it for writing, truncates it, or changes its mode,
owner or times (`break_link`), and refuses such a change made through a file descriptor
(`refuse_change`). Native code opens files without that hook; `torch.save` and torch's shared
maps (`torch.from_file(..., shared=True)`), the native writers PyTorch solutions use, break the
link first too (`guard_torch_writers`). Anything else native writing in place to a linked file
(h5py) could still reach the learner's file. (A private copy of every file would cost
its bytes per run, and this file system has no copy-on-write clones; see the README's figures.)

Downloads that should outlive the run go to one cache per journal, `.journal/downloads/`:
`TORCH_HOME` and `HF_HOME` point into it, and what a run adds to a conventional `./data`
folder is moved there when the run ends, then linked into every later run's `./data`. Only
what the run made inside its scratch folder is moved: a link it made (`./data` itself linked
to the journal or to a dataset elsewhere) is left as a link, its target never walked or emptied.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from torchleet_journal.base.layout import STATE

COPY_LIMIT = 8 << 20  # bytes: smaller files are copied per run, larger ones linked
COPY_BUDGET = 64 << 20  # bytes copied per run at most: past it, small files are linked too
# Never mirrored: old TensorBoard logs would pass for this run's, and editor or VCS state.
SKIP = frozenset({"runs", "__pycache__", ".ipynb_checkpoints", ".git"})
DOWNLOADS = f"{STATE}/downloads"
DATA = "data"  # where torchvision and most tutorials download datasets to
MAX_DEPTH = 64  # folders mirrored below the solution's own; deeper ones are left out
# Audit events that change a file in place through its path (the first argument) or a file
# descriptor, with no open for writing to see first; os.link would give the target a name
# that is no link, and SQLite opens its database natively. Each breaks a linked learner's
# file into a private copy first.
CHANGES = frozenset({"os.truncate", "os.chmod", "os.chown", "os.utime", "os.setxattr",
                     "os.removexattr", "os.link", "sqlite3.connect"})
LINKED: set[str] = set()  # the learner's files this process's mirror linked, by real path


def prepare(workdir: Path, source: Path, downloads: Path) -> None:
    """Fill `workdir` with a mirror of `source`, and `./data` with the journal's downloads."""
    mirror(source, workdir)
    cached = downloads / DATA
    if cached.is_dir():
        (workdir / DATA).mkdir(exist_ok=True)
        for entry in os.scandir(cached):
            target = workdir / DATA / entry.name
            if not os.path.lexists(target):  # the learner's own file of that name wins
                link(entry.path, target)


def mirror(source: Path, target: Path, budget: int = COPY_BUDGET, depth: int = 0) -> int:
    """Copy `source`'s folder tree into `target`: small files copied, large ones linked.

    Returns what is left of `budget`, the bytes it may still copy.
    """
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(os.scandir(source), key=lambda e: e.name):  # the same copies each run
        if entry.name in SKIP or not _mirrorable(entry, depth):
            continue
        dest = target / entry.name
        if entry.is_dir(follow_symlinks=False):
            budget = mirror(Path(entry.path), dest, budget, depth + 1)
        elif entry.is_symlink() and entry.is_dir():
            # The learner's own link to a folder elsewhere (a dataset): linked as it is, as
            # Jupyter would see it, and never walked (it may be huge, or loop back here).
            link(os.path.realpath(entry.path), dest)
        elif entry.is_file():
            size = entry.stat().st_size
            if size <= min(COPY_LIMIT, budget):
                shutil.copy2(entry.path, dest)
                budget -= size
            else:
                real = os.path.realpath(entry.path)
                if link(real, dest):
                    LINKED.add(real)
    return budget


def link(real: str, dest: Path) -> bool:
    """Link `dest` to `real`. Where a link needs a right the learner lacks (Windows without
    Developer Mode), a folder is joined by a junction, which needs none, and a file is copied:
    slower, never wrong, and the run cannot change the learner's file through a copy.
    Returns whether `dest` leads to `real` (a copy does not)."""
    try:
        os.symlink(real, dest)
        return True
    except FileExistsError:
        raise
    except OSError:
        if os.path.isdir(real) and sys.platform == "win32":
            import _winapi

            _winapi.CreateJunction(real, str(dest))
            return True
        if not os.path.isfile(real):
            raise
    shutil.copy2(real, dest)
    return False


def _mirrorable(entry: os.DirEntry, depth: int) -> bool:
    """Whether the mirror can take `entry`. Jupyter runs beside a link that loops, a file or a
    folder that cannot be opened, or a tree a thousand folders deep without minding: the mirror
    leaves each out (and stops MAX_DEPTH folders down), so a run that opens one fails as it
    would have, and every other run goes on."""
    try:
        if entry.is_dir() and not entry.is_symlink():  # is_dir follows a link: a loop raises
            os.scandir(entry.path).close()
            return depth < MAX_DEPTH
        if entry.is_file():  # opened and read: /proc/self/mem opens, then fails to read
            fd = os.open(entry.path, os.O_RDONLY)
            try:
                os.read(fd, 1)
            finally:
                os.close(fd)
        return True
    except OSError:
        return False


def break_link(path: str, truncating: bool) -> None:
    """Before a write to `path`: if it is a link to the learner's file, make it a private copy.

    A link to a folder is the learner's own (a dataset elsewhere), and stays.
    """
    if not os.path.islink(path) or os.path.isdir(path):
        return
    target = os.path.realpath(path)
    os.unlink(path)
    if not truncating and os.path.isfile(target):
        shutil.copyfile(target, path)


def refuse_change(fd: int, event: str) -> None:
    """A change through a file descriptor (os.fchmod, os.ftruncate) to a file the mirror linked
    reaches the learner's file, and no copy can stand in for it now: refused, as a read-only
    file system would."""
    try:
        real = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return
    if real in LINKED:
        raise PermissionError(f"{event} on {os.path.basename(real)!r}: a file linked from the "
                              "learner's folder, which a run may read but not change")


def guard_torch_writers() -> None:
    """Have torch.save and torch's shared file maps, which open files in C++ unseen by the audit
    hook, break links too: a shared map writes every change back to the file."""
    import torch
    import torch.serialization

    save_as = torch.serialization.save

    def save(obj, f, *args, **kwargs):
        if isinstance(f, (str, os.PathLike)):
            break_link(os.fspath(f), truncating=True)
        return save_as(obj, f, *args, **kwargs)

    torch.save = torch.serialization.save = save
    tensor_from_file, storage_from_file = torch.from_file, torch.UntypedStorage.from_file

    def from_file(filename, shared=None, *args, **kwargs):
        if shared and isinstance(filename, (str, os.PathLike)):
            break_link(os.fspath(filename), truncating=False)
        return tensor_from_file(filename, shared, *args, **kwargs)

    def storage(cls, filename, shared=False, *args, **kwargs):
        if shared and isinstance(filename, (str, os.PathLike)):
            break_link(os.fspath(filename), truncating=False)
        return storage_from_file(filename, shared, *args, **kwargs)

    torch.from_file = from_file
    torch.UntypedStorage.from_file = classmethod(storage)


def download_env(downloads: Path) -> dict[str, str]:
    """Where libraries download pretrained weights, unless the learner chose a place."""
    chosen = {"TORCH_HOME": downloads / "torch", "HF_HOME": downloads / "huggingface"}
    return {name: os.environ.get(name) or str(path) for name, path in chosen.items()}


def keep_downloads(workdir: Path, source: Path, downloads: Path) -> None:
    """Move what the run added to `./data` into the journal's download cache.

    Only a real folder in the scratch folder is walked, into a real cache folder: were `./data`
    a link the run made (to the journal, to a dataset), the folder it links to would be
    emptied into the cache. What is a link inside it (the cache's own entries, or the run's)
    stays where it is.
    """
    data, cache = workdir / DATA, downloads / DATA
    if not os.path.isdir(data):
        return
    cache.mkdir(parents=True, exist_ok=True)
    if os.path.islink(data) and os.path.realpath(data) == os.path.realpath(source / DATA):
        return  # the learner's own link, mirrored as it is: its folder is theirs, not a download
    for folder, name in ((data, f"./{DATA}"), (cache, f"{DOWNLOADS}/{DATA}")):
        if not _real_folder(folder):
            print(f"[journal] {name} is a link to {os.path.realpath(folder)!r}: nothing the run "
                  f"put in ./{DATA} was kept, and the folder it links to was left as it is",
                  file=sys.stderr)
            return
    for entry in os.scandir(data):
        if entry.is_symlink() or (source / DATA / entry.name).exists():
            continue  # already cached, a link the run made, or the learner's own
        try:
            os.replace(entry.path, cache / entry.name)
        except OSError:
            pass  # another run cached a folder of that name first: theirs is as good


def _real_folder(path: Path) -> bool:
    """A folder reached through no link at all: what a move out of it takes is what it holds."""
    return os.path.isdir(path) and os.path.realpath(path) == os.path.abspath(path)
