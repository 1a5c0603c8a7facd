"""Nothing lost: a build killed with SIGKILL mid-run leaves a state the next build completes,
takes its solutions down with it, and a second build never races a running one."""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, copy_journal, make_journal, running, toy_solution, wait_for
from torchleet_journal import cli
from torchleet_journal.base import errors
from torchleet_journal.model.results import Result

DAYS = (1, 2, 3)
SLOW_DAYS = (2, 3)  # day 1 is stored while these still run
STARTUP_LIMIT = 60.0  # seconds to wait for the first build to get that far


def solution(day: int, base: Path) -> str:
    """A toy solution that notes its pid; a slow day sleeps while the file `slow` exists.

    Sleeping far longer than the test waits shows that only the kill can have ended it.
    """
    seconds = 300 if day in SLOW_DAYS else 0
    return toy_solution() + f"""
import os, time
open(f"{base}/pids/day{day}-{{os.getpid()}}", "w").close()
time.sleep({seconds} if os.path.exists("{base}/slow") else 0)
"""


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def build_command(root: Path, *extra: str) -> list[str]:
    return [sys.executable, str(REPO / "build.py"), "--root", str(root), "--jobs", "2", *extra]


@pytest.fixture(scope="module")
def killed(tmp_path_factory):
    """A journal whose build was SIGKILLed with day 1 stored and day 2 running."""
    base = tmp_path_factory.mktemp("killed")
    pids = base / "pids"
    pids.mkdir()
    (base / "slow").touch()
    root = make_journal(base, {day: solution(day, base) for day in DAYS})
    build = subprocess.Popen(build_command(root, "--no-site"), cwd=REPO,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: (root / "results/day-01/result.json").exists()
                        and any(pids.glob("day2-*")), STARTUP_LIMIT), "the build never got going"
        solutions = [int(p.name.split("-")[1]) for p in pids.iterdir()]
        servers = {parent_of(pid) for pid in solutions if running(pid)}
        os.kill(build.pid, signal.SIGKILL)
    finally:
        build.kill()
        build.wait()
    (base / "slow").unlink()  # the next build runs each day at full speed
    return root, solutions, servers


def test_the_build_was_killed_mid_run(killed):
    root, _, servers = killed
    assert (root / "results/day-01/result.json").exists()
    assert not (root / "results/day-02/result.json").exists()
    assert len(servers) == 1, "the solutions come from one fork server"


def test_solutions_and_fork_server_die_with_the_build(killed):
    _, solutions, servers = killed
    # The fork server sees its parent go and exits; PR_SET_PDEATHSIG then kills each child.
    assert wait_for(lambda: not any(map(running, solutions + list(servers))), 10.0), \
        [pid for pid in solutions + list(servers) if running(pid)]


@pytest.fixture(scope="module")
def rebuilt(killed, tmp_path_factory):
    """A copy of the killed journal, once what the kill left running is gone, built again
    (in this process): (root, exit status, what it printed)."""
    root, solutions, servers = killed
    wait_for(lambda: not any(map(running, solutions + list(servers))), 10.0)
    root = copy_journal(root, tmp_path_factory.mktemp("rebuilt"))
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.main(["--root", str(root), "--jobs", "2"])
    return root, code, err.getvalue()


def test_next_build_succeeds(rebuilt):
    _, code, err = rebuilt
    assert code == errors.EXIT_OK, err


def test_every_day_is_stored_with_all_its_files(rebuilt):
    root, _, _ = rebuilt
    for day in DAYS:
        result = Result.from_dict(json.loads((root / f"results/day-{day:02d}/result.json")
                                             .read_text(encoding="utf-8")))
        assert result.status == "passed" and result.figures
        for name in result.files():
            assert (root / f"results/day-{day:02d}" / name).is_file()
            assert (root / f"docs/days/day-{day:02d}" / name).is_file()


def test_docs_site_and_readme_have_every_day(rebuilt):
    root, _, _ = rebuilt
    readme = (root / "README.md").read_text(encoding="utf-8")
    for day in DAYS:
        assert (root / f"docs/days/day-{day:02d}.md").is_file()
        assert (root / f"site/days/day-{day:02d}.html").is_file()
        assert f"| [**{day}**](entries/day-{day:02d}.yaml) |" in readme


def test_no_temporary_files_are_left(rebuilt):
    root, _, _ = rebuilt
    leftovers = [os.path.join(folder, name) for folder, _, names in os.walk(root)
                 for name in names if name.endswith(".tmp")]
    assert leftovers == []
    assert not (root / ".journal/runs").exists()


def test_second_build_while_one_runs_exits_3_with_one_line(journal, capsys):
    lock = journal / ".journal/lock"
    lock.parent.mkdir()
    with open(lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4242")
        held.flush()
        code = cli.main(["build", "--root", str(journal), "--no-site"])
    err = capsys.readouterr().err
    assert code == errors.EXIT_BUSY
    assert err.count("\n") == 1
    assert err.startswith(f"{journal}: a build is already running here (pid 4242)")
    assert not (journal / "docs").exists() and not (journal / "results").exists()


def test_a_helper_process_dies_with_the_build_that_started_it(tmp_path):
    """What site.py gives `mkdocs build` and serve.py `mkdocs serve`: no orphan after a kill."""
    starter = tmp_path / "starter.py"
    starter.write_text(
        "import functools, os, subprocess, sys, time\n"
        "from torchleet_journal.base.processes import die_with\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'],\n"
        "                         preexec_fn=functools.partial(die_with, os.getpid()))\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(300)\n")
    build = subprocess.Popen([sys.executable, str(starter)], cwd=REPO, stdout=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    child = int(build.stdout.readline())
    assert running(child)
    os.kill(build.pid, signal.SIGKILL)
    build.wait()
    assert wait_for(lambda: not running(child), 5.0)
