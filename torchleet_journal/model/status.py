"""A day's status: the one place a run's outcome is read against what its entry expects.

The terminal's lines, README's table, the site's badges and day pages, the journey's "solved"
count and the build's exit code all ask `status_of`; none of them decides for itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from torchleet_journal.model.entries import Entry
from torchleet_journal.model.results import NOT_RUN, TIMED_OUT, Result

# What can be said of a day, each a `Status.case`.
NOT_RUN_YET = "not run"  # no stored run
NOT_RUN_HERE = NOT_RUN  # `requires: cuda` on a machine without it
PASSED = "passed"  # passed, as the entry expects
FAILED_AS_EXPECTED = "failed, as expected"  # `expect: fail`, and it failed
PASSED_UNEXPECTEDLY = "passed, but expect: fail"
FAILED = "failed"  # failed or timed out, where it should have passed


@dataclass(frozen=True)
class Status:
    case: str
    words: str  # what a badge or a line says: the run's own status when it failed
    as_expected: bool  # the build fails when any day is not
    solved: bool  # the day counts as solving its TorchLeet problem

    @property
    def kind(self) -> str:
        """passed, failed or waiting: a badge's colour."""
        if self.case in (NOT_RUN_YET, NOT_RUN_HERE):
            return "waiting"
        return "passed" if self.as_expected else "failed"

    @property
    def icon(self) -> str:
        """For the terminal and README.md, which GitHub shows with its emoji font."""
        if self.kind == "failed":
            return "⏱️" if self.words == TIMED_OUT else "❌"
        return "✅" if self.kind == "passed" else "⏸️"


def status_of(entry: Entry, result: Result | None) -> Status:
    """The day's status from its entry and its stored (or just made) result."""
    if result is None:
        return Status(NOT_RUN_YET, NOT_RUN_YET, as_expected=True, solved=False)
    wants_pass = entry.expect == "pass"
    if result.status == NOT_RUN:
        # Not run here, it counts with the passing run it shows, if it has one.
        return Status(NOT_RUN_HERE, NOT_RUN, as_expected=True,
                      solved=wants_pass and result.last_good is not None)
    if wants_pass:
        if result.ok:
            return Status(PASSED, PASSED, as_expected=True, solved=True)
        return Status(FAILED, result.status, as_expected=False, solved=False)
    if result.ok:
        return Status(PASSED_UNEXPECTEDLY, PASSED_UNEXPECTEDLY, as_expected=False, solved=False)
    return Status(FAILED_AS_EXPECTED, FAILED_AS_EXPECTED, as_expected=True, solved=False)
