"""The gaps as an Anki deck (.apkg), made with genanki: one note per card of `torchleet_journal.review.cards`.

A note's GUID is made from its card's id, so exporting again and importing the new file
updates the notes already in Anki instead of adding copies. The front is the gap with its day,
task and tags; the back, the card's back as the site shows it (`torchleet_journal.review.card_back`: the lines of
the learner's code, docs, resources, learnings, the first figure as a media file) and a link to
the day's page. Entry text reaches the note's HTML only through `torchleet_journal.model.markup`, as on the site: code
stays code, `$math$` becomes Anki's MathJax `\\(...\\)`, and no entry's text becomes an element.
"""

from __future__ import annotations

import html
import io
import json
import re
import sqlite3
import tempfile
import time
import zipfile
from pathlib import Path

import genanki
import markdown

from torchleet_journal.base.files import write_atomic
from torchleet_journal.model import markup
from torchleet_journal.model.catalog import load_catalog
from torchleet_journal.model.entries import Entry, load_entries
from torchleet_journal.model.results import day_dir, first_image, read_result
from torchleet_journal.model.siteconfig import page_url, read_config
from torchleet_journal.review import card_back
from torchleet_journal.review import cards as review
from torchleet_journal.review.card_html import back_html, highlighted

# Fixed ids: a deck or note type with a new id would be a second deck in the learner's Anki.
MODEL_ID = 1_607_392_319
DECK_ID = 2_059_400_110
FIELDS = ("Front", "Back", "Card")
CSS = """.card { font-family: sans-serif; font-size: 18px; text-align: left; }
.context { color: #666; font-size: 14px; margin-bottom: 1em; }
code { background: #f2f2f2; padding: 0 0.2em; border-radius: 3px; }
img { max-width: 100%; }"""
MODEL = genanki.Model(
    MODEL_ID, "Journal gap", fields=[{"name": name} for name in FIELDS],
    templates=[{"name": "Gap", "qfmt": "{{Front}}",
                "afmt": "{{FrontSide}}<hr id=answer>{{Back}}"}], css=CSS)
_MATH = re.compile(r'<span class="arithmatex">(.*?)</span>', re.S)


def write_deck(root: Path, target: Path) -> tuple[int, int]:
    """Write every current gap of the journal at `root` as a note to `target`.

    Returns how many notes and figures it holds. Written beside `target` and renamed into place,
    so a deck Anki is reading is never half-written.
    """
    entries = load_entries(root, load_catalog(root))
    config = read_config(root)
    deck = genanki.Deck(DECK_ID, f"{config.site_name or 'Journal'}: gaps")
    figures = {entry.day: _figure(root, entry) for entry in entries}
    cards = review.cards_of(entries)
    answers = card_back.backs(root, cards, figures={day: f and f[1] for day, f in figures.items()})
    code = highlighted(root, answers.values(), inline_styles=True)
    for card in cards:
        figure = figures[card.entry.day]
        deck.add_note(genanki.Note(
            model=MODEL, guid=genanki.guid_for(card.id), sort_field=card.id,
            tags=[re.sub(r"\s+", "_", tag) for tag in card.entry.tags],  # Anki's have no spaces
            fields=[front(card), back(card, answers[card.id], code, config.site_url,
                                      figure and _media_name(*figure)), card.id]))
    media = {_media_name(*f): day_dir(root, day) / f[1] for day, f in figures.items() if f}
    _package(genanki.Package(deck), media, target)
    return len(deck.notes), len(media)


def _figure(root: Path, entry: Entry) -> tuple[str, str] | None:
    """The day's first figure as (slug, file name), if its stored result has one that is a file.

    `read_result` already checks that every file a result names is a regular file in its folder.
    """
    result, _ = read_result(root, entry.day)
    name = first_image(result)
    if name is None or not (day_dir(root, entry.day) / name).is_file():
        return None
    return entry.slug, name


def _media_name(slug: str, name: str) -> str:
    # Anki keeps every deck's media in one folder: the day's slug keeps names apart.
    return f"journal-{slug}-{name}"


def front(card: review.Card) -> str:
    entry = card.entry
    context = [f"Day {entry.day}", entry.date.isoformat(), entry.task, *entry.tags]
    return (f'<div class="context">{html.escape(" · ".join(context))}</div>'
            f'<div class="gap">{note_html(card.gap)}</div>')


def back(card: review.Card, answer: card_back.Back, code: dict[card_back.Excerpt, str],
         site_url: str | None, figure: str | None) -> str:
    """The card's back (`torchleet_journal.review.card_back`), as the site shows it but with code coloured
    inline and the figure a media file of the deck; then a link to the day's page."""
    entry = card.entry
    page = page_url(answer.page)
    where = markup.link(f"Day {entry.day}'s page", site_url.rstrip("/") + "/" + page) \
        if site_url else f"Day {entry.day}'s page: <code>site/{html.escape(page)}</code>"
    return (back_html(answer, figure, note_html, code) or "<p>(none noted)</p>") \
        + f"<p>{where}</p>"


def note_html(text: str) -> str:
    """A gap or a learning as HTML for Anki: what `markup.inline` makes for the site, with its
    emphasis turned into HTML and its math in the delimiters Anki's MathJax reads."""
    rendered = markdown.markdown(markup.inline(text)).removeprefix("<p>").removesuffix("</p>")
    return _MATH.sub(lambda m: html.escape(html.unescape(m.group(1)), quote=False), rendered)


def _package(package: genanki.Package, media: dict[str, Path], target: Path) -> None:
    """genanki's `write_to_file`, but with its database in a folder that is removed after."""
    with tempfile.TemporaryDirectory() as scratch:
        connection = sqlite3.connect(Path(scratch) / "collection.anki2")
        now = time.time()
        # Notes' modification times are now: Anki updates a note on import only from a newer one.
        package.write_to_db(connection.cursor(), now, iter(range(int(now * 1000), 2**62)))
        connection.commit()
        connection.close()
        # Built in memory, written by the journal's one writer: a fresh temporary, renamed over
        # `target` (never through a committed `.gaps.apkg.tmp` link).
        deck = io.BytesIO()
        with zipfile.ZipFile(deck, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(Path(scratch) / "collection.anki2", "collection.anki2")
            archive.writestr("media", json.dumps({str(i): name for i, name in enumerate(media)}))
            for index, path in enumerate(media.values()):
                archive.write(path, str(index))
        write_atomic(target, deck.getvalue())
