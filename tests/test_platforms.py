"""Off Linux: each piece of the runner the build leans on here (the fork server, /proc, prctl,
setsid, SIGKILL and SIGSTOP, process groups, `resource`), taken away one at a time on this
machine, leaves a run that still ends at its timeout with everything it started, and numbers
that are the platform's own or absent, never wrong."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.helpers import REPO, running, wait_for
from torchleet_journal.base import portable, processes
from torchleet_journal.run import runner
from torchleet_journal.run.capture import Job

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="simulates other platforms' absences on Linux")


def tree(tmp_path: Path) -> tuple[subprocess.Popen, list[int]]:
    """A process that starts two sleeping children, one leaving its group; their pids."""
    pids = tmp_path / "pids"
    script = (f"import os, subprocess, time\n"
              f"a = subprocess.Popen(['sleep', '300'])\n"
              f"b = subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
              f"open({str(pids)!r}, 'w').write(f'{{a.pid}} {{b.pid}}')\n"
              f"time.sleep(300)\n")
    root = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    assert wait_for(lambda: pids.exists() and len(pids.read_text().split()) == 2, 20)
    return root, [int(pid) for pid in pids.read_text().split()]


# --- no /proc (macOS): the tree comes from ps ------------------------------------------------


def test_without_proc_the_tree_is_read_from_ps_and_killed_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(processes, "PROC", str(tmp_path / "no-proc"))
    root, children = tree(tmp_path)
    try:
        assert processes.descendants([root.pid]) == set(children)
        assert processes.alive(root.pid) and not processes.alive(2**22 + 1)
        processes.kill_tree([root.pid])
        root.wait(10)
        assert wait_for(lambda: not any(running(pid) for pid in children), 10)
    finally:
        root.kill()
        for pid in children:
            with_silence(os.kill, pid, signal.SIGKILL)


# --- no SIGSTOP, SIGKILL, killpg or /proc (Windows): the root is still ended -----------------


def test_without_stop_killpg_or_any_process_list_the_run_itself_still_ends(monkeypatch):
    monkeypatch.setattr(processes, "STOP", None)
    monkeypatch.setattr(processes, "KILL", signal.SIGTERM)
    monkeypatch.delattr(os, "killpg")
    monkeypatch.setattr(processes, "parents", lambda: {})
    child = subprocess.Popen(["sleep", "300"])
    processes.kill_tree([child.pid])
    assert child.wait(10) == -signal.SIGTERM


# --- no prctl (macOS, Windows): a thread watches for the parent's death -----------------------


def test_without_prctl_die_with_says_so_and_a_watching_thread_ends_an_orphan(tmp_path):
    code = ("import os, sys, time\n"
            f"sys.path.insert(0, {str(REPO)!r})\n"
            "from torchleet_journal.base import processes\n"
            "processes._prctl = lambda option, value: False\n"
            "parent = os.getppid()\n"
            "assert processes.die_with(parent) is False\n"
            "processes.watch_parent(parent)\n"
            f"open({str(tmp_path / 'pid')!r}, 'w').write(str(os.getpid()))\n"
            "time.sleep(300)\n")
    # bash starts the watcher and exits at once: the watcher is orphaned, as by a killed build.
    middle = subprocess.Popen(["bash", "-c", f"{sys.executable} -c \"$0\" & sleep 0.5", code])
    assert wait_for(lambda: (tmp_path / "pid").exists() and (tmp_path / "pid").read_text(), 20)
    orphan = int((tmp_path / "pid").read_text())
    middle.wait(10)
    assert wait_for(lambda: not running(orphan), 5), "the orphan outlived its parent"


# --- no setsid (Windows) -----------------------------------------------------------------------


def test_without_setsid_a_run_keeps_its_parents_session(monkeypatch):
    monkeypatch.delattr(os, "setsid")
    assert portable.new_session() is False


# --- no resource (Windows), and macOS's unit ------------------------------------------------


def test_peak_memory_is_in_megabytes_on_linux_and_macos_and_absent_where_unknown(monkeypatch):
    fake = SimpleNamespace(RUSAGE_SELF=0,
                           getrusage=lambda who: SimpleNamespace(ru_maxrss=300 * 2**20))
    monkeypatch.setattr(portable, "resource", fake)
    monkeypatch.setattr(sys, "platform", "darwin")  # bytes
    assert portable.peak_memory_mb() == 300
    monkeypatch.setattr(sys, "platform", "linux")  # kilobytes
    assert portable.peak_memory_mb() == 300 * 1024
    monkeypatch.setattr(portable, "resource", None)
    assert portable.peak_memory_mb() is None  # not Windows either: no number rather than a guess


def test_the_build_imports_without_what_windows_lacks():
    """No resource or fcntl module, no SIGUSR1, SIGKILL, SIGSTOP, setsid or killpg: the build's
    modules still import, and take their fallbacks."""
    code = ("import os, signal, sys\n"
            "for name in ('SIGUSR1', 'SIGKILL', 'SIGSTOP'):\n    delattr(signal, name)\n"
            "for name in ('setsid', 'killpg'):\n    delattr(os, name)\n"
            "sys.modules['resource'] = sys.modules['fcntl'] = None  # import fails\n"
            "import torchleet_journal.cli, torchleet_journal.run.runner, torchleet_journal.run.capture, torchleet_journal.base.processes\n"
            "from torchleet_journal.base import portable\n"
            "assert torchleet_journal.run.capture.STACK_SIGNAL is None\n"
            "assert torchleet_journal.base.processes.KILL == signal.SIGTERM and torchleet_journal.base.processes.STOP is None\n"
            "assert portable.resource is None and portable.fcntl is None\n"
            "assert portable.peak_memory_mb() is None and portable.new_session() is False\n"
            "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.stdout == "ok\n", done.stderr


# --- no fork server (Windows): spawned interpreters ------------------------------------------


def _run_spawned(tmp_path: Path, code: str, timeout: float, monkeypatch):
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    (tmp_path / "solutions").mkdir(exist_ok=True)
    solution = tmp_path / "solutions" / "day01.py"
    solution.write_text(code)
    work, out = tmp_path / "work", tmp_path / "out"
    work.mkdir()
    out.mkdir()
    job = Job(1, tmp_path, solution, work, out, threads=1)
    [outcome] = runner.run_jobs([(job, timeout)], parallel=1)
    record = (out / "result.json").read_text() if (out / "result.json").exists() else ""
    return outcome, record


def test_without_a_fork_server_a_spawned_run_prints_what_plain_python_prints(tmp_path, monkeypatch):
    code = "import torch\ntorch.manual_seed(0)\nprint(float(torch.randn(3).sum()))\n"
    outcome, _ = _run_spawned(tmp_path, code, timeout=120, monkeypatch=monkeypatch)
    assert outcome.exit_code == 0
    plain = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert (tmp_path / "out/output.log").read_text() == plain.stdout


def test_without_a_fork_server_a_spawned_run_stops_at_its_timeout(tmp_path, monkeypatch):
    started = time.monotonic()
    outcome, _ = _run_spawned(tmp_path, "import time\ntime.sleep(300)\n", timeout=2,
                              monkeypatch=monkeypatch)
    assert outcome.timed_out and outcome.signal == "SIGKILL"
    assert 2 <= outcome.wall_time < 2 + runner.STACK_DUMP_WAIT + 5
    assert time.monotonic() - started < 60


def test_without_a_stack_signal_a_run_is_killed_at_its_timeout_without_waiting(tmp_path,
                                                                             monkeypatch):
    monkeypatch.setattr(runner, "STACK_SIGNAL", None)
    outcome, _ = _run_spawned(tmp_path, "import time\ntime.sleep(300)\n", timeout=2,
                              monkeypatch=monkeypatch)
    assert outcome.timed_out and outcome.signal == "SIGKILL"
    assert 2 <= outcome.wall_time < 2 + runner.STACK_DUMP_WAIT


# --- the journal's lock --------------------------------------------------------------------------


def test_the_lock_is_refused_to_a_second_process_while_the_first_holds_it(tmp_path):
    lock = tmp_path / "lock"
    holder = subprocess.Popen([sys.executable, "-c", (
        f"import sys, time; sys.path.insert(0, {str(REPO)!r})\n"
        "from torchleet_journal.base.portable import try_lock\n"
        f"handle = open({str(lock)!r}, 'a+')\n"
        "assert try_lock(handle)\nprint('held', flush=True)\ntime.sleep(300)\n")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with open(lock, "a+") as handle:
            assert portable.try_lock(handle) is False
    finally:
        holder.kill()
        holder.wait()
    with open(lock, "a+") as handle:
        assert portable.try_lock(handle) is True


def with_silence(function, *args) -> None:
    try:
        function(*args)
    except OSError:
        pass


# --- no symlinks (Windows without Developer Mode): large files are copied ---------------------


def test_without_symlinks_a_large_file_is_copied_into_the_runs_folder(tmp_path, monkeypatch):
    from torchleet_journal.run import workdir

    def refused(*args, **kwargs):
        raise OSError(1314, "A required privilege is not held by the client")

    monkeypatch.setattr(os, "symlink", refused)
    monkeypatch.setattr(workdir, "LINKED", set())
    source, target = tmp_path / "solutions", tmp_path / "work"
    big = os.urandom(workdir.COPY_LIMIT + 1)
    (source / "data").mkdir(parents=True)
    (source / "data/big.bin").write_bytes(big)
    workdir.mirror(source, target)
    copied = target / "data/big.bin"
    assert not copied.is_symlink() and copied.read_bytes() == big
    assert workdir.LINKED == set()  # nothing of the learner's is reachable through it
