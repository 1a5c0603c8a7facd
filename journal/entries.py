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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .catalog import TIERS, Catalog
from .errors import InputError, Problem, shown
from .markup import safe_url

ENTRY_NAME = re.compile(r"^day-(\d+)\.yaml$")
MAX_ENTRY_BYTES = 1 << 20
SOLUTION_SUFFIXES = (".py", ".ipynb")
EXPECT = ("pass", "fail")
REQUIRES = ("cuda",)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Dates a journal can have: a typo like 0025 or 9999 is a mistake, not a day to lay out.
FIRST_YEAR, LAST_YEAR = 1970, 2100
MAX_DAY = 9999
# Generous limits that keep one entry from writing megabytes of pages (characters, items).
MAX_CHARS = {"task": 300, "tags": 40, "gaps": 2000, "learnings": 2000, "metric": 200,
             "title": 300, "url": 2000}
MAX_ITEMS = {"tags": 20, "gaps": 100, "learnings": 100, "resources": 50}
# Markdown links, autolinks and reference definitions inside entry text, checked like resource URLs.
MD_LINK = re.compile(r"\]\(\s*<?((?:[^()\s>]|\([^()\s]*\))+)|<([a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]*)>"
                     r"|^\s*\[[^\]]+\]:\s*<?([^\s>]+)", re.MULTILINE)
# Characters no entry needs and that change what a terminal or a reader sees: C0 and C1
# controls (tab and newline are fine) and the bidirectional overrides and marks.
HIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]")
# YAML notices an unclosed quote or bracket, or a key without its colon, lines later; the line
# where that token began is the one to fix.
OPENED_AT = ("while scanning a simple key", "while scanning a quoted", "while parsing a flow")

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
    """Safe YAML that leaves dates as strings, so an impossible date gets our own message."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


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
        """What about this entry changes a run; text edits are not in it, so they re-run nothing.

        `metric` is in: the child draws the day's sparkline from the metric it names.
        """
        return {"solution": self.solution, "timeout": self.timeout, "requires": self.requires,
                "metric": self.metric}


def day_slug(day: int) -> str:
    """The one place a day's name is spelled: file names, result folders and URLs use it."""
    return f"day-{day:02d}"


# --- loading -------------------------------------------------------------------------------


