"""Dating an imported table's days: the row's own date, a start date, or git's first commit.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from torchleet_journal.base.dates import parse_date
from torchleet_journal.base.foreign_git import NO_DRIVERS, git_read
from torchleet_journal.intake.table import DAY_CELL, Day, Header, cells, plain_text

# --- dates ---------------------------------------------------------------------------------


def date_days(days: list[Day], table: Path, header: Header, start: dt.date | None,
               today: dt.date) -> None:
    """The learner's date, else the first commit of the day's file, else of its row; else
    numbered from --start, else today's, marked to check."""
    undated = [d for d in days if d.date is None]
    if undated and git_read(table.parent, "rev-parse", "--show-toplevel") is not None:
        rows = row_dates(table, header)
        for day in undated:
            first = _first_commit(day.source) if day.source else None
            if first:
                day.date, day.dated_by = first, f"first commit of {day.source.name}"
            elif day.day in rows:
                day.date, day.dated_by = rows[day.day], "first commit of its row"
    first_day = min((d.day for d in days), default=1)
    for day in days:
        if day.date is None and start is not None:
            day.date, day.dated_by = start + dt.timedelta(days=day.day - first_day), "--start"
        elif day.date is None:
            day.date, day.dated_by = today, "today (no history; check it)"


def _first_commit(path: Path) -> dt.date | None:
    """When the file was first committed, through its renames. `--follow` also follows a
    copy (Monday's notebook copied to start Tuesday's), so the walk stops at a copy (C) as at
    an addition (A): that commit made this file."""
    out = git_read(path.parent, "log", *NO_DRIVERS, "--follow", "--format=%x00%as",
                   "--name-status", "--", path.name) or ""
    date = None
    for line in out.split("\n"):  # git's lines: a U+2028 in a file's text ends none
        if line.startswith("\x00"):
            date = parse_date(line[1:])
        elif line[:1] in ("A", "C") and date is not None:
            return date
    return None


def row_dates(table: Path, header: Header) -> dict[int, dt.date]:
    """The date each day's row was first committed, read from the table's history in one pass."""
    out = git_read(table.parent, "log", *NO_DRIVERS, "--follow", "--reverse", "--no-color",
                   "--unified=0", "--format=%x00%as", "-p", "--", table.name) or ""
    found, date, index = {}, None, header.columns["day"]
    for line in out.split("\n"):  # git's lines: a U+2028 in the table's text ends none
        if line.startswith("\x00"):
            date = parse_date(line[1:])
        elif date and line.startswith("+") and not line.startswith("+++") and "|" in line:
            row = cells(line[1:])
            day = DAY_CELL.match(plain_text(row[index])) if index < len(row) else None
            if day:
                found.setdefault(int(day.group(1)), date)
    return found


