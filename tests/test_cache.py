"""The cache: a day re-runs exactly when something it depends on changed, and only then."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import copy_journal, make_journal, toy_solution, write
from torchleet_journal.build.pipeline import Options, build

READS_CSV = toy_solution().replace(
    "torch.manual_seed(0)",
    "torch.manual_seed(0)\n"
    "from pathlib import Path\n"
    "SCALE = float((Path(__file__).parent / 'data' / 'scale.csv').read_text().split()[-1])\n"
    "print('scale', SCALE)")
IMPORTS_HELPER = toy_solution().replace("torch.manual_seed(0)",
                                        "torch.manual_seed(0)\nimport helper\nprint(helper.NAME)")


def ran(report) -> list[int]:
    return [d.entry.day for d in report.days if d.ran]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A three-day journal, built once: day 1 reads a CSV, day 2 imports a helper module."""
    root = make_journal(tmp_path_factory.mktemp("cache"),
                        days={1: READS_CSV, 2: IMPORTS_HELPER, 3: toy_solution()},
                        extra_files={"solutions/data/scale.csv": "scale\n2.0\n",
                                     "solutions/helper.py": "NAME = 'helper v1'\n"})
    assert ran(build(root, Options(site=False))) == [1, 2, 3]
    return root


@pytest.fixture
def cached(built, tmp_path) -> Path:
    """A copy of the built journal, for one test to edit and build again."""
    return copy_journal(built, tmp_path)


def test_recorded_dependencies_are_the_files_each_day_read(built):
    deps = {day: json.loads((built / f"results/day-0{day}/result.json").read_text())["deps"]
            for day in (1, 2, 3)}
    assert set(deps[1]) == {"solutions/day01.py", "solutions/data/scale.csv"}
    assert set(deps[2]) == {"solutions/day02.py", "solutions/helper.py"}
    assert set(deps[3]) == {"solutions/day03.py"}


def test_unchanged_journal_runs_nothing(cached):
    assert ran(build(cached, Options(site=False))) == []


def test_editing_a_csv_reruns_only_the_day_that_reads_it(cached):
    write(cached / "solutions/data/scale.csv", "scale\n3.0\n")
    report = build(cached, Options(site=False))
    assert ran(report) == [1]
    assert "scale 3.0" in report.days[0].result.log_head
    assert ran(build(cached, Options(site=False))) == []


def test_editing_a_helper_module_reruns_only_the_day_that_imports_it(cached):
    write(cached / "solutions/helper.py", "NAME = 'helper v2'\n")
    report = build(cached, Options(site=False))
    assert ran(report) == [2]
    assert "helper v2" in report.days[1].result.log_head


def test_editing_a_gap_rerenders_without_running(cached):
    entry = cached / "entries/day-03.yaml"
    entry.write_text(entry.read_text().replace("Gap of day 3", "A reworded gap"))
    report = build(cached, Options(site=False))
    assert ran(report) == []
    assert "A reworded gap" in (cached / "docs/days/day-03.md").read_text()


def test_force_and_only(cached):
    assert ran(build(cached, Options(site=False, only=frozenset({2})))) == [2]
    assert ran(build(cached, Options(site=False, force=True))) == [1, 2, 3]


def test_a_deleted_dependency_reruns_the_day(cached):
    (cached / "solutions/helper.py").unlink()
    report = build(cached, Options(site=False))
    assert ran(report) == [2]
    assert report.days[1].result.status == "failed"  # it can no longer import it
    write(cached / "solutions/helper.py", "NAME = 'helper v3'\n")
    assert ran(build(cached, Options(site=False))) == [2]
