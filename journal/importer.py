"""Bringing an existing log: `build.py import TABLE.md` turns a hand-kept progress table into
entries, with the learner's notebooks and scripts matched to their days.

Four stages, each a function: read the table into rows (`read_table`), turn each row into a
day (`_days`), match the files beside it to days (`match_files`), date the days (`_date_days`);
then the plan is checked by the build's own validator in a staging folder and moved into place
all at once, or not at all. Nothing in the source folder is moved or changed.
"""

from __future__ import annotations

import bisect
import datetime as dt
import os
import re
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .apis import imported_modules, string_literals
from .catalog import TIERS, Catalog, load_catalog
from .dates import parse_date
from .day_log import read_day_log
from .entries import MAX_DAY, SOLUTION_SUFFIXES, day_slug, mistakes_in
from .errors import InputError, Mistake, shown
from .files import read_regular
from .foreign_git import NO_DRIVERS, git_read
from .markup import is_table_rule
from .notebook import cells_of
from .scaffold import FILLER, entry_text, skeleton, solution_name

MAX_TABLE_BYTES = 32 << 20
MAX_MISTAKES = 20  # a broken 10,000-row table says what is wrong, not the same thing 10,000 times
# Header names, markup and case aside, and the field each one fills.
COLUMNS = {
    "day": ("day", "days", "day no", "day number", "day #", "#", "no", "d", "n"),
    "task": ("task", "tasks", "problem", "title", "topic", "exercise", "what i did", "project",
             "question", "description", "what"),
    "gaps": ("gaps", "gap", "what was hard", "hard", "hard parts", "struggles", "struggled with",
             "challenges", "difficulties", "stuck", "stuck on", "blockers", "confusions"),
    "learnings": ("key learnings", "learnings", "learning", "til", "today i learned",
                  "what i learned", "what i learnt", "takeaways", "key takeaways", "lessons",
                  "lessons learned", "notes", "insights"),
    "resources": ("resources", "resource", "resource suggestions", "links", "link",
                  "references", "reference", "refs", "sources", "reading", "further reading"),
    "date": ("date", "when"),
    "difficulty": ("difficulty", "level", "tier"),
    "solution": ("solution", "notebook", "code", "file", "implementation"),
}
HEADER = {name: key for key, names in COLUMNS.items() for name in names}
PIPE = re.compile(r"(?<!\\)\|")
BREAK = re.compile(r"<br\s*/?>", re.I)
BULLET = re.compile(r"^\s*[-•*]\s+")
INNER_BULLET = re.compile(r"(?<!\s)\s+[-•]\s+")  # from a run of spaces' start: linear
LINK = re.compile(r"\[([^\[\]]*)\]\(\s*<?([^()\s>]+(?:\([^()\s]*\)[^()\s>]*)*)>?\s*\)")
BARE_URL = re.compile(r"<?(https?://[^\s<>|]+)>?")
# What may end a sentence around a bare URL rather than the URL itself; a closing bracket is
# the URL's own when it closes one the URL opened (wiki/Transformer_(deep_learning_architecture)).
TRAILING = ".,;:!?)]"
# A link to a notebook or script on GitHub: the learner's own, when the folder has that file.
BLOB = re.compile(r"https?://github\.com/[^/\s]+/[^/\s]+/blob/[^/\s]+/([^\s)#?]+\.(?:ipynb|py))")
TIER_SUFFIX = re.compile(r"\s*\((" + "|".join(TIERS) + r")\)\s*$", re.I)
TIER_WORD = re.compile(r"\b(" + "|".join(TIERS) + r")\b", re.I)
PROBLEM_ID = re.compile(r"\bv\d+-\d+\b")
DAY_CELL = re.compile(r"^(?:day\s*)?#?\s*(\d+)\.?$", re.I)
# A comma followed by one of these continues a sentence: it does not start a new item.
CONTINUES = re.compile(r"^(?:and|or|but|which|so|then|as|because|while|whereas|not|e\.g|i\.e|"
                       r"etc)\b", re.I)
# Words that name no particular day or problem: left out when tasks, titles and files are compared.
VAGUE = FILLER | {"pytorch", "torch", "model", "scratch", "day", "notebook", "solution", "my",
                  "is", "by", "at", "how", "what", "ipynb", "py", "problem", "question",
                  "exercise", "task", "soln", "practice", "copy", "final", "untitled"}
# A number in a file's name: after "day" it is the day; after a tier's letter (e1, ep2, m1:
# the first easy, second easy, first medium), the day or that tier's nth day; bare, the day.
NUMBERED = re.compile(r"^(day|d|e|ep|b|bp|m|mp|h|hp|x|ex|lesson|part|task|q|p|no)?[-_ ]?(\d{1,4})$")
TIER_LETTERS = {"b": ("basic",), "bp": ("basic",), "e": ("easy", "basic"), "ep": ("easy", "basic"),
                "m": ("medium",), "mp": ("medium",), "h": ("hard",), "hp": ("hard",),
                "x": ("expert",)}  # TorchLeet's "Easy" of 2025 is its "Basic" of today
