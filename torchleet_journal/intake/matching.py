"""Matching the learner's files to an imported table's days, and tasks to catalog problems.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from torchleet_journal.base.files import read_regular
from torchleet_journal.intake.table import (
    CLOSE,
    HEADING_DAY,
    MAX_TABLE_BYTES,
    NUMBERED,
    SKIP_DIRS,
    TIER_LETTERS,
    Day,
    Plan,
    similarity,
    words,
)
from torchleet_journal.model.catalog import Catalog
from torchleet_journal.model.entries import SOLUTION_SUFFIXES, day_slug
from torchleet_journal.model.notebook import cells_of

# --- matching words: tasks to catalog problems, files to tasks ----------------------------


@dataclass
class _Clues:
    """What a file says about its day: numbers in its name, and its words."""

    path: Path
    strong: set[int]  # "day 3", day03: the day itself
    weak: set[int]  # e1, ep2, 3: a day, or a tier's nth day
    titles: list[frozenset]  # the words of its name and of its first heading or docstring
    problem_day: int | None = None  # the day whose TorchLeet problem's notebook it is named as


def candidate_files(folder: Path, root: Path) -> list[Path]:
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
            plan.unmatched.append(f"{rel_in(path, folder)}: {why}; to use it, copy it into "
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
            others = ", ".join(rel_in(p, folder) for p in winners if p != path)
            why = (f"fits day {number}, but its row names {others}" if number in own else
                   f"fits day {number}, and so does {others}" if rank == best else
                   f"fits day {number}, but {others} fits it better")
            plan.unmatched.append(f"{rel_in(path, folder)}: {why}; name the one in "
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
        return None, f"its name says day {numbers_text(numbers)} and its title day {numbers_text(titled)}"
    found = numbers or titled
    if len(found) == 1:
        return next(iter(found)), (4 if clue.strong else 2) if numbers else 1
    if found:
        return None, f"it could be day {numbers_text(found)}"
    return None, "nothing in its name or title names a day of the table"


def _titled(titles: list[frozenset], task_words: dict, by_word: dict) -> set[int]:
    """The days whose task the file's name or heading says, the best and any close to it."""
    scores = {}
    for title in titles:
        for number in set().union(*(by_word[w] for w in title if w in by_word)) if title else ():
            scores[number] = max(scores.get(number, 0), similarity(title, task_words[number]))
    best = max(scores.values(), default=0)
    return {n for n, s in scores.items() if s >= 0.5 and s >= best - CLOSE}


def numbers_text(numbers: set[int]) -> str:
    ordered = sorted(numbers)
    return ", ".join(map(str, ordered[:-1])) + f" or {ordered[-1]}" if len(ordered) > 1 \
        else str(ordered[0])


def rel_in(path: Path, folder: Path) -> str:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return str(path)


