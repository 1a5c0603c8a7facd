"""A card's back, made from the journal: the learner's own lines, docs, resources, learnings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import REPO, entry_yaml, make_journal, write
from torchleet_journal.model.catalog import load_catalog
from torchleet_journal.model.entries import load_entries
from torchleet_journal.review import card_back
from torchleet_journal.review import cards as review


def seed_backs() -> tuple[list[review.Card], dict[str, card_back.Back]]:
    cards = review.cards_of(load_entries(REPO, load_catalog()))
    return cards, card_back.backs(REPO, cards)


def own_lines(card: review.Card, back: card_back.Back) -> list[str]:
    """The lines of the card's own day's solution that the back points at."""
    return [excerpt.lines[number - excerpt.first] for excerpt in back.code
            if excerpt.where.startswith(card.entry.solution) for number in excerpt.hits]


def test_most_of_the_seeds_cards_show_a_line_of_their_days_own_solution():
    cards, backs = seed_backs()
    showing = [card for card in cards if own_lines(card, backs[card.id])]
    assert len(cards) == 20
    assert len(showing) >= 14, [c.gap for c in cards if c not in showing]


def test_day_5s_unsqueeze_gap_shows_line_20_its_docs_and_the_saved_discussion():
    cards, backs = seed_backs()
    card = next(c for c in cards if c.gap == "difference between `unsqueeze` and `view`")
    back = backs[card.id]
    assert [(e.where, e.hits) for e in back.code] == [("solutions/day05_deep_nn.py", (20,))]
    assert ".unsqueeze(1)" in back.code[0].lines[20 - back.code[0].first]
    assert back.docs[0] == card_back.Resource(
        "torch.Tensor.unsqueeze", "https://pytorch.org/docs/stable/generated/torch.Tensor.unsqueeze.html")
    assert [r.url for r in back.resources] == [
        "https://discuss.pytorch.org/t/what-is-the-difference-between-view-and-unsqueeze/1155/6"]
    assert back.figure == "results/day-05/figure-01.png"
    assert back.learnings == card.entry.learnings, "none shares the gap's words: all of them"


@pytest.mark.parametrize("gap, named", [
    ("achieve train/test split", "random_split("),
    ("how to plot a surface plot to show the input data", "plot_surface("),
    ("hidden states", "hidden_size"),
    ("'`Dataset` and `DataLoader` reside in `torch.utils.data`'", "from torch.utils.data import"),
])
def test_plain_words_find_the_identifiers_that_say_them(gap, named):
    cards, backs = seed_backs()
    card = next(c for c in cards if c.gap == gap.strip("'"))
    assert any(named in line for line in own_lines(card, backs[card.id]))


def test_resources_and_learnings_that_share_the_gaps_words_are_the_ones_shown():
    cards, backs = seed_backs()
    card = next(c for c in cards if c.gap == "methods of `SummaryWriter`")
    assert [r.title for r in backs[card.id].resources] == ["SummaryWriter Class"]
    card = next(c for c in cards if c.gap == "hidden states")
    assert len(backs[card.id].learnings) == 1 and "hidden state" in backs[card.id].learnings[0]


NOTEBOOK = {"cells": [
    {"cell_type": "markdown", "source": "# Shapes"},
    {"cell_type": "code", "source": ["import torch\n", "x = torch.zeros(3)\n"]},
    {"cell_type": "code", "source": ["%matplotlib inline\n", "y = x.unsqueeze(0)\n", "print(y)"]},
], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def journal_with(tmp_path: Path, solution: str, text: str | bytes) -> Path:
    root = make_journal(tmp_path, extra_files={"entries/day-01.yaml": entry_yaml(
        1, solution, gaps="\n  - 'when to use `unsqueeze`'")})
    path = root / solution
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return root


def back_of_day_1(root: Path) -> card_back.Back:
    card = review.cards_of(load_entries(root, load_catalog()))[0]
    return card_back.backs(root, [card])[card.id]


def test_a_notebooks_code_cells_are_read_and_named_by_cell_and_line(tmp_path):
    root = journal_with(tmp_path, "solutions/day01.ipynb", json.dumps(NOTEBOOK))
    back = back_of_day_1(root)
    assert [(e.where, e.first, e.hits) for e in back.code] == [
        ("solutions/day01.ipynb, cell 2", 1, (2,))]
    assert back.code[0].lines == ("%matplotlib inline", "y = x.unsqueeze(0)", "print(y)")
    assert back.docs[0].title == "torch.Tensor.unsqueeze"


@pytest.mark.parametrize("solution, text", [
    ("solutions/day01.py", "def broken(:\n    x.unsqueeze(1)\n"),
    ("solutions/day01.py", b"\xff\xfe x.unsqueeze(1) \x00\n"),
    ("solutions/day01.ipynb", '{"cells": [{"cell_type": "code", "source": 3}]}'),
    ("solutions/day01.ipynb", "[" * 100_000),
])
def test_a_solution_that_cannot_be_read_or_parsed_gives_a_back_without_code(tmp_path, solution,
                                                                              text):
    root = journal_with(tmp_path, solution, text)
    back = back_of_day_1(root)
    assert back.code == () and back.docs == ()
    assert back.learnings, "the rest of the back is still there"


def test_a_missing_solution_gives_a_back_without_code(tmp_path):
    root = journal_with(tmp_path, "solutions/day01.py", "x = 1\n")
    card = review.cards_of(load_entries(root, load_catalog()))[0]
    (root / "solutions/day01.py").unlink()  # after the entries were read: gone since
    assert card_back.backs(root, [card])[card.id].code == ()


def test_the_lines_read_are_cached_by_the_solutions_hash_and_a_damaged_cache_is_not_trusted(
        tmp_path):
    root = journal_with(tmp_path, "solutions/day01.py", "import torch\ny = torch.ones(2).unsqueeze(0)\n")
    first = back_of_day_1(root)
    cache = root / ".journal/card-lines.json"
    assert cache.is_file()
    write(cache, json.dumps({key: [["not", "lines"]] for key in json.loads(cache.read_text())}))
    assert back_of_day_1(root) == first


def test_the_terminal_text_marks_the_lines_and_carries_no_escape_from_the_journal(tmp_path):
    root = journal_with(tmp_path, "solutions/day01.py",
                        'import torch\ny = torch.ones(2).unsqueeze(0)  # \x1b[2J\n')
    text = card_back.as_text(back_of_day_1(root))
    assert ">   2  y = torch.ones(2).unsqueeze(0)" in text
    from torchleet_journal.base.text import terminal_safe

    assert "\x1b" not in terminal_safe(text), "the review says everything through terminal_safe"


def test_words_are_stemmed_alike_and_the_synonym_table_is_read():
    assert card_back.stem("saving") == card_back.stem("save")
    assert card_back.stem("states") == card_back.stem("state")
    assert card_back.stem("losses") == card_back.stem("loss") != card_back.stem("los")
    assert card_back.stem("plotting") == card_back.stem("plot")
    assert card_back.parts_of("plot_surface") == {"plot", "surfac"}
    assert card_back.parts_of("MSELoss") == {"mse", "loss"}
    terms = card_back.terms_of("threshold for Huber loss")
    assert "delta" in terms.words, "gap_words.txt: threshold stands for delta"
    terms = card_back.terms_of("Performing element-wise `if` and `else` on `torch.where`, "
                               "e.g. two `1D` vectors")
    assert terms.names == {"torch", "where"}, "keywords, e.g.'s letters and 1D are no names"
