"""The journey in numbers: streaks, TorchLeet coverage, tags, gaps and reviews due.

Pure functions on entries (anything with `day`, `date`, `problem`, `tags`, `gaps`, `review`),
dates and the catalog; the pages in `render` show what they return.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from itertools import pairwise

from torchleet_journal.model.catalog import DEFAULT_SET, TIERS, Catalog, Problem
from torchleet_journal.model.entries import tag_key

UNTAGGED = "untagged"


# --- consistency ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Streaks:
    """How steady the journal is: distinct dates logged and runs of consecutive dates."""

    days_logged: int
    current: int  # consecutive dates up to today, or yesterday (today's entry may be to come)
    longest: int
    last: dt.date | None
    days_since: int | None  # from the latest entry's date to `today`
    longest_start: dt.date | None = None  # the earliest of the longest runs
    longest_end: dt.date | None = None


def streaks(dates: Iterable[dt.date | None], today: dt.date) -> Streaks:
    """Streaks over calendar dates; several entries on one date count once, None is ignored.

    The current streak counts back from today: a run that ended days ago is not current, so
    a journal last written to in February shows 0, whatever run it ended with.
    """
    days = sorted({d for d in dates if d is not None})
    if not days:
        return Streaks(0, 0, 0, None, None)
    longest = run = 1
    longest_end = days[0]
    for before, after in pairwise(days):
        run = run + 1 if (after - before).days == 1 else 1
        if run > longest:
            longest, longest_end = run, after
    since = (today - days[-1]).days
    current = run if 0 <= since <= 1 else 0
    return Streaks(len(days), current, longest, days[-1], since,
                   longest_end - dt.timedelta(days=longest - 1), longest_end)


def activity(dates: Iterable[dt.date | None]) -> dict[dt.date, int]:
    """Entries per date, oldest first, for the calendar chart."""
    return dict(sorted(Counter(d for d in dates if d is not None).items()))


# --- coverage of the catalog ---------------------------------------------------------------


@dataclass(frozen=True)
class Tier:
    name: str
    solved: int
    total: int
    attempted: int = 0  # tried, with no passing run yet


@dataclass(frozen=True)
class Track:
    name: str
    solved: int
    total: int


@dataclass(frozen=True)
class Coverage:
    """How far through the catalog the journal is: per tier, solved, attempted and open problems.

    A problem is solved when a day for it passed; tried with no passing day, it is attempted.
    """

    tiers: tuple[Tier, ...]
    solved: dict[str, tuple[int, ...]]  # problem id -> the days that solved it, in catalog order
    open: tuple[Problem, ...]  # not solved (attempted ones included), in catalog order
    attempted: dict[str, tuple[int, ...]] = field(default_factory=dict)  # id -> days that tried
    set: str = DEFAULT_SET
    next: Problem | None = None  # what `new` with no task takes: the set's path, first unsolved
    tracks: tuple[Track, ...] = ()

    @property
    def total(self) -> int:
        return sum(t.total for t in self.tiers)


def coverage(entries: Iterable, catalog: Catalog, passed: Collection[int],
             set_name: str = DEFAULT_SET) -> Coverage:
    """Which problems of the set the entries solved: those with a day among `passed`."""
    problems = {p.id: p for p in catalog.problems.values() if p.set == set_name}
    days: dict[str, list[int]] = {}
    for entry in sorted(entries, key=lambda e: e.day):
        if entry.problem in problems:
            days.setdefault(entry.problem, []).append(entry.day)
    solved = {pid: tuple(d for d in days[pid] if d in passed) for pid in problems
              if any(d in passed for d in days.get(pid, ()))}
    attempted = {pid: tuple(days[pid]) for pid in problems if pid in days and pid not in solved}
    problem_set = catalog.sets.get(set_name)
    names = problem_set.tiers if problem_set else TIERS
    tiers = tuple(Tier(name, sum(p.id in solved for p in catalog.in_tier(name, set_name)),
                       len(catalog.in_tier(name, set_name)),
                       sum(p.id in attempted for p in catalog.in_tier(name, set_name)))
                  for name in names)
    tracks = tuple(Track(name, sum(p.id in solved and name in p.tracks for p in problems.values()),
                         sum(name in p.tracks for p in problems.values()))
                   for name in (problem_set.tracks if problem_set else ()))
    unsolved = tuple(p for p in problems.values() if p.id not in solved)
    # A day written for a problem counts as taken, solved or not: `new` moves on from it.
    upcoming = catalog.next_problem(set_name, set(days))
    return Coverage(tiers, solved, unsolved, attempted, set_name, upcoming, tracks)


def next_problems(entries: Iterable, catalog: Catalog) -> list[Problem]:
    """Each followed set's next problem with no day yet, on its path (sets all done left out)."""
    taken = {entry.problem for entry in entries if entry.problem}
    found = (catalog.next_problem(name, taken) for name in catalog.followed)
    return [problem for problem in found if problem is not None]


def coverages(entries: Iterable, catalog: Catalog, passed: Collection[int]) -> list[Coverage]:
    """Coverage of each set the journal follows, in the order it names them."""
    entries = list(entries)
    return [coverage(entries, catalog, passed, name) for name in catalog.followed]


# --- tags, gaps, reviews -------------------------------------------------------------------


def by_tag(entries: Iterable) -> dict[str, list]:
    """Tag -> its entries in day order, tags sorted; an entry with no tag is `untagged`."""
    tags: dict[str, list] = {}
    for entry in sorted(entries, key=lambda e: e.day):
        for tag in entry.tags or (UNTAGGED,):
            tags.setdefault(tag, []).append(entry)
    return dict(sorted(tags.items(), key=lambda item: (tag_key(item[0]), item[0])))


def due_for_review(entries: Iterable, today: dt.date) -> list:
    """Entries whose `review:` date has come, the longest overdue first."""
    due = [e for e in entries if e.review is not None and e.review <= today]
    return sorted(due, key=lambda e: (e.review, e.day))
