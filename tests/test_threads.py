"""A day's numbers are those of `python FILE` here, whatever runs beside it: one thread count
for the whole run, the machine's own unless the entry asks for another."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.helpers import entry_yaml, make_journal
from torchleet_journal.build.pipeline import Options, build
from torchleet_journal.model.catalog import load_catalog
from torchleet_journal.model.entries import load_entries
from torchleet_journal.run import runner

# A sum over four million floats ends in other last digits on another number of threads.
SUMS = '''
import torch

torch.manual_seed({seed})
x = torch.randn(4_000_000)
for step in range(3):
    x = x * 0.5 + torch.randn(4_000_000)
    print("threads", torch.get_num_threads(), "step", step, "sum", repr(x.sum().item()))
'''


def days() -> dict[int, str]:
    return {day: SUMS.format(seed=day) for day in (1, 2, 3)}


def journal(base, **day2_fields):
    return make_journal(base, days=days(), extra_files={
        "entries/day-02.yaml": entry_yaml(2, "solutions/day02.py", **day2_fields)})


def printed(root, day: int) -> list[str]:
    result = json.loads((root / f"results/day-{day:02d}/result.json").read_text())
    return [line for line in result["log_head"].splitlines() if line.startswith("threads")]


def plain_python(source: str, tmp_path) -> list[str]:
    script = tmp_path / "plain.py"
    script.write_text(source)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          check=True)
    return done.stdout.splitlines()


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """The same journal built with --jobs 1 and with the default, in two folders."""
    roots = {}
    for jobs in (1, None):
        root = journal(tmp_path_factory.mktemp(f"jobs{jobs}"))
        report = build(root, Options(jobs=jobs, site=False))
        assert not report.failures
        roots[jobs] = root
    return roots


def test_a_day_prints_what_plain_python_prints_on_this_machine(builds, tmp_path):
    assert printed(builds[None], 1) == plain_python(SUMS.format(seed=1), tmp_path)


@pytest.mark.parametrize("day", [1, 3])
def test_the_default_jobs_and_one_job_print_the_same_numbers(builds, day):
    assert printed(builds[None], day) == printed(builds[1], day)
    assert len(printed(builds[None], day)) == 3


def test_threads_in_the_entry_set_the_count_for_the_whole_run(tmp_path):
    root = journal(tmp_path, threads="1")
    (root / "entries/day-01.yaml").unlink()
    (root / "entries/day-03.yaml").unlink()
    assert not build(root, Options(site=False)).failures
    one_thread = "import torch\ntorch.set_num_threads(1)\n" + SUMS.format(seed=2)
    assert printed(root, 2) == plain_python(one_thread, tmp_path)
    assert all(line.startswith("threads 1 ") for line in printed(root, 2))


def test_only_an_explicit_thread_count_is_part_of_the_run_key(tmp_path):
    root = journal(tmp_path, threads="2")
    first, second, _ = load_entries(root, load_catalog())
    assert "threads" not in first.run_settings()
    assert second.run_settings()["threads"] == 2


# --- which runs go together: never more torch threads than cores -------------------------


def job(tmp_path, name: str, source: str, threads: int | None = None):
    from torchleet_journal.run.capture import Job

    solution = tmp_path / name
    solution.write_text(source)
    return Job(1, tmp_path, solution, tmp_path, tmp_path, threads)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores to share")
def test_a_run_takes_the_cores_of_the_threads_it_will_use(tmp_path):
    cores = os.cpu_count()
    assert runner.cores_taken(job(tmp_path, "a.py", "import torch\n")) == cores
    assert runner.cores_taken(job(tmp_path, "b.py", "torch.set_num_threads( 1 )\n")) == 1
    assert runner.cores_taken(job(tmp_path, "c.ipynb", '"torch.set_num_threads(1)\\n"')) == 1
    assert runner.cores_taken(job(tmp_path, "d.py", "print(1)\n", threads=1)) == 1
    assert runner.cores_taken(job(tmp_path, "e.py", "print(1)\n", threads=999)) == cores


@pytest.mark.skipif(os.cpu_count() != 2, reason="counts cores on a two-core machine")
def test_runs_start_only_while_their_threads_fit_the_idle_cores(tmp_path):
    whole, first, second = (runner._Pending(job(tmp_path, f"{n}.py", "x = 1\n"), 60, cores)
                            for n, cores in (("whole", 2), ("first", 1), ("second", 1)))
    running = {}
    assert runner._next_to_start([whole, first], running) is whole, "nothing runs: first in order"
    running[1] = runner._Running(None, whole.job, 0.0, 60, None, False, whole.cores)
    assert runner._next_to_start([first, second], running) is None
    running = {1: runner._Running(None, first.job, 0.0, 60, None, False, first.cores)}
    assert runner._next_to_start([whole, second], running) is second, "the one that fits"
