"""Reviewing gaps: every gap of every entry is a card, scheduled by FSRS from the review log.

A card is named by its day and its gap's words (`card_id`), so reordering a day's gaps or
editing other items keeps it; a gap that is deleted retires its card, whose answers stay in the
log. The log (`reviews/log.tsv`) is the only state: one line per answer (card, UTC time,
grade), appended and never rewritten, so two clones' logs merge as text (`merge=union` in
.gitattributes). The schedule is recomputed from it every time, by replaying each card's
answers through the `fsrs` package's scheduler. Nothing here imports torch or matplotlib, and
`fsrs` only once there is an answer: a journal with no reviews pays nothing for them.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from torchleet_journal.base.dates import BOUNDS, out_of_bounds, parse_time
from torchleet_journal.base.errors import InputError, Mistake, shown
from torchleet_journal.base.files import read_regular, refuse_linked_folders
from torchleet_journal.model.entries import Entry
from torchleet_journal.review import card_back

if TYPE_CHECKING:
    import fsrs

LOG = "reviews/log.tsv"
GRADES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
# A card whose next review is three weeks or more away is known: Anki's "mature".
KNOWN_DAYS = 21
MAX_LOG_BYTES = 64 << 20  # a line an answer: years of daily reviews take a few MiB
STATES = ("new", "learning", "due", "known")
UTC = dt.timezone.utc
_WORDS = re.compile(r"\w+")
_CARD = re.compile(r"d\d{2,}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_CONFLICT = re.compile(r"^(<{7}|={7}|>{7}|\|{7})( |$)")


@functools.cache
def scheduler() -> fsrs.Scheduler:
    """FSRS as the journal uses it, imported only once there is an answer to replay.

    Gaps are reviewed a day at a time (the journal and its pages go by days), so no minute-long
    learning steps: every answer schedules the next review whole days ahead. No fuzz either:
    the schedule must come out the same from the same log on every machine.
    """
    import fsrs

    return fsrs.Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


# --- cards ---------------------------------------------------------------------------------


def normalised(gap: str) -> str:
    """A gap's words: case, spacing, punctuation and Markdown marks do not change its card.
    A gap of no words (`???`, `!!!`, an emoji) is its marks, spacing aside: each its own card."""
    text = unicodedata.normalize("NFKC", gap).casefold()
    return " ".join(_WORDS.findall(text)) or " ".join(text.split())


def card_id(day: int, gap: str) -> str:
    """A card's name in the log and Anki: its day, then a hash of the day and the gap's words."""
    digest = hashlib.sha256(f"{day}\n{normalised(gap)}".encode()).hexdigest()[:12]
    return f"d{day:02d}-{digest}"


@dataclass(frozen=True)
class Card:
    """One gap of one entry, to be remembered."""

    id: str
    entry: Entry
    gap: str


def cards_of(entries: Iterable[Entry]) -> list[Card]:
    """Every entry's gaps as cards, by day then position; a gap written twice is one card."""
    cards: dict[str, Card] = {}
    for entry in sorted(entries, key=lambda e: e.day):
        for gap in entry.gaps:
            name = card_id(entry.day, gap)
            cards.setdefault(name, Card(name, entry, gap))
    return list(cards.values())


# --- the log -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One grade given to one card at one time (UTC): a line of the log."""

    card: str
    time: dt.datetime
    grade: int

    def line(self) -> str:
        when = self.time.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat()
        return f"{self.card}\t{when}Z\t{self.grade}\n"


