"""Reading a day-heading log for `build.py import`: the #100DaysOfCode shape.

    ### Day 1: June 27, Monday
    **Today's Progress**: Fitted a line with nn.Linear.
    **Thoughts:** The learning rate mattered more than I thought.
    **Link(s) to work**
    1. [Linear regression](https://github.com/me/log/blob/main/day1.ipynb)

Each day heading becomes one row of the table `torchleet_journal/intake/importer.py` reads, its bold labels
the columns (the table's own header names, and this template's), so everything after reading
(files, dates, checks, the all-or-nothing write) is the table import's own. The importer passes
its own reading of a column name and of a date, so both are read one way.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable

from torchleet_journal.base.errors import InputError

MAX_LINE = 20_000  # characters; every pattern below runs on lines no longer than this
# `### Day 12: June 27, Monday` or `## Day 3 - A CNN on CIFAR-10`: a number, then a date or a title
DAY_HEADING = re.compile(r"^#{1,6}[ \t]+day[ \t]*#?(\d{1,5})\b(.*)$", re.I)
HEADING = re.compile(r"^#{1,6}[ \t]")
# `**Thoughts:**`, `**Today's Progress**:` or `__Notes__`, then maybe the text on the same line
LABEL = re.compile(r"^(\*\*|__)([^*_\n]{1,60})(\*\*|__)[ \t]*:?[ \t]*(.*)$")
LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+•]|\d{1,3}[.)])[ \t]+")
FENCE = re.compile(r"^[ \t]*(```|~~~)")
# This template's labels (as words: "Link(s) to work" is "link s to work"), besides the table
# reader's column names (torchleet_journal/intake/importer.py).
LABELS = {"today s progress": "task", "todays progress": "task", "progress": "task",
          "thoughts": "learnings", "thought": "learnings", "link to work": "resources",
          "links to work": "resources", "link s to work": "resources", "work": "resources"}
FIELDS = ("day", "task", "learnings", "gaps", "resources", "date", "difficulty", "solution")
PROGRESS = "Progress"  # what a progress paragraph says after its first sentence


Row = tuple[int, list[str]]  # a row's line and its cells
HeaderParts = tuple[int, dict[str, int], dict[int, str], int]  # importer.Header's fields


def read_day_log(text: str, display: str, column: Callable[[str], str | None],
                 date: Callable[[str], dt.date | None],
                 today: dt.date | None = None) -> tuple[HeaderParts, list[Row]] | None:
    """The log as the header and rows `importer.read_table` gives for a table, or None when
    the text has no day heading with a bold label under it (then it is read as a table).

    `column(label)`: the field a table column of that name fills, if any; `date(text)`: a
    date as the table reader reads one.
    """
    lines = _visible(text.splitlines(), display)
    days, day, label = [], None, None
    for number, line in enumerate(lines, 1):
        heading = DAY_HEADING.match(line)
        if heading:
            day = {"line": number, "number": heading.group(1), "title": heading.group(2),
                   "fields": {}}
            days.append(day)
            label = None
        elif HEADING.match(line) or day is None:
            continue
        elif found := LABEL.match(line.strip()):
            name = found.group(2).rstrip(": \t")
            label = column(name) or LABELS.get(_words(name)) or " ".join(name.split()) or "Notes"
            _add(day["fields"].setdefault(label, []), found.group(4), new=True)
        elif line.strip():
            items = day["fields"].setdefault(label or "learnings", [])
            _add(items, LIST_ITEM.sub("", line), new=bool(LIST_ITEM.match(line)))
        elif label is not None:
            day["fields"].setdefault(label, []).append("")  # a blank line ends a paragraph
    days = [d for d in days if d["fields"] and d["number"].lstrip("0")]  # Day 0: the examples
    if not days:
        return None
    return _table(days, date, today or dt.date.today())


def _words(label: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", label.lower()).split())


def _visible(lines: list[str], display: str) -> list[str]:
    """The lines, with fenced code and <!-- comments --> blanked (the template's examples are
    commented out); line numbers stay those of the file."""
    out, fenced, comment = [], False, False
    for number, line in enumerate(lines, 1):
        if len(line) > MAX_LINE:
            raise InputError.one(display, number, f"line is longer than {MAX_LINE:,} characters;"
                                 " break it into paragraphs")
        if FENCE.match(line):
            fenced = not fenced
            out.append("")
            continue
        kept = ""
        rest = line
        while rest and not fenced:
            if comment:
                end = rest.find("-->")
                comment, rest = (False, rest[end + 3:]) if end != -1 else (True, "")
            else:
                start = rest.find("<!--")
                kept += rest if start == -1 else rest[:start]
                comment, rest = (start != -1, "" if start == -1 else rest[start + 4:])
        out.append("" if fenced else kept)
    return out


def _add(items: list[str], text: str, new: bool) -> None:
    """A line of a field: a new item (a label's own text, a list item), else more of the
    paragraph being read."""
    text = " ".join(text.split())
    if not text:
        return
    if new or not items or not items[-1]:
        if items and not items[-1]:
            items.pop()
        items.append(text)
    else:
        items[-1] += " " + text


def _table(days: list[dict], date: Callable, today: dt.date) -> tuple[HeaderParts, list[Row]]:
    found = [(day["line"], _cells(day, date, today)) for day in days]
    extra = list(dict.fromkeys(label for _, cells in found for label in cells
                               if label not in FIELDS and cells[label]))
    header = (days[0]["line"], {name: index for index, name in enumerate(FIELDS)},
              {len(FIELDS) + i: name for i, name in enumerate(extra)}, len(FIELDS) + len(extra))
    return header, [(line, [cells.get(name, "") for name in FIELDS + tuple(extra)])
                    for line, cells in found]


def _cells(day: dict, read_date: Callable, today: dt.date) -> dict[str, str]:
    """A day's cells by column: its heading's date or title, and each label's items."""
    fields = {label: [i for i in items if i] for label, items in day["fields"].items()}
    date, title = _date_or_title(day["title"], read_date, today)
    progress = " ".join(fields.pop("task", []))
    first, rest = _first_sentence(progress)
    note = progress if title else rest  # a progress paragraph past the task, kept as a note
    cells = {"day": day["number"], "task": title or first,
             "date": date.isoformat() if date else "", PROGRESS: _cell([note])}
    for label, items in fields.items():
        if label in ("date", "difficulty", "solution"):  # one value, read as the table's cell
            cells[label] = " ".join(items) or cells.get(label, "")
        elif label != "day":  # the heading's number is the day
            cells[label] = _cell(items)
    return cells


def _cell(items: list[str]) -> str:
    """Items as one table cell: a <br> between them, and after a lone one, so the table
    reader keeps a paragraph whole instead of splitting it at its commas."""
    items = [item.replace("|", "\\|") for item in items if item]
    return "<br>".join(items) + ("<br>" if len(items) == 1 else "")


def _first_sentence(text: str) -> tuple[str, str]:
    """"Did A. Then B." -> ("Did A", "Then B."): the task is the first sentence."""
    for index, char in enumerate(text):
        if char in ".!?" and (index + 1 == len(text) or text[index + 1] == " "):
            return text[:index].strip(), text[index + 1:].strip()
    return text.strip(), ""


def _date_or_title(heading: str, read_date: Callable,
                   today: dt.date) -> tuple[dt.date | None, str]:
    """What follows "Day N" in a heading: a date (a year-less "June 27, Monday" takes the
    latest past year whose June 27 was a Monday), else the day's title."""
    text = heading.strip().lstrip(":.-–— \t").split("(")[0].strip()
    if not text:
        return None, ""
    found = read_date(text)
    if found:
        return found, ""
    parts = [p.strip() for p in text.split(",")]
    month_day = _month_day(parts[0])
    if month_day is None:
        return None, heading.strip().lstrip(":.-–— \t").strip()
    weekday = next((i for i, name in enumerate(calendar.day_name)
                    for part in parts[1:] if part.lower() in (name.lower(), name[:3].lower())),
                   None)
    for year in range(today.year, today.year - 28, -1):  # the weekdays repeat within 28 years
        try:
            date = dt.date(year, *month_day)
        except ValueError:  # February 29 of a year that has none
            continue
        if date <= today and (weekday is None or date.weekday() == weekday):
            return date, ""
    return None, ""


def _month_day(text: str) -> tuple[int, int] | None:
    for pattern in ("%B %d", "%b %d", "%d %B", "%d %b"):
        try:
            parsed = dt.datetime.strptime(f"2000 {text}", f"%Y {pattern}")  # 2000: a leap year
        except ValueError:
            continue
        return parsed.month, parsed.day
    return None
