"""A review card's back, made from the journal: what the learner already wrote and read.

In this order, each part only when it exists: the lines of the day's solution that use the
names the gap names (with line numbers and a few lines around them), the PyTorch docs of the
APIs those lines call, the day's resources and learnings that share the gap's words (all the
learnings if none does), and the day's first figure. `backs` makes it; the terminal (`as_text`
here), the site and the Anki deck (`torchleet_journal.review.card_html`) only format it.

A gap names code in backticks (`unsqueeze`), as API-like words (nn.Sequential, next(iter(,
state_dict) or in plain words ("surface plot" finds `plot_surface`, "train/test split" finds
`random_split`): each identifier of the solution is split into its parts (snake_case and
CamelCase) and matched, stemmed, against the gap's words; `gap_words.txt` adds the few words a
gap spells otherwise (threshold: delta). A word the solution uses on many lines weighs little.
The solution is read, never run: a script or notebook that cannot be read or parsed gives a
back without code.
"""

from __future__ import annotations

import functools
import io
import keyword
import math
import re
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from torchleet_journal.base.source_cache import read_each
from torchleet_journal.model import apis, source
from torchleet_journal.model.entries import Entry, Resource
from torchleet_journal.model.notebook import CELL_FILE, cells_of
from torchleet_journal.model.results import day_dir

