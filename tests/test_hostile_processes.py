"""Solutions that misbehave as processes: they start daemons, kill the build's fork server, leave
through os._exit, close their streams, or print terminal escape sequences. Each costs only its
own run, and nothing of it outlives the run or reaches the build's terminal raw."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import REPO, entry_yaml, make_journal, running, toy_solution, write
from torchleet_journal.base import errors
from torchleet_journal.build.pipeline import Events, Options, build

GONE_WAIT = 5.0  # seconds a SIGKILLed process may take to leave /proc
BUILD_LIMIT = 300.0  # the piped build must end well within this; its daemons sleep far longer
DAEMON_SLEEP = 900  # seconds: only a kill can end a daemon before the test does

# Starts two processes that leave the run's process group and session, and notes their pids
# in PIDS_FILE: a `start_new_session=True` child, and a classic double-forked daemon (pure
# forks, as python-daemon does, so it shares the run's open files).
DAEMONS = f'''
import os
import subprocess
import sys
import time

sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep({DAEMON_SLEEP})"],
                           start_new_session=True)
read, write = os.pipe()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.write(write, str(os.getpid()).encode())
        time.sleep({DAEMON_SLEEP})
    os._exit(0)
daemon = int(os.read(read, 32))
with open("PIDS_FILE", "w") as pids:
    pids.write(f"{{sleeper.pid}} {{daemon}}")
'''
ESCAPES = "\\x1b]0;pwned\\x07 title and \\x1b[2J screen"  # as written in the solution's source

TIMES_OUT, ENDS, EXITS_AT_ONCE, CLOSES_STDOUT, CLOSES_STDERR, RAISES_ESCAPES = 1, 2, 3, 4, 5, 6
WITH_DAEMONS = (TIMES_OUT, ENDS, EXITS_AT_ONCE)


def daemons(base: Path, day: int, then: str) -> str:
    return DAEMONS.replace("PIDS_FILE", str(base / f"pids-{day}")) + then


def pids_of(base: Path, day: int) -> list[int]:
    path = base / f"pids-{day}"
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []


def no_escape_anywhere(value) -> bool:
    """Whether no string inside a JSON value holds an ESC character."""
    if isinstance(value, dict):
        return all(map(no_escape_anywhere, value.values()))
    if isinstance(value, list):
        return all(map(no_escape_anywhere, value))
    return not isinstance(value, str) or "\x1b" not in value


def stored(root: Path, day: int) -> dict:
    return json.loads((root / f"results/day-{day:02d}/result.json").read_text(encoding="utf-8"))


class DeathWatch(Events):
    """Notes, as each day finishes, which of the processes it started are still alive."""

    def __init__(self, base: Path):
        self.base = base
        self.alive_at_end: dict[int, list[int]] = {}

    def finished(self, day, done, total) -> None:
        if day.entry.day in WITH_DAEMONS:
            pids = pids_of(self.base, day.entry.day)
            _wait_for(lambda: not any(map(running, pids)))
            self.alive_at_end[day.entry.day] = [pid for pid in pids if running(pid)]


def _wait_for(condition) -> None:
    deadline = time.monotonic() + GONE_WAIT
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """One build, in this process, of a day for each way a run can misbehave as a process."""
    base = tmp_path_factory.mktemp("hostile")
    solutions = {
        TIMES_OUT: daemons(base, TIMES_OUT, "while True:\n    time.sleep(0.1)\n"),
        ENDS: daemons(base, ENDS, 'print("done")\n'),
        EXITS_AT_ONCE: daemons(base, EXITS_AT_ONCE, 'print("leaving", flush=True)\nos._exit(0)\n'),
        CLOSES_STDOUT: 'import sys\nprint("before closing")\nsys.stdout.close()\n',
        CLOSES_STDERR: 'import sys\nsys.stderr.close()\nprint("stderr is closed")\n',
        RAISES_ESCAPES: f'print("{ESCAPES}")\nraise RuntimeError("{ESCAPES}")\n',
    }
    root = make_journal(base, solutions)
    write(root / f"entries/day-{TIMES_OUT:02d}.yaml",
          entry_yaml(TIMES_OUT, f"solutions/day{TIMES_OUT:02d}.py", timeout="3"))
    watch = DeathWatch(base)
    report = build(root, Options(site=False, jobs=2, timeout=60), watch)
    return base, root, report, watch


def test_the_daemons_were_started(hostile):
    base, _, _, _ = hostile
    for day in WITH_DAEMONS:
        assert len(set(pids_of(base, day))) == 2


def test_setsid_child_and_daemon_die_when_the_run_times_out(hostile):
    _, root, _, watch = hostile
    assert stored(root, TIMES_OUT)["status"] == "timed out"
    assert watch.alive_at_end[TIMES_OUT] == []


def test_setsid_child_and_daemon_die_when_the_run_ends(hostile):
    _, root, _, watch = hostile
    assert stored(root, ENDS)["status"] == "passed"
    assert watch.alive_at_end[ENDS] == []


def test_daemons_of_a_run_that_left_with_os_exit_die_too(hostile):
    """The child is gone without cleaning up; its orphans went to the fork server, not init."""
    _, _, _, watch = hostile
    assert watch.alive_at_end[EXITS_AT_ONCE] == []


@pytest.mark.parametrize("day,printed", [(EXITS_AT_ONCE, "leaving"),
                                         (CLOSES_STDOUT, "before closing"),
                                         (CLOSES_STDERR, "stderr is closed")])
def test_a_run_that_exits_0_passes_however_it_left(hostile, day, printed):
    _, root, report, _ = hostile
    result = stored(root, day)
    assert (result["status"], result["exit_code"], result["reason"]) == ("passed", 0, "")
    assert printed in result["log_head"]  # what it printed is still collected
    assert day not in [d.entry.day for d in report.failures]


def test_escape_sequences_are_not_stored(hostile):
    _, root, _, _ = hostile
    result = stored(root, RAISES_ESCAPES)
    assert result["status"] == "failed"
    assert result["reason"] == "RuntimeError:  title and  screen"
    assert "title and  screen" in result["log_head"]
    assert no_escape_anywhere(result)


# --- the command line, its output a pipe ---------------------------------------------------


@pytest.fixture(scope="module")
def piped(tmp_path_factory):
    """`build.py | cat`: a daemon-starting day and an escape-printing one, output to pipes."""
    base = tmp_path_factory.mktemp("piped")
    root = make_journal(base, {1: daemons(base, 1, 'print("done")\n'),
                               2: f'raise RuntimeError("{ESCAPES} and a bell\\x07")\n'})
    build = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--root", str(root),
                              "--no-site", "--jobs", "2"], cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = build.communicate(timeout=BUILD_LIMIT)  # both pipes must reach their end
    except subprocess.TimeoutExpired:
        build.kill()
        build.wait()  # not communicate(): whatever holds the pipes open would block it too
        build.stdout.close()
        build.stderr.close()
        pytest.fail("the build's stdout or stderr was still held open after it ended")
    return base, root, build.returncode, out + err


def test_piped_build_ends_and_leaves_no_process_behind(piped):
    base, _, code, output = piped
    assert code == errors.EXIT_FAILED, output.decode(errors="replace")
    pids = pids_of(base, 1)
    _wait_for(lambda: not any(map(running, pids)))
    assert [pid for pid in pids if running(pid)] == []


def test_terminal_gets_the_failure_but_no_escape_byte(piped):
    _, root, _, output = piped
    # The sequences are gone; a lone control character is shown, not acted on.
    assert b"failed: day-02: RuntimeError:  title and  screen and a bell\\x07 (see" in output
    assert b"\x1b" not in output and b"\x07" not in output
    assert no_escape_anywhere(stored(root, 2))


# --- a run that kills the fork server ------------------------------------------------------


INNOCENT, CULPRIT = 1, 2


@pytest.fixture(scope="module")
def server_killed(tmp_path_factory):
    """The culprit kills its parent, the fork server, while the innocent day is running."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("needs two cores to run two one-thread days side by side")
    base = tmp_path_factory.mktemp("server")
    # One torch thread each, so the two days run side by side on two cores.
    innocent = f'''
import os
import time

import torch

torch.set_num_threads(1)
open(os.path.join("{base}", f"innocent-{{os.getpid()}}"), "w").close()
time.sleep(2)  # still running when the culprit strikes
''' + toy_solution()
    culprit = f'''
import os
import signal
import time

import torch

torch.set_num_threads(1)
for _ in range(600):  # until the innocent day has started
    if any(name.startswith("innocent-") for name in os.listdir("{base}")):
        break
    time.sleep(0.1)
os.kill(os.getppid(), signal.SIGKILL)
time.sleep(60)
'''
    root = make_journal(base, {INNOCENT: innocent, CULPRIT: culprit})
    report = build(root, Options(site=False, jobs=2, timeout=120))
    return base, root, report


def test_the_innocent_day_was_hit(server_killed):
    base, _, _ = server_killed
    assert len(list(base.glob("innocent-*"))) == 2, "it ran, lost its server, and ran again"


def test_the_innocent_day_passes(server_killed):
    _, root, report = server_killed
    result = stored(root, INNOCENT)
    assert result["status"] == "passed" and result["figures"] and result["scalars"]
    assert [d.entry.day for d in report.failures] == [CULPRIT]


def test_the_culprit_fails_saying_what_it_did(server_killed):
    _, root, _ = server_killed
    result = stored(root, CULPRIT)
    assert result["status"] == "failed"
    assert "fork server" in result["reason"] and "os.getppid()" in result["reason"]
