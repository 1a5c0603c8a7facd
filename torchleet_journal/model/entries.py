"""Entries: each `entries/day-NN.yaml`, loaded and validated into an `Entry`.

Nothing downstream reads YAML again. Every problem in every file is collected and raised
together as one `InputError`, each naming the file, the line, the value and what to do about it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from torchleet_journal.base.dates import FIRST_YEAR, LAST_YEAR  # a typo like 0025 or 9999 is a mistake
from torchleet_journal.base.errors import InputError, Mistake, shown
from torchleet_journal.model.catalog import Catalog
from torchleet_journal.model.entry_file import EntryFile, Unreadable, located, read_text, read_yaml
from torchleet_journal.model.markup import safe_url

ENTRY_NAME = re.compile(r"^day-(\d+)\.yaml$")
SOLUTION_SUFFIXES = (".py", ".ipynb")
EXPECT = ("pass", "fail")
REQUIRES = ("cuda",)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_DAY = 9999
MAX_THREADS = 1024
# Generous limits that keep one entry from writing megabytes of pages (characters, items).
MAX_CHARS = {"task": 300, "tags": 40, "gaps": 2000, "learnings": 2000, "metric": 200,
             "title": 300, "url": 2000}
MAX_ITEMS = {"tags": 20, "gaps": 100, "learnings": 100, "resources": 50}
# Markdown links, autolinks and reference definitions inside entry text, checked like resource URLs.
MD_LINK = re.compile(r"\]\(\s*<?((?:[^()\s>]|\([^()\s]*\))+)|<([a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]*)>"
                     r"|^[ \t]*\[[^\]]+\]:\s*<?([^\s>]+)", re.MULTILINE)  # \s* crossed lines
# Characters no entry needs and that change what a terminal or a reader sees: C0 and C1
# controls (tab and newline are fine) and the bidirectional overrides and marks.
HIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]")
@dataclass(frozen=True)
class Resource:
    title: str
    url: str


@dataclass(frozen=True)
class Entry:
    """One validated day of the journal."""

    day: int
    date: dt.date
    task: str
    solution: str  # relative to the journal root, always under solutions/
    source: str  # the entry file, relative to the journal root
    difficulty: str | None = None
    problem: str | None = None
    tags: tuple[str, ...] = ()
    gaps: tuple[str, ...] = ()
    learnings: tuple[str, ...] = ()
    resources: tuple[Resource, ...] = ()
    timeout: float | None = None
    threads: int | None = None  # torch threads for its run; None: what `python FILE` gets here
    expect: str = "pass"
    requires: str | None = None
    metric: str | None = None
    review: dt.date | None = None

    @property
    def slug(self) -> str:
        return day_slug(self.day)

    @property
    def is_notebook(self) -> bool:
        return self.solution.endswith(".ipynb")

    def run_settings(self) -> dict[str, Any]:
        """What about this entry changes a run's outcome: text edits and the headline `metric`
        are not in it, so they re-run nothing. `timeout` is not either: a run that passed
        passes with any timeout it fits in, and one that timed out is keyed by the timeout
        it had (see `results.cache_key`). `threads` is, when the entry sets it: the machine's
        own default is not, so a result made on another core count still counts here.
        """
        settings = {"solution": self.solution, "requires": self.requires}
        if self.threads is not None:
            settings["threads"] = self.threads
        return settings


def day_slug(day: int) -> str:
    """The one place a day's name is spelled: file names, result folders and URLs use it."""
    return f"day-{day:02d}"


# --- loading -------------------------------------------------------------------------------


def load_entries(root: Path, catalog: Catalog) -> list[Entry]:
    """Load and validate every entry under `root/entries`, or raise one InputError for all."""
    entries_dir = root / "entries"
    if not entries_dir.is_dir():
        raise InputError.one("entries/", 1, "no entries folder here; run `python build.py new "
                             "\"<task>\"` to start one, or pass --root to the journal")
    mistakes: list[Mistake] = []
    entries: dict[int, Entry] = {}
    for path in sorted(p for p in entries_dir.iterdir() if _looks_like_entry(p)):
        doc = _parse(path, f"entries/{path.name}")
        entry = _validate(root, doc, catalog) if doc.data is not None else None
        if entry is not None and entry.day in entries:
            doc.report("day", f"'day' must be unique, got {entry.day}, which "
                       f"{entries[entry.day].source} already has; renumber one of the two")
        elif entry is not None:
            entries[entry.day] = entry
        mistakes.extend(sorted(doc.mistakes, key=lambda p: p.line))
    if mistakes:
        raise InputError(mistakes)
    return _one_spelling(sorted(entries.values(), key=lambda e: e.day))


