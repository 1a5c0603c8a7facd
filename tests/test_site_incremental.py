"""The site follows docs/ doing only the work a change needs: nothing, its pages, or all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import copy_journal, make_journal
from torchleet_journal.build.pipeline import Options, build
from torchleet_journal.website import site_state


def mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns
            for p in (root / "site").rglob("*.html")}


def search_text(root: Path) -> str:
    index = json.loads((root / "site/search/search_index.json").read_text(encoding="utf-8"))
    return " ".join(doc["location"] + " " + doc["text"] for doc in index["docs"])


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module")
def settled(tmp_path_factory) -> Path:
    """A toy journal built with its site, then again so that nothing is left to change."""
    root = make_journal(tmp_path_factory.mktemp("incremental"))
    assert build(root, Options()).site == "full"
    # The times page says "ran" after a build that ran, "cached" after the next: settle it.
    assert build(root, Options()).site == "pages"
    return root


@pytest.fixture
def journal(settled, tmp_path) -> Path:
    """A copy of the settled journal, for one test to edit and build again."""
    return copy_journal(settled, tmp_path)


def test_a_build_that_changed_no_docs_file_does_not_run_mkdocs(journal):
    before = mtimes(journal)
    assert build(journal, Options()).site == "unchanged"
    assert mtimes(journal) == before


def test_an_edited_gap_rebuilds_its_page_and_keeps_the_whole_search_index(journal):
    before = mtimes(journal)
    edit(journal, "entries/day-02.yaml", "Gap of day 2", "Freshly edited gap")
    assert build(journal, Options()).site == "pages"
    after = mtimes(journal)
    assert "Freshly edited gap" in (journal / "site/days/day-02.html").read_text()
    assert after["site/days/day-01.html"] == before["site/days/day-01.html"]
    text = search_text(journal)
    assert "Freshly edited gap" in text and "Gap of day 1" in text  # both pages still indexed
    assert "Gap of day 2" not in text  # and the old words of the rebuilt page are gone


def test_a_new_title_changes_every_pages_navigation_so_all_is_rebuilt(journal):
    edit(journal, "entries/day-01.yaml", "Toy task 1", "Renamed task")
    assert build(journal, Options()).site == "full"
    assert "Renamed task" in (journal / "site/days/day-02.html").read_text()  # its nav


def test_a_build_killed_while_changing_site_leads_to_a_full_build(journal):
    edit(journal, "entries/day-02.yaml", "Gap of day 2", "Gap after a kill")
    site_state.forget(journal)  # what a build killed inside mkdocs leaves behind
    assert build(journal, Options()).site == "full"


def test_a_removed_page_is_removed_from_the_site(journal):
    (journal / "entries/day-02.yaml").unlink()
    assert build(journal, Options()).site == "full"
    assert not (journal / "site/days/day-02").exists()
