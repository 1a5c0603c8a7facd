"""A run's working folder: the solution's own folder, as Jupyter gives it, that the run cannot change.

Jupyter runs a notebook in the notebook's folder, so `open("data.csv")` finds the file beside
it. The build runs each solution in a scratch folder that mirrors that one: its folders are
made anew, its small files copied (a write replaces the copy, never the learner's file), its
large files, and any past COPY_BUDGET, symlinked so a dataset is not copied per run. A symlink
would let a write go through to the learner's file, so the child's audit hook replaces a link
with a private copy before Python opens it for writing (`break_link`). Native code opens files
without that hook; `torch.save`, the native writer PyTorch solutions use, breaks the link first
too (`guard_torch_save`). Anything else native writing in place to a linked file (sqlite,
h5py) could still reach the learner's file.

Downloads that should outlive the run go to one cache per journal, `.journal/downloads/`:
`TORCH_HOME` and `HF_HOME` point into it, and what a run adds to a conventional `./data`
folder is moved there when the run ends, then linked into every later run's `./data`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

COPY_LIMIT = 8 << 20  # bytes: smaller files are copied per run, larger ones linked
COPY_BUDGET = 64 << 20  # bytes copied per run at most: past it, small files are linked too
# Never mirrored: old TensorBoard logs would pass for this run's, and editor or VCS state.
SKIP = frozenset({"runs", "__pycache__", ".ipynb_checkpoints", ".git"})
DOWNLOADS = ".journal/downloads"
DATA = "data"  # where torchvision and most tutorials download datasets to
MAX_DEPTH = 64  # folders mirrored below the solution's own; deeper ones are left out


def prepare(workdir: Path, source: Path, downloads: Path) -> None:
    """Fill `workdir` with a mirror of `source`, and `./data` with the journal's downloads."""
    mirror(source, workdir)
    cached = downloads / DATA
    if cached.is_dir():
        (workdir / DATA).mkdir(exist_ok=True)
        for entry in os.scandir(cached):
            target = workdir / DATA / entry.name
            if not os.path.lexists(target):  # the learner's own file of that name wins
                os.symlink(entry.path, target)


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
            os.symlink(os.path.realpath(entry.path), dest)
        elif entry.is_file():
            size = entry.stat().st_size
            if size <= min(COPY_LIMIT, budget):
                shutil.copy2(entry.path, dest)
                budget -= size
            else:
                os.symlink(os.path.realpath(entry.path), dest)
    return budget


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
    """Before a write to `path`: if it is a link to the learner's file, make it a private copy."""
    if not os.path.islink(path):
        return
    target = os.path.realpath(path)
    os.unlink(path)
    if not truncating and os.path.isfile(target):
        shutil.copyfile(target, path)


def guard_torch_save() -> None:
    """Have torch.save, whose C++ writer opens files unseen by the audit hook, break links too."""
    import torch
    import torch.serialization

    original = torch.serialization.save

    def save(obj, f, *args, **kwargs):
        if isinstance(f, (str, os.PathLike)):
            break_link(os.fspath(f), truncating=True)
        return original(obj, f, *args, **kwargs)

    torch.save = torch.serialization.save = save


def download_env(downloads: Path) -> dict[str, str]:
    """Where libraries download pretrained weights, unless the learner chose a place."""
    chosen = {"TORCH_HOME": downloads / "torch", "HF_HOME": downloads / "huggingface"}
    return {name: os.environ.get(name) or str(path) for name, path in chosen.items()}


def keep_downloads(workdir: Path, source: Path, downloads: Path) -> None:
    """Move what the run added to `./data` into the journal's download cache."""
    data = workdir / DATA
    if not data.is_dir():
        return
    (downloads / DATA).mkdir(parents=True, exist_ok=True)
    for entry in os.scandir(data):
        if entry.is_symlink() or (source / DATA / entry.name).exists():
            continue  # already cached, or the learner's own
        try:
            os.replace(entry.path, downloads / DATA / entry.name)
        except OSError:
            pass  # another run cached a folder of that name first: theirs is as good
