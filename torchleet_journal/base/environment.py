"""The Python environment runs happen in: what is installed now, and what the lock pins.

`requirements.txt` is a lock made by `uv pip compile` from `requirements.in`: the exact versions
the committed results were made with, so a fresh clone installs them and trains nothing. Reading
it and the installed packages' metadata imports nothing heavy (no torch, no matplotlib).
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import sys
from pathlib import Path

LOCK = "requirements.txt"
LOCK_SOURCE = "requirements.in"
LOCK_COMMAND = f"uv pip compile {LOCK_SOURCE} -o {LOCK}"  # options: pyproject.toml [tool.uv.pip]
# `name==version`, as the lock writes a pin; markers after `;` and hashes are not read.
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;#\\]+)")


def canonical(name: str) -> str:
    """A distribution's name as pip compares them (PEP 503): `PyYAML` and `pyyaml` are one."""
    return re.sub(r"[-_.]+", "-", name).lower()


def versions() -> dict[str, str]:
    """What a run key holds of the environment, without importing torch: Python by minor version
    (a patch release changes no numbers) and torch by its public release (the `+cpu`, CUDA and
    macOS builds of 2.13.0 are one torch: the lock pins the release, each platform installs its
    own build of it)."""
    return {"python": python_minor(), "torch": release(torch_build())}


def python_minor() -> str:
    """This Python's major.minor version (`3.11`), as the run key and `.python-version` hold it."""
    return ".".join(platform.python_version_tuple()[:2])


def release(version: str) -> str:
    """A version without its local label (PEP 440): `2.13.0+cpu` -> `2.13.0`."""
    return version.split("+", 1)[0]


def torch_build() -> str:
    """The installed torch's full version, its build's label included (`2.13.0+cpu`)."""
    return _installed_now().version("torch")


def machine() -> str:
    """The OS and architecture runs happen on, as a page says it: `Linux x86_64`, `macOS arm64`."""
    system = {"Darwin": "macOS"}.get(platform.system(), platform.system()) or sys.platform
    return f"{system} {platform.machine()}".strip()


def locked(root: Path) -> dict[str, str] | None:
    """The lock's pins, canonical name -> version; None when the journal has no lock file."""
    try:
        text = (root / LOCK).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return {canonical(m.group(1)): m.group(2) for m in map(PIN.match, text.splitlines()) if m}


def distributions() -> dict[str, list[str]]:
    """Top-level module -> the distributions providing it."""
    return _installed_now().modules()


def packages_of(modules: set[str] | list[str]) -> dict[str, str]:
    """Distribution -> version installed, of the packages that provide `modules` (top-level
    names); Python's own modules and the journal's files provide none. Versions are public
    releases, as the run key holds torch's: a build's label is no other release."""
    now = _installed_now()
    found = {dist: release(now.version(dist)) for top in modules
             for dist in now.modules().get(top, ())}
    return dict(sorted(found.items()))


def installed(packages: dict[str, str] | list[str]) -> dict[str, str]:
    """The versions installed now of the distributions in `packages` ("none" if removed), as
    `packages_of` gives them."""
    now = _installed_now()
    return {dist: release(now.version(dist)) for dist in packages}


class _Installed:
    """The installed distributions as of one state of the import folders, read when asked."""

    def __init__(self, folders: tuple):
        self.folders = folders
        self._modules: dict[str, list[str]] | None = None
        self._versions: dict[str, str] = {}

    def modules(self) -> dict[str, list[str]]:
        if self._modules is None:  # every package's file list: a third of a second
            try:
                self._modules = importlib.metadata.packages_distributions()
            except Exception:  # one broken package's metadata must not stop every build
                self._modules = {}
        return self._modules

    def version(self, dist: str) -> str:
        if dist not in self._versions:
            try:
                found = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                found = "none"
            # Metadata without a Version gives None, which no stored result may hold: the
            # day would run again at every build.
            self._versions[dist] = found if isinstance(found, str) and found else "unknown"
        return self._versions[dist]


_installed: _Installed | None = None


def _installed_now() -> _Installed:
    """What is installed now. `build.py serve` outlives a pip install, so each call looks at the
    import folders: installing, upgrading or removing a package adds or removes a folder (its
    dist-info) in one of them, which changes that folder's modification time."""
    global _installed
    folders = tuple((folder, _modified(folder)) for folder in sys.path)
    if _installed is None or _installed.folders != folders:
        _installed = _Installed(folders)
    return _installed


def _modified(folder: str) -> int | None:
    try:
        return os.stat(folder or ".").st_mtime_ns
    except OSError:
        return None