def mistakes_in(root: Path, rel: str, text: str, catalog: Catalog) -> list[Mistake]:
    """What the build would say about an entry with this text at `rel`: `new` checks with it."""
    try:
        node, data = read_yaml(text)
    except Unreadable as bad:
        return [Mistake(rel, bad.line, bad.message)]
    doc = located(rel, node, data)
    _validate(root, doc, catalog)
    return sorted(doc.mistakes, key=lambda p: p.line)


def _looks_like_entry(path: Path) -> bool:
    # Editors leave backups (day-03.yaml~) and swap files (.day-03.yaml.swp) beside entries.
    if path.name.startswith(".") or path.name.endswith("~"):
        return False
    return path.suffix in (".yml", ".yaml") or path.name.startswith("day")


def _parse(path: Path, rel: str) -> EntryFile:
    try:
        _check_name(path)
        node, data = read_yaml(read_text(path))
    except Unreadable as bad:
        return EntryFile(rel, mistakes=[Mistake(rel, bad.line, bad.message)])
    return located(rel, node, data)


def _check_name(path: Path) -> None:
    if not ENTRY_NAME.match(path.name):
        number = re.search(r"\d+", path.name)
        name = f"{day_slug(int(number.group()))}.yaml" if number else "day-09.yaml"
        raise Unreadable(1, f"entry files are named day-NN.yaml, got {path.name}; rename it "
                          f"to {name}")


# --- validation ----------------------------------------------------------------------------


def _validate(root: Path, doc: EntryFile, catalog: Catalog) -> Entry | None:
    data = doc.data
    for key in doc.key_lines:  # as written, so `yes:` is reported as 'yes', not True
        if key not in FIELDS:
            hint = _did_you_mean(key, FIELDS) or f"known fields: {', '.join(FIELDS)}"
            doc.report(key, f"unknown field {key!r}; {hint}")
    for key, example in REQUIRED.items():
        if key not in data:
            doc.report(None, f"missing required field {key!r}; add `{key}: {example}`")
        elif data[key] in (None, ""):
            doc.report(key, f"required field {key!r} is empty; fill it in, e.g. `{key}: {example}`")
    for key, value in data.items():
        _check_hidden(doc, str(key), value)
    values = {key: check(doc, key, data[key], root, catalog)
              for key, (check, _) in FIELDS.items() if data.get(key) not in (None, "")}
    if not doc.mistakes:
        _check_file_day(doc, values["day"])
    if doc.mistakes:
        return None
    if values.get("problem") and not values.get("difficulty"):
        values["difficulty"] = catalog.problems[values["problem"]].difficulty
    return Entry(source=doc.path, **values)


def _check_file_day(doc: EntryFile, day: int) -> None:
    name = Path(doc.path).name
    if int(ENTRY_NAME.match(name).group(1)) != day:
        doc.report("day", f"'day' must match the file name {name}, got {day}; rename the file to "
                   f"{day_slug(day)}.yaml or fix the number")


def _check_hidden(doc: EntryFile, key: str, value, index: int | None = None) -> None:
    """Control characters and bidi overrides are refused wherever they hide in a field."""
    if isinstance(value, str):
        found = HIDDEN.search(value)
        if found:
            where = f"{key!r} item {index + 1}" if index is not None else repr(key)
            doc.report(key, f"{where} contains the invisible character U+{ord(found.group()):04X},"
                       " which can change what a terminal or a reader shows; delete it", index)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_hidden(doc, key, item, i if index is None else index)
    elif isinstance(value, dict):
        for item in value.values():
            _check_hidden(doc, key, item, index)


def _too_long(doc: EntryFile, key: str, value: str, index: int | None = None,
              limit_key: str | None = None) -> bool:
    limit = MAX_CHARS[limit_key or key]
    if len(value) <= limit:
        return False
    where = f"{key!r} item {index + 1}" if index is not None else repr(key)
    doc.report(key, f"{where} may be at most {limit:,} characters, got {len(value):,}; keep "
               "longer notes in a file beside the solution and link to it", index)
    return True


