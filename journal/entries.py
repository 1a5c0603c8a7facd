"""Entries: each `entries/day-NN.yaml`, loaded and validated into an `Entry`.

Nothing downstream reads YAML again. Every problem in every file is collected and raised
together as one `InputError`, each naming the file, the line and what to do about it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from .catalog import TIERS, Catalog
from .errors import InputError, Problem, shown

ENTRY_NAME = re.compile(r"^day-(\d+)\.yaml$")
MAX_ENTRY_BYTES = 1 << 20
SOLUTION_SUFFIXES = (".py", ".ipynb")
REQUIRED = ("day", "date", "task", "solution")
EXPECT = ("pass", "fail")
REQUIRES = ("cuda",)
# Markdown links and autolinks inside entry text, checked like resource URLs.
MD_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)|<([a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]*)>")
URL_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")

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
        """What about this entry changes a run; text edits are not in it, so they re-run nothing."""
        return {"solution": self.solution, "timeout": self.timeout, "requires": self.requires}


def day_slug(day: int) -> str:
    """The one place a day's name is spelled: file names, result folders and URLs use it."""
    return f"day-{day:02d}"


# --- loading -------------------------------------------------------------------------------


@dataclass
class _Doc:
    """A parsed entry file: its data and the line each key and list item sits on."""

    path: str
    data: dict[str, Any]
    key_lines: dict[str, int]
    item_lines: dict[str, list[int]]
    problems: list[Problem] = field(default_factory=list)

    def line(self, key: str, index: int | None = None) -> int:
        if index is not None and index < len(self.item_lines.get(key, [])):
            return self.item_lines[key][index]
        return self.key_lines.get(key, 1)

    def report(self, key: str | None, message: str, index: int | None = None) -> None:
        line = self.line(key, index) if key else 1
        self.problems.append(Problem(self.path, line, message))


def load_entries(root: Path, catalog: Catalog) -> list[Entry]:
    """Load and validate every entry under `root/entries`, or raise one InputError for all."""
    entries_dir = root / "entries"
    if not entries_dir.is_dir():
        raise InputError.one("entries/", 1, "no entries folder here; run `python build.py new "
                             "\"<task>\"` to start one, or pass --root to the journal")
    problems: list[Problem] = []
    entries: list[Entry] = []
    for path in sorted(entries_dir.iterdir()):
        rel = f"entries/{path.name}"
        if path.suffix in (".yml", ".yaml") or path.name.startswith("day"):
            if not ENTRY_NAME.match(path.name):
                problems.append(Problem(rel, 1, "entry files are named day-NN.yaml (e.g. "
                                        "day-09.yaml); rename this file"))
                continue
            doc, trouble = _parse(root, path, rel)
            problems.extend(trouble)
            if doc is not None:
                entry = _validate(root, doc, catalog)
                problems.extend(doc.problems)
                if entry is not None:
                    entries.append(entry)
    problems.extend(_duplicate_days(entries))
    if problems:
        raise InputError(problems)
    return sorted(entries, key=lambda e: e.day)


