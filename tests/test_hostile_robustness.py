"""Odd input, round 2: sources read as Python reads them, captions from the figures shown, tags.

One journal is laid down the way a stranger's files would be, and built once for real: a
solution with a latin-1 coding cookie, one with a BOM, a 1,500-term and a 50,000-term
expression, a lone surrogate escape in a docstring and a plot title, a notebook nested deeper
than Python's JSON reader goes, figures whose titles are closed unseen, in dead code, in broken
mathtext and full of controls and bidi overrides, tags spelled three ways; and beside the
solutions a link that loops, a 1,100-level folder tree and files that cannot be read. The build
ends with the failed days plain `python` fails too, no traceback, and every page says what the
figures and sources say.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, entry_yaml, make_journal, write
from torchleet_journal.model.entries import tag_key
from torchleet_journal.pages import render

DEEP_FOLDERS = 1100

LATIN = '# -*- coding: latin-1 -*-\n"""Café costs 5 ¤."""\nprint("café ¤")\n'.encode("latin-1")
BOM = b'\xef\xbb\xbf"""A lead after a byte order mark."""\nprint("bom")\n'
WIDE = "import torch\nx = " + "+".join(["1"] * 1500) + "\nprint(x, torch.zeros(1))\n"
HUGE = "import torch\nx = " + "+".join(["1"] * 50000) + "\nprint(x, torch.ones(1))\n"
SURROGATE = r'''"""Lead with \udcff in it."""
import matplotlib.pyplot as plt
plt.plot([1, 2])
plt.title("bad \udcff")
plt.show()
print("ran")
'''
CAPTIONS = r'''import matplotlib.pyplot as plt
plt.figure(); plt.plot([1, 2]); plt.title("closed unseen"); plt.close()
if False:
    plt.title("dead code")
fig, (left, right) = plt.subplots(1, 2)
left.plot([1, 2]); left.set_title(r"$\broken{$ math")
right.set_title("right \u202eevil\x07 bell\u2066")
fig.suptitle("Whole " + "figure")
plt.show()
plt.plot([3, 1]); plt.title("second")
plt.show()
'''
MATHTEXT = 'import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.title(r"$\\frac{1}{$")\nplt.show()\n'
LISTING = 'import os\nprint(sorted(os.listdir(".")))\n'
NOTEBOOK = {"cells": [{"cell_type": "code", "source": "print(1)", "metadata": {}, "outputs": [],
                       "execution_count": None}],
            "metadata": {"x": "DEEP"}, "nbformat": 4, "nbformat_minor": 5}
# (day, solution file, its bytes, tags)
DAYS = [
    (1, "latin.py", LATIN, "[CNN]"),
    (2, "bom.py", BOM, "[cnn, Cnn]"),
    (3, "wide.py", WIDE.encode(), "[Cnn, vision]"),
    (4, "huge.py", HUGE.encode(), "[C++]"),
    (5, "surrogate.py", SURROGATE.encode(), None),
    (6, "deep.ipynb", json.dumps(NOTEBOOK).replace('"DEEP"', "[" * 100000 + "]" * 100000).encode(),
     None),
    (7, "captions.py", CAPTIONS.encode(), None),
    (8, "mathtext.py", MATHTEXT.encode(), None),
    (9, "listing.py", LISTING.encode(), None),
]
# Tags whose anchors used to collide: `c-` and the first six of `c++`'s hash was `c++`'s anchor.
COLLIDING = "c-" + hashlib.sha256(b"c++").hexdigest()[:6]


def _lay_out(base: Path) -> Path:
    root = make_journal(base, days={})
    for day, name, data, tags in DAYS:
        (root / "solutions").mkdir(exist_ok=True)
        (root / "solutions" / name).write_bytes(data)
        extra = {"tags": tags} if tags else {}
        write(root / f"entries/day-{day:02d}.yaml", entry_yaml(day, f"solutions/{name}", **extra))
    write(root / "entries/day-10.yaml", entry_yaml(10, "solutions/listing.py",
                                                  tags=f"[c++, {COLLIDING}, C-]"))
    _beside_the_solutions(root / "solutions")
    return root


def _beside_the_solutions(folder: Path) -> None:
    """What a stranger's solutions/ folder can hold that Jupyter would not mind."""
    os.symlink("loop", folder / "loop")
    os.symlink("ping", folder / "pong")
    os.symlink("pong", folder / "ping")
    os.symlink("nowhere", folder / "dangling")
    os.symlink("/proc/self/mem", folder / "memory.bin")  # opens, then cannot be read
    (folder / "locked.csv").write_text("a,b\n1,2\n")
    os.chmod(folder / "locked.csv", 0)  # unreadable to a learner (root reads it anyway)
    fd = os.open(folder, os.O_RDONLY)
    for _ in range(DEEP_FOLDERS):
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    os.close(fd)


