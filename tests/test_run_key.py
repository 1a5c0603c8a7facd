"""What a run's cache key covers: what changes the outcome, and nothing that only changes a page.

The headline `metric:` is a display setting: renaming it shows another metric, trains nothing.
The timeout is one number (the entry's, else --timeout): it is in the key of a run that timed
out, so giving it longer runs it again, and a passing run re-runs only if it no longer fits.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import entry_yaml, make_journal
from torchleet_journal.build.pipeline import Options, build
from torchleet_journal.model.results import PASSED, TIMED_OUT

TWO_METRICS = ("from torch.utils.tensorboard import SummaryWriter\n"
               "writer = SummaryWriter()\n"
               "for step in range(3):\n"
               "    writer.add_scalar('loss', 4.0 - step, step)\n"
               "    writer.add_scalar('accuracy', 0.5 + step / 10, step)\n"
               "writer.close()\n")
SLEEPS = "import time\ntime.sleep({seconds})\nprint('awake')\n"


def ran(report) -> list[int]:
    return [d.entry.day for d in report.days if d.ran]


def set_fields(root: Path, day: int, **fields) -> None:
    path = root / f"entries/day-{day:02d}.yaml"
    path.write_text(entry_yaml(day, f"solutions/day{day:02d}.py", **fields), encoding="utf-8")


@pytest.fixture
def two_metrics(tmp_path) -> Path:
    root = make_journal(tmp_path, days={1: TWO_METRICS})
    assert ran(build(root, Options(site=False))) == [1]
    return root


def test_renaming_the_headline_metric_reruns_nothing_and_shows_the_other(two_metrics):
    assert "`loss` 4 → 2" in (two_metrics / "README.md").read_text()
    set_fields(two_metrics, 1, metric="accuracy")
    report = build(two_metrics, Options(site=False))
    assert ran(report) == []
    assert "`accuracy` 0.5 → 0.7" in (two_metrics / "README.md").read_text()


def test_a_timeout_added_to_a_passed_day_reruns_nothing(two_metrics):
    set_fields(two_metrics, 1, timeout="120")
    assert ran(build(two_metrics, Options(site=False))) == []
    assert ran(build(two_metrics, Options(site=False, timeout=60))) == []


def test_a_day_that_timed_out_runs_again_once_it_is_given_longer(tmp_path):
    root = make_journal(tmp_path, days={1: SLEEPS.format(seconds=1.5)})
    first = build(root, Options(site=False, timeout=0.5))
    assert first.days[0].result.status == TIMED_OUT
    assert ran(build(root, Options(site=False, timeout=0.5))) == [], "the same timeout, the same end"
    longer = build(root, Options(site=False, timeout=30))
    assert ran(longer) == [1] and longer.days[0].result.status == PASSED
    assert ran(build(root, Options(site=False, timeout=60))) == [], "it passed; more time changes nothing"


def test_the_entrys_timeout_is_the_one_that_counts(tmp_path):
    root = make_journal(tmp_path, days={1: SLEEPS.format(seconds=1.5)})
    set_fields(root, 1, timeout="0.5")
    assert build(root, Options(site=False, timeout=30)).days[0].result.status == TIMED_OUT
    assert ran(build(root, Options(site=False, timeout=60))) == [], "--timeout is not this day's"
    set_fields(root, 1, timeout="30")
    assert build(root, Options(site=False)).days[0].result.status == PASSED


def test_a_passed_day_that_no_longer_fits_its_timeout_runs_again_and_times_out(tmp_path):
    root = make_journal(tmp_path, days={1: SLEEPS.format(seconds=1.5)})
    assert build(root, Options(site=False)).days[0].result.status == PASSED
    again = build(root, Options(site=False, timeout=0.5))
    assert ran(again) == [1] and again.days[0].result.status == TIMED_OUT
