"""`build.py anki`: one note per gap, stable GUIDs, escaped text, the day's figure; read back
from the .apkg with zipfile and sqlite3, as Anki reads it."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import genanki
import pytest

from tests.helpers import REPO, entry_yaml, make_journal
from tests.site_helpers import copy_committed_journal
from torchleet_journal.model.catalog import load_catalog
from torchleet_journal.model.entries import load_entries
from torchleet_journal.review import cards as review

HOSTILE = """
  - 'Gap <script>alert(1)</script> in `a<b` and $x^2$'
  - '*Why* `view` and `unsqueeze` differ'"""


def notes_of(apkg: Path, scratch: Path) -> tuple[list[tuple[str, list[str], str]], dict]:
    """Each note's GUID, fields and tags, and the media index, from an .apkg."""
    with zipfile.ZipFile(apkg) as archive:
        archive.extract("collection.anki2", scratch)
        media = json.loads(archive.read("media"))
        assert sorted(archive.namelist()) == sorted(["collection.anki2", "media", *media])
    with sqlite3.connect(scratch / "collection.anki2") as db:
        rows = db.execute("SELECT guid, flds, tags FROM notes ORDER BY sfld").fetchall()
    return [(guid, fields.split("\x1f"), tags.strip()) for guid, fields, tags in rows], media


def anki(root: Path, target: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "build.py"), "anki", str(target),
                           "--root", str(root)], capture_output=True, text=True)


def test_a_note_per_gap_with_the_same_guids_in_two_exports(tmp_path):
    root = copy_committed_journal(tmp_path)
    cards = review.cards_of(load_entries(root, load_catalog()))
    done = [anki(root, tmp_path / f"{n}.apkg") for n in (1, 2)]
    assert [d.returncode for d in done] == [0, 0], done[0].stderr
    assert done[0].stdout == (f"wrote {tmp_path}/1.apkg: {len(cards)} notes, 8 figures; import "
                              "it in Anki (File > Import): notes already there are updated, "
                              "not doubled\n")
    first, media = notes_of(tmp_path / "1.apkg", tmp_path / "a")
    second, _ = notes_of(tmp_path / "2.apkg", tmp_path / "b")
    assert len(first) == len(cards) == sum(len(e.gaps) for e in load_entries(root, load_catalog()))
    assert [n[0] for n in first] == [n[0] for n in second]
    assert sorted(n[0] for n in first) == sorted(genanki.guid_for(c.id) for c in cards)
    assert sorted(n[1][2] for n in first) == sorted(c.id for c in cards)
    # The day's first figure is on the back, under a name no other day's figure has.
    assert "journal-day-02-figure-01.png" in media.values()
    day2 = [n for n in first if n[1][2].startswith("d02-")]
    assert len(day2) == 4 and all('<img src="journal-day-02-figure-01.png" alt="" loading="lazy">'
                                  in n[1][1] for n in day2)
    assert all(n[2] == "data" for n in day2), "the entry's tags"


def test_entry_text_is_escaped_code_stays_code_and_math_is_mathjax(tmp_path):
    root = make_journal(tmp_path, extra_files={
        "entries/day-01.yaml": entry_yaml(1, "solutions/day01.py", gaps=HOSTILE,
                                          task="'<b>bold</b> task'", tags="['C++ & <i>']"),
    })
    assert anki(root, tmp_path / "deck.apkg").returncode == 0
    notes, media = notes_of(tmp_path / "deck.apkg", tmp_path / "x")
    assert media == {}, "no stored run, no figure"
    fronts = {fields[2]: fields[0] for _, fields, _ in notes}
    hostile = fronts[review.card_id(1, "Gap <script>alert(1)</script> in `a<b` and $x^2$")]
    assert hostile == ('<div class="context">Day 1 · 2025-01-01 · &lt;b&gt;bold&lt;/b&gt; task · '
                       'C++ &amp; &lt;i&gt;</div><div class="gap">Gap &lt;script&gt;alert(1)'
                       '&lt;/script&gt; in <code>a&lt;b</code> and \\(x^2\\)</div>')
    emphasis = fronts[review.card_id(1, "Why view and unsqueeze differ")]
    assert emphasis.endswith('<div class="gap"><em>Why</em> <code>view</code> and '
                             '<code>unsqueeze</code> differ</div>')
    back = notes[0][1][1]
    # The back is the card's (torchleet_journal/review/card_back.py): no line of the toy solution and no resource
    # shares this gap's words, so its learnings, then the day's page.
    assert back == ("<p><b>Learnt</b></p><ul><li>Learning of day 1 with <code>code</code> and "
                    "\\(x^2\\)</li></ul><p><a href=\"https://your-github-user.github.io/"
                    "torchleet-journal/days/day-01.html\">Day 1&#39;s page</a></p>")


@pytest.mark.parametrize("target", ["deck.txt", "missing/deck.apkg"])
def test_a_target_that_is_not_an_apkg_in_a_folder_is_refused(journal, tmp_path, target):
    done = anki(journal, tmp_path / target)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (f"build.py anki: {tmp_path / target}: must be an .apkg file in a "
                           "folder that exists\n")
    assert not (tmp_path / target).exists()
