"""Cards' backs on the Review page and in the Anki deck, and FSRS's figures on the pages."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import sqlite3
import zipfile
from pathlib import Path

import fsrs

from tests.helpers import entry_yaml, make_journal, write
from tests.site_helpers import copy_committed_journal
from torchleet_journal.build.pipeline import Day
from torchleet_journal.model.catalog import load_catalog
from torchleet_journal.model.entries import load_entries
from torchleet_journal.model.results import read_result
from torchleet_journal.pages import render
from torchleet_journal.review import anki
from torchleet_journal.review import cards as review

UTC = dt.timezone.utc
T0 = dt.datetime(2025, 2, 1, 9, 0, 0, tzinfo=UTC)
UNSQUEEZE = "difference between `unsqueeze` and `view`"


def pages(root: Path, today: dt.date, with_results: bool = False) -> dict:
    entries = load_entries(root, load_catalog())
    days = [Day(e, read_result(root, e.day)[0] if with_results else None) for e in entries]
    return render.render_docs(root, days, load_catalog(), today=today)


def text_of(markup: str) -> str:
    """What a reader sees of some HTML, its characters without tags and spacing: the same
    whichever way Pygments cut the code into spans."""
    return "".join(html.unescape(re.sub(r"<[^>]*>", "", markup)).split())


def site_back(page: str, gap_html: str) -> str:
    """The <details> under the table row of the gap shown as `gap_html`."""
    row = page.index(f"<td>{gap_html}</td>", page.index("## Every card"))
    start = page.index("<details>", row)
    return page[start:page.index("</details>", start) + len("</details>")]


def test_the_review_page_and_the_deck_carry_the_same_back_the_deck_with_the_figure(tmp_path):
    root = copy_committed_journal(tmp_path)
    page = pages(root, dt.date(2025, 3, 1), with_results=True)["review.md"]
    back = site_back(page, "difference between <code>unsqueeze</code> and <code>view</code>")
    assert back.startswith("<details><summary>Answer</summary>"), "closed until opened"
    assert '<p class="jl-back-where"><code>solutions/day05&#95;deep&#95;nn.py</code></p>' in back
    marked = back[back.index('<span class="hll">'):]
    assert marked.startswith('<span class="hll"><span class="linenos">20</span>')
    assert "unsqueeze" in marked[:marked.index("\n")]
    assert ('<a href="https://pytorch.org/docs/stable/generated/torch.Tensor.unsqueeze.html">'
            'torch.Tensor.unsqueeze</a>') in back
    assert "https://discuss.pytorch.org/t/what-is-the-difference-between-view-and-unsqueeze/1155/6" \
        in back
    assert '<img src="days/day-05/figure-01.png" alt="" loading="lazy">' in back
    # Day 1's excerpt starts on a blank line (54): the numbers still match the file's.
    first = site_back(page, "Custom loss function definition")
    marked = first[first.index('<span class="hll">'):]
    assert marked.startswith('<span class="hll"><span class="linenos">56</span>')
    assert "MSELoss" in marked[:marked.index("\n")]

    target = tmp_path / "deck.apkg"
    anki.write_deck(root, target)
    with zipfile.ZipFile(target) as archive:
        archive.extract("collection.anki2", tmp_path)
        media = archive.read("media").decode()
        assert "journal-day-05-figure-01.png" in media
    with sqlite3.connect(tmp_path / "collection.anki2") as db:
        fields = dict(db.execute("SELECT sfld, flds FROM notes").fetchall())[
            review.card_id(5, UNSQUEEZE)].split("\x1f")
    deck_back = fields[1]
    assert '<img src="journal-day-05-figure-01.png" alt="" loading="lazy">' in deck_back
    assert 'style="' in deck_back, "Anki has no Pygments stylesheet: colours are inline"
    # The same parts, the same words: only the colouring, the figure's name and the page link differ.
    shown = text_of(back.removeprefix("<details><summary>Answer</summary>"))
    assert text_of(deck_back).startswith(shown)
    assert "20y=(X[:,0]+2*X[:,1]+torch.randn(n)).unsqueeze(1)" in shown
    assert "torch.Tensor.unsqueeze" in shown and "Excellentdiscussiononviewandunsqueeze" in shown


def test_a_back_from_hostile_code_and_titles_adds_no_element_or_attribute(tmp_path):
    solution = ('import torch\nx = torch.ones(2).unsqueeze(0)  # </details><script>alert(1)</script>\n'
                's = "<img src=x onerror=alert(1)>".unsqueeze\n')
    root = make_journal(tmp_path, extra_files={
        "entries/day-01.yaml": entry_yaml(1, "solutions/day01.py", gaps="\n  - '`unsqueeze`'"),
        "solutions/day01.py": solution})
    entry = (root / "entries/day-01.yaml").read_text()
    write(root / "entries/day-01.yaml", entry.replace(
        "title: Docs", "title: '\"><script>unsqueeze</script>'"))
    page = pages(root, dt.date(2025, 3, 1))["review.md"]
    back = site_back(page, "<code>unsqueeze</code>")
    assert "<script>" not in page and "<img src=x" not in back
    assert back.count("<details>") == 1 and back.count("</details>") == 1
    assert "&lt;/details&gt;&lt;script&gt;" in back


def test_retention_gives_fsrs_figures_and_lists_leeches_first(tmp_path):
    root = make_journal(tmp_path)
    cards = review.cards_of(load_entries(root, load_catalog()))
    leech, kept = cards[0], cards[1]
    grades = [(0, 3), (2, 1), (3, 1), (4, 1), (5, 3)]
    for days, grade in grades:
        review.append(root, review.Answer(leech.id, T0 + dt.timedelta(days=days), grade))
    for days, grade in ((0, 3), (6, 3)):
        review.append(root, review.Answer(kept.id, T0 + dt.timedelta(days=days), grade))
    today = dt.date(2025, 2, 12)
    page = pages(root, today)["review.md"]
    retention = page[page.index("## Retention"):page.index("## Every card")]
    assert retention.index("Failed three times or more") < retention.index("True retention")
    assert "failed 3 times</li>" in retention and retention.count("failed ") == 1
    # 5 answers to cards seen before (the 2 first answers are learning): 2 recalled.
    assert "True retention over the log: **2 of 5** reviews" in retention
    assert "(40%;" in retention
    own = fsrs.Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    memory = fsrs.Card(card_id=0)
    for days, grade in grades:
        memory, _ = own.review_card(memory, fsrs.Rating(grade), T0 + dt.timedelta(days=days))
    expected = round(100 * own.get_card_retrievability(memory, review.end_of(today)))
    row = page[page.index(f'<td>{leech.gap}</td>'):]
    assert row.split("</tr>")[0].endswith(f"<td>{expected}%</td>")


def test_a_known_gap_says_since_when_on_its_day_page(tmp_path):
    root = make_journal(tmp_path)
    card = review.cards_of(load_entries(root, load_catalog()))[0]
    # Good (2 days ahead: not known), then Easy twice (4 weeks, then months): known from the
    # first Easy, on 5 February.
    answers = ((0, 3), (4, 4), (40, 4))
    for days, grade in answers:
        review.append(root, review.Answer(card.id, T0 + dt.timedelta(days=days), grade))
    own = fsrs.Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)
    memory = fsrs.Card(card_id=0)
    ahead = []
    for days, grade in answers:
        memory, _ = own.review_card(memory, fsrs.Rating(grade), T0 + dt.timedelta(days=days))
        ahead.append((memory.due - (T0 + dt.timedelta(days=days))).days)
    assert ahead[0] < review.KNOWN_DAYS <= min(ahead[1:]), "premise"
    docs = pages(root, dt.date(2025, 3, 20))
    day = docs["days/day-01.md"]
    assert '<span class="jl-review jl-review-known">known since 2025-02-05</span>' in day
    assert '<span class="jl-review jl-review-known">known since 2025-02-05</span>' in docs["review.md"]
    # Kept in .journal/ by the card's history; a damaged cache is read afresh, not trusted.
    cache = root / ".journal/known-since.json"
    assert list(json.loads(cache.read_text()).values()) == ["2025-02-05"]
    write(cache, json.dumps({key: "2099-13-01" for key in json.loads(cache.read_text())}))
    assert "known since 2025-02-05" in pages(root, dt.date(2025, 3, 20))["days/day-01.md"]
