"""Serving: build once, then `mkdocs serve` with live reload while this process rebuilds on change.

`mkdocs serve` watches docs/ and reloads the browser. This process watches what docs/ is made
from, by polling: entries/, solutions/, site_templates/, reviews/ (an answer given in
`build.py review` meanwhile) and every file a stored run read. On a change it runs one build;
the cache re-runs only the days the change touches and only changed docs files are rewritten,
so the browser reloads once. A build writes nothing this process watches, so a rebuild never
sets off another.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

from torchleet_journal.base.errors import EXIT_FAILED, EXIT_OK
from torchleet_journal.base.files import tree
from torchleet_journal.base.layout import CONFIG
from torchleet_journal.base.processes import die_with
from torchleet_journal.build.pipeline import Options
from torchleet_journal.model.results import recorded_deps
from torchleet_journal.website.mkdocs_env import mkdocs_env

WATCHED = ("entries", "solutions", "site_templates", "reviews")
POLL_SECONDS = 0.2  # a poll stats the sources it watches, and reads no result
STOP_GRACE_SECONDS = 5.0

Snapshot = dict[str, tuple[int, int]]


def serve(root: Path, options: Options, dev_addr: str,
          rebuild: Callable[[Options], int]) -> int:
    """Build, serve on `dev_addr` until Ctrl-C or SIGTERM, rebuilding docs/ on every change."""
    before = snapshot(root, recorded_deps(root)[0])
    # mkdocs serve builds its own copy of the site, so site/ is left to `build.py`.
    code = rebuild(replace(options, site=False))
    if code not in (EXIT_OK, EXIT_FAILED):
        return code  # nothing to serve: the input is invalid or another build holds the lock
    later = replace(options, site=False, force=False, only=None)
    server = _start_mkdocs(root, dev_addr)
    try:
        with _signals_interrupt(signal.SIGTERM, signal.SIGHUP):
            deps, changed = recorded_deps(root)
            _watch(root, server, _after_build(root, before, deps, changed), deps,
                   lambda: rebuild(later))
    except KeyboardInterrupt:
        print("\nstopping the server", file=sys.stderr)
        return EXIT_OK
    finally:
        _stop(server)
    print(f"mkdocs serve stopped with status {server.returncode}; its messages above say why",
          file=sys.stderr)
    return EXIT_FAILED


def _start_mkdocs(root: Path, dev_addr: str) -> subprocess.Popen:
    # mkdocs serve, served from the address's root even when site_url has a path of its own.
    # --dirty: a save rebuilds the pages it changed, not a year of them (the navigation of
    # other pages catches up on the next full build). Not strict: its own notice that a build
    # is dirty is a warning, and `build.py` has already built the site strictly.
    command = [sys.executable, str(Path(__file__).parent.parent / "website" / "mkdocs_serve.py"), "--dirty",
               "--no-strict", "--config-file", str(root / CONFIG), "--dev-addr", dev_addr]
    # A session of its own: Ctrl-C reaches only this process, which stops mkdocs exactly once.
    # (preexec_fn is safe here: this process runs no threads.)
    return subprocess.Popen(command, cwd=root, start_new_session=True,
                            preexec_fn=_dies_with(os.getpid()), env=mkdocs_env())


def _dies_with(parent: int) -> Callable[[], None]:
    """For the child: stop on SIGINT as on Ctrl-C, and get one if `parent` dies (a SIGKILL)."""
    def arrange() -> None:
        # A shell starts background jobs with SIGINT ignored; mkdocs must still hear it.
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        die_with(parent, signal.SIGINT)
    return arrange


def _stop(server: subprocess.Popen) -> None:
    """Stop mkdocs the way Ctrl-C would, so it removes its temporary site; kill it if it hangs."""
    if server.poll() is None:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextlib.contextmanager
def _signals_interrupt(*signals: signal.Signals):
    """Treat these signals as Ctrl-C while the server runs."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt
    previous = {sig: signal.signal(sig, interrupt) for sig in signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _watch(root: Path, server: subprocess.Popen, seen: Snapshot, deps: set[str],
           rebuild: Callable[[], int]) -> None:
    """Poll the sources while mkdocs runs; rebuild once for each change found.

    Which files the stored runs read changes only with a build: it is read after each one,
    not at every poll (a year of results is a year of result.json files to parse).
    """
    while server.poll() is None:
        time.sleep(POLL_SECONDS)
        now = snapshot(root, deps)
        if now != seen:
            print(f"\nchanged: {_changes(seen, now)}; rebuilding", file=sys.stderr)
            rebuild()
            deps, changed = recorded_deps(root)
            seen = _after_build(root, now, deps, changed)


def _after_build(root: Path, before: Snapshot, deps: set[str], changed: set[str]) -> Snapshot:
    """What to compare the next poll with, once a build that started at `before` is done.

    Files keep their state from before the build, so an edit made during it is caught next
    time; files watched only now (a run's new dependencies) start from their current state,
    unless the run saw them change while it read them (`changed`): those count as changed, and
    the next poll runs the day again.
    """
    return {rel: before.get(rel, state) for rel, state in snapshot(root, deps).items()
            if rel not in changed}


def snapshot(root: Path, deps: set[str]) -> Snapshot:
    """(mtime, size) of every file a build reads: the watched folders and the runs' `deps`."""
    paths = [p for folder in WATCHED for p in tree(root / folder) if _is_source(root, p)]
    paths += [root / rel for rel in deps]
    state = {}
    for path in paths:
        try:
            info = path.stat()
        except OSError:  # removed since it was listed, or a link that loops
            continue
        if stat.S_ISREG(info.st_mode):
            state[path.relative_to(root).as_posix()] = (info.st_mtime_ns, info.st_size)
    return state


def _is_source(root: Path, path: Path) -> bool:
    # Editors' swap and backup files, and write_atomic's temporaries, are not sources.
    parts = path.relative_to(root).parts
    return not any(p.startswith(".") or p == "__pycache__" for p in parts) \
        and not path.name.endswith("~")


def _changes(before: Snapshot, after: Snapshot, shown: int = 3) -> str:
    changed = sorted(rel for rel in before.keys() | after.keys() if before.get(rel) != after.get(rel))
    more = f" and {len(changed) - shown} more" if len(changed) > shown else ""
    return ", ".join(changed[:shown]) + more