CLOSE = 0.15  # a file whose title fits two tasks within this much could be either day
# A word, or a number that leads one (2d, 3x3conv). A run of digits is tried from its start
# only: tried from each of its digits, 200 KB of them took minutes.
WORD = re.compile(r"[a-z]+[0-9]*[a-z]*|(?<![0-9])[0-9]+[a-z]+[a-z0-9]*")
HEADING_DAY = re.compile(r"\bday\s*[-_#]?\s*(\d{1,4})\b", re.I)
# What a learner's folder holds that is no solution and no data: never copied.
SKIP_DIRS = {"runs", ".git", ".ipynb_checkpoints", "__pycache__", ".venv", "venv", "env",
             "node_modules", "site-packages", "lightning_logs", "wandb", "mlruns", ".journal"}
SKIP_NAMES = {".DS_Store", "Thumbs.db"}
# A folder the code names is copied whole up to this: data, not a downloaded dataset.
MAX_FOLDER_FILES, MAX_FOLDER_BYTES = 500, 16 << 20
CHECKPOINTS = {".pth", ".pt", ".ckpt", ".safetensors", ".onnx", ".pkl"}


@dataclass
class Day:
    """One row of the table, as the entry it becomes."""

    day: int
    line: int
    task: str
    difficulty: str | None = None
    problem: str | None = None
    gaps: list[str] = field(default_factory=list)
    learnings: list[str] = field(default_factory=list)
    resources: list[dict] = field(default_factory=list)
    date: dt.date | None = None
    dated_by: str = ""
    source: Path | None = None  # the learner's file matched to it
    named: str | None = None  # the file its own row names (a solution column, a local link)
    linked: list[str] = field(default_factory=list)  # files its GitHub links name
    solution: str = ""  # where its solution goes, from the journal's root
    data: dict[str, Path] = field(default_factory=dict)  # journal path -> the learner's file


@dataclass
class Plan:
    """What an import does: each day, the files matched to none, and notes to act on."""

    days: list[Day]
    unmatched: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: bool = False


def import_log(root: Path, table: Path, solutions: Path | None = None,
               start: dt.date | None = None, dry_run: bool = False,
               today: dt.date | None = None) -> Plan:
    """Import the progress table at `table` into the journal at `root`; with `dry_run`, only
    say what would be done. Raises InputError (nothing written) for any mistake."""
    display = str(table)
    catalog = load_catalog(root).following()
    text = _read(table, display)
    # A log of day headings (#100DaysOfCode) is read into rows with this table's column names.
    days_log = read_day_log(text, display, lambda label: HEADER.get(_header_name(label)),
                            _recorded_date, today)
    header, rows = (Header(*days_log[0]), days_log[1]) if days_log else read_table(text, display)
    days, skipped = _days(header, rows, display, catalog)
    folder = (solutions or table.parent).resolve()
    if not folder.is_dir():
        raise InputError.one(str(solutions), 1, "--solutions must be a folder, got none there; "
                             "check the path")
    plan = Plan(days)
    if skipped:
        plan.notes.append(f"rows with only a day number were left out: day {_list(set(skipped))}")
    match_files(days, _candidates(folder, root), folder, plan, catalog)
    _date_days(days, table, header, start, today or dt.date.today())
    _place(root, days, folder, plan)
    helpers = {_rel(path, folder) for day in days for path in day.data.values()}
    plan.unmatched = [u for u in plan.unmatched if u.split(": ", 1)[0] not in helpers]
    _check_and_write(root, days, display, catalog, dry_run)
    plan.written = not dry_run
    return plan


# --- reading the table ---------------------------------------------------------------------


@dataclass
class Header:
    line: int
    columns: dict[str, int]  # field -> cell index
    extra: dict[int, str]  # cell index -> the header of a column no field takes
    width: int


