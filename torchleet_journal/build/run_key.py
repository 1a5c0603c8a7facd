"""What decides that a day runs again: its run key, and the one line that says why.

A run's numbers are decided by the solution and the files it read, its run settings, Python,
torch, and the packages the solution's own code imports. The key covers exactly those, so a
committed result travels to any machine that installed the lock: what the build's machinery
loads (Jinja2, PyYAML), what a library probes for (tensorboard trying boto3) and transitive
versions (python-dateutil under matplotlib) never enter it. Display settings (`metric:`) do not
either. `stale_reason` is the one place that decides a day is out of date, and says why.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from torchleet_journal.base.environment import (
    LOCK,
    LOCK_COMMAND,
    LOCK_SOURCE,
    canonical,
    installed,
    locked,
    packages_of,
    release,
)
from torchleet_journal.base.files import sha256_bytes, sha256_file, tree
from torchleet_journal.model.apis import imported_modules
from torchleet_journal.model.entries import Entry
from torchleet_journal.model.results import PASSED, TIMED_OUT, Result

CODE_SUFFIXES = (".py", ".ipynb")
SHOWN = 3  # packages named in a reason line; the rest are counted


# --- what the run's own code imports --------------------------------------------------------


def packages_imported(root: Path, deps: dict[str, str] | list[str]) -> dict[str, str]:
    """Distribution -> version installed, of the packages the run's own code imports: the
    solution and every Python file or notebook of the journal's that it read (a helper module
    beside it). Python's own modules and the journal's files belong to no distribution."""
    tops: set[str] = set()
    for rel in deps:
        if rel.endswith(CODE_SUFFIXES):
            try:
                tops |= imported_modules((root / rel).read_bytes(), rel.endswith(".ipynb"))
            except OSError:
                continue
    return packages_of(tops - set(sys.stdlib_module_names))


# --- the key -------------------------------------------------------------------------------


def cache_key(root: Path, entry: Entry, deps: dict[str, str], env: dict[str, str],
              status: str, timeout: float, packages: dict[str, str] | None = None) -> str:
    """A key over everything a run's outcome depends on: the files it read, its run settings,
    Python and torch (`env`), and `packages`, the versions of the packages its code imports.

    A failed run may have failed for a file that was missing, which it never opened: its key
    also covers which files exist beside the solution, so adding that file re-runs it. A run
    that timed out is keyed by the timeout it had (the entry's, else --timeout): giving it
    longer runs it again.
    """
    payload = {"deps": deps, "settings": entry.run_settings(), **env}
    if packages:
        payload["packages"] = packages
    if status != PASSED:
        payload["listing"] = _listing(root / entry.solution)
    if status == TIMED_OUT:
        payload["timeout"] = timeout
    return sha256_bytes(json.dumps(payload, sort_keys=True).encode())


def _listing(solution: Path) -> list[str]:
    folder = solution.parent
    return sorted(p.relative_to(folder).as_posix() for p in tree(folder)
                  if "__pycache__" not in p.parts)


# --- fresh, or why not ---------------------------------------------------------------------


def is_fresh(root: Path, entry: Entry, result: Result | None, env: dict[str, str],
             timeout: float) -> bool:
    """Whether `result` is what running `entry` now, with `timeout`, would produce."""
    return stale_reason(root, entry, result, env, timeout) is None


def stale_reason(root: Path, entry: Entry, result: Result | None, env: dict[str, str],
                 timeout: float) -> str | None:
    """Why running `entry` now may not give `result`, in a few words (`matplotlib 3.11.2 →
    3.11.1`, `solutions/day03_x.py changed`); None when the stored result is fresh."""
    if result is None:
        return "no stored result yet"
    if not result.key or entry.solution not in result.deps:
        return f"its stored run is not of {entry.solution}"
    if result.missing and _importable(result.missing):
        return f"{result.missing} can be imported now"
    if result.status != TIMED_OUT and result.wall_time > timeout:
        return f"its last run took {result.wall_time:.0f} s, more than its timeout of {timeout:g} s"
    deps = {}
    for rel, digest in result.deps.items():
        if not (root / rel).is_file():
            return f"{rel} is gone"
        deps[rel] = sha256_file(root / rel)
        if deps[rel] != digest:
            return f"{rel} changed"
    packages = installed(result.packages)
    if cache_key(root, entry, deps, env, result.status, timeout, packages) == result.key:
        return None
    return _other_change(root, entry, result, env, packages, timeout)


def made_elsewhere(root: Path, entry: Entry, result: Result | None, timeout: float) -> bool:
    """Whether `result` is what running `entry` would give in the environment it was made in:
    its code, data and run settings unchanged, only Python, torch or the packages it imports
    differ here (or a module it missed can now be imported). Publishing shows such a run as
    stored, saying what it was made with, instead of training it again on another machine."""
    if result is None or not result.key or entry.solution not in result.deps:
        return False
    if result.status != TIMED_OUT and result.wall_time > timeout:
        return False
    for rel, digest in result.deps.items():
        if not (root / rel).is_file() or sha256_file(root / rel) != digest:
            return False
    made_with = {"python": result.python, "torch": release(result.torch)}
    return cache_key(root, entry, result.deps, made_with, result.status, timeout,
                     result.packages) == result.key


def _other_change(root: Path, entry: Entry, result: Result, env: dict[str, str],
                  packages: dict[str, str], timeout: float) -> str:
    """Which input besides the files changed: versions first, then the run's settings."""
    if result.python and result.python != env["python"]:
        return f"Python {result.python} → {env['python']} (its stored run was made with Python " \
               f"{result.python}: a virtualenv of that Python reuses it)"
    if result.torch and release(result.torch) != env["torch"]:
        made = release(result.torch)
        return f"torch {made} → {env['torch']}" + \
            _lock_hint(root, {"torch": made}, {"torch": env["torch"]})
    moved = [dist for dist, version in packages.items() if version != result.packages[dist]]
    if moved:
        named = ", ".join(f"{d} {result.packages[d]} → {packages[d]}" for d in moved[:SHOWN])
        more = f" and {len(moved) - SHOWN} more" if len(moved) > SHOWN else ""
        return named + more + _lock_hint(root, {d: result.packages[d] for d in moved}, packages)
    settings = entry.run_settings()
    changed = [k for k in settings if result.settings and result.settings.get(k) != settings[k]]
    if changed:
        return ", ".join(f"{k}: {result.settings.get(k)} → {settings[k]}" for k in changed)
    if result.status == TIMED_OUT and timeout > result.wall_time:
        return f"it timed out after {result.wall_time:.0f} s and may now run {timeout:g} s"
    if result.status != PASSED:
        return f"the files beside {entry.solution} changed since it failed"
    return "its run settings changed"


def _lock_hint(root: Path, stored: dict[str, str], now: dict[str, str]) -> str:
    """When the stored run used the locked versions and this machine has others, say how to
    install the lock instead of running the days again."""
    pins = locked(root) or {}
    drifted = [d for d in stored if pins.get(canonical(d)) == stored[d] != now[d]]
    if not drifted:
        return ""
    return f" ({LOCK} pins {', '.join(f'{d} {stored[d]}' for d in drifted)}: " \
           f"`pip install -r {LOCK}` reuses the stored results)"


def unlocked_packages(pins: dict[str, str] | None, packages: dict[str, str]) -> list[str]:
    """The distributions in `packages` that the lock's `pins` leave out ([] without a lock):
    another machine may install other versions of them, and run the day again."""
    return [] if pins is None else sorted(d for d in packages if canonical(d) not in pins)


def unlocked_warning(solution: str, dists: list[str]) -> str:
    """The one line that asks for a package a solution imports to be added to the lock."""
    names = ", ".join(dists)
    return (f"{solution} imports {names}, which {LOCK} does not pin: add "
            f"{'it' if len(dists) == 1 else 'them'} to {LOCK_SOURCE}, then run "
            f"`{LOCK_COMMAND}` and commit both, or other machines may run this day again")


def _importable(module: str) -> bool:
    """Whether the top-level `module` could be imported now, found without importing anything:
    a dotted name is never looked up, as finding `a.b` imports `a` (and `antigravity` opens a
    browser). The run records only top-level names; results.py refuses any other."""
    if not module.isidentifier():
        return False
    try:  # a top-level name has no parent to import: the finders only look at files
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError, OSError):
        return False
