"""Reading an imported progress table: its header and rows, each row into a Day.

The shapes of a log (`Day`, `Plan`) and the patterns that read its cells live here.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from torchleet_journal.base.errors import InputError, Mistake, shown
from torchleet_journal.base.files import read_regular
from torchleet_journal.intake.scaffold import FILLER
from torchleet_journal.model.catalog import TIERS, Catalog
from torchleet_journal.model.entries import MAX_DAY, SOLUTION_SUFFIXES
from torchleet_journal.model.markup import is_table_rule

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


# --- reading the table ---------------------------------------------------------------------


@dataclass
class Header:
    line: int
    columns: dict[str, int]  # field -> cell index
    extra: dict[int, str]  # cell index -> the header of a column no field takes
    width: int


def read_table_file(table: Path, display: str) -> str:
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


def header_name(cell: str) -> str:
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
        names = [header_name(cell) for cell in cells(line)]
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


def rows_to_days(header: Header, rows, display: str, catalog: Catalog) -> tuple[list[Day], list[int]]:
    """Each row as a day, and the numbers of the rows with nothing but a number (skipped)."""
    mistakes, days, seen, skipped = [], [], {}, []
    problems = ProblemIndex(catalog)
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
        raise InputError(capped(mistakes))
    return days, skipped


def capped(mistakes: list[Mistake]) -> list[Mistake]:
    if len(mistakes) <= MAX_MISTAKES:
        return mistakes
    rest = len(mistakes) - MAX_MISTAKES
    last = mistakes[MAX_MISTAKES]
    return mistakes[:MAX_MISTAKES] + [Mistake(last.path, last.line, f"and {rest:,} more "
                                              "problems from here on; fix these first")]


def _day_number(cell: str, display: str, line: int, mistakes: list) -> int | None:
    found = DAY_CELL.match(plain_text(LINK.sub(lambda m: m.group(1), cell)))
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
        day.date, day.dated_by = recorded_date(cell["date"]), "the table"
    return day


def plain_text(text: str) -> str:
    return re.sub(r"[*_`]", "", text).strip()


def _task(cell: str) -> tuple[str, list[dict], str | None]:
    """The task as text; a link in it becomes a resource, or names the solution when local."""
    resources, named = [], None
    for match in LINK.finditer(cell):
        title, url = match.group(1).strip(), match.group(2)
        if _is_local_file(url):
            named = url
        elif re.match(r"^(https?|mailto):", url, re.I):
            resources.append({"title": plain_text(title) or url, "url": url})
    task = LINK.sub(lambda m: m.group(1), cell)
    task = BREAK.sub(" ", task)
    task = task.strip()
    if len(task) >= 4 and task[:2] in ("**", "__") and task.endswith(task[:2]):
        task = task[2:-2]  # the whole task in bold
    return " ".join(task.split()), resources, named


def _is_local_file(url: str) -> bool:
    return "://" not in url and Path(url.split("#")[0]).suffix in SOLUTION_SUFFIXES


def _file_named(cell: str) -> str | None:
    name = plain_text(cell)
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


def recorded_date(cell: str) -> dt.date | None:
    text = plain_text(cell)
    for pattern in ("%Y-%m-%d", "%Y/%m/%d", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y",
                    "%b %d %Y", "%B %d %Y", "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


# --- the words of a task: to find the catalog problem it names -----------------------------


def words(text: str) -> frozenset[str]:
    """The words that say what a task, title or file is about: lower case, no vague ones."""
    found = WORD.findall(text.lower())
    return frozenset(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                     for w in found if w not in VAGUE)


def similarity(a: frozenset, b: frozenset) -> float:
    """Dice's coefficient: 1 for the same words, 0 for none shared."""
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


class ProblemIndex:
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