def _remove_deep(folder: Path) -> None:
    """shutil.rmtree (and pytest's cleanup) recurse, and a 1,100-level tree is too deep."""
    fds = [os.open(folder, os.O_RDONLY)]
    while os.path.isdir(f"/proc/self/fd/{fds[-1]}/d"):
        fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
    os.close(fds.pop())
    while fds:
        os.rmdir("d", dir_fd=fds[-1])
        os.close(fds.pop())


class Built:
    def __init__(self, root: Path, done: subprocess.CompletedProcess):
        self.root, self.code, self.err = root, done.returncode, done.stderr

    def page(self, rel: str) -> str:
        return (self.root / "docs" / rel).read_text(encoding="utf-8")

    def result(self, day: int) -> dict:
        return json.loads((self.root / f"results/day-{day:02d}/result.json").read_text())


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = _lay_out(tmp_path_factory.mktemp("odd"))
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600)
    yield Built(root, done)
    _remove_deep(root / "solutions")


def test_the_build_fails_just_the_days_python_fails_and_prints_no_traceback(built):
    assert built.code == 1, built.err
    assert "Traceback" not in built.err
    failed = sorted(line.split(":")[1].strip() for line in built.err.splitlines()
                    if line.startswith("failed: "))
    assert failed == ["day-04", "day-06"], built.err
    assert built.result(4)["reason"] == \
        "RecursionError: maximum recursion depth exceeded during compilation", "as python says"
    assert built.result(6)["reason"] == \
        "reading the notebook: ValueError: not a Jupyter notebook: its JSON is nested too deeply"
    for day in (1, 2, 3, 5, 7, 8, 9, 10):
        assert built.result(day)["status"] == "passed", day


# --- 5: sources read the way Python reads them ---------------------------------------------


def test_a_coding_cookie_decides_how_the_source_is_read(built):
    page = built.page("days/day-01.md")
    assert "<p>Café costs 5 ¤.</p>" in page
    assert 'print("café ¤")' in page and "\ufffd" not in page


def test_a_byte_order_mark_is_not_part_of_the_source(built):
    page = built.page("days/day-02.md")
    assert "<p>A lead after a byte order mark.</p>" in page
    assert "\ufeff" not in page


def test_a_1500_term_expression_is_read_for_its_apis(built):
    apis = built.page("apis.md")
    row = next(line for line in apis.splitlines() if "torch.zeros" in line)
    assert "day-03" in row
    assert "torch.ones" not in apis, "the 50,000-term day does not parse: no API is read from it"


def test_a_lone_surrogate_is_shown_as_its_escape(built):
    page = built.page("days/day-05.md")
    assert "<p>Lead with \\udcff in it.</p>" in page
    log = (built.root / f"results/day-05/{built.result(5)['log']}").read_text()
    assert "[journal] a shown figure could not be drawn, so the page leaves it out: TypeError:" in log
    assert built.result(5)["figures"] == []


def test_a_notebook_nested_too_deeply_is_a_failed_day_with_its_page(built):
    page = built.page("days/day-06.md")
    assert "not a Jupyter notebook: its JSON is nested too deeply" in page


# --- 6: captions come from the figures that were shown -------------------------------------