@dataclass
class _Doc:
    """A parsed entry file: its data and the line each key (as written) and list item sits on."""

    path: str
    data: dict[str, Any] | None = None
    key_lines: dict[str, int] = field(default_factory=dict)
    item_lines: dict[str, list[int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line(self, key: str, index: int | None = None) -> int:
        if index is not None and index < len(self.item_lines.get(key, [])):
            return self.item_lines[key][index]
        return self.key_lines.get(key, 1)

    def report(self, key: str | None, message: str, index: int | None = None) -> None:
        self.problems.append(Problem(self.path, self.line(key, index) if key else 1, message))


class _Unreadable(Exception):
    """A problem that stops one file from being read; the other files are still checked."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def load_entries(root: Path, catalog: Catalog) -> list[Entry]:
    """Load and validate every entry under `root/entries`, or raise one InputError for all."""
    entries_dir = root / "entries"
    if not entries_dir.is_dir():
        raise InputError.one("entries/", 1, "no entries folder here; run `python build.py new "
                             "\"<task>\"` to start one, or pass --root to the journal")
    problems: list[Problem] = []
    entries: dict[int, Entry] = {}
    for path in sorted(p for p in entries_dir.iterdir() if _looks_like_entry(p)):
        doc = _parse(path, f"entries/{path.name}")
        entry = _validate(root, doc, catalog) if doc.data is not None else None
        if entry is not None and entry.day in entries:
            doc.report("day", f"'day' must be unique, got {entry.day}, which "
                       f"{entries[entry.day].source} already has; renumber one of the two")
        elif entry is not None:
            entries[entry.day] = entry
        problems.extend(sorted(doc.problems, key=lambda p: p.line))
    if problems:
        raise InputError(problems)
    return sorted(entries.values(), key=lambda e: e.day)


def problems_in(root: Path, rel: str, text: str, catalog: Catalog) -> list[Problem]:
    """What the build would say about an entry with this text at `rel`: `new` checks with it."""
    try:
        node, data = _read_yaml(text)
    except _Unreadable as bad:
        return [Problem(rel, bad.line, bad.message)]
    doc = _located(rel, node, data)
    _validate(root, doc, catalog)
    return sorted(doc.problems, key=lambda p: p.line)


def _looks_like_entry(path: Path) -> bool:
    # Editors leave backups (day-03.yaml~) and swap files (.day-03.yaml.swp) beside entries.
    if path.name.startswith(".") or path.name.endswith("~"):
        return False
    return path.suffix in (".yml", ".yaml") or path.name.startswith("day")


def _parse(path: Path, rel: str) -> _Doc:
    try:
        _check_name(path)
        node, data = _read_yaml(_read_text(path))
    except _Unreadable as bad:
        return _Doc(rel, problems=[Problem(rel, bad.line, bad.message)])
    return _located(rel, node, data)


def _check_name(path: Path) -> None:
    if not ENTRY_NAME.match(path.name):
        number = re.search(r"\d+", path.name)
        name = f"{day_slug(int(number.group()))}.yaml" if number else "day-09.yaml"
        raise _Unreadable(1, f"entry files are named day-NN.yaml, got {path.name}; rename it "
                          f"to {name}")


def _read_text(path: Path) -> str:
    if path.exists() and not path.is_file() and not path.is_dir():
        # A FIFO would block the build forever, a device would never end.
        raise _Unreadable(1, "an entry must be a regular file, got a pipe, socket or device; "
                          "remove it and write the entry as a file")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_ENTRY_BYTES + 1)  # no more, however large the file is
    except IsADirectoryError:
        raise _Unreadable(1, "an entry must be a file, got a folder; move what is in it "
                          "elsewhere and remove it") from None
    except OSError as err:
        raise _Unreadable(1, f"cannot read the file, got {err.strerror}; check that it exists "
                          "and that you may read it") from None
    if len(raw) > MAX_ENTRY_BYTES:
        raise _Unreadable(1, f"an entry may be at most 1 MiB, got {path.stat().st_size:,} bytes;"
                          " keep long notes and data beside the solution")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line_start = raw.rfind(b"\n", 0, err.start) + 1
        raise _Unreadable(raw.count(b"\n", 0, err.start) + 1, f"entries must be UTF-8 text, got "
                          f"byte {raw[err.start]:#04x} at column {err.start - line_start + 1}; "
                          "save the file as UTF-8") from None
    return text


def _read_yaml(text: str) -> tuple[yaml.MappingNode, dict]:
    _refuse_aliases(text)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = _construct(loader, node, text) if node is not None else None
    except yaml.MarkedYAMLError as err:
        raise _yaml_problem(text, err) from None
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, err.position) + 1
        column = err.position - text.rfind("\n", 0, err.position)
        raise _Unreadable(line, f"YAML does not allow control characters, got "
                          f"{chr(err.character)!r} at column {column}; delete it") from None
    finally:
        loader.dispose()
    if data is None:
        raise _Unreadable(1, "file is empty; it needs at least day, date, task and solution "
                          "(`python build.py new \"<task>\"` writes a filled-in one)")
    if not isinstance(data, dict):
        kind = "a list; remove the leading '- '" if isinstance(data, list) else shown(data)
        raise _Unreadable(1, f"an entry must be a mapping of fields (day: 9, date: ..., task: "
                          f"...), got {kind}")
    return node, data


def _refuse_aliases(text: str) -> None:
    """An alias repeats a value anywhere: a 50 KB gap a thousand times is 50 MB of pages."""
    if "*" not in text:
        return
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                raise _Unreadable(event.start_mark.line + 1, f"YAML aliases are not allowed in an "
                                  f"entry, got *{event.anchor}; write the text out where it is "
                                  "used")
    except yaml.YAMLError:
        return  # the full read below reports the syntax error, with its line


def _construct(loader, node: yaml.Node, text: str):
    """The document's values, or the line of the first one YAML cannot build (`!!int abc`)."""
    try:
        return loader.construct_document(node)
    except yaml.MarkedYAMLError:
        raise  # a tag YAML does not know, a node of the wrong kind: reported with its column
    except Exception as err:
        # PyYAML's constructors fail in their own ways on a value they cannot read: ValueError
        # (!!int abc), AttributeError (!!timestamp yesterday), KeyError (!!bool maybe),
        # IndexError (an empty !!float); each is the user's value, never a traceback.
        bad = _unbuildable(text)
        line = bad.start_mark.line + 1 if bad else node.start_mark.line + 1
        what = (f"{shown(bad.value)} as {bad.tag.replace('tag:yaml.org,2002:', '!!')}"
                if isinstance(bad, yaml.ScalarNode) else f"a value ({shown(str(err))})")
        raise _Unreadable(line, f"YAML cannot read {what}; remove the !!tag or write the value "
                          "as plain text") from None


def _unbuildable(text: str) -> yaml.Node | None:
    """The first top-level value YAML cannot build, to point at its line."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        for _, value in root.value if isinstance(root, yaml.MappingNode) else ():
            try:
                loader.construct_object(value, deep=True)
            except Exception:
                return value
    finally:
        loader.dispose()
    return None


def _yaml_problem(text: str, err: yaml.MarkedYAMLError) -> _Unreadable:
    opened = err.context_mark and (err.context or "").startswith(OPENED_AT)
    mark = (err.context_mark if opened else err.problem_mark) or err.context_mark
    line = mark.line + 1 if mark else 1
    what = ", ".join(part for part in (err.context, err.problem) if part)
    lines = text.split("\n")
    source = lines[line - 1].strip() if line <= len(lines) else ""
    column = f" at column {mark.column + 1}" if mark else ""
    return _Unreadable(line, f"invalid YAML{column}: {what}, got {shown(source)}; check the "
                       "indentation, close quotes and brackets, quote text that contains ': '")


def _located(rel: str, node: yaml.MappingNode, data: dict) -> _Doc:
    doc = _Doc(rel, data)
    for key_node, value_node in node.value:
        key = key_node.value
        line = key_node.start_mark.line + 1
        if key in doc.key_lines:
            doc.problems.append(Problem(rel, line, f"field {key!r} must appear once, got it "
                                        f"again (first on line {doc.key_lines[key]}); delete one"))
        doc.key_lines[key] = line  # the value read is the last one, so errors point there
        if isinstance(value_node, yaml.SequenceNode):
            doc.item_lines[key] = [item.start_mark.line + 1 for item in value_node.value]
    return doc


# --- validation ----------------------------------------------------------------------------


def _validate(root: Path, doc: _Doc, catalog: Catalog) -> Entry | None:
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
    if not doc.problems:
        _check_file_day(doc, values["day"])
    if doc.problems:
        return None
    if values.get("problem") and not values.get("difficulty"):
        values["difficulty"] = catalog.problems[values["problem"]].difficulty
    return Entry(source=doc.path, **values)


def _check_file_day(doc: _Doc, day: int) -> None:
    name = Path(doc.path).name
    if int(ENTRY_NAME.match(name).group(1)) != day:
        doc.report("day", f"'day' must match the file name {name}, got {day}; rename the file to "
                   f"{day_slug(day)}.yaml or fix the number")


def _check_hidden(doc: _Doc, key: str, value, index: int | None = None) -> None:
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


def _too_long(doc: _Doc, key: str, value: str, index: int | None = None,
              limit_key: str | None = None) -> bool:
    limit = MAX_CHARS[limit_key or key]
    if len(value) <= limit:
        return False
    where = f"{key!r} item {index + 1}" if index is not None else repr(key)
    doc.report(key, f"{where} may be at most {limit:,} characters, got {len(value):,}; keep "
               "longer notes in a file beside the solution and link to it", index)
    return True


def _too_many(doc: _Doc, key: str, items: list) -> bool:
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
        doc.report(key, f"'problem' must be a TorchLeet id, got {shown(value)}; {hint}")
    return value


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


def _tags(doc, key, value, root, catalog):
    tags = _text_list(doc, key, value, root, catalog)
    return tuple(t.lower() for t in tags)


def _check_links(doc: _Doc, key: str, text: str, index: int | None = None) -> None:
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
    "difficulty": (_choice(TIERS), None),
    "problem": (_problem, None),
    "tags": (_tags, None),
    "gaps": (_text_list, None),
    "learnings": (_text_list, None),
    "resources": (_resources, None),
    "solution": (_solution, "solutions/day09_cnn.py"),
    "timeout": (_seconds, None),
    "expect": (_choice(EXPECT), None),
    "requires": (_choice(REQUIRES), None),
    "metric": (_text, None),
    "review": (_date, None),
}
REQUIRED = {key: example for key, (_, example) in FIELDS.items() if example is not None}
