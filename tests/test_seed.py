"""The eight seed days, built for real: every solution passes its own checks under the build,
its numbers equal a standalone run's, and its page shows its plots and metrics."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.helpers import copy_journal
from torchleet_journal.build.pipeline import Options, build
from torchleet_journal.model.metrics import read_scalars

pytestmark = pytest.mark.slow

# The days whose numbers are compared with a standalone run: day -> solution.
STANDALONE = {1: "day01_linear_regression.py", 2: "day02_custom_dataset.py",
              6: "day06_tensorboard.py"}


@pytest.fixture(scope="module")
def forced(seed, tmp_path_factory):
    """A copy of the built seed journal, built again with every solution run: (root, days)."""
    root = copy_journal(seed.root, tmp_path_factory.mktemp("forced"))
    report = build(root, Options(force=True))
    return root, {d.entry.day: d for d in report.days}


@pytest.fixture(scope="module")
def standalone(seed, tmp_path_factory) -> dict:
    """Each of STANDALONE's solutions run by plain `python` in an empty folder, all at once:
    day -> (process, its folder, stdout, stderr)."""
    runs = {}
    for day, name in STANDALONE.items():
        folder = tmp_path_factory.mktemp(f"standalone-{day}")
        runs[day] = folder, subprocess.Popen(
            [sys.executable, str(seed.root / "solutions" / name)], cwd=folder, text=True,
            env={**os.environ, "MPLBACKEND": "Agg"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return {day: (process, folder, *process.communicate(timeout=600))
            for day, (folder, process) in runs.items()}


def test_every_seed_solution_passes_its_own_checks(forced):
    _, days = forced
    assert sorted(days) == list(range(1, 9))
    failed = {n: (d.result.reason, d.result.log_tail[-500:]) for n, d in days.items()
              if d.result.status != "passed"}
    assert failed == {}


def test_each_day_page_shows_a_plot_that_exists(forced):
    root, days = forced
    for n in days:
        html = (root / f"site/days/day-0{n}.html").read_text()
        sources = re.findall(r'<img src="([^"]+)" alt="Plot', html)
        assert sources, f"day {n} shows no figure"
        for src in sources:
            assert (root / "site/days" / src).stat().st_size > 5000


def test_day6_shows_the_loss_curve_and_final_value_from_its_event_file(forced):
    root, days = forced
    series = days[6].result.scalars["Loss/train"]
    assert len(series["values"]) == 100  # one point per epoch, all kept
    html = (root / "site/days/day-06.html").read_text()
    assert f"{series['values'][-1]:.4g}" in html
    assert 'alt="Loss/train against the training step"' in html
    assert 2.5 < series["values"][-1] < 3.5  # problems.md: underfit, final loss about 3.0


def test_index_shows_the_eight_row_progress_table(forced):
    root, _ = forced
    html = (root / "site/index.html").read_text()
    for n in range(1, 9):
        assert f'href="days/day-0{n}.html"' in html
    assert html.count('class="jl-status jl-passed"') >= 8


@pytest.mark.parametrize("day", sorted(STANDALONE))
def test_numbers_under_the_build_equal_a_standalone_run(forced, standalone, day):
    _, days = forced
    process, folder, out, err = standalone[day]
    assert process.returncode == 0, err[-2000:]
    result = days[day].result
    assert read_scalars(folder) == result.scalars
    assert out.strip().splitlines()[-1] in result.log_head + result.log_tail