def read_log(root: Path) -> tuple[list[Answer], list[Mistake]]:
    """Every answer in the log, oldest first, and the lines that are not one (skipped).

    A line git merged twice counts once; a conflict marker or a damaged line is reported with
    its place and skipped, so one bad line never hides the rest of the history.
    """
    path = _log_path(root)
    try:
        raw = read_regular(path, MAX_LOG_BYTES)
    except FileNotFoundError:
        return [], []
    except OSError as error:
        raise InputError.one(LOG, 1, f"cannot be read: {error.strerror}; it must be a text file "
                             "of reviews, so remove it (git rm) and review again") from None
    if len(raw) > MAX_LOG_BYTES:
        raise InputError.one(LOG, 1, f"is over {MAX_LOG_BYTES >> 20} MiB, more than any review "
                             "history; keep its review lines only")
    text = raw.decode("utf-8", errors="replace")
    answers: dict[Answer, None] = {}
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        answer = _parse(line)
        if isinstance(answer, Answer):
            answers.setdefault(answer)
        else:
            problems.append(Mistake(LOG, number, f"{answer}, got {shown(line)}; skipped"))
    return sorted(answers, key=lambda a: a.time), problems


def _parse(line: str) -> Answer | str:
    """The answer a log line records, or what is wrong with it."""
    if _CONFLICT.match(line):
        return ("a merge conflict marker: keep both sides' lines and delete the markers "
                f"(`{LOG} merge=union` in .gitattributes makes git do that)")
    parts = line.rstrip("\r").split("\t")
    if len(parts) != 3 or not _CARD.fullmatch(parts[0]):
        return "not a review (card, time and grade, separated by tabs)"
    time = parse_time(parts[1]) if _TIME.fullmatch(parts[1]) else None
    if time is None and _TIME.fullmatch(parts[1]) and out_of_bounds(parts[1]):
        return f"the time must be in a year {BOUNDS}"  # 9999-12-30: no schedule fits after it
    if time is None:
        return "the time must be UTC as YYYY-MM-DDTHH:MM:SSZ"
    if parts[2] not in ("1", "2", "3", "4"):
        return "the grade must be 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy)"
    return Answer(parts[0], time, int(parts[2]))


def append(root: Path, answer: Answer) -> None:
    """Add one answer to the log and make it durable before the next card is shown."""
    path = _log_path(root)
    path.parent.mkdir(exist_ok=True)
    # One write in append mode: two sessions at once interleave whole lines, never halves.
    with open(path, "a", encoding="utf-8") as handle:
        if handle.tell() and not _ends_a_line(path):
            handle.write("\n")  # a line cut short (a crash, a hand edit) stays alone, reported
        handle.write(answer.line())
        handle.flush()
        os.fsync(handle.fileno())


def _log_path(root: Path) -> Path:
    """The log, whose folder and file must be the journal's own: a committed link
    (`reviews -> ~`, `log.tsv -> ~/.bashrc`) would have answers appended out of the journal."""
    why = "review appends every answer to it, so remove the link (git rm) and review again"
    refuse_linked_folders(root, [str(Path(LOG).parent)], "a folder", why)
    refuse_linked_folders(root, [LOG], "a file", why)
    return root / LOG


