"""Problem sets: each set's problems (ids, titles, tiers, tracks) and the links to them.

A catalog file describes one set and links to its problems; it copies no problem text or
answers. The engine ships TorchLeet, numpy-100 and Tensor-Puzzles in `torchleet_journal/model/catalogs/`, and
a journal may add its own as `catalogs/*.yaml` in its root; both are read and checked alike.
`mkdocs.yml`'s `extra.problem_sets` says which sets the journal follows (TorchLeet by default).
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from torchleet_journal.base.errors import InputError, Mistake, shown
from torchleet_journal.base.files import read_regular
from torchleet_journal.model.entry_file import Unreadable, read_yaml
from torchleet_journal.model.siteconfig import CONFIG, read_config

SHIPPED = Path(__file__).with_name("catalogs")
OWN = "catalogs"  # a journal's own catalog files: catalogs/*.yaml under its root
DEFAULT_SET = "torchleet"
# TorchLeet's tiers: what the table import (torchleet_journal/intake/importer.py) recognises in a log's cells.
TIERS = ("basic", "easy", "medium", "hard", "expert")
PATHS = ("tiers", "listed")  # how `new` walks a set: tier by tier, or in the listed order
# A set's name is its page's file name (numpy-100.md), so it is a slug and no other page's.
SET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
RESERVED = {"index", "days", "apis", "gaps", "review", "tags", "times", "feed", "assets"}
PROBLEM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
# A path inside the set's repository, joined into its `link`: no space, no quote; a value
# with a scheme (anything: before the first / or #) is a link and must be https.
REPO_PATH = re.compile(r"^[A-Za-z0-9_.~%+/-][^\s\"'<>\\`]{0,499}$")
SCHEME = re.compile(r"^[^/#]*:")
MAX_TITLE = 300
MAX_PROBLEMS = 5000
MAX_BYTES = 4 << 20


@dataclass(frozen=True)
class ProblemSet:
    name: str
    title: str
    link: str  # an https URL with {path}: where a problem's `question` or `solution` path lives
    tiers: tuple[str, ...]
    tracks: tuple[str, ...] = ()
    path: str = "tiers"
    repo: str | None = None
    commit: str | None = None
    licence: str | None = None
    file: str = ""  # the catalog file, as errors name it

    @property
    def page(self) -> str:
        """Its progress page in docs/: TorchLeet keeps the torchleet.md it always had."""
        return f"{self.name}.md"


@dataclass(frozen=True)
class Problem:
    id: str
    title: str
    difficulty: str  # its tier, from the set's own ordered tiers
    question: str | None = None
    set: str = DEFAULT_SET
    tracks: tuple[str, ...] = ()
    order: int | None = None  # its place on the set's ordered track (TorchLeet's LLM path)
    solution: str | None = None  # the set's published reference solution
    link: str = "https://github.com/Exorust/TorchLeet/blob/main/{path}"

    @property
    def url(self) -> str | None:
        return _joined(self.link, self.question)

    @property
    def solution_url(self) -> str | None:
        return _joined(self.link, self.solution)


def _joined(link: str, path: str | None) -> str | None:
    if not path:
        return None
    return path if path.startswith("https://") else link.replace("{path}", path)


@dataclass(frozen=True)
class Catalog:
    problems: dict[str, Problem]
    sets: dict[str, ProblemSet] = field(default_factory=dict)
    followed: tuple[str, ...] = (DEFAULT_SET,)
    tracks: dict[str, str] = field(default_factory=dict)  # set -> the track the journal follows

    def suggest(self, problem_id: str) -> str:
        """What to tell someone who named an id the catalog lacks: the closest ids, if any."""
        close = difflib.get_close_matches(problem_id, self.problems, n=3, cutoff=0.5)
        return f"did you mean {', '.join(close)}?" if close else \
            "see the catalogs in torchleet_journal/model/catalogs/ for ids"

    def in_tier(self, tier: str, set_name: str | None = None) -> list[Problem]:
        return [p for p in self.problems.values()
                if p.difficulty == tier and (set_name is None or p.set == set_name)]

    def of_set(self, name: str) -> list[Problem]:
        return [p for p in self.problems.values() if p.set == name]

    @property
    def tiers(self) -> tuple[str, ...]:
        """Every tier an entry's `difficulty` may name: TorchLeet's, then each set's own."""
        names = list(TIERS)
        for problem_set in self.sets.values():
            names += [t for t in problem_set.tiers if t not in names]
        return tuple(names)

    def path(self, name: str) -> list[Problem]:
        """The set's problems in the order `new` takes them: the followed track's, else the
        set's own (tier by tier, or as listed)."""
        problems = self.of_set(name)
        track = self.tracks.get(name)
        if track:
            on_track = [p for p in problems if track in p.tracks]
            return sorted(on_track, key=lambda p: p.order if p.order is not None else 1 << 30)
        problem_set = self.sets.get(name)
        if problem_set and problem_set.path == "tiers":
            rank = {tier: i for i, tier in enumerate(problem_set.tiers)}
            return sorted(problems, key=lambda p: rank.get(p.difficulty, len(rank)))
        return problems

    def following(self) -> Catalog:
        """This catalog with only the problems of the sets the journal follows: what a log's
        task is matched against (a Tensor-Puzzles "sum" is no TorchLeet learner's day)."""
        problems = {pid: p for pid, p in self.problems.items() if p.set in self.followed}
        return replace(self, problems=problems)

    def next_problem(self, name: str, done: set[str]) -> Problem | None:
        """The first problem on the set's path that is not in `done`."""
        return next((p for p in self.path(name) if p.id not in done), None)


