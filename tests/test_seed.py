"""The eight seed days, built for real: every solution passes its own checks under the build,
its numbers equal a standalone run's, and its page shows its plots and metrics."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from journal.metrics import read_scalars
from journal.pipeline import Options, build
from tests.helpers import REPO, copy_site_config

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    root = tmp_path_factory.mktemp("seed") / "journal"
    for folder in ("entries", "solutions", "site_templates"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "README.md", root / "README.md")
    copy_site_config(root)
    report = build(root, Options(force=True))
    return root, {d.entry.day: d for d in report.days}


def test_every_seed_solution_passes_its_own_checks(seed):
    _, days = seed
    assert sorted(days) == list(range(1, 9))
    failed = {n: (d.result.reason, d.result.log_tail[-500:]) for n, d in days.items()
              if d.result.status != "passed"}
    assert failed == {}


def test_each_day_page_shows_a_plot_that_exists(seed):
    root, days = seed
    for n in days:
        html = (root / f"site/days/day-0{n}.html").read_text()
        sources = re.findall(r'<img src="([^"]+)" alt="Plot', html)
        assert sources, f"day {n} shows no figure"
        for src in sources:
            assert (root / "site/days" / src).stat().st_size > 5000


def test_day6_shows_the_loss_curve_and_final_value_from_its_event_file(seed):
    root, days = seed
    series = days[6].result.scalars["Loss/train"]
    assert len(series["values"]) == 100  # one point per epoch, all kept
    html = (root / "site/days/day-06.html").read_text()
    assert f"{series['values'][-1]:.4g}" in html
    assert 'alt="Loss/train against the training step"' in html
    assert 2.5 < series["values"][-1] < 3.5  # problems.md: underfit, final loss about 3.0


def test_index_shows_the_eight_row_progress_table(seed):
    root, _ = seed
    html = (root / "site/index.html").read_text()
    for n in range(1, 9):
        assert f'href="days/day-0{n}.html"' in html
    assert html.count('class="jl-status jl-passed"') >= 8


@pytest.mark.parametrize("day, name", [(1, "day01_linear_regression.py"),
                                       (2, "day02_custom_dataset.py"),
                                       (6, "day06_tensorboard.py")])
def test_numbers_under_the_build_equal_a_standalone_run(seed, tmp_path, day, name):
    root, days = seed
    done = subprocess.run([sys.executable, str(root / "solutions" / name)], cwd=tmp_path,
                          env={**os.environ, "MPLBACKEND": "Agg"}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert read_scalars(tmp_path) == days[day].result.scalars
    result = days[day].result
    assert done.stdout.strip().splitlines()[-1] in result.log_head + result.log_tail