def _ends_a_line(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


# --- the schedule --------------------------------------------------------------------------


@dataclass
class Scheduled:
    """A card and where the log leaves it: FSRS's card as its `to_dict()` (None before the
    first answer), the card's answers, and when it is due."""

    card: Card
    memory: dict | None
    answers: list[Answer]
    due: dt.datetime

    def state(self, now: dt.datetime) -> str:
        """new (never answered), due, learning (due within three weeks) or known."""
        if not self.answers:
            return "new"
        if self.due <= now:
            return "due"
        return "known" if self.due - self.answers[-1].time >= dt.timedelta(KNOWN_DAYS) \
            else "learning"


@dataclass
class Deck:
    """Every current card scheduled, and what the log holds beside: retired cards' answers."""

    cards: list[Scheduled]
    answers: list[Answer]
    problems: list[Mistake] = field(default_factory=list)

    def due(self, now: dt.datetime) -> list[Scheduled]:
        """The cards due at `now`, the longest overdue first, then by day and position."""
        return [s for s in self.cards if s.due <= now]

    @property
    def retired(self) -> set[str]:
        """Cards the log has answers for whose gap is no longer in any entry."""
        return {a.card for a in self.answers} - {s.card.id for s in self.cards}


def replay(answers: list[Answer]) -> dict:
    """FSRS's card after these answers, oldest first, as its `to_dict()`: the schedule is
    nothing but this."""
    import fsrs

    memory = fsrs.Card(card_id=0, due=answers[0].time)
    for answer in answers:
        memory, _ = scheduler().review_card(memory, fsrs.Rating(answer.grade), answer.time)
    return memory.to_dict()


def schedule(cards: list[Card], answers: list[Answer],
             root: Path | None = None) -> list[Scheduled]:
    """Each card with its answers replayed; in the order to review them.

    A new card is due from its day. A day's `review:` date brings its cards forward to that
    date, unless they were answered on or after it. With `root`, a history replayed before is
    read from the journal's cache instead of replayed again.
    """
    by_card: dict[str, list[Answer]] = {}
    for answer in answers:
        by_card.setdefault(answer.card, []).append(answer)
    histories = {card.id: by_card[card.id] for card in cards if card.id in by_card}
    if root is not None and histories:
        memories = _replayed(root, histories)
    else:
        memories = {card: replay(history) for card, history in histories.items()}
    scheduled = []
    for card in cards:
        memory = memories.get(card.id)
        due = dt.datetime.fromisoformat(memory["due"]) if memory else _midnight(card.entry.date)
        asked = card.entry.review
        history = histories.get(card.id, [])
        if asked is not None and not (history and history[-1].time.date() >= asked):
            due = min(due, _midnight(asked))
        scheduled.append(Scheduled(card, memory, history, due))
    return sorted(scheduled, key=lambda s: (s.due, s.card.entry.day))


def _replayed(root: Path, histories: dict[str, list[Answer]]) -> dict[str, dict]:
    """`replay` of each history, kept in .journal/ by the history's lines: a year of answers
    takes a tenth of a second to replay, at every build, for the few that changed."""
    from torchleet_journal.base.source_cache import read_each

    lines = {card: ("".join(a.line() for a in history), False)
             for card, history in histories.items()}
    return read_each(root, "reviews", f"fsrs-{_fsrs_version()}", lines,
                     lambda text, _: replay([_parse(line) for line in text.splitlines()]),
                     _memory_shape)


def _fsrs_version() -> str:
    """The installed fsrs's version, read without importing it: a new one may schedule anew."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fsrs")
    except PackageNotFoundError:
        return "none"


def _memory_shape(memory) -> bool:
    if not isinstance(memory, dict) or not isinstance(memory.get("due"), str):
        return False
    try:
        return dt.datetime.fromisoformat(memory["due"]).tzinfo is not None
    except ValueError:
        return False


def deck(root: Path, entries: Iterable[Entry]) -> Deck:
    """The journal's cards and where its log leaves each of them."""
    answers, problems = read_log(root)
    return Deck(schedule(cards_of(entries), answers, root), answers, problems)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, UTC)


def end_of(day: dt.date) -> dt.datetime:
    """The last moment of `day`: the site, built once a day, counts as due what is due today."""
    return _midnight(day + dt.timedelta(1)) - dt.timedelta(microseconds=1)


def now() -> dt.datetime:
    return dt.datetime.now(UTC).replace(microsecond=0)


# --- what the site shows -------------------------------------------------------------------


def retention(answers: list[Answer], weeks: int = 12) -> list[dict]:
    """Per week (by its Monday), of the answers to cards seen before, how many were recalled.

    A card's first answer is left out: it says how well a gap was learnt, not remembered.
    """
    seen: set[str] = set()
    by_week: dict[dt.date, list[int]] = {}
    for answer in answers:
        if answer.card in seen:
            monday = answer.time.date() - dt.timedelta(answer.time.weekday())
            counts = by_week.setdefault(monday, [0, 0])
            counts[0] += answer.grade > 1
            counts[1] += 1
        seen.add(answer.card)
    return [{"week": week, "recalled": recalled, "answers": total}
            for week, (recalled, total) in sorted(by_week.items())[-weeks:]]


