"""Notebooks as solutions: cells run in order in the child, the page shows them with figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import entry_yaml, make_journal
from torchleet_journal.build.pipeline import Options, build
from torchleet_journal.model.notebook import cells_of


def notebook(*cells: tuple[str, str]) -> str:
    """A .ipynb's text from (kind, source) pairs, as Jupyter writes it (sources as line lists)."""
    def cell(kind, source):
        extra = {"outputs": [], "execution_count": None} if kind == "code" else {}
        return {"cell_type": kind, "metadata": {}, "source": source.splitlines(True), **extra}
    return json.dumps({"cells": [cell(*c) for c in cells], "metadata": {}, "nbformat": 4,
                       "nbformat_minor": 5})


FIT = notebook(
    ("markdown", "# Fit a line\n\nA <b>bold</b> claim about $x^2$.\n"),
    ("code", "%matplotlib inline\n!pip install nothing\nimport pickle\nimport torch\n\n"
             "class Point:\n    pass\n\n"
             "assert isinstance(pickle.loads(pickle.dumps(Point())), Point)\n"
             "x = torch.linspace(0, 1, 10)\nx.shape"),
    ("code", "import matplotlib.pyplot as plt\nplt.plot(x, 2 * x)\nplt.title('the fit')"),
    ("markdown", "Done: the line fits."),
)
BROKEN = notebook(
    ("code", "import matplotlib.pyplot as plt\nplt.plot([1, 2], [2, 1])\nplt.show()\ny = 1"),
    ("code", "def ratio():\n    return y / 0\n\nratio()"),
    ("code", "print('this cell never runs')"),
)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = make_journal(tmp_path_factory.mktemp("notebooks"), days={}, extra_files={
        "solutions/day01.ipynb": FIT,
        "solutions/day02.ipynb": BROKEN,
        "solutions/day03.ipynb": "this is not JSON",
        "entries/day-01.yaml": entry_yaml(1, "solutions/day01.ipynb"),
        "entries/day-02.yaml": entry_yaml(2, "solutions/day02.ipynb"),
        "entries/day-03.yaml": entry_yaml(3, "solutions/day03.ipynb"),
    })
    build(root, Options())  # with the site: mkdocs --strict must accept the notebook pages
    return root


def result(root: Path, day: int) -> dict:
    return json.loads((root / f"results/day-{day:02d}/result.json").read_text())


def log(root: Path, day: int) -> str:
    stored = result(root, day)["log"]
    return (root / f"results/day-{day:02d}" / stored).read_text()


def test_cells_are_recorded_in_order_with_the_figure_on_the_plotting_cell(built):
    stored = result(built, 1)
    assert stored["status"] == "passed"
    assert [(c["index"], c["kind"]) for c in stored["cells"]] == [
        (0, "markdown"), (1, "code"), (2, "code"), (3, "markdown")]
    assert [len(c["figures"]) for c in stored["cells"]] == [0, 0, 1, 0]
    assert stored["figures"] == [], "a cell's figure is not shown again at the end"


def test_magics_and_shell_lines_are_skipped_with_a_note_and_last_values_shown(built):
    output = log(built, 1)
    assert "cell 1: skipped `%matplotlib inline`" in output
    assert "cell 1: skipped `!pip install nothing`" in output
    assert "torch.Size([10])" in output  # the cell's last expression, as Jupyter shows it


def test_page_shows_cells_in_order_with_the_figure_after_its_cell(built):
    page = (built / "docs/days/day-01.md").read_text()
    solution = page[page.index("## Solution"):]
    figure = result(built, 1)["cells"][2]["figures"][0]
    order = ["### Fit a line", '```python title="Cell 1"', '```python title="Cell 2"',
             f'<img src="day-01/{figure}" alt="Plot: the fit">', "Done: the line fits."]
    positions = [solution.index(text) for text in order]
    assert positions == sorted(positions)
    assert ('A &lt;b&gt;bold&lt;/b&gt; claim about <span class="arithmatex">&#92;(x^2&#92;)</span>.'
            in solution), "raw HTML is shown as text, the math marked for KaTeX"
    assert (built / "docs/days/day-01" / figure).stat().st_size > 1000


def test_html_page_has_the_figure_after_the_cell_that_drew_it(built):
    html = (built / "site/days/day-01.html").read_text()
    figure = result(built, 1)["cells"][2]["figures"][0]
    assert "<b>bold</b>" not in html
    cell, image = html.index(">Cell 2<"), html.index(f'src="day-01/{figure}"')
    assert cell < image < html.index("Done: the line fits")
    assert (built / "site/days/day-01" / figure).is_file()


def test_a_failing_cell_fails_the_day_with_its_traceback_and_stops(built):
    stored = result(built, 2)
    assert stored["status"] == "failed"
    assert stored["reason"] == "cell 2: ZeroDivisionError: division by zero"
    assert 'File "solutions/day02.ipynb, cell 2", line 4, in <module>' in stored["traceback"]
    assert "return y / 0" in stored["traceback"]
    assert [c["index"] for c in stored["cells"]] == [0, 1], "cell 3 never ran"
    assert "this cell never runs" not in log(built, 2)
    assert len(stored["cells"][0]["figures"]) == 1, "plt.show() inside a cell belongs to that cell"


def test_failing_page_shows_the_traceback_and_where_the_run_stopped(built):
    page = (built / "docs/days/day-02.md").read_text()
    assert "ZeroDivisionError: division by zero" in page
    assert '"solutions/day02.ipynb, cell 2", line 2, in ratio' in page
    stop = page.index('!!! failure "The run stopped in cell 2')
    assert page.index('title="Cell 2"') < stop < page.index('title="Cell 3"')


def test_a_file_that_is_no_notebook_fails_its_day_and_shows_as_text(built):
    stored = result(built, 3)
    assert stored["status"] == "failed"
    assert stored["reason"].startswith("reading the notebook: JSONDecodeError")
    assert "this is not JSON" in (built / "docs/days/day-03.md").read_text()


# --- the pieces, without a run -------------------------------------------------------------


def test_cells_of_numbers_code_cells_and_drops_raw_ones():
    text = json.dumps({"cells": [
        {"cell_type": "markdown", "source": ["# A\n", "text"]},
        {"cell_type": "raw", "source": "raw"},
        {"cell_type": "code", "source": "x = 1"},
        {"cell_type": "code", "source": ["y = ", "2"]}]})
    assert cells_of(text) == [
        {"index": 0, "kind": "markdown", "source": "# A\ntext", "number": None},
        {"index": 2, "kind": "code", "source": "x = 1", "number": 1},
        {"index": 3, "kind": "code", "source": "y = 2", "number": 2}]


@pytest.mark.parametrize("text", ["[]", "{}", "{not json"])
def test_cells_of_refuses_what_is_no_notebook(text):
    with pytest.raises(ValueError):
        cells_of(text)