def _too_many(doc: EntryFile, key: str, items: list) -> bool:
    if len(items) <= MAX_ITEMS[key]:
        return False
    doc.report(key, f"{key!r} may have at most {MAX_ITEMS[key]} items, got {len(items)}; keep "
               "the ones that matter most")
    return True


def _did_you_mean(word: str, options) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f"did you mean {close[0]!r}?" if close else ""


def _int_day(doc, key, value, root, catalog):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAY:
        doc.report(key, f"'day' must be a whole number from 1 to {MAX_DAY} (e.g. `day: 9`, no "
                   f"quotes), got {shown(value)}")
    return value


def _date(doc, key, value, root, catalog):
    if isinstance(value, str) and ISO_DATE.match(value.strip()):
        try:
            date = dt.date.fromisoformat(value.strip())
        except ValueError:
            date = None  # the right shape but not on the calendar, e.g. 2025-02-30
        if date and FIRST_YEAR <= date.year <= LAST_YEAR:
            return date
        if date:
            doc.report(key, f"{key!r} must be a date from {FIRST_YEAR} to {LAST_YEAR}, got "
                       f"{shown(value)}; check the year for a typo")
            return None
    doc.report(key, f"{key!r} must be a real date written YYYY-MM-DD (e.g. 2025-02-04), got "
               f"{shown(value)}")


def _text(doc, key, value, root, catalog):
    if not isinstance(value, str) or not value.strip():
        doc.report(key, f"{key!r} must be text, got {shown(value)}; quote it")
        return value
    if not _too_long(doc, key, value):
        _check_links(doc, key, value)
    return value.strip()


def _text_list(doc, key, value, root, catalog):
    if not isinstance(value, list):
        doc.report(key, f"{key!r} must be a list of text, one `- item` per line, got {shown(value)}")
        return ()
    if _too_many(doc, key, value):
        return ()
    for i, item in enumerate(value):
        if not isinstance(item, str):
            doc.report(key, f"{key!r} item {i + 1} must be text, got {shown(item)}; quote it", i)
        elif not _too_long(doc, key, item, i):
            _check_links(doc, key, item, i)
    return tuple(item.strip() for item in value if isinstance(item, str))


def _resources(doc, key, value, root, catalog):
    if not isinstance(value, list):
        doc.report(key, f"'resources' must be a list of `- title: ...` / `url: ...` pairs, got "
                   f"{shown(value)}")
        return ()
    if _too_many(doc, key, value):
        return ()
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) != {"title", "url"} or not all(
                isinstance(v, str) and v.strip() for v in item.values()):
            doc.report(key, f"'resources' item {i + 1} must have a text `title:` and a `url:` and "
                       f"nothing else, got {shown(item)}", i)
            continue
        if _too_long(doc, key, item["title"], i, "title") or _too_long(doc, key, item["url"], i,
                                                                         "url"):
            continue
        if not safe_url(item["url"]):
            doc.report(key, f"'resources' item {i + 1} url must be http(s)://, mailto: or a "
                       f"relative link, got {shown(item['url'])}; link to a web page instead", i)
        _check_links(doc, key, item["title"], i)
        out.append(Resource(item["title"].strip(), item["url"].strip()))
    return tuple(out)


def _solution(doc, key, value, root, catalog):
    if not isinstance(value, str):
        doc.report(key, f"'solution' must be a path like solutions/day09_cnn.py, got {shown(value)}")
        return value
    written = os.path.normpath(value).replace(os.sep, "/")  # ./solutions/x.py -> solutions/x.py
    solutions = _resolved(root / "solutions")
    target = _resolved(root / written)
    if os.path.isabs(written) or not written.startswith("solutions/"):
        inside = f"solutions/{Path(written).name}"
        hint = (f"did you mean {inside!r}?" if (root / inside).is_file() else
                "move the file into solutions/ and write `solution: solutions/<file>`")
        doc.report(key, f"'solution' must be a file inside solutions/, got {shown(value)}; {hint}")
    elif target is None or solutions is None or not target.is_relative_to(solutions):
        doc.report(key, f"'solution' must stay inside solutions/, got {shown(value)}, a link to "
                   f"{target or 'nowhere'}; copy the file into solutions/ instead of linking it")
    elif Path(written).suffix not in SOLUTION_SUFFIXES:
        doc.report(key, f"'solution' must be a .py script or .ipynb notebook, got {shown(value)}")
    elif not target.is_file():
        hint = _did_you_mean(written, _solution_files(root)) or "create it or fix the path"
        doc.report(key, f"'solution' file does not exist, got {shown(value)}; {hint}")
    return written


