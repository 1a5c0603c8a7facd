"""`build.py new`: the next day's entry and a skeleton that runs, shows a plot and logs a metric."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.helpers import copy_journal, make_journal, snapshot, write
from torchleet_journal.build.pipeline import Options, build
from torchleet_journal.cli import main
from torchleet_journal.intake import scaffold
from torchleet_journal.model.catalog import load_catalog
from torchleet_journal.model.entries import load_entries

TASK = "Implement a CNN on CIFAR-10"


@pytest.fixture(scope="module")
def new_user_run(seed, tmp_path_factory):
    """A copy of the built seed journal; then `new` with nothing edited after it, and a build."""
    root = copy_journal(seed.root, tmp_path_factory.mktemp("new"))
    code = main(["new", TASK, "--problem", "v1-8", "--date", "2026-11-28", "--root", str(root)])
    return root, code, build(root, Options())


def test_new_writes_day_9_entry_that_validates(new_user_run):
    root, code, _ = new_user_run
    assert code == 0
    entry = load_entries(root, load_catalog())[-1]
    assert (entry.day, entry.date, entry.task) == (9, dt.date(2026, 11, 28), TASK)
    assert (entry.problem, entry.difficulty) == ("v1-8", load_catalog().problems["v1-8"].difficulty)
    assert entry.solution == "solutions/day09_cnn_cifar_10.py"
    assert (entry.gaps, entry.learnings, entry.resources) == ((), (), ())
    text = (root / "entries/day-09.yaml").read_text()
    for comment in ("# What you did not know", "# What you understand now", "# Links that helped"):
        assert comment in text


def test_next_build_runs_only_the_new_day_and_it_passes(new_user_run):
    _, _, report = new_user_run
    assert [(d.entry.day, d.ran) for d in report.days if d.ran] == [(9, True)]
    assert report.failures == []


def test_new_day_is_in_the_table_with_a_plot_and_a_metric(new_user_run):
    root, _, _ = new_user_run
    assert "[**9**](day-09.md)" in (root / "docs/days/index.md").read_text()
    assert 'href="days/day-09.html"' in (root / "docs/index.md").read_text(), "its card"
    result = json.loads((root / "results/day-09/result.json").read_text())
    assert result["status"] == "passed" and result["figures"], "the skeleton shows a plot"
    assert len(result["scalars"]["Loss/train"]["values"]) == 200
    page = (root / "site/days/day-09.html").read_text()
    assert f'<img src="day-09/{result["figures"][0]}" alt="Plot' in page
    final = result["scalars"]["Loss/train"]["values"][-1]
    assert "<code>Loss/train</code>" in page and f"{final:.4g}" in page


def test_second_new_makes_the_next_day_and_changes_nothing(tmp_path, capsys):
    root = make_journal(tmp_path)  # days 1 and 2
    before = snapshot(root, folders=("entries", "solutions"))
    assert main(["new", "Train an LSTM", "--root", str(root)]) == 0
    assert main(["new", "Train an LSTM", "--root", str(root)]) == 0
    after = snapshot(root, folders=("entries", "solutions"))
    assert {k: v for k, v in after.items() if k in before} == before
    assert sorted(set(after) - set(before)) == [
        "entries/day-03.yaml", "entries/day-04.yaml",
        "solutions/day03_train_lstm.py", "solutions/day04_train_lstm.py"]
    out = capsys.readouterr().out
    assert "created entries/day-04.yaml\ncreated solutions/day04_train_lstm.py\n" in out
    assert "python build.py serve" in out
    assert f"date: {dt.date.today().isoformat()}" in (root / "entries/day-03.yaml").read_text()


def test_next_number_follows_the_highest_day(tmp_path):
    root = make_journal(tmp_path, days={})
    assert scaffold.next_day(root) == 1
    write(root / "entries/day-02.yaml", "")
    write(root / "entries/day-17.yaml", "")
    write(root / "entries/notes.txt", "")
    assert scaffold.next_day(root) == 18


@pytest.mark.parametrize("task, expected", [
    (TASK, "cnn_cifar_10"),
    ("Write a custom Dataset and DataLoader to load from a CSV file", "custom_dataset_dataloader_load"),
    ("Implement the", "solution"),
])
def test_solution_name_comes_from_the_telling_words(task, expected):
    assert scaffold.slug(task) == expected


def _refused(root, capsys, *args) -> str:
    before = snapshot(root, folders=("entries", "solutions"))
    assert main(["new", *args, "--root", str(root)]) == 2
    assert snapshot(root, folders=("entries", "solutions")) == before, "nothing is written"
    return capsys.readouterr().err.splitlines()[0]


def test_unknown_problem_is_refused_with_the_closest_ids(tmp_path, capsys):
    line = _refused(make_journal(tmp_path), capsys, TASK, "--problem", "v1-88")
    assert line == ("entries/day-03.yaml:5: --problem 'v1-88' is not an id of any problem set's catalog; did you "
                    "mean v1-8, v1-28, v1-18?")


def test_impossible_date_is_refused(tmp_path, capsys):
    line = _refused(make_journal(tmp_path), capsys, TASK, "--date", "2026-02-30")
    assert line.startswith("entries/day-03.yaml:2: --date must be a real date written "
                           "YYYY-MM-DD, got '2026-02-30'; e.g. --date ")


def test_empty_task_is_refused(tmp_path, capsys):
    line = _refused(make_journal(tmp_path), capsys, "   ")
    assert line.startswith("entries/day-03.yaml:3: the task is empty;")


def test_existing_solution_is_never_overwritten(tmp_path, capsys):
    root = make_journal(tmp_path, extra_files={"solutions/day03_cnn_cifar_10.py": "# mine\n"})
    line = _refused(root, capsys, TASK)
    assert line == ("solutions/day03_cnn_cifar_10.py:1: already exists, and `build.py new` never "
                    "overwrites a file; rename or remove it, or give the day another task")
    assert not (root / "entries/day-03.yaml").exists()


def test_a_failed_write_leaves_neither_file(tmp_path, monkeypatch):
    root = make_journal(tmp_path)
    real = scaffold.write_atomic

    def fail_on_solution(path, data):
        if path.parent.name == "solutions":
            raise OSError("disk full")
        real(path, data)
    monkeypatch.setattr(scaffold, "write_atomic", fail_on_solution)
    with pytest.raises(OSError, match="disk full"):
        scaffold.new_day(root, TASK, None, None)
    assert not (root / "entries/day-03.yaml").exists()
    assert not list((root / "solutions").glob("day03*"))
