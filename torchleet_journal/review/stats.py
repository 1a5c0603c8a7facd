"""How well the gaps are remembered, in FSRS's own figures, for the Review page and day pages.

- Retrievability: FSRS's estimate of the chance of recalling a card now (its forgetting curve
  at this moment), given for every card answered at least once.
- True retention: of the answers to cards seen before, the share recalled (graded Hard, Good
  or Easy rather than Again), over the whole log; FSRS schedules for 90% by default.
- Leeches: cards failed (Again) three times or more, the ones to rewrite or split, listed first.
- Known since: the day from which every answer left a card three weeks or more ahead.

Nothing here runs before there is an answer: a journal without reviews does not import fsrs.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from torchleet_journal.base.dates import parse_date
from torchleet_journal.review.cards import KNOWN_DAYS, Answer, Deck, Scheduled, end_of, scheduler

LEECH_FAILURES = 3


def failures(scheduled: Scheduled) -> int:
    return sum(answer.grade == 1 for answer in scheduled.answers)


def leeches(cards: list[Scheduled]) -> list[Scheduled]:
    """The cards failed LEECH_FAILURES times or more, the most failed first."""
    failed = [s for s in cards if failures(s) >= LEECH_FAILURES]
    return sorted(failed, key=lambda s: (-failures(s), s.card.entry.day))


def true_retention(answers: list[Answer]) -> tuple[int, int]:
    """(recalled, answers) over the log, a card's first answer left out: it says how well a gap
    was learnt, not remembered (as `review.retention` counts per week)."""
    seen: set[str] = set()
    recalled = total = 0
    for answer in answers:
        if answer.card in seen:
            recalled += answer.grade > 1
            total += 1
        seen.add(answer.card)
    return recalled, total


def retrievability(cards: list[Scheduled], moment: dt.datetime) -> dict[str, float]:
    """FSRS's probability of recall at `moment`, by card id, for the cards answered before."""
    answered = [s for s in cards if s.memory]
    if not answered:
        return {}
    import fsrs

    return {s.card.id: scheduler().get_card_retrievability(fsrs.Card.from_dict(s.memory), moment)
            for s in answered}


def known_since(answers: list[Answer]) -> dt.date | None:
    """The date of the first answer of the last run of answers that each left the card known
    (next review KNOWN_DAYS or more ahead); None if the last answer did not."""
    import fsrs

    memory = fsrs.Card(card_id=0, due=answers[0].time)
    since = None
    for answer in answers:
        memory, _ = scheduler().review_card(memory, fsrs.Rating(answer.grade), answer.time)
        known = memory.due - answer.time >= dt.timedelta(KNOWN_DAYS)
        since = (since or answer.time.date()) if known else None
    return since


def _known_since_each(root: Path | None, histories: dict[str, list[Answer]]) -> dict:
    """`known_since` of each history, kept in .journal/ by the history's lines with `root`
    (as `review` keeps its replays): a year of known cards is replayed once, not every build."""
    if root is None or not histories:
        return {card: known_since(history) for card, history in histories.items()}
    from torchleet_journal.base.source_cache import read_each
    from torchleet_journal.review.cards import _fsrs_version, _parse

    lines = {card: ("".join(a.line() for a in history), False)
             for card, history in histories.items()}
    found = read_each(root, "known-since", f"fsrs-{_fsrs_version()}", lines,
                      lambda text, _: _iso(known_since([_parse(x) for x in text.splitlines()])),
                      lambda value: value is None or isinstance(value, str) and bool(parse_date(value)))
    return {card: value and parse_date(value) for card, value in found.items()}


def _iso(day: dt.date | None) -> str | None:
    return day and day.isoformat()


def figures(reviews: Deck, today: dt.date, root: Path | None = None) -> dict:
    """What the Review page and day pages add to `review.page_context`, as of `today`; with
    `root`, what was replayed before is read from the journal's cache."""
    moment = end_of(today)
    recalled, total = true_retention(reviews.answers)
    known = _known_since_each(root, {s.card.id: s.answers for s in reviews.cards
                                     if s.state(moment) == "known"})
    return {"retrievability": retrievability(reviews.cards, moment),
            "true_retention": {"recalled": recalled, "answers": total},
            "leeches": leeches(reviews.cards), "failures": {s.card.id: failures(s)
                                                            for s in reviews.cards},
            "known_since": {card: since for card, since in known.items() if since},
            "by_gap_id": {(s.card.entry.day, s.card.gap): s.card.id for s in reviews.cards}}


def gap_known_since(entry, context: dict) -> list[dt.date | None]:
    """For each of an entry's gaps, in order, since when it is known (None if it is not)."""
    ids, since = context["by_gap_id"], context["known_since"]
    return [since.get(ids.get((entry.day, gap))) for gap in entry.gaps]
