"""Benchmark the build on this machine, in one run, and print the figures for the README.

(a) cold build of the seed days (`--force --no-site`, median of 3) against running the same
    solutions one by one with plain `python`, as a ratio (target <= 0.30);
(b) a no-op rebuild (`--no-site`, everything cached): its median time over 7 (target <= 0.25 s)
    and whether it imported torch, matplotlib or tensorboard (it must not);
(c) render-only time for 500 synthetic cached entries (target <= 3 s).

Usage: python bench/bench_build.py [--repeat N]
Works on a temporary copy of the journal, so the repository is left as it was.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from torchleet_journal.base.environment import versions  # noqa: E402
from torchleet_journal.base.files import sha256_file  # noqa: E402
from torchleet_journal.build.pipeline import DEFAULT_TIMEOUT  # noqa: E402
from torchleet_journal.build.run_key import cache_key  # noqa: E402
from torchleet_journal.model.entries import Entry, day_slug  # noqa: E402
from torchleet_journal.model.results import PASSED, Result, store_result  # noqa: E402

HEAVY = ("torch", "matplotlib", "tensorboard")
SYNTHETIC = 500


def copy_journal(target: Path) -> Path:
    """The committed journal (entries, solutions, templates, config, results), copied."""
    listed = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True,
                            check=True).stdout.split()
    for rel in listed:
        if (REPO / rel).is_file():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, target / rel)
    return target


def timed(command: list[str], cwd: Path, env: dict | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"benchmark step failed: {' '.join(command)}\n{done.stderr[-2000:]}")
    return elapsed, done.stderr


def plain_runs(root: Path) -> dict[str, float]:
    """Each seed solution with plain `python`, one after another, each in its own folder."""
    times = {}
    for solution in sorted((root / "solutions").glob("day*.py")):
        workdir = Path(tempfile.mkdtemp(prefix="plain-"))
        times[solution.name], _ = timed([sys.executable, str(solution)], workdir,
                                        {"MPLBACKEND": "Agg"})
        shutil.rmtree(workdir)
    return times


def cold_build(root: Path, repeat: int = 3) -> float:
    """The median time of `repeat` cold builds, each from a journal without `.journal/`."""
    times = []
    for _ in range(repeat):
        shutil.rmtree(root / ".journal", ignore_errors=True)  # as in a fresh clone
        times.append(timed([sys.executable, "build.py", "--force", "--no-site"], root)[0])
    return statistics.median(times)


def noop_build(root: Path, repeat: int = 7) -> tuple[float, list[str]]:
    """A cached rebuild's median time, and which heavy modules it imported (-X importtime)."""
    elapsed = statistics.median(timed([sys.executable, "build.py", "--no-site"], root)[0]
                                for _ in range(repeat))
    _, log = timed([sys.executable, "-X", "importtime", "build.py", "--no-site"], root)
    imported = {m.group(1).split(".")[0] for m in re.finditer(r"\|\s+([\w.]+)\s*$", log, re.M)}
    return elapsed, sorted(imported & set(HEAVY))


def synthetic_journal(base: Path, count: int) -> Path:
    """`count` entries, each with a stored result whose key matches, so nothing runs."""
    root = copy_journal(base)
    shutil.rmtree(root / "entries")
    shutil.rmtree(root / "results")
    env = versions()
    for day in range(1, count + 1):
        solution = f"solutions/day{day:03d}.py"
        (root / solution).write_text(f"print({day})\n", encoding="utf-8")
        (root / "entries").mkdir(exist_ok=True)
        (root / "entries" / f"{day_slug(day)}.yaml").write_text(
            f"day: {day}\ndate: 2025-01-01\ntask: Synthetic task {day}\ntags: [bench]\n"
            f"gaps:\n  - a gap with `code` and $x^2$\nlearnings:\n  - a learning\n"
            f"resources: []\nsolution: {solution}\n", encoding="utf-8")
        entry = Entry(day, None, "", solution, f"entries/{day_slug(day)}.yaml")
        deps = {solution: sha256_file(root / solution)}
        result = Result(day, PASSED, wall_time=0.01, deps=deps, ran_at="2025-01-01T00:00:00",
                        scalars={"Loss/train": {"steps": [0, 1], "values": [1.0, 0.5]}}, **env)
        result.key = cache_key(root, entry, deps, env, PASSED, DEFAULT_TIMEOUT)
        store_result(root, result, {})
    return root


def render_only(root: Path) -> tuple[float, float]:
    """First render of the synthetic journal (writes docs/), then a no-op one."""
    first, _ = timed([sys.executable, "build.py", "--no-site"], root)
    again, _ = timed([sys.executable, "build.py", "--no-site"], root)
    return first, again


def machine() -> str:
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, " \
           f"torch {versions()['torch']}, {platform.system()} {platform.release()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="journal-bench-") as tmp:
        root = copy_journal(Path(tmp) / "seed")
        plain = plain_runs(root)
        for name, seconds in plain.items():
            print(f"  plain python {name:<32} {seconds:6.2f} s")
        cold = cold_build(root)
        total = sum(plain.values())
        print(f"(a) cold build --force --no-site: {cold:.2f} s; plain one-by-one: {total:.2f} s; "
              f"ratio {cold / total:.3f} (target <= 0.30)")
        noop, heavy = noop_build(root)
        print(f"(b) no-op rebuild --no-site: {noop:.3f} s (target <= 0.25 s); heavy imports: "
              f"{', '.join(heavy) or 'none'}")
        synthetic = synthetic_journal(Path(tmp) / "synthetic", SYNTHETIC)
        first, again = render_only(synthetic)
        print(f"(c) {SYNTHETIC} cached entries, render only: first {first:.2f} s (writes docs/), "
              f"no-op {again:.2f} s (target <= 3 s)")


if __name__ == "__main__":
    main()