def _read(table: Path, display: str) -> str:
    try:
        raw = read_regular(table, MAX_TABLE_BYTES)
    except OSError as error:
        raise InputError.one(display, 1, f"cannot read the table: {error.strerror}; check the "
                             "path") from None
    if len(raw) > MAX_TABLE_BYTES:
        raise InputError.one(display, 1, "a table may be at most 32 MiB; split the file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise InputError.one(display, line, "the table must be UTF-8 text; save it as UTF-8") \
            from None


def cells(line: str) -> list[str]:
    """A table row's cells, split at pipes that are not escaped, as GitHub splits them."""
    text = line.strip()
    text = text[1:] if text.startswith("|") else text
    text = text[:-1] if text.endswith("|") and not text.endswith("\\|") else text
    return [cell.strip().replace("\\|", "|") for cell in PIPE.split(text)]


def _header_name(cell: str) -> str:
    if cell.strip(" *_`") == "#":
        return "#"
    name = re.sub(r"<[^<>]*>|[*_`~]", "", cell).lower()  # [^<>]: each < scans to the next only
    return " ".join(re.sub(r"[^a-z0-9#]+", " ", name).split())


def read_table(text: str, display: str) -> tuple[Header, list[tuple[int, list[str]]]]:
    """The first table whose header has a day and a task column, and its rows (line, cells):
    one whose day column is called Day before one called # or No."""
    lines = text.splitlines()
    fenced, first, fallback = False, None, None
    for i, line in enumerate(lines[:-1]):
        if re.match(r"^\s*(```|~~~)", line):
            fenced = not fenced
        if fenced or "|" not in line or not is_table_rule(lines[i + 1]):
            continue
        names = [_header_name(cell) for cell in cells(line)]
        if len(cells(lines[i + 1])) != len(names):
            continue
        columns, extra = {}, {}
        for index, (name, cell) in enumerate(zip(names, cells(line))):
            key = HEADER.get(name)
            if key and key not in columns:
                columns[key] = index
            elif name:
                extra[index] = re.sub(r"[*_`]", "", cell).strip()
        first = first or (i + 1, names)
        if "day" in columns and "task" in columns:
            found = Header(i + 1, columns, extra, len(names)), i + 2
            if "day" in names[columns["day"]]:
                return found[0], _rows(lines, found[1])
            fallback = fallback or found  # "#" or "No": a list of problems may look the same
    if fallback:
        return fallback[0], _rows(lines, fallback[1])
    if first is None:
        raise InputError.one(display, 1, "no Markdown table found; the progress table needs a "
                             "header row, a |---| row under it, and a row per day")
    line, names = first
    missing = "day" if not any(HEADER.get(n) == "day" for n in names) else "task"
    raise InputError.one(display, line, f"the table has no {missing} column (its columns: "
                         f"{', '.join(n or '(empty)' for n in names)}); name one column "
                         f"{missing.title()}")


def _rows(lines: list[str], start: int) -> list[tuple[int, list[str]]]:
    rows = []
    for number, line in enumerate(lines[start:], start + 1):
        if "|" not in line or not line.strip():
            break
        rows.append((number, cells(line)))
    return rows


# --- rows into days ------------------------------------------------------------------------


def _days(header: Header, rows, display: str, catalog: Catalog) -> tuple[list[Day], list[int]]:
    """Each row as a day, and the numbers of the rows with nothing but a number (skipped)."""
    mistakes, days, seen, skipped = [], [], {}, []
    problems = _ProblemIndex(catalog)
    for line, row in rows:
        if len(row) > header.width:
            mistakes.append(Mistake(display, line, f"row has {len(row)} cells, header has "
                                    f"{header.width}; write a | inside a cell as \\|"))
            continue
        row = row + [""] * (header.width - len(row))
        number = _day_number(row[header.columns["day"]], display, line, mistakes)
        if number is None:
            continue
        if number in seen:
            mistakes.append(Mistake(display, line, f"day {number} appears twice (first on line "
                                    f"{seen[number]}); renumber one of the two"))
            continue
        seen[number] = line
        if not any(c.strip() for i, c in enumerate(row) if i != header.columns["day"]):
            skipped.append(number)  # a day planned, not yet done: "| 42 | | | |"
            continue
        day = _day(number, line, row, header, problems)
        if not day.task:
            mistakes.append(Mistake(display, line, f"day {number} has no task; say what the day "
                                    "was about"))
        days.append(day)
    if not rows:
        mistakes.append(Mistake(display, header.line, "the table has a header but no rows"))
    if mistakes:
        raise InputError(_capped(mistakes))
    return days, skipped


def _capped(mistakes: list[Mistake]) -> list[Mistake]:
    if len(mistakes) <= MAX_MISTAKES:
        return mistakes
    rest = len(mistakes) - MAX_MISTAKES
    last = mistakes[MAX_MISTAKES]
    return mistakes[:MAX_MISTAKES] + [Mistake(last.path, last.line, f"and {rest:,} more "
                                              "problems from here on; fix these first")]


def _day_number(cell: str, display: str, line: int, mistakes: list) -> int | None:
    found = DAY_CELL.match(_plain(LINK.sub(lambda m: m.group(1), cell)))
    if not found:
        mistakes.append(Mistake(display, line, f"the day must be a number, got {shown(cell)}; "
                                "write it as 1, **1** or Day 1"))
        return None
    number = int(found.group(1))
    if not 1 <= number <= MAX_DAY:
        mistakes.append(Mistake(display, line, f"the day must be from 1 to {MAX_DAY}, got "
                                f"{number}"))
        return None
    return number


def _day(number: int, line: int, row: list[str], header: Header, problems) -> Day:
    cell = {key: row[index] for key, index in header.columns.items()}
    task, resources, named = _task(cell["task"])
    day = Day(number, line, task, named=named)
    tier = TIER_SUFFIX.search(task)
    if tier:
        day.task = task[: tier.start()].strip()
    said = TIER_WORD.search(cell.get("difficulty", ""))  # "🟢 Easy", "**Medium**"
    recorded = (tier or said).group(1).lower() if tier or said else None
    day.problem = problems.find(day.task, recorded, cell["task"])
    if not day.problem and recorded in TIERS:
        day.difficulty = recorded  # with a problem, the catalog's tier of today is the one
    day.gaps = items(cell.get("gaps", ""))
    day.learnings = items(cell.get("learnings", ""))
    links, rest, local = _links(cell.get("resources", ""))
    day.resources = resources + links
    solution = cell.get("solution", "")
    day.named = day.named or local or _links(solution)[2] or _file_named(solution) or \
        _links(cell["day"])[2]
    day.linked = [m.group(1) for m in BLOB.finditer(" ".join(row))]
    if rest:
        day.learnings.append(f"Resources: {rest}")
    for index, name in header.extra.items():
        day.learnings += [f"{name}: {item}" for item in items(row[index])]
    if header.columns.get("solution") is not None and not day.named:
        day.learnings += [f"Solution: {item}" for item in items(cell["solution"])]
    if "date" in cell and cell["date"].strip():
        day.date, day.dated_by = _recorded_date(cell["date"]), "the table"
    return day


def _plain(text: str) -> str:
    return re.sub(r"[*_`]", "", text).strip()


def _task(cell: str) -> tuple[str, list[dict], str | None]:
    """The task as text; a link in it becomes a resource, or names the solution when local."""
    resources, named = [], None
    for match in LINK.finditer(cell):
        title, url = match.group(1).strip(), match.group(2)
        if _is_local_file(url):
            named = url
        elif re.match(r"^(https?|mailto):", url, re.I):
            resources.append({"title": _plain(title) or url, "url": url})
    task = LINK.sub(lambda m: m.group(1), cell)
    task = BREAK.sub(" ", task)
    task = task.strip()
    if len(task) >= 4 and task[:2] in ("**", "__") and task.endswith(task[:2]):
        task = task[2:-2]  # the whole task in bold
    return " ".join(task.split()), resources, named


def _is_local_file(url: str) -> bool:
    return "://" not in url and Path(url.split("#")[0]).suffix in SOLUTION_SUFFIXES


def _file_named(cell: str) -> str | None:
    name = _plain(cell)
    return name if name and _is_local_file(name) and " " not in name else None


def _links(cell: str) -> tuple[list[dict], str, str | None]:
    """Links in a resources cell, each a title and a url; and what text is left around them."""
    found, local = [], None
    for match in LINK.finditer(cell):
        title, url = match.group(1).strip(), match.group(2)
        if _is_local_file(url):
            local = url
        else:
            found.append({"title": title or url, "url": url})
    text, rest, begin = LINK.sub(" ", cell), [], 0
    for match in BARE_URL.finditer(text):
        url = _bare_url(match)
        found.append({"title": url.split("://", 1)[1].rstrip("/"), "url": url})
        rest.append(text[begin:match.start()] + " ")
        begin = match.start(1) + len(url) if len(url) < len(match.group(1)) else match.end()
    rest = "".join(rest) + text[begin:]
    rest = " ".join(item for item in items(rest) if item.strip(" ,;-•"))
    return found, rest, local


def _bare_url(match: re.Match) -> str:
    """A bare URL as people write one in a sentence, as GitHub reads it: punctuation after it
    is the sentence's, and so is a closing bracket that closes none the URL opened."""
    url = match.group(1)
    if match.group().startswith("<") and match.group().endswith(">"):
        return url  # <https://...>: the brackets say where it ends
    opened = {")": url.count("("), "]": url.count("[")}
    closed = {")": url.count(")"), "]": url.count("]")}
    end = len(url)
    while end and url[end - 1] in TRAILING:
        mark = url[end - 1]
        if mark in closed and closed[mark] <= opened[mark]:
            break  # it closes a bracket of the URL's own
        if mark in closed:
            closed[mark] -= 1
        end -= 1
    return url[:end]


def items(cell: str) -> list[str]:
    """A cell's items: split at <br> and at "- " bullets where the learner wrote them, and
    otherwise at ", " outside `code` and $math$ (a comma that continues a sentence stays)."""
    pieces = [p.strip() for p in BREAK.split(cell)]
    listed = len(pieces) > 1 or any(BULLET.match(p) for p in pieces)
    out = []
    for piece in pieces:
        if BULLET.match(piece):
            out += _split_outside(BULLET.sub("", piece), INNER_BULLET)
        elif listed:
            out.append(piece)
        else:
            out += _split_outside(piece, re.compile(r",\s+"), joins=CONTINUES)
    return [" ".join(item.split()) for item in out if item.strip()]


def _split_outside(text: str, separator: re.Pattern, joins: re.Pattern | None = None) -> list[str]:
    spans = _protected(text)
    starts = [start for start, _ in spans]
    parts, begin = [], 0
    for match in separator.finditer(text):
        # The span opened last before it (spans do not overlap): 40,000 code spans and as many
        # commas were 1.6 billion comparisons.
        at = bisect.bisect_left(starts, match.start()) - 1
        if at >= 0 and match.start() < spans[at][1]:
            continue
        following = text[match.end():]
        if joins is not None and joins.match(following):
            continue
        parts.append(text[begin:match.start()])
        begin = match.end()
    parts.append(text[begin:])
    return [part.strip() for part in parts if part.strip()]


def _protected(text: str) -> list[tuple[int, int]]:
    """Where `code` spans and $math$ are: an opening mark follows a space or punctuation and
    its closing one precedes one, so a stray backtick (Dataset`) opens nothing."""
    spans, i = [], 0
    unclosed = set()  # (mark, run) with no closing run after some opening: none after a later one
    while i < len(text):
        mark = text[i]
        if mark not in "`$" or (i and text[i - 1].isalnum()) or (i and text[i - 1] == "\\"):
            i += 1
            continue
        run = 1
        while i + run < len(text) and text[i + run] == mark:
            run += 1  # counted in place: text[i:] would copy the rest of the cell each time
        token = mark * run
        end = -1 if (mark, run) in unclosed else text.find(token, i + run)
        while end != -1 and (end + run < len(text) and text[end + run].isalnum()):
            end = text.find(token, end + 1)
        if end == -1:
            unclosed.add((mark, run))  # without it, 70,000 ` a were each looked for to the end
            i += run
            continue
        spans.append((i, end + run))
        i = end + run
    return spans


def _recorded_date(cell: str) -> dt.date | None:
    text = _plain(cell)
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y",
                    "%b %d %Y", "%B %d %Y", "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


# --- matching words: tasks to catalog problems, files to tasks ----------------------------


def words(text: str) -> frozenset[str]:
    """The words that say what a task, title or file is about: lower case, no vague ones."""
    found = WORD.findall(text.lower())
    return frozenset(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                     for w in found if w not in VAGUE)


def _similar(a: frozenset, b: frozenset) -> float:
    """Dice's coefficient: 1 for the same words, 0 for none shared."""
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


class _ProblemIndex:
    """The catalog's problems by the words of their titles, to find the one a task names."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.titles = {p.id: words(p.title) for p in catalog.problems.values()}
        self.by_word = defaultdict(set)
        for pid, title in self.titles.items():
            for word in title:
                self.by_word[word].add(pid)

    def find(self, task: str, tier: str | None, cell: str = "") -> str | None:
        """The problem the task names: by its id (v1-8) anywhere in the cell, else by most of
        its title's words; None unless exactly one fits."""
        named = [pid for pid in PROBLEM_ID.findall(cell or task) if pid in self.catalog.problems]
        if len(set(named)) == 1:
            return named[0]
        said = words(task)
        scored = []
        for pid in set().union(*(self.by_word[w] for w in said)) if said else ():
            title = self.titles[pid]
            shared = len(said & title)
            covered, overlap = shared / len(title), shared / len(said | title)
            if covered >= 0.75 and overlap >= 0.34:
                scored.append(((covered, overlap), pid))
        if tier and len(scored) > 1:  # "(Medium)" tells two problems of the same name apart
            same = [s for s in scored if self.catalog.problems[s[1]].difficulty == tier]
            scored = same or scored
        scored.sort(reverse=True)
        if not scored or len(scored) > 1 and scored[1][0] == scored[0][0]:
            return None
        return scored[0][1]


@dataclass
class _Clues:
    """What a file says about its day: numbers in its name, and its words."""

    path: Path
    strong: set[int]  # "day 3", day03: the day itself
    weak: set[int]  # e1, ep2, 3: a day, or a tier's nth day
    titles: list[frozenset]  # the words of its name and of its first heading or docstring
    problem_day: int | None = None  # the day whose TorchLeet problem's notebook it is named as


def _candidates(folder: Path, root: Path) -> list[Path]:
    """Every notebook and script under `folder`, leaving out checkpoints, runs and the journal."""
    found = []
    journal = root.resolve()
    for base, dirs, files in os.walk(folder):
        here = Path(base)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        if here == journal:
            dirs[:] = []  # importing from inside the journal: its own files are not the log's
        for name in sorted(files):
            path = here / name
            if path.suffix in SOLUTION_SUFFIXES and path.is_file() and not path.is_symlink():
                found.append(path)
    return found


def _clues(path: Path, folder: Path, days_by_tier: dict[str, list[int]],
           tier_of: dict[int, str]) -> _Clues:
    strong, weak = set(), set()
    parts = [path.stem] + [p for p in path.relative_to(folder).parent.parts]
    for part in parts:
        strong |= {int(n) for n in HEADING_DAY.findall(re.sub(r"[_-]", " ", part))}
        for token in re.split(r"[^a-z0-9]+|(?<=[0-9])(?=[a-z])", part.lower()):
            found = NUMBERED.match(token)
            if not found:
                continue
            prefix, number = found.group(1) or "", int(found.group(2))
            if prefix in ("day", "d"):
                strong.add(number)
                continue
            tiers = TIER_LETTERS.get(prefix, ())
            if not tiers or tier_of.get(number) in tiers + (None,):
                weak.add(number)  # m1 is not day 1 when day 1 is a basic problem
            for tier in tiers:
                if 0 < number <= len(days_by_tier.get(tier, ())):
                    weak.add(days_by_tier[tier][number - 1])
        if strong or weak:
            break  # the file's own name says it; its folder's number is another day's
    heading = _heading(path)
    strong |= {int(n) for n in HEADING_DAY.findall(heading)}
    return _Clues(path, strong, weak, [words(re.sub(r"\d", " ", path.stem)), words(heading)])


def _heading(path: Path) -> str:
    """A notebook's first Markdown heading, or a script's docstring's first line."""
    try:
        text = read_regular(path, MAX_TABLE_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return ""
    if path.suffix == ".ipynb":
        try:
            markdown = [c["source"] for c in cells_of(text) if c["kind"] == "markdown"]
        except ValueError:
            return ""
        for source in markdown:
            for line in source.splitlines():
                if line.lstrip().startswith("#"):
                    return line.lstrip("# ").strip()
        return ""
    return _docstring_line(text)


def _docstring_line(text: str) -> str:
    """The first line of a script's leading docstring, past comments, read left to right (a
    regular expression with three runs of spaces around a lazy one hung on 3 KB of quotes)."""
    rest = text.lstrip()
    while rest.startswith("#"):
        rest = rest.partition("\n")[2].lstrip()
    if rest[:1] in ("r", "b", "u", "R", "B", "U") and rest[1:4] in ('"""', "'''"):
        rest = rest[1:]
    quote = rest[:3]
    if quote not in ('"""', "'''"):
        return ""
    body = rest[3:].lstrip()
    ends = [at for at in (body.find("\n"), body.find(quote)) if at != -1]
    return body[: min(ends)].rstrip() if ends else ""


def match_files(days: list[Day], files: list[Path], folder: Path, plan: Plan,
                catalog: Catalog) -> None:
    """Give each day the one file that is its own; a file that could be two days' is neither's,
    and a day two files claim gets none. What is left is listed in `plan`."""
    by_number = {d.day: d for d in days}
    by_tier, tier_of = defaultdict(list), {}
    by_word = defaultdict(set)
    task_words = {}
    for day in days:
        tier = day.difficulty or (catalog.problems[day.problem].difficulty if day.problem
                                  else None)
        if tier:
            by_tier[tier].append(day.day)
            tier_of[day.day] = tier
        task_words[day.day] = words(day.task)
        for word in task_words[day.day]:
            by_word[word].add(day.day)
    named = _named_files(days, folder, plan)
    by_question = _question_days(days, catalog)
    claims = defaultdict(list)
    for path in files:
        if path in named:
            continue
        clue = _clues(path, folder, by_tier, tier_of)
        stem = re.sub(r"[-_ ]?(soln|solution|sol)$", "", path.stem.lower())
        clue.problem_day = by_question.get(stem)
        chosen, why = _choose(clue, by_number, task_words, by_word)
        if chosen is None:
            plan.unmatched.append(f"{_rel(path, folder)}: {why}; to use it, copy it into "
                                  "solutions/ and name it in its entry's `solution:`")
        else:
            claims[chosen].append((why, path))
    own = {day.day: path for path, day in named.items()}
    for number, found in sorted(claims.items()):
        best = max(rank for rank, _ in found)
        winners = [own[number]] if number in own else [p for r, p in found if r == best]
        if len(winners) == 1 and number not in own:
            by_number[number].source = winners[0]
        for rank, path in found:
            if len(winners) == 1 and path == winners[0]:
                continue
            others = ", ".join(_rel(p, folder) for p in winners if p != path)
            why = (f"fits day {number}, but its row names {others}" if number in own else
                   f"fits day {number}, and so does {others}" if rank == best else
                   f"fits day {number}, but {others} fits it better")
            plan.unmatched.append(f"{_rel(path, folder)}: {why}; name the one in "
                                  f"entries/{day_slug(number)}.yaml's `solution:`")
    for path, day in named.items():
        day.source = path


def _question_days(days: list[Day], catalog: Catalog) -> dict[str, int]:
    """TorchLeet's notebook name of each day's problem (lin-regression) -> the day."""
    problems = catalog.problems
    found = defaultdict(list)
    for day in days:
        question = problems[day.problem].question if day.problem else None
        if question:
            found[Path(question).stem.lower()].append(day.day)
    return {stem: numbers[0] for stem, numbers in found.items() if len(numbers) == 1}


def _named_files(days: list[Day], folder: Path, plan: Plan) -> dict[Path, Day]:
    """Files a row names itself (a notebook link, a solution column): no guessing for them."""
    named = {}
    for day in days:
        if day.named:
            path = (folder / day.named.split("#")[0]).resolve()
            if path.is_file() and path.is_relative_to(folder):
                named[path] = day
                continue
            plan.notes.append(f"day {day.day} names {day.named}, which is not a file in "
                              f"{folder.name}/; it is matched like the other files")
        found = {p for rel in day.linked for p in (folder / rel, folder / Path(rel).name)
                 if p.is_file() and p.resolve().is_relative_to(folder)}
        if len(found) == 1:  # a link to the learner's own notebook on GitHub
            named[found.pop().resolve()] = day
    return named


def _choose(clue: _Clues, by_number: dict, task_words: dict, by_word: dict) -> tuple:
    """The day a file belongs to and how sure that is (a day number in its name beats a
    title, both together beat either), or None and why not."""
    numbers = {n for n in clue.strong or clue.weak if n in by_number}
    titled = _titled(clue.titles, task_words, by_word)
    if clue.problem_day is not None:
        titled = titled & {clue.problem_day} or titled | {clue.problem_day}
    if numbers and titled:
        both = numbers & titled
        if len(both) == 1:
            return both.pop(), 4 if clue.strong else 3
        return None, f"its name says day {_list(numbers)} and its title day {_list(titled)}"
    found = numbers or titled
    if len(found) == 1:
        return next(iter(found)), (4 if clue.strong else 2) if numbers else 1
    if found:
        return None, f"it could be day {_list(found)}"
    return None, "nothing in its name or title names a day of the table"


def _titled(titles: list[frozenset], task_words: dict, by_word: dict) -> set[int]:
    """The days whose task the file's name or heading says, the best and any close to it."""
    scores = {}
    for title in titles:
        for number in set().union(*(by_word[w] for w in title if w in by_word)) if title else ():
            scores[number] = max(scores.get(number, 0), _similar(title, task_words[number]))
    best = max(scores.values(), default=0)
    return {n for n, s in scores.items() if s >= 0.5 and s >= best - CLOSE}


def _list(numbers: set[int]) -> str:
    ordered = sorted(numbers)
    return ", ".join(map(str, ordered[:-1])) + f" or {ordered[-1]}" if len(ordered) > 1 \
        else str(ordered[0])


def _rel(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return str(path)


# --- dates ---------------------------------------------------------------------------------


def _date_days(days: list[Day], table: Path, header: Header, start: dt.date | None,
               today: dt.date) -> None:
    """The learner's date, else the first commit of the day's file, else of its row; else
    numbered from --start, else today's, marked to check."""
    undated = [d for d in days if d.date is None]
    if undated and git_read(table.parent, "rev-parse", "--show-toplevel") is not None:
        rows = _row_dates(table, header)
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


def _row_dates(table: Path, header: Header) -> dict[int, dt.date]:
    """The date each day's row was first committed, read from the table's history in one pass."""
    out = git_read(table.parent, "log", *NO_DRIVERS, "--follow", "--reverse", "--no-color",
                   "--unified=0", "--format=%x00%as", "-p", "--", table.name) or ""
    found, date, index = {}, None, header.columns["day"]
    for line in out.split("\n"):  # git's lines: a U+2028 in the table's text ends none
        if line.startswith("\x00"):
            date = parse_date(line[1:])
        elif date and line.startswith("+") and not line.startswith("+++") and "|" in line:
            row = cells(line[1:])
            day = DAY_CELL.match(_plain(row[index])) if index < len(row) else None
            if day:
                found.setdefault(int(day.group(1)), date)
    return found


# --- placing the files ---------------------------------------------------------------------


def _place(root: Path, days: list[Day], folder: Path, plan: Plan) -> None:
    """Name each day's solution as `new` would, and find the data files it reads."""
    notebooks = sum(1 for d in days if d.source and d.source.suffix == ".ipynb")
    scripts = sum(1 for d in days if d.source and d.source.suffix == ".py")
    default = ".ipynb" if notebooks > scripts else ".py"
    for day in days:
        suffix = day.source.suffix if day.source else default
        day.solution = solution_name(day.day, day.task, suffix)
        if day.source:
            day.data = _data_files(day.source, folder, plan)
        else:
            plan.notes.append(f"day {day.day}: no notebook or script of it was found; "
                              f"{day.solution} is a skeleton that runs until you put your "
                              f"solution there (or add solution: to entries/{day_slug(day.day)}"
                              ".yaml naming yours)")


def _data_files(source: Path, folder: Path, plan: Plan) -> dict[str, Path]:
    """The files beside a solution that its code names (`"ep2_data.csv"`, `"data/x.csv"`) and
    the modules beside it that it imports, where they go under solutions/: the same place
    relative to it, so it finds them there as it did in the learner's folder."""
    try:
        text = read_regular(source, MAX_TABLE_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return {}
    notebook = source.suffix == ".ipynb"
    found = {}
    for literal in string_literals(text, notebook):
        if "://" in literal or literal.startswith(("/", "~")) or "\x00" in literal:
            continue
        rel = os.path.normpath(literal)
        path = source.parent / rel
        if rel.startswith("..") and path.is_file():
            plan.notes.append(f"{source.name} reads {literal}, outside its folder: copy it into "
                              "solutions/ and change the path in the code")
        if rel.startswith("..") or rel == ".":
            continue
        if path.is_dir() and not path.is_symlink():
            if "/" in literal.strip("/") or literal.startswith("./"):  # label="data" is no path
                found.update(_data_folder(source, rel, folder, plan))
        elif _is_data(path, folder):
            found["solutions/" + Path(rel).as_posix()] = path
    for name in sorted(imported_modules(text, notebook)):
        path = source.parent / f"{name}.py"
        if name.isidentifier() and _file_inside(path, folder) and path != source:
            found[f"solutions/{name}.py"] = path
    return found


def _data_folder(source: Path, rel: str, folder: Path, plan: Plan) -> dict[str, Path]:
    """The files of a folder the code names (`ImageFolder("data/train")`), if it is small;
    a large one (a dataset torchvision downloaded) is left for the build to fetch again."""
    files = {}
    for base, dirs, names in os.walk(source.parent / rel):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        for name in names:
            path = Path(base, name)
            if _is_data(path, folder):
                files["solutions/" + path.relative_to(source.parent).as_posix()] = path
        if len(files) > MAX_FOLDER_FILES:
            break
    size = sum(path.stat().st_size for path in files.values())
    if len(files) > MAX_FOLDER_FILES or size > MAX_FOLDER_BYTES:
        what = (f"over {MAX_FOLDER_FILES} files" if len(files) > MAX_FOLDER_FILES else
                f"{size / (1 << 20):.0f} MiB")
        plan.notes.append(f"{source.name} reads the folder {rel}, too large to copy ({what}; "
                          f"the most copied is {MAX_FOLDER_BYTES >> 20} MiB in "
                          f"{MAX_FOLDER_FILES} files): copy what it needs into solutions/ "
                          "yourself, or let the run download it")
        return {}
    return files


def _file_inside(path: Path, folder: Path) -> bool:
    """Whether the import may copy `path`: a regular file, no link, inside the source folder
    (the copy lands in solutions/, which is committed: nothing from elsewhere may ride in)."""
    try:
        return path.is_file() and not path.is_symlink() and path.resolve().is_relative_to(folder)
    except (OSError, ValueError):
        return False


def _is_data(path: Path, folder: Path) -> bool:
    if not _file_inside(path, folder):
        return False
    parts = set(path.relative_to(folder).parts)
    return not (parts & SKIP_DIRS or path.name in SKIP_NAMES or path.suffix in CHECKPOINTS
                or path.suffix in SOLUTION_SUFFIXES or path.name.startswith("events.out."))


# --- checking and writing, all or nothing --------------------------------------------------


def _check_and_write(root: Path, days: list[Day], display: str, catalog: Catalog,
                     dry_run: bool) -> None:
    files = _files(days, display)
    files = {rel: content for rel, content in files.items()  # data already there, same bytes
             if not (isinstance(content, Path) and rel in _data_rels(days)
                     and _same(root / rel, content))}
    _refuse_existing(root, files)
    parent = None if dry_run else root / ".journal"
    if parent is not None:
        parent.mkdir(exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix="import-", dir=parent))
    try:
        for rel, content in files.items():
            target = stage / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                shutil.copyfile(content, target)
            else:
                target.write_text(content, encoding="utf-8")
        mistakes = []
        for day in days:  # the build's own check, each entry with its solution in place
            rel = f"entries/{day_slug(day.day)}.yaml"
            for mistake in mistakes_in(stage, rel, files[rel], catalog):
                mistakes.append(Mistake(display, day.line, f"day {day.day}: {mistake.message}"))
        if mistakes:
            raise InputError(_capped(mistakes))
        if not dry_run:
            _refuse_existing(root, files)  # nothing appeared meanwhile
            _move_all(stage, root, list(files))
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _data_rels(days: list[Day]) -> set[str]:
    return {rel for day in days for rel in day.data}


def _files(days: list[Day], display: str) -> dict[str, str | Path]:
    """Every file the import writes, journal path -> its text or the learner's file to copy."""
    files = {}
    for day in days:
        for rel, path in day.data.items():
            if rel in files and files[rel] != path and not _same(files[rel], path):
                raise InputError.one(display, day.line, f"day {day.day} reads {rel[10:]} beside "
                                     f"it, and another day reads a different file of that name "
                                     f"({files[rel]}); rename one and the code that reads it")
            files[rel] = path
        files[day.solution] = day.source or skeleton(day.day, day.task,
                                                     day.solution.endswith(".ipynb"))
        header = {"day": day.day, "date": day.date, "task": day.task}
        header.update({k: v for k, v in (("difficulty", day.difficulty),
                                          ("problem", day.problem)) if v})
        text = entry_text(header, day.solution, {"gaps": day.gaps, "learnings": day.learnings,
                                                 "resources": day.resources})
        if day.dated_by.startswith("today"):
            text = text.replace(f"\ndate: {day.date}\n", f"\ndate: {day.date}  # today's date: "
                                "the import found no history for this day; check it\n", 1)
        files[f"entries/{day_slug(day.day)}.yaml"] = text
    return files


def _refuse_existing(root: Path, files: dict[str, str | Path]) -> None:
    """Never over a file that is there, entry, solution or data: exit 2 naming each one."""
    taken = [rel for rel in files if (root / rel).exists() or (root / rel).is_symlink()]
    mistakes = [Mistake(rel, 1, "already exists, and `build.py import` never overwrites a file; "
                        "remove or rename it, or import into another journal (nothing was "
                        "written)") for rel in sorted(taken, key=lambda r: (r[0] != "e", r))]
    if mistakes:
        raise InputError(_capped(mistakes))


def _same(a: Path, b: Path) -> bool:
    try:
        return a.is_file() and a.stat().st_size == b.stat().st_size and \
            a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def _move_all(stage: Path, root: Path, rels: list[str]) -> None:
    """Move every staged file into the journal, or, if one fails, take back those moved."""
    moved = []
    order = sorted(rels, key=lambda rel: rel.startswith("entries/"))  # entries last
    try:
        for rel in order:
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(stage / rel, target)  # fails, never overwrites, if the name is taken
            moved.append(target)
    except BaseException:
        for target in moved:
            target.unlink(missing_ok=True)
        raise
