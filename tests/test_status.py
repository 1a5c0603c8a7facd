"""One function says what a day's status is; every case a journal can be in, through it."""

from __future__ import annotations

import datetime as dt

import pytest

from torchleet_journal.model.entries import Entry
from torchleet_journal.model.results import FAILED, NOT_RUN, PASSED, TIMED_OUT, Result
from torchleet_journal.model.status import status_of


def entry(expect: str = "pass") -> Entry:
    return Entry(day=3, date=dt.date(2025, 1, 3), task="t", solution="solutions/day03.py",
                 source="entries/day-03.yaml", expect=expect)


def result(status: str, **fields) -> Result:
    return Result(day=3, status=status, **fields)


@pytest.mark.parametrize("expect, stored, words, kind, as_expected, solved, icon", [
    ("pass", None, "not run", "waiting", True, False, "⏸️"),
    ("pass", result(PASSED), "passed", "passed", True, True, "✅"),
    ("pass", result(FAILED), "failed", "failed", False, False, "❌"),
    ("pass", result(TIMED_OUT), "timed out", "failed", False, False, "⏱️"),
    ("fail", result(FAILED), "failed, as expected", "passed", True, False, "✅"),
    ("fail", result(PASSED), "passed, but expect: fail", "failed", False, False, "❌"),
    ("pass", result(NOT_RUN), "not run here", "waiting", True, False, "⏸️"),
    ("pass", result(NOT_RUN, last_good={"day": 3, "status": PASSED}), "not run here", "waiting",
     True, True, "⏸️"),
    ("fail", result(NOT_RUN, last_good={"day": 3, "status": FAILED}), "not run here", "waiting",
     True, False, "⏸️"),
])
def test_status_reads_the_run_against_what_the_entry_expects(expect, stored, words, kind,
                                                             as_expected, solved, icon):
    status = status_of(entry(expect), stored)
    assert (status.words, status.kind, status.as_expected, status.solved, status.icon) == (
        words, kind, as_expected, solved, icon)