def _figures(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<img src="[^"]+" alt="([^"]*)">\n(?:<figcaption>(.*)</figcaption>)?', page)


def test_each_figure_is_captioned_with_the_titles_it_had_when_shown(built):
    figures = _figures(built.page("days/day-07.md"))
    assert figures[:2] == [
        ("Plot: Whole figure; &#36;&#92;broken&#123;&#36; math; right evil bell", "Whole figure"),
        ("Plot: second", "second")]
    assert built.result(7)["captions"] == {
        "figure-01.png": ["Whole figure", "$\\broken{$ math", "right \u202eevil\x07 bell\u2066"],
        "figure-02.png": ["second"]}


def test_titles_never_shown_name_no_figure(built):
    page = built.page("days/day-07.md")
    assert "closed unseen" not in page.split("## Figures")[1].split("```")[0]
    assert "dead code" not in page.split("## Figures")[1].split("```")[0]


def test_controls_and_bidi_marks_never_reach_a_caption(built):
    page = built.page("days/day-07.md")
    for figure in _figures(page):
        assert not re.search("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", "".join(figure))


def test_broken_mathtext_in_a_title_passes_as_python_does_drawn_as_plain_text(built):
    assert built.result(8)["figures"] == ["figure-01.png"]
    assert (built.root / "results/day-08/figure-01.png").stat().st_size > 1000
    assert _figures(built.page("days/day-08.md")) == [
        ("Plot: &#36;&#92;frac&#123;1&#125;&#123;&#36;", "&#36;&#92;frac&#123;1&#125;&#123;&#36;")]


def test_caption_of_strips_controls_and_reordering_marks():
    assert render.caption_of(["\u202e\x1b[31mred\u2069", "  ", "b\u200fc"]) == {
        "caption": "[31mred", "alt": "Plot: [31mred; b c"}
    assert render.caption_of(["\x07", ""]) is None


# --- 7: tags fold case, anchors are unique -------------------------------------------------


def test_tags_spelled_three_ways_are_one_tag_spelled_the_first_way(built):
    tags = built.page("tags.md")
    assert tags.count('<dt id="tag-cnn">') == 1
    assert '<dt id="tag-cnn">CNN <span class="jl-chip-count">3</span></dt>' in tags
    assert ">cnn<" not in tags and ">Cnn<" not in tags
    day3 = built.page("days/day-03.md")
    assert '<a class="jl-chip" href="../tags.html#tag-cnn">CNN</a>' in day3


def test_two_different_tags_never_share_an_anchor(built):
    ids = re.findall(r'<dt id="([^"]+)">', built.page("tags.md"))
    assert len(ids) == len(set(ids)) == 6, ids  # CNN, vision, C++ (twice spelled), c-…, C-, untagged


@pytest.mark.parametrize("tags", [
    ["c++", "c", "c-", "C-", "c--", "c+", "a-b", "a--b", "a b", "ab", "", "-", "--", COLLIDING,
     "tag", "ß", "ss2", "x" * 40, "é", "e", "\u0301e"],
])
def test_anchors_are_unique_by_construction(tags):
    anchors = {}
    for tag in tags:
        anchors.setdefault(render.tag_anchor(tag), set()).add(tag_key(tag))
    assert all(len(keys) == 1 for keys in anchors.values()), anchors
    assert render.tag_anchor("CNN") == render.tag_anchor("ｃｎｎ") == "tag-cnn"


# --- beside the solution: what Jupyter would not mind ----------------------------------------


def test_links_that_loop_unreadable_files_and_deep_trees_beside_it_do_not_fail_the_run(built):
    log = (built.root / f"results/day-09/{built.result(9)['log']}").read_text()
    listed = ast.literal_eval(log.splitlines()[0])  # the run's listing of its working folder
    assert "d" in listed and "listing.py" in listed
    assert not {"loop", "ping", "pong", "memory.bin"} & set(listed)
    assert (built.root / "solutions/loop").is_symlink(), "the learner's files are left as they were"