def _parse(root: Path, path: Path, rel: str) -> tuple[_Doc | None, list[Problem]]:
    raw = path.read_bytes()
    if len(raw) > MAX_ENTRY_BYTES:
        return None, [Problem(rel, 1, f"file is {len(raw) / 2**20:.1f} MiB, over the 1 MiB "
                              "limit for an entry; keep long notes and data beside the solution")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        return None, [Problem(rel, line, f"not UTF-8 text (byte {raw[err.start]:#04x}); save the "
                              "file as UTF-8")]
    if not text.strip():
        return None, [Problem(rel, 1, "file is empty; it needs at least day, date, task and "
                              "solution (`python build.py new` writes a filled-in one)")]
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = f"{mark.line + 1}" if mark else "1"
        column = f" at column {mark.column + 1}" if mark else ""
        return None, [Problem(rel, int(where), f"invalid YAML: {err.problem}{column}; check the "
                              "indentation and quote text that contains ': ' or starts with a symbol")]
    except yaml.YAMLError as err:
        return None, [Problem(rel, 1, f"invalid YAML: {err}")]
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"{shown(data)}"
        return None, [Problem(rel, 1, f"an entry is a mapping of fields (day: 1, date: ..., task: "
                              f"...), got {kind}")]
    return _located(rel, node, data)


def _located(rel: str, node: yaml.MappingNode, data: dict) -> tuple[_Doc, list[Problem]]:
    key_lines: dict[str, int] = {}
    item_lines: dict[str, list[int]] = {}
    trouble = []
    for key_node, value_node in node.value:
        key = key_node.value
        line = key_node.start_mark.line + 1
        if key in key_lines:
            trouble.append(Problem(rel, line, f"field {key!r} appears twice (first on line "
                                   f"{key_lines[key]}); keep one"))
        key_lines[key] = line
        if isinstance(value_node, yaml.SequenceNode):
            item_lines[key] = [item.start_mark.line + 1 for item in value_node.value]
    return _Doc(rel, data, key_lines, item_lines), trouble


# --- validation ----------------------------------------------------------------------------


def _validate(root: Path, doc: _Doc, catalog: Catalog) -> Entry | None:
    data = doc.data
    for key in data:
        if not isinstance(key, str) or key not in FIELDS:
            guess = difflib.get_close_matches(str(key), FIELDS, n=1)
            hint = f"did you mean {guess[0]!r}?" if guess else f"known fields: {', '.join(FIELDS)}"
            doc.report(str(key), f"unknown field {shown(key)}; {hint}")
    for key in REQUIRED:
        if key not in data or data[key] in (None, ""):
            doc.report(key if key in data else None, f"missing required field {key!r}; add "
                       f"`{key}: {EXAMPLES[key]}`")
    values = {}
    for key, check in FIELDS.items():
        if key in data and data[key] is not None:
            values[key] = check(doc, key, data[key], root, catalog)
    if doc.problems:
        return None
    _check_file_day(doc, values["day"])
    if values.get("problem") and not values.get("difficulty"):
        values["difficulty"] = catalog.problems[values["problem"]].difficulty
    if doc.problems:
        return None
    return Entry(source=doc.path, **values)


def _check_file_day(doc: _Doc, day: int) -> None:
    number = int(ENTRY_NAME.match(Path(doc.path).name).group(1))
    if number != day:
        doc.report("day", f"'day' is {day} but the file is named {Path(doc.path).name}; rename "
                   f"the file to {day_slug(day)}.yaml or fix the number")


def _duplicate_days(entries: list[Entry]) -> list[Problem]:
    seen: dict[int, Entry] = {}
    problems = []
    for entry in entries:
        if entry.day in seen:
            problems.append(Problem(entry.source, 1, f"day {entry.day} is also {seen[entry.day].source}; "
                                    "give each day its own number"))
        seen.setdefault(entry.day, entry)
    return problems


def _int_day(doc, key, value, root, catalog):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        doc.report(key, f"'day' must be a positive whole number, got {shown(value)}")
    return value


def _date(doc, key, value, root, catalog):
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        doc.report(key, f"{key!r} must be a real date written YYYY-MM-DD, got {shown(value)}")


def _text(doc, key, value, root, catalog):
    if not isinstance(value, str) or not value.strip():
        doc.report(key, f"{key!r} must be text, got {shown(value)}")
        return value
    _check_links(doc, key, value)
    return value.strip()


def _text_list(doc, key, value, root, catalog):
    if not isinstance(value, list):
        doc.report(key, f"{key!r} must be a list of strings (one '- item' per line), got {shown(value)}")
        return ()
    for i, item in enumerate(value):
        if not isinstance(item, str):
            doc.report(key, f"{key!r} item {i + 1} must be a string, got {shown(item)}; quote it", i)
        else:
            _check_links(doc, key, item, i)
    return tuple(item.strip() for item in value if isinstance(item, str))


def _resources(doc, key, value, root, catalog):
    if not isinstance(value, list):
        doc.report(key, f"'resources' must be a list of {{title, url}}, got {shown(value)}")
        return ()
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) != {"title", "url"} or not all(
                isinstance(v, str) and v.strip() for v in item.values()):
            doc.report(key, f"'resources' item {i + 1} must be {{title: text, url: link}}, got "
                       f"{shown(item)}", i)
            continue
        if not _safe_url(item["url"]):
            doc.report(key, f"'resources' item {i + 1} url must be http(s):// or a relative link, "
                       f"got {shown(item['url'])}", i)
        out.append(Resource(item["title"].strip(), item["url"].strip()))
    return tuple(out)


def _solution(doc, key, value, root, catalog):
    if not isinstance(value, str):
        doc.report(key, f"'solution' must be a path like solutions/day01_name.py, got {shown(value)}")
        return value
    solutions = (root / "solutions").resolve()
    path = (root / value).resolve()
    if not path.is_relative_to(solutions):
        doc.report(key, f"'solution' must point inside solutions/, got {shown(value)}; move the "
                   "file there and write solutions/<file>")
    elif path.suffix not in SOLUTION_SUFFIXES:
        doc.report(key, f"'solution' must be a .py script or .ipynb notebook, got {shown(value)}")
    elif not path.is_file():
        doc.report(key, f"'solution' file {value} does not exist; create it or fix the path")
    return path.relative_to(root.resolve()).as_posix() if path.is_relative_to(solutions) else value


def _problem(doc, key, value, root, catalog):
    if not isinstance(value, str) or value not in catalog.problems:
        close = catalog.closest(str(value))
        hint = f"did you mean {', '.join(close)}?" if close else "see journal/catalog.yaml for ids"
        doc.report(key, f"'problem' {shown(value)} is not a TorchLeet id; {hint}")
    return value


def _choice(options: tuple[str, ...]) -> Callable:
    def check(doc, key, value, root, catalog):
        if value not in options:
            doc.report(key, f"{key!r} must be one of {', '.join(options)}, got {shown(value)}")
        return value
    return check


def _seconds(doc, key, value, root, catalog):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        doc.report(key, f"'timeout' must be a positive number of seconds, got {shown(value)}")
    return value


def _tags(doc, key, value, root, catalog):
    tags = _text_list(doc, key, value, root, catalog)
    return tuple(t.lower() for t in tags)


def _safe_url(url: str) -> bool:
    scheme = URL_SCHEME.match(url.strip())
    if url.strip().startswith("//"):
        return False
    return scheme is None or scheme.group(1).lower() in ("http", "https")


def _check_links(doc: _Doc, key: str, text: str, index: int | None = None) -> None:
    for match in MD_LINK.finditer(text):
        url = match.group(1) or match.group(2)
        if not _safe_url(url):
            doc.report(key, f"{key!r} links to {shown(url)}; links must be http(s):// or relative",
                       index)


FIELDS: dict[str, Callable] = {
    "day": _int_day,
    "date": _date,
    "task": _text,
    "difficulty": _choice(TIERS),
    "problem": _problem,
    "tags": _tags,
    "gaps": _text_list,
    "learnings": _text_list,
    "resources": _resources,
    "solution": _solution,
    "timeout": _seconds,
    "expect": _choice(EXPECT),
    "requires": _choice(REQUIRES),
    "metric": _text,
    "review": _date,
}
EXAMPLES = {"day": "9", "date": "2025-02-04", "task": "Implement a CNN",
            "solution": "solutions/day09_cnn.py"}