def load_catalog(root: Path | None = None) -> Catalog:
    """Every shipped set and, with a journal's `root`, its own sets and the ones it follows.

    Raises InputError (one located line per mistake) for a bad catalog file or an unknown set.
    """
    sets, problems = dict(_shipped()[0]), dict(_shipped()[1])
    if root is not None:
        for path in sorted((root / OWN).glob("*.yaml")):
            rel = f"{OWN}/{path.name}"
            problem_set, own = read_catalog(_read(path, rel), rel, sets, problems)
            sets[problem_set.name] = problem_set
            problems.update(own)
    followed, tracks = _followed(root, sets) if root is not None else ((DEFAULT_SET,), {})
    return Catalog(problems, sets, followed, tracks)


def _read(path: Path, rel: str) -> bytes:
    """A catalog file's bytes, bounded: a link to /dev/zero or a huge file is one line too."""
    try:
        raw = read_regular(path, MAX_BYTES)  # a FIFO named *.yaml is refused, never waited on
    except OSError as error:
        raise InputError.one(rel, 1, f"cannot read the catalog: {error.strerror}; check the "
                             "file") from None
    if len(raw) > MAX_BYTES:
        raise InputError.one(rel, 1, f"a catalog may be at most {MAX_BYTES >> 20} MiB; split it")
    return raw


@functools.lru_cache(maxsize=1)
def _shipped() -> tuple[dict[str, ProblemSet], dict[str, Problem]]:
    sets: dict[str, ProblemSet] = {}
    problems: dict[str, Problem] = {}
    for name in (DEFAULT_SET, "numpy-100", "tensor-puzzles"):
        path = SHIPPED / f"{name}.yaml"
        problem_set, own = read_catalog(path.read_bytes(), f"torchleet_journal/model/catalogs/{path.name}",
                                        sets, problems, trusted=True)
        sets[problem_set.name] = problem_set
        problems.update(own)
    return sets, problems


def set_names() -> tuple[str, ...]:
    """The sets the engine ships: the names `init --problem-set` takes."""
    return tuple(_shipped()[0])


def _followed(root: Path, sets: dict[str, ProblemSet]) -> tuple[tuple[str, ...], dict[str, str]]:
    """`extra.problem_sets` of mkdocs.yml: set names, each maybe with /TRACK (torchleet/llm-path)."""
    config = read_config(root)
    value, line = config.problem_sets, config.problem_sets_line
    if value is None:
        return (DEFAULT_SET,), {}
    items = (value,) if isinstance(value, str) else value
    if not isinstance(items, tuple) or not items or not all(isinstance(i, str) for i in items):
        raise InputError.one(CONFIG, line, f"extra.problem_sets must be a list of set names, got "
                             f"{shown(value)}; e.g. problem_sets: [torchleet]")
    followed, tracks = [], {}
    for item in items:
        name, _, track = item.strip().partition("/")
        if name not in sets:
            raise InputError.one(CONFIG, line, f"unknown problem set {shown(name)} in "
                                 f"extra.problem_sets; known sets: {', '.join(sets)}")
        if track and track not in sets[name].tracks:
            known = ", ".join(sets[name].tracks) or "none"
            raise InputError.one(CONFIG, line, f"{name} has no track {shown(track)}; its "
                                 f"tracks: {known}")
        followed.append(name)
        if track:
            tracks[name] = track
    return tuple(dict.fromkeys(followed)), tracks