def _resolved(path: Path) -> Path | None:
    """`path` with every symlink followed, or None when that fails (a link loop, a NUL byte)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError):
        return None


def _solution_files(root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in sorted((root / "solutions").glob("*"))
            if p.suffix in SOLUTION_SUFFIXES]


def _problem(doc, key, value, root, catalog):
    if not isinstance(value, str) or value not in catalog.problems:
        hint = catalog.suggest(str(value))
        doc.report(key, f"'problem' must be an id of a problem set's catalog, got "
                   f"{shown(value)}; {hint}")
    return value


def _tier(doc, key, value, root, catalog):
    """A tier of any set the catalog knows: TorchLeet's basic..expert, numpy-100's 1-star, ..."""
    return _choice(catalog.tiers)(doc, key, value, root, catalog)


def _choice(options: tuple[str, ...]) -> Callable:
    def check(doc, key, value, root, catalog):
        if value not in options:
            doc.report(key, f"{key!r} must be one of {', '.join(options)}, got {shown(value)}")
        return value
    return check


def _seconds(doc, key, value, root, catalog):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and value > 0):
        doc.report(key, f"'timeout' must be a positive number of seconds (e.g. `timeout: 120`), "
                   f"got {shown(value)}")
    return value


def _threads(doc, key, value, root, catalog):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_THREADS:
        doc.report(key, f"'threads' must be a whole number of torch threads from 1 to "
                   f"{MAX_THREADS} (e.g. `threads: 4`), got {shown(value)}; leave it out to use "
                   "what `python` uses on this machine")
    return value


def _tags(doc, key, value, root, catalog):
    kept: dict[str, str] = {}  # one tag once, as first spelled: `[CNN, cnn]` is `[CNN]`
    for tag in _text_list(doc, key, value, root, catalog):
        if tag:
            kept.setdefault(tag_key(tag), tag)
    return tuple(kept.values())


def tag_key(tag: str) -> str:
    """What makes two tags one: `CNN`, `cnn` and `Cnn` are the same tag, and so are the
    compatibility forms of a letter (full-width `ＣＮＮ`)."""
    return unicodedata.normalize("NFKC", tag).casefold()


def _one_spelling(entries: list[Entry]) -> list[Entry]:
    """Every entry's tags spelled as the journal first spelled them (entries in day order)."""
    first: dict[str, str] = {}
    for entry in entries:
        for tag in entry.tags:
            first.setdefault(tag_key(tag), tag)
    return [replace(entry, tags=tuple(first[tag_key(tag)] for tag in entry.tags))
            for entry in entries]


def _check_links(doc: EntryFile, key: str, text: str, index: int | None = None) -> None:
    for match in MD_LINK.finditer(text):
        url = next(group for group in match.groups() if group)
        if not safe_url(url):
            doc.report(key, f"{key!r} links must be http(s)://, mailto: or relative, got "
                       f"{shown(url)}; "
                       "link to a web page instead", index)


# Every field an entry may have: its check, and for the required ones the example to suggest.
FIELDS: dict[str, tuple[Callable, str | None]] = {
    "day": (_int_day, "9"),
    "date": (_date, "2025-02-04"),
    "task": (_text, "Implement a CNN"),
    "difficulty": (_tier, None),
    "problem": (_problem, None),
    "tags": (_tags, None),
    "gaps": (_text_list, None),
    "learnings": (_text_list, None),
    "resources": (_resources, None),
    "solution": (_solution, "solutions/day09_cnn.py"),
    "timeout": (_seconds, None),
    "threads": (_threads, None),
    "expect": (_choice(EXPECT), None),
    "requires": (_choice(REQUIRES), None),
    "metric": (_text, None),
    "review": (_date, None),
}
REQUIRED = {key: example for key, (_, example) in FIELDS.items() if example is not None}
