"""Dates and times read from outside (an option, a review log, a table's history, a notebook's
metadata): one parser, bounded to the years an entry may carry, so that no later sum (a review
scheduled a year ahead, a week's end, a time zone's offset) leaves what `datetime` can hold.
"""

from __future__ import annotations

import datetime as dt
import re

FIRST_YEAR, LAST_YEAR = 1970, 2100
# Checked before fromisoformat, which accepts far more shapes than the journal writes.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?"
                   r"(Z|[+-]\d{2}:?\d{2})?")
BOUNDS = f"from {FIRST_YEAR} to {LAST_YEAR}"


def in_bounds(value: dt.date) -> bool:
    """Whether a date (or a time, in UTC when it has a zone) lies in the years the journal uses."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc)  # never overflows inside these years
    return FIRST_YEAR <= value.year <= LAST_YEAR


def out_of_bounds(text: str) -> bool:
    """Whether a date or time's text starts with a year outside the journal's (say why it was
    refused: a typo of the year, not of the shape)."""
    year = text.strip()[:4]
    return year.isdigit() and not FIRST_YEAR <= int(year) <= LAST_YEAR


def parse_date(text: str) -> dt.date | None:
    """A YYYY-MM-DD date within the journal's years, or None (not one, not on the calendar,
    out of bounds)."""
    text = text.strip()
    if not _DATE.fullmatch(text):
        return None
    try:
        date = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return date if in_bounds(date) else None


def parse_time(text: str) -> dt.datetime | None:
    """An ISO time (2025-02-04T10:11:12.5+01:00, a trailing Z for UTC) within the journal's
    years, or None."""
    text = text.strip()
    if len(text) > 40 or not _TIME.fullmatch(text):
        return None
    if out_of_bounds(text):
        return None  # before fromisoformat: year 1 at -14:00 cannot even be put in UTC
    try:
        time = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return time if in_bounds(time) else None