# --- reading and checking a catalog file ----------------------------------------------------


def read_catalog(raw: bytes, rel: str, sets: dict[str, ProblemSet],
                 known: dict[str, Problem], trusted: bool = False) -> tuple[ProblemSet, dict[str, Problem]]:
    """One catalog file, checked against the sets already read; InputError lists its mistakes.

    `trusted`: the engine's own file, read by libyaml without keeping lines (half the time of
    every build's load); read again with them only to say where a mistake is.
    """
    if trusted:
        try:
            return _checked(rel, sets, known, None, yaml.load(raw, Loader=yaml.CSafeLoader))
        except (InputError, yaml.YAMLError):
            pass
    try:
        node, data = read_yaml(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError.one(rel, 1, "a catalog must be UTF-8 text; save it as UTF-8") from None
    except Unreadable as error:
        raise InputError.one(rel, error.line, error.message) from None
    return _checked(rel, sets, known, node, data)


def _checked(rel: str, sets: dict, known: dict, node,
             data) -> tuple[ProblemSet, dict[str, Problem]]:
    if not isinstance(data, dict) or not isinstance(data.get("set"), dict) or \
            not isinstance(data.get("problems"), list):
        raise InputError.one(rel, 1, "a catalog is a `set:` mapping and a `problems:` list; "
                             "see torchleet_journal/model/catalogs/tensor-puzzles.yaml for the shape")
    lines = _item_lines(node)
    mistakes: list[Mistake] = []
    problem_set = _set(data["set"], rel, lines.get("set", 1), sets, mistakes)
    if len(data["problems"]) > MAX_PROBLEMS:
        mistakes.append(Mistake(rel, lines.get("problems", 1), f"a catalog may list at most "
                                f"{MAX_PROBLEMS} problems; split it"))
    problems: dict[str, Problem] = {}
    firsts: dict[str, int] = {}
    for index, item in enumerate(data["problems"][:MAX_PROBLEMS]):
        line = lines.get(index, 1)
        problem = _problem(item, rel, line, problem_set, mistakes)
        if problem is None:
            continue
        if problem.id in firsts:
            mistakes.append(Mistake(rel, line, f"duplicate id {problem.id!r} (first on line "
                                    f"{firsts[problem.id]}); give each problem its own id"))
        elif problem.id in known:
            other = known[problem.id].set
            mistakes.append(Mistake(rel, line, f"{problem.id!r} is a problem id of the set "
                                    f"{other!r}; give this set's problems ids of their own"))
        firsts.setdefault(problem.id, line)
        problems.setdefault(problem.id, problem)
    if mistakes:
        raise InputError(mistakes[:20])
    return problem_set, problems


def _item_lines(node) -> dict:
    """The line of `set:`, `problems:` and each problem (by index) in the YAML text."""
    lines: dict = {}
    for key, value in getattr(node, "value", ()):
        lines[key.value] = key.start_mark.line + 1
        if key.value == "problems" and hasattr(value, "value") and isinstance(value.value, list):
            lines.update({i: item.start_mark.line + 1 for i, item in enumerate(value.value)})
    return lines


def _set(data: dict, rel: str, line: int, sets: dict, mistakes: list) -> ProblemSet:
    def text(key: str, required: bool = True) -> str | None:
        value = data.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TITLE:
            mistakes.append(Mistake(rel, line, f"set.{key} must be a line of text, got "
                                    f"{shown(value)}"))
            return None
        return value.strip()

    name = text("name") or ""
    if name and not SET_NAME.match(name) or name in RESERVED:
        mistakes.append(Mistake(rel, line, f"set.name must be lower-case letters, digits and "
                                f"dashes (it names the set's page), and not one of the site's "
                                f"own pages, got {shown(name)}; e.g. name: my-course"))
    elif name in sets:
        mistakes.append(Mistake(rel, line, f"a set named {name!r} already exists "
                                f"({sets[name].file}); give this one another name"))
    link = text("link") or ""
    if link and (not _https(link) or "{path}" not in link):
        mistakes.append(Mistake(rel, line, f"set.link must be an https:// URL with {{path}} "
                                f"where a problem's path goes, got {shown(link)}"))
    for key in ("repo",):
        value = text(key, required=False)
        if value and not _https(value):
            mistakes.append(Mistake(rel, line, f"set.{key} must be an https:// URL, got "
                                    f"{shown(value)}"))
    tiers = _names(data.get("tiers"), "tiers", rel, line, mistakes, required=True)
    tracks = _names(data.get("tracks"), "tracks", rel, line, mistakes, required=False)
    walk = data.get("path", "tiers")
    if walk not in PATHS:
        mistakes.append(Mistake(rel, line, f"set.path must be one of {', '.join(PATHS)}, got "
                                f"{shown(walk)}"))
    return ProblemSet(name, text("title") or name, link, tiers, tracks, walk,
                      text("repo", False), str(data.get("commit") or "") or None,
                      text("licence", False), rel)


def _names(value, key: str, rel: str, line: int, mistakes: list, required: bool) -> tuple:
    if value is None and not required:
        return ()
    if not isinstance(value, list) or not value or \
            not all(isinstance(v, str) and PROBLEM_ID.match(v) for v in value):
        mistakes.append(Mistake(rel, line, f"set.{key} must be a list of short names, got "
                                f"{shown(value)}; e.g. {key}: [easy, hard]"))
        return ()
    return tuple(value)


def _problem(item, rel: str, line: int, problem_set: ProblemSet, mistakes: list) -> Problem | None:
    if not isinstance(item, dict):
        mistakes.append(Mistake(rel, line, f"each problem is a mapping with id, title and "
                                f"tier, got {shown(item)}"))
        return None
    before = len(mistakes)
    pid, title, tier = item.get("id"), item.get("title"), item.get("tier")
    if not isinstance(pid, str) or not PROBLEM_ID.match(pid):
        mistakes.append(Mistake(rel, line, f"a problem's id must be letters, digits, '.', '_' "
                                f"or '-', got {shown(pid)}"))
    if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
        mistakes.append(Mistake(rel, line, f"a problem's title must be a line of text, got "
                                f"{shown(title)}"))
    if tier not in problem_set.tiers:
        mistakes.append(Mistake(rel, line, f"unknown tier {shown(tier)}; the set's tiers: "
                                f"{', '.join(problem_set.tiers)}"))
    tracks = item.get("tracks") or []
    unknown = [t for t in tracks if t not in problem_set.tracks] if isinstance(tracks, list) \
        else [tracks]
    if unknown:
        mistakes.append(Mistake(rel, line, f"unknown track {shown(unknown[0])}; the set's "
                                f"tracks: {', '.join(problem_set.tracks) or 'none'}"))
    order = item.get("order")
    if order is not None and (isinstance(order, bool) or not isinstance(order, int) or order < 1):
        mistakes.append(Mistake(rel, line, f"order must be a whole number from 1, got "
                                f"{shown(order)}"))
    links = {key: item.get(key) for key in ("question", "solution")}
    for key, value in links.items():
        if value is not None and not (isinstance(value, str) and (
                _https(value) if SCHEME.match(value) else REPO_PATH.match(value))):
            mistakes.append(Mistake(rel, line, f"{key} must be an https:// link or a path in "
                                    f"the set's repository, got {shown(value)}"))
    if len(mistakes) > before:
        return None
    return Problem(pid, " ".join(title.split()), tier, links["question"], problem_set.name,
                   tuple(tracks), order, links["solution"], problem_set.link)


def _https(url: str) -> bool:
    return bool(re.match(r"^https://[^\s/\"'<>\\]+(/[^\s\"'<>\\]*)?$", url))