def page_context(reviews: Deck, today: dt.date) -> dict:
    """What the Review page, the home page and day pages say about the cards, as of `today`."""
    moment = end_of(today)
    week_end = end_of(today + dt.timedelta(6))
    states = {s.card.id: s.state(moment) for s in reviews.cards}
    return {"due_today": reviews.due(moment),
            "due_week": [s for s in reviews.cards if moment < s.due <= week_end],
            "cards": sorted(reviews.cards, key=lambda s: s.card.entry.day),
            "states": states, "retention": retention(reviews.answers),
            "by_gap": {(s.card.entry.day, s.card.gap): states[s.card.id] for s in reviews.cards},
            "retired": len(reviews.retired), "answer_count": len(reviews.answers),
            "counts": {state: sum(1 for s in states.values() if s == state) for state in STATES}}


def gap_states(entry: Entry, context: dict) -> list[str]:
    """Each of an entry's gaps' state, in the entry's order, from `page_context`'s answer."""
    by_gap, states = context["by_gap"], context["states"]
    return [by_gap.get((entry.day, gap)) or states.get(card_id(entry.day, gap), "new")
            for gap in entry.gaps]


# --- the terminal session ------------------------------------------------------------------


@dataclass
class Session:
    """What a terminal session did: how many answers it saved."""

    answered: int = 0


def run_session(root: Path, entries: list[Entry], ask: Callable[[str], str],
                say: Callable[[str], None], session: Session,
                clock: Callable[[], dt.datetime] = now) -> None:
    """Show each due card's front, its back on Enter, and save a grade 1-4; `q` stops.

    Each answer is in the log (fsync'd) before the next card shows, so stopping at any point,
    by `q`, Ctrl-C or a closed terminal, loses nothing already answered.
    """
    reviews = deck(root, entries)
    for problem in reviews.problems:
        say(f"warning: {problem}")
    queue = reviews.due(clock())
    if not queue:
        say("nothing is due: every gap has been reviewed as often as it needs for now")
        return
    # Every card's, not only the due ones': the backs' cache in .journal/ keeps what it is given.
    answers = card_back.backs(root, [s.card for s in reviews.cards])
    for position, scheduled in enumerate(queue, 1):
        say(front(scheduled.card, position, len(queue)))
        reply = ask("[Enter] show the answer · 1-4 grade · q quit: ").strip().lower()
        if reply == "":
            say(back(scheduled.card, answers[scheduled.card.id]))
            reply = _grade_reply(ask)
        while reply not in ("1", "2", "3", "4", "q"):
            reply = _grade_reply(ask)
        if reply == "q":
            break
        append(root, Answer(scheduled.card.id, clock(), int(reply)))
        session.answered += 1
    left = len(deck(root, entries).due(clock()))
    say(f"{session.answered} answered; {left} due")


def _grade_reply(ask: Callable[[str], str]) -> str:
    grades = " · ".join(f"{grade} {name}" for grade, name in GRADES.items())
    return ask(f"{grades} · q quit: ").strip().lower()


def front(card: Card, position: int, total: int) -> str:
    entry = card.entry
    tags = f" · {', '.join(entry.tags)}" if entry.tags else ""
    return (f"\n[{position}/{total}] Day {entry.day} ({entry.date.isoformat()}): {entry.task}"
            f"{tags}\n\n  Gap: {card.gap}\n")


def back(card: Card, answer: card_back.Back) -> str:
    """The card's back (`torchleet_journal.review.card_back`) as terminal lines, then where its day's page is."""
    text = card_back.as_text(answer) or "  Learnt: (none noted)"
    return f"{text}\n  Page: site/days/{card.entry.slug}.html\n"


def due_lines(reviews: Deck, moment: dt.datetime) -> list[str]:
    """`review --list`: one line per due card (card, day, due date, gap), then the count."""
    due = reviews.due(moment)
    lines = [f"{s.card.id}  day {s.card.entry.day:<3} {s.state(moment):<5} "
             f"since {s.due.date().isoformat()}  {s.card.gap}" for s in due]
    return lines + [f"{len(due)} due"]
