"""`build.py import LOG.md` for a log of day headings: the #100DaysOfCode shape."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import time

import pytest

from tests.helpers import make_journal, snapshot, write
from torchleet_journal.build.pipeline import Options, build
from torchleet_journal.cli import main
from torchleet_journal.intake import day_log, table
from torchleet_journal.model.catalog import load_catalog
from torchleet_journal.model.entries import Resource, load_entries

# Three days as the #100DaysOfCode template (r1-log.md) has them, its examples commented out.
LOG = """\
# 100 Days Of ML Code - Log

<!--
### Day 0: February 30, 2016 (Example 1)
**Today's Progress**: Fixed CSS, worked on canvas functionality for the app.
-->

### Day 1: June 27, Monday

**Today's Progress**: Fitted a line with nn.Linear and plain SGD. Then tried Adam, which
needed a smaller rate.

**Thoughts:** I struggled with broadcasting, but, overall, the shapes make sense now.

**Link(s) to work**
1. [nn.Linear](https://pytorch.org/docs/stable/generated/torch.nn.Linear.html)
2. [SGD](https://pytorch.org/docs/stable/generated/torch.optim.SGD.html)

### Day 2: June 28, Tuesday

**Today's Progress**: Wrote a custom Dataset and a DataLoader.

**Thoughts**: `__getitem__` returns one sample; the DataLoader batches them.

**Stuck on:** shuffling with a fixed seed

**Link to work:** [Data tutorial](https://pytorch.org/tutorials/beginner/basics/data_tutorial.html)

### Day 3: A hand-made Huber loss

**Thoughts:** The gradient is capped at delta.
"""
TODAY = dt.date(2026, 12, 6)


def read(text: str):
    """The log read as the importer reads it: its column names and dates."""
    return day_log.read_day_log(text, "log.md", lambda label: table.HEADER.get(
        table.header_name(label)), table.recorded_date, TODAY)


def date_or_title(heading: str):
    return day_log._date_or_title(heading, table.recorded_date, TODAY)


def run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """The log imported into an empty journal, then built (its three skeletons run)."""
    base = tmp_path_factory.mktemp("daylog")
    write(base / "log/log.md", LOG)
    before = snapshot(base / "log", ("",))
    root = make_journal(base, days={})
    code, out, err = run(["import", str(base / "log/log.md"), "--root", str(root),
                          "--start", "2026-01-01"])
    assert code == 0, err
    report = build(root, Options(jobs=1, site=False))
    return root, base, before, report


def test_each_day_heading_becomes_an_entry_with_its_labels_fields(imported):
    root = imported[0]
    one, two, three = load_entries(root, load_catalog(root))
    assert (one.day, one.date, one.task) == (1, dt.date(2022, 6, 27),
                                             "Fitted a line with nn.Linear and plain SGD")
    assert one.learnings == ("I struggled with broadcasting, but, overall, the shapes make "
                             "sense now.", "Progress: Then tried Adam, which needed a smaller rate.")
    assert one.resources == (
        Resource("nn.Linear", "https://pytorch.org/docs/stable/generated/torch.nn.Linear.html"),
        Resource("SGD", "https://pytorch.org/docs/stable/generated/torch.optim.SGD.html"))
    assert (two.task, two.gaps, two.learnings) == (
        "Wrote a custom Dataset and a DataLoader", ("shuffling with a fixed seed",),
        ("`__getitem__` returns one sample; the DataLoader batches them.",))
    assert two.problem == "v1-2", "matched to its TorchLeet problem as a table's row would be"
    assert (three.task, three.date) == ("A hand-made Huber loss", dt.date(2026, 1, 3)), \
        "a heading with a title and no date: dated from --start"


def test_the_imported_journal_builds_and_the_log_is_left_as_it_was(imported):
    root, base, before, report = imported
    assert [(d.entry.day, d.ran, d.status.solved) for d in report.days] == [
        (1, True, True), (2, True, True), (3, True, True)]
    assert (root / "docs/days/day-01.md").is_file()
    assert snapshot(base / "log", ("",)) == before


def test_a_year_less_date_takes_the_latest_past_year_with_its_weekday():
    assert date_or_title(": June 27, Monday") == (dt.date(2022, 6, 27), "")
    assert date_or_title(": Dec 7, 2025") == (dt.date(2025, 12, 7), "")
    assert date_or_title(" - CNN on CIFAR-10") == (None, "CNN on CIFAR-10")


def test_text_with_no_day_heading_and_label_is_left_to_the_table_reader():
    assert read("| Day | Task |\n|---|---|\n| 1 | x |\n") is None
    assert read("### Day 1\n\nplain words, no label\n") is not None
    assert read("```\n### Day 1\n**Thoughts:** x\n```\n") is None


def test_a_label_named_as_a_table_column_fills_that_field_and_never_the_day():
    _, rows = read("### Day 4: 2026-01-05\n**Task:** A CNN\n**Day:** 9\n**Date:** 2026-01-07\n"
                   "**TIL:** pooling halves, the size\n**Mood:** fine\n")
    (line, cells), = rows
    header = read("### Day 4\n**Mood:** fine\n")[0]
    assert line == 1 and cells[:6] == ["4", "A CNN", "pooling halves, the size<br>", "", "",
                                       "2026-01-07"]
    assert cells[8:] == ["fine<br>"] and header[2] == {8: "Mood"}


@pytest.mark.parametrize("log, line, message", [
    (LOG.replace("### Day 2:", "### Day 1:"), 19, "day 1 appears twice (first on line 8); "
     "renumber one of the two"),
    (LOG + "\n### Day 4\n\n**Thoughts:** a day with no task\n", 33,
     "day 4 has no task; say what the day was about"),
    (LOG.replace("**Thoughts:** The gradient", "**Thoughts:** " + "x" * 20_001 + " The"), 31,
     "line is longer than 20,000 characters; break it into paragraphs"),
    (LOG.replace("[Data tutorial](https:", "[Data tutorial](javascript:alert(1)//"), 19,
     "day 2: 'resources' item 1 "),
])
def test_a_bad_log_is_located_exit_2_and_nothing_written(tmp_path, log, line, message):
    write(tmp_path / "log.md", log)
    root = make_journal(tmp_path, days={})
    code, _, err = run(["import", str(tmp_path / "log.md"), "--root", str(root)])
    assert code == 2 and err.startswith(f"{tmp_path / 'log.md'}:{line}: {message}"), err
    assert not list((root / "entries").glob("*.yaml")) if (root / "entries").exists() else True
    assert not (root / "solutions").exists() or not any((root / "solutions").iterdir())


@pytest.mark.parametrize("line", ["### day" + " " * 19_990 + "x",
                                  "**" + "_" * 19_990 + "x",
                                  "**" + "a" * 59 + "*" * 19_900,
                                  "1." + " \t" * 9_990 + "x"])
def test_each_pattern_is_linear_on_an_adversarial_line(line):
    text = "### Day 1\n**Thoughts:** x\n" + (line + "\n") * 20
    started = time.perf_counter()
    read(text)
    assert time.perf_counter() - started < 1.0
