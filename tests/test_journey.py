"""Streak and coverage arithmetic, on hand-made dates and catalogs and on the seed journal."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import REPO
from torchleet_journal.model.catalog import Catalog, Problem, load_catalog
from torchleet_journal.model.entries import Entry, load_entries
from torchleet_journal.pages import journey

D = dt.date


def entry(day: int, date: dt.date | None = None, **fields) -> Entry:
    """An entry with only what the arithmetic reads; `date` may be None, as the functions allow."""
    return Entry(day=day, date=date, task=f"Task {day}", solution=f"solutions/day{day:02d}.py",
                 source=f"entries/day-{day:02d}.yaml", **fields)


# --- streaks -------------------------------------------------------------------------------


def test_gaps_in_dates_break_the_streak():
    dates = [D(2025, 1, 1), D(2025, 1, 2), D(2025, 1, 3), D(2025, 1, 5), D(2025, 1, 6),
             D(2025, 1, 9)]
    assert journey.streaks(dates, today=D(2025, 1, 10)) == journey.Streaks(
        days_logged=6, current=1, longest=3, last=D(2025, 1, 9), days_since=1,
        longest_start=D(2025, 1, 1), longest_end=D(2025, 1, 3))


def test_a_streak_that_ended_days_ago_is_not_current():
    dates = [D(2025, 1, 1), D(2025, 1, 2), D(2025, 1, 3)]
    assert journey.streaks(dates, today=D(2025, 1, 4)).current == 3, "today's entry may come"
    assert journey.streaks(dates, today=D(2025, 1, 5)).current == 0


def test_two_entries_on_one_date_count_once():
    dates = [D(2025, 1, 1), D(2025, 1, 2), D(2025, 1, 2), D(2025, 1, 3)]
    assert journey.streaks(dates, today=D(2025, 1, 3)) == journey.Streaks(
        days_logged=3, current=3, longest=3, last=D(2025, 1, 3), days_since=0,
        longest_start=D(2025, 1, 1), longest_end=D(2025, 1, 3))


def test_dates_given_out_of_order_and_none_dates_are_ignored():
    dates = [None, D(2025, 1, 3), None, D(2025, 1, 1), D(2025, 1, 2)]
    assert journey.streaks(dates, today=D(2025, 1, 4)) == journey.Streaks(
        days_logged=3, current=3, longest=3, last=D(2025, 1, 3), days_since=1,
        longest_start=D(2025, 1, 1), longest_end=D(2025, 1, 3))


def test_streaks_run_across_month_year_and_leap_day():
    dates = [D(2023, 12, 30), D(2023, 12, 31), D(2024, 1, 1), D(2024, 2, 28), D(2024, 2, 29),
             D(2024, 3, 1), D(2024, 3, 2)]
    streaks = journey.streaks(dates, today=D(2024, 3, 2))
    assert (streaks.current, streaks.longest) == (4, 4)


def test_the_current_streak_ends_at_the_latest_entry_even_when_longest_is_earlier():
    dates = [D(2025, 1, d) for d in (1, 2, 3, 4, 10, 11)]
    streaks = journey.streaks(dates, today=D(2025, 1, 11))
    assert (streaks.current, streaks.longest, streaks.days_since) == (2, 4, 0)
    assert (streaks.longest_start, streaks.longest_end) == (D(2025, 1, 1), D(2025, 1, 4))


def test_a_single_entry():
    assert journey.streaks([D(2025, 3, 1)], today=D(2025, 3, 1)) == journey.Streaks(
        1, 1, 1, D(2025, 3, 1), 0, D(2025, 3, 1), D(2025, 3, 1))


@pytest.mark.parametrize("dates", [[], [None, None]])
def test_an_empty_journal_or_only_undated_entries(dates):
    assert journey.streaks(dates, today=D(2025, 3, 1)) == journey.Streaks(0, 0, 0, None, None)


def test_activity_counts_entries_per_date_oldest_first():
    dates = [D(2025, 1, 5), None, D(2025, 1, 2), D(2025, 1, 5)]
    assert list(journey.activity(dates).items()) == [(D(2025, 1, 2), 1), (D(2025, 1, 5), 2)]


# --- coverage ------------------------------------------------------------------------------


@pytest.fixture
def catalog() -> Catalog:
    problems = [Problem("b1", "Basic one", "basic", "torch/basic/b1.ipynb"),
                Problem("b2", "Basic two", "basic", "torch/basic/b2.ipynb"),
                Problem("e1", "Easy one", "easy"),
                Problem("h1", "Hard one", "hard", "torch/hard/h1.ipynb"),
                Problem("h2", "Hard two", "hard")]
    return Catalog({p.id: p for p in problems})


def test_coverage_per_tier_with_repeats_untracked_and_unknown_problems(catalog):
    entries = [entry(3, D(2025, 1, 3), problem="b1"), entry(1, D(2025, 1, 1), problem="b1"),
               entry(2, D(2025, 1, 2)),  # a day with no problem still counts as a day
               entry(5, None, problem="h2"), entry(6, D(2025, 1, 6), problem="not-in-catalog")]
    covered = journey.coverage(entries, catalog, passed={1, 2, 3, 5, 6})
    assert [(t.name, t.solved, t.total) for t in covered.tiers] == [
        ("basic", 1, 2), ("easy", 0, 1), ("medium", 0, 0), ("hard", 1, 2), ("expert", 0, 0)]
    assert covered.solved == {"b1": (1, 3), "h2": (5,)}
    assert [p.id for p in covered.open] == ["b2", "e1", "h1"]
    assert covered.total == 5


def test_coverage_of_an_empty_journal(catalog):
    covered = journey.coverage([], catalog, passed=set())
    assert covered.solved == {}
    assert [p.id for p in covered.open] == ["b1", "b2", "e1", "h1", "h2"]
    assert sum(t.solved for t in covered.tiers) == 0


# --- tags, gaps, reviews -------------------------------------------------------------------


def test_tags_list_their_days_and_untagged_days_are_kept():
    entries = [entry(2, D(2025, 1, 2), tags=("rnn", "data")),
               entry(1, D(2025, 1, 1), tags=("rnn",)), entry(3, D(2025, 1, 3))]
    tags = journey.by_tag(entries)
    assert list(tags) == ["data", "rnn", journey.UNTAGGED]
    assert [e.day for e in tags["rnn"]] == [1, 2]
    assert [e.day for e in tags[journey.UNTAGGED]] == [3]


def test_due_for_review_includes_today_and_the_past_oldest_first():
    entries = [entry(1, D(2025, 1, 1), review=D(2025, 2, 1)),
               entry(2, D(2025, 1, 2), review=D(2025, 1, 20)),
               entry(3, D(2025, 1, 3), review=D(2025, 2, 2)),  # tomorrow: not yet
               entry(4, D(2025, 1, 4))]
    assert [e.day for e in journey.due_for_review(entries, today=D(2025, 2, 1))] == [2, 1]


# --- the seed journal ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_entries() -> list[Entry]:
    return load_entries(REPO, load_catalog())


def test_seed_journal_coverage(seed_entries):
    covered = journey.coverage(seed_entries, load_catalog(), {e.day for e in seed_entries})
    tiers = {t.name: (t.solved, t.total) for t in covered.tiers}
    assert (len(covered.solved), covered.total, len(covered.open)) == (8, 90, 82)
    assert tiers["basic"] == (7, 7) and tiers["medium"] == (1, 28)
    assert covered.solved["v1-17"] == (8,)


def test_seed_journal_streaks(seed_entries):
    streaks = journey.streaks([e.date for e in seed_entries], today=D(2025, 2, 10))
    # 01-24, 01-25, then 01-27 → 01-31 (five days), then 02-03 alone, a week before "today".
    assert streaks == journey.Streaks(days_logged=8, current=0, longest=5,
                                       last=D(2025, 2, 3), days_since=7,
                                       longest_start=D(2025, 1, 27), longest_end=D(2025, 1, 31))


def test_only_a_passing_day_solves_a_problem_and_the_rest_are_attempted(catalog):
    entries = [entry(1, D(2025, 1, 1), problem="b1"), entry(2, D(2025, 1, 2), problem="b1"),
               entry(3, D(2025, 1, 3), problem="h1"), entry(4, D(2025, 1, 4), problem="e1")]
    covered = journey.coverage(entries, catalog, passed={2, 4})
    assert covered.solved == {"b1": (2,), "e1": (4,)}, "day 1 failed: only day 2 solved b1"
    assert covered.attempted == {"h1": (3,)}
    assert [(t.name, t.solved, t.attempted) for t in covered.tiers if t.total] == [
        ("basic", 1, 0), ("easy", 1, 0), ("hard", 0, 1)]
    assert [p.id for p in covered.open] == ["b2", "h1", "h2"]