WORDS_FILE = Path(__file__).with_name("gap_words.txt")
CONTEXT = 2  # lines shown before and after a line that uses the gap's names
MOST_HITS = 3  # lines that use them, at most, best first
MOST_DOCS = 6
LONGEST_LINE = 160  # characters of a code line shown; the rest is cut with "…"
# Words that say nothing about code, and the boilerplate of resource URLs.
STOPWORDS = frozenset("""
a an and are as at be between by can do does e eg etc for from g get how i in into is it its
me my of on or out so that the their them then there these this to use used using vs way what
when where which while why with without about after before both each just more most not only
other same should some such than too very via will would your difference different ensure
achieve perform performing show showing make making work working concept concepts setup
http https www com org html htm docs doc stable generated blob main master pytorch
""".split())
_SPAN = re.compile(r"`([^`\n]*)`")
_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
# Code-like text outside backticks: dotted names, snake_case, CamelCase, or a call's `name(`.
_API_LIKE = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\(?")
_IDENTIFIER = re.compile(r"(?<!\w)[A-Za-z_]\w*")  # `1D` holds none
_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


# --- what a back holds ---------------------------------------------------------------------


@dataclass(frozen=True)
class Excerpt:
    """Consecutive lines of a solution: `where` names the file (and a notebook's cell)."""

    where: str
    first: int  # the number of the first line shown, in the file or the cell
    lines: tuple[str, ...]
    hits: tuple[int, ...]  # numbers of the lines that use the gap's names

    @property
    def numbers(self) -> range:
        return range(self.first, self.first + len(self.lines))


@dataclass(frozen=True)
class Back:
    """A card's answer, as data: each front end formats it and escapes it for itself."""

    code: tuple[Excerpt, ...]
    docs: tuple[Resource, ...]
    resources: tuple[Resource, ...]
    learnings: tuple[str, ...]
    figure: str | None  # the figure's path from the journal's root (results/day-NN/x.png)
    page: str  # the day's page under docs/ (days/day-05.md)


# --- the gap's words -----------------------------------------------------------------------


@dataclass(frozen=True)
class Terms:
    """What a gap names: identifiers as written, and stemmed words (its plain words, the parts
    of its identifiers and what gap_words.txt says they stand for)."""

    names: frozenset[str]
    words: frozenset[str]


def terms_of(gap: str) -> Terms:
    """The names and words of a gap: backticked spans and code-like words give names (a
    keyword is none: `if` is on too many lines to point at one)."""
    outside = _SPAN.sub(" ", gap)
    names = {n for span in _SPAN.findall(gap) for n in _IDENTIFIER.findall(span)}
    names |= {n for m in _API_LIKE.finditer(outside) if _api_like(m.group())
              for n in _IDENTIFIER.findall(m.group()) if len(n) > 1}  # not e.g.'s e and g
    names = {n for n in names if not keyword.iskeyword(n)}
    plain = [w for w in _WORD.findall(outside.casefold()) if w not in STOPWORDS and len(w) > 1]
    words = {stem(w) for w in plain} | {part for name in names for part in parts_of(name)}
    words |= {alias for word in list(words) for alias in synonyms().get(word, ())}
    return Terms(frozenset(names), frozenset(words))


def _api_like(text: str) -> bool:
    return "." in text or "_" in text or text.endswith("(") or any(c.isupper() for c in text[1:])


@functools.lru_cache(maxsize=65536)  # every card of a day reads the same identifiers
def parts_of(name: str) -> frozenset[str]:
    """An identifier's words, stemmed: `plot_surface` -> {plot, surfac}, `MSELoss` -> {mse, loss}."""
    return frozenset(stem(part) for part in _PARTS.findall(name) if len(part) > 1 or name == part)


def stem(word: str) -> str:
    """A word without its inflection, the same for `saving` and `save`, `states` and `state`."""
    word = word.casefold()
    if word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[:-len(suffix)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # plotting -> plot
            break
    if word.endswith("e") and len(word) >= 4:
        word = word[:-1]
    return word


@functools.cache
def synonyms(path: Path = WORDS_FILE) -> dict[str, frozenset[str]]:
    """gap_words.txt: a stemmed word -> the stemmed identifier parts it stands for."""
    table: dict[str, frozenset[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, colon, parts = line.partition(":")
        if colon and not line.startswith("#"):
            table[stem(word.strip())] = frozenset(stem(p) for p in parts.split())
    return table


# --- a solution's lines --------------------------------------------------------------------


def code_lines(text: str, notebook: bool) -> list[list]:
    """Each line of a solution that has names, as [cell number (0 for a script), line number,
    identifiers, torch APIs it uses, methods it calls]. A script or cell that does not parse
    has none. JSON-shaped: it is cached by the solution's hash."""
    found = []
    for cell, code in _pieces(text, notebook):
        if source.parse(code) is None:
            continue
        used = apis.apis_by_line(code, apis.known_names())
        methods = _methods_by_line(code)
        for number, names in _names_by_line(code).items():
            found.append([cell, number, sorted(names), sorted(used.get(number, ())),
                          sorted(methods.get(number, ()))])
    return found


def _pieces(text: str, notebook: bool) -> list[tuple[int, str]]:
    """(cell number, Python code) to read: a script whole as cell 0, or each code cell with its
    IPython lines made Python (line numbers kept)."""
    if not notebook:
        return [(0, text)]
    from torchleet_journal.model.ipython import translate

    try:
        cells = cells_of(text)
    except ValueError:
        return []
    return [(cell["number"], translate(cell["source"]).code) for cell in cells
            if cell["kind"] == "code"]


def _cell_text(text: str, notebook: bool, cell: int) -> list[str]:
    """The lines shown for a cell (as the learner wrote them) or for a whole script."""
    if not notebook:
        return text.splitlines()
    try:
        cells = cells_of(text)
    except ValueError:
        return []
    return next((c["source"].splitlines() for c in cells if c["number"] == cell), [])


def _names_by_line(code: str) -> dict[int, set[str]]:
    names: dict[int, set[str]] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type == tokenize.NAME and not keyword.iskeyword(token.string):
                names.setdefault(token.start[0], set()).add(token.string)
    except (tokenize.TokenError, SyntaxError):
        pass  # what was read so far stands: the code parsed, only its end is odd
    return names


def _methods_by_line(code: str) -> dict[int, set[str]]:
    """`x.unsqueeze(1)` -> {line: {"unsqueeze"}}: calls of a method on something not named."""
    import ast

    tree = source.parse(code)
    methods: dict[int, set[str]] = {}
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            methods.setdefault(node.func.end_lineno or node.lineno, set()).add(node.func.attr)
    return methods


def _lines_shape(lines) -> bool:
    return isinstance(lines, list) and all(
        isinstance(line, list) and len(line) == 5 and all(isinstance(n, int) for n in line[:2])
        and all(isinstance(part, list) and all(isinstance(s, str) for s in part)
                for part in line[2:]) for line in lines)


# --- matching ------------------------------------------------------------------------------


def _line_parts(lines: list[list]) -> list[frozenset[str]]:
    """Each line's identifiers' parts (`parts_of`), read once for all the cards of a day."""
    return [frozenset().union(*(parts_of(n) for n in line[2])) for line in lines]


def _hits(lines: list[list], parts: list[frozenset[str]], terms: Terms) -> list[list]:
    """The lines that use the gap's names, best first: a name as written weighs three times a
    word, and a name or word the solution uses on many lines weighs little (as in tf-idf)."""
    if not lines:
        return []
    names_df: dict[str, int] = {}
    words_df: dict[str, int] = {}
    for line, words in zip(lines, parts):
        for name in terms.names.intersection(line[2]):
            names_df[name] = names_df.get(name, 0) + 1
        for word in terms.words & words:
            words_df[word] = words_df.get(word, 0) + 1
    total = len(lines)

    def weight(df: int) -> float:
        return math.log((total + 1) / (df + 0.5))

    scored = []
    for line, words in zip(lines, parts):
        score = sum(3 * weight(names_df[n]) for n in terms.names.intersection(line[2]))
        score += sum(weight(words_df[w]) for w in terms.words & words)
        if score >= 1:
            scored.append((-score, line[0], line[1], line))
    scored.sort(key=lambda s: s[:3])
    # A line far weaker than the best (`from torch import nn` beside `nn.Sequential(...)`)
    # says little the best one does not.
    return [line for score, *_, line in scored[:MOST_HITS] if score <= scored[0][0] / 2]


def _excerpts(solution: str, text: str, notebook: bool, hits: list[list]) -> list[Excerpt]:
    """The hit lines with CONTEXT lines around them, merged where they touch, in file order."""
    by_cell: dict[int, list[int]] = {}
    for cell, number, *_ in hits:
        by_cell.setdefault(cell, []).append(number)
    excerpts = []
    for cell in sorted(by_cell):
        shown = _cell_text(text, notebook, cell)
        where = CELL_FILE.format(solution=solution, number=cell) if notebook else solution
        spans: list[tuple[int, int, list[int]]] = []
        for number in sorted(by_cell[cell]):
            start, end = max(1, number - CONTEXT), min(len(shown), number + CONTEXT)
            if spans and start <= spans[-1][1] + 1:
                spans[-1] = (spans[-1][0], end, spans[-1][2] + [number])
            else:
                spans.append((start, end, [number]))
        for start, end, numbers in spans:
            lines = tuple(_cut(line) for line in shown[start - 1:end])
            excerpts.append(Excerpt(where, start, lines, tuple(numbers)))
    return excerpts


def _cut(line: str) -> str:
    line = line.rstrip()
    return line if len(line) <= LONGEST_LINE else line[:LONGEST_LINE - 1] + "…"


def _docs(hits: list[list], terms: Terms) -> list[Resource]:
    """The docs of what the hit lines call: the methods the gap names (`x.unsqueeze(1)` is
    torch.Tensor.unsqueeze, when torch has such a method) first, then the torch APIs."""
    known = apis.known_names()
    named = [f"torch.Tensor.{m}" for line in hits for m in line[4]
             if (m in terms.names or stem(m) in terms.words)
             and not any(api.endswith(f".{m}") for api in line[3])]  # torch.where is not a method
    used = [api for line in hits for api in line[3]]
    ordered = dict.fromkeys(n for n in [*named, *used] if n in known)
    return [Resource(name, apis.docs_url(name)) for name in list(ordered)[:MOST_DOCS]]


def _shares(text: str, terms: Terms) -> bool:
    words = {stem(w) for w in _WORD.findall(text.casefold()) if w not in STOPWORDS}
    return bool(words & terms.words)


# --- the back ------------------------------------------------------------------------------


def backs(root: Path, cards: Iterable, sources: dict[int, str] | None = None,
          figures: dict[int, str | None] | None = None) -> dict[str, Back]:
    """Each card's back, by card id. `sources` (day -> solution text) and `figures` (day -> the
    day's first figure's file name) spare reading again what the caller has read."""
    cards = list(cards)
    entries = {card.entry.day: card.entry for card in cards}
    texts = {day: _read(root, entry, sources) for day, entry in entries.items()}
    hits = _hits_of(root, cards, texts)
    if figures is None:
        figures = {day: first_figure(root, day) for day in entries}
    found = {}
    for card in cards:
        entry = card.entry
        terms = terms_of(card.gap)
        text = texts[entry.day]
        lines = hits.get(card.id, [])
        code = _excerpts(entry.solution, text, entry.is_notebook, lines) if text else []
        resources = [r for r in entry.resources
                     if _shares(f"{r.title} {r.url}", terms)]
        learnings = [t for t in entry.learnings if _shares(t, terms)] or list(entry.learnings)
        figure = figures.get(entry.day)
        if figure:
            figure = (day_dir(root, entry.day) / figure).relative_to(root).as_posix()
        found[card.id] = Back(tuple(code), tuple(_docs(lines, terms)), tuple(resources),
                              tuple(learnings), figure, f"days/{entry.slug}.md")
    return found


def _hits_of(root: Path, cards: list, texts: dict[int, str | None]) -> dict[str, list[list]]:
    """Each card's hit lines (`_hits`), kept in .journal/ by its gap and its solution's hash.

    A build that changed neither finds them there and does not even load the solutions' lines.
    """
    from torchleet_journal.base.files import sha256_bytes

    hashes = {day: sha256_bytes(text.encode("utf-8")) for day, text in texts.items() if text}
    wanted = {card.id: (f"{hashes[card.entry.day]}\n{card.gap}", card.entry.is_notebook)
              for card in cards if card.entry.day in hashes}
    day_of = {key: card.entry.day for card in cards if card.id in wanted
              for key in [wanted[card.id][0]]}

    @functools.cache
    def lines_and_parts() -> dict[int, tuple[list[list], list[frozenset[str]]]]:
        notebooks = {card.entry.day: card.entry.is_notebook for card in cards}
        readable = {day: (texts[day], notebooks[day]) for day in hashes}
        lines = read_each(root, "card-lines", _salt(), readable, code_lines, _lines_shape)
        return {day: (found, _line_parts(found)) for day, found in lines.items()}

    def find(key: str, _notebook: bool) -> list[list]:
        lines, parts = lines_and_parts()[day_of[key]]
        return _hits(lines, parts, terms_of(key.partition("\n")[2]))

    return read_each(root, "card-hits", _salt(), wanted, find, _lines_shape)


def _read(root: Path, entry: Entry, sources: dict[int, str] | None) -> str | None:
    if sources is not None and entry.day in sources:
        return sources[entry.day]
    try:
        return source.read(root / entry.solution)
    except OSError:
        return None  # gone or unreadable: the back has no code, the build says why elsewhere


def _salt() -> str:
    """What the cached lines depend on besides the source: the API list and this reader."""
    from torchleet_journal.base.files import sha256_bytes

    return sha256_bytes(apis.API_LIST.read_bytes())[:16] + "-1"


def first_figure(root: Path, day: int) -> str | None:
    """The day's first figure's file name, if its stored result has one that is a file."""
    from torchleet_journal.model.results import first_image, read_result

    result, _ = read_result(root, day)
    name = first_image(result)
    return name if name and (day_dir(root, day) / name).is_file() else None


# --- the terminal --------------------------------------------------------------------------


def as_text(back: Back) -> str:
    """The back as lines for the terminal (which removes escapes from it as from all it says)."""
    lines = []
    for excerpt in back.code:
        lines.append(f"  Your code, {excerpt.where}:")
        for number, line in zip(excerpt.numbers, excerpt.lines):
            mark = ">" if number in excerpt.hits else " "
            lines.append(f"  {mark}{number:>4}  {line}")
    lines += [f"  Docs: {link.title} <{link.url}>" for link in back.docs]
    lines += [f"  Read: {link.title} <{link.url}>" for link in back.resources]
    lines += [f"  Learnt: {text}" for text in back.learnings]
    if back.figure:
        lines.append(f"  Figure: {back.figure}")
    return "\n".join(lines)
