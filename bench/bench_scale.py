"""Benchmark a journal a year long, and a day that would keep one core busy alone.

(a) 365 cached days (tiny solutions, every result stored), site included:
    a no-op `build.py` (target <= 1.0 s), one gap edited then `build.py` (target <= 2.0 s), and
    under `build.py serve` the time from saving a gap to the served page showing it (<= 1.5 s);
(b) one long day (about LONG_SECONDS alone with all threads) and ten short days, built with
    `--jobs` left at its default, against the long day alone (target <= 1.2x).

Usage: python bench/bench_scale.py [--skip-long]
Works in temporary folders, so the repository is left as it was.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import copy_journal, machine, synthetic_journal, timed  # noqa: E402

DAYS = 365
LONG_SECONDS = 60
SHORT_DAYS = 10

LONG_SOLUTION = '''
"""A day that is all arithmetic: many large matrix products, on every thread torch has."""
import sys
import time

import torch

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else {rounds}
torch.manual_seed(0)
a = torch.randn(1024, 1024)
start = time.perf_counter()
for _ in range(ROUNDS):
    a = torch.tanh(a @ a / 32)
print(f"{{ROUNDS}} rounds in {{time.perf_counter() - start:.1f}} s")
'''


def edit_gap(root: Path, day: int, words: str) -> None:
    path = root / "entries" / f"day-{day:02d}.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  - a gap", f"  - {words}", 1), encoding="utf-8")


def year(base: Path) -> None:
    root = synthetic_journal(base, DAYS)
    timed([sys.executable, "build.py"], root)  # the first, full build
    timed([sys.executable, "build.py"], root)  # settles the times page (ran -> cached)
    noop, _ = timed([sys.executable, "build.py"], root)
    edit_gap(root, 100, "an edited gap")
    edited, _ = timed([sys.executable, "build.py"], root)
    served = serve_update(root)
    print(f"(a) {DAYS} days: no-op build.py with site {noop:.2f} s (target <= 1.0 s); one gap "
          f"edited, build.py with site {edited:.2f} s (target <= 2.0 s); under serve, a saved "
          f"gap shows in the served page {served:.2f} s later (target <= 1.5 s)", flush=True)


def serve_update(root: Path) -> float:
    port = _free_port()
    server = subprocess.Popen([sys.executable, "build.py", "serve", "--dev-addr",
                               f"127.0.0.1:{port}"], cwd=root, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True,
                              # Run as a shell's background job, it would inherit SIGINT ignored.
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    url = f"http://127.0.0.1:{port}/days/day-200.html"
    try:
        _wait_for(url, lambda page: True, 120)
        time.sleep(2)  # let the first build's file events settle
        saved = time.perf_counter()
        edit_gap(root, 200, "a gap saved while serving")
        _wait_for(url, lambda page: "a gap saved while serving" in page, 60)
        return time.perf_counter() - saved
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _wait_for(url: str, ready, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if ready(response.read().decode("utf-8", "replace")):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit(f"benchmark step failed: {url} not ready within {timeout:g} s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def long_day(base: Path) -> None:
    root = copy_journal(base)
    shutil.rmtree(root / "entries")
    shutil.rmtree(root / "results")
    (root / "entries").mkdir()
    rounds = _calibrate(root)
    (root / "solutions/long.py").write_text(LONG_SOLUTION.format(rounds=rounds), encoding="utf-8")
    alone, _ = timed([sys.executable, "solutions/long.py"], root)
    for day in range(1, SHORT_DAYS + 2):
        solution = "solutions/long.py" if day == 1 else f"solutions/day{day:02d}.py"
        if day > 1:
            (root / solution).write_text(f"print('short day {day}')\n", encoding="utf-8")
        (root / "entries" / f"day-{day:02d}.yaml").write_text(
            f"day: {day}\ndate: 2025-01-{day:02d}\ntask: Day {day}\nsolution: {solution}\n",
            encoding="utf-8")
    built, _ = timed([sys.executable, "build.py", "--no-site"], root)
    print(f"(b) one long day ({alone:.1f} s alone, all threads) and {SHORT_DAYS} short days: "
          f"built in {built:.1f} s with the default --jobs, {built / alone:.2f}x (target <= 1.2x)")


def _calibrate(root: Path, probe_rounds: int = 200) -> int:
    """Rounds of the long solution that take about LONG_SECONDS on this machine.

    The solution times its own loop, so importing torch does not count.
    """
    probe = root / "solutions/long.py"
    probe.write_text(LONG_SOLUTION.format(rounds=probe_rounds), encoding="utf-8")
    done = subprocess.run([sys.executable, str(probe), str(probe_rounds)], check=True,
                          capture_output=True, text=True)
    seconds = float(done.stdout.split(" rounds in ")[1].split()[0])
    return max(probe_rounds, int(LONG_SECONDS * probe_rounds / max(seconds, 1e-3)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-long", action="store_true", help="measure (a) only")
    args = parser.parse_args()
    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="journal-scale-") as tmp:
        year(Path(tmp) / "year")
        if not args.skip_long:
            long_day(Path(tmp) / "long")


if __name__ == "__main__":
    main()
