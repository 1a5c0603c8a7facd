"""A notebook per day: the solution with its last run's outputs, valid, downloadable, on Colab."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap

import nbformat
import pytest

from tests.helpers import copy_journal, make_journal
from torchleet_journal.build.pipeline import Options, build
from torchleet_journal.model.results import load_result
from torchleet_journal.model.siteconfig import read_config
from torchleet_journal.pages import export

REPO_URL = "https://github.com/ada/torch-days"


def notebook_of(root, day) -> tuple[dict, str]:
    path = next((root / f"results/day-{day:02d}").glob("*.ipynb"))
    nbformat.validate(nbformat.read(path, as_version=4))  # raises if not valid nbformat 4
    return json.loads(path.read_text()), path.name


def outputs(notebook: dict, kind: str) -> list[dict]:
    return [o for c in notebook["cells"] if c["cell_type"] == "code" for o in c["outputs"]
            if o["output_type"] == kind]


def test_every_seed_day_has_a_committed_notebook_with_its_figures_and_output(seed):
    root, report, committed = seed
    for day in report.days:
        notebook, name = notebook_of(root, day.entry.day)
        assert f"results/{day.entry.slug}/{name}" in committed  # committed, not made here
        result = day.result
        images = [o["data"]["image/png"] for o in outputs(notebook, "display_data")]
        assert images == [base64.b64encode((root / "results" / day.entry.slug / f)
                                           .read_bytes()).decode() for f in result.figures]
        assert images, f"day {day.entry.day} has no figure"
        printed = "".join("".join(o["text"]) for o in outputs(notebook, "stream"))
        assert (result.log_head + result.log_tail).splitlines()[-1] in printed
        assert (root / day.entry.solution).read_text() in \
            ["".join(c["source"]) for c in notebook["cells"]]


def test_a_build_leaves_the_committed_notebooks_as_they_are(seed):
    root, _, committed = seed
    for rel, data in committed.items():
        if rel.endswith(".ipynb"):
            assert (root / rel).read_bytes() == data, rel


def test_each_day_page_offers_its_notebook_for_download(seed):
    root, report, _ = seed
    for day in report.days:
        name = export.notebook_name(day.entry)
        html = (root / f"site/days/{day.entry.slug}.html").read_text()
        assert f'href="{day.entry.slug}/{name}"' in html  # days/day-NN.html's own folder
        assert (root / f"site/days/{day.entry.slug}/{name}").is_file()
        assert "colab.research.google.com" not in html  # no GitHub repo_url in the seed


def test_day_2s_notebook_finds_its_csv_outside_the_repository(seed, tmp_path):
    """Run the notebook's code cells as Jupyter would (no __file__), with nothing beside it."""
    root, _, _ = seed
    notebook, name = notebook_of(root, 2)
    code = [("".join(c["source"])) for c in notebook["cells"] if c["cell_type"] == "code"]
    script = "ns = {'__name__': '__main__'}\n" + "".join(
        f"exec(compile({cell!r}, 'cell {n}', 'exec'), ns)\n" for n, cell in enumerate(code))
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, env={**os.environ, "MPLBACKEND": "Agg"}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Loaded 100 rows from day02.csv" in done.stdout
    assert (tmp_path / "data/day02.csv").read_bytes() == \
        (root / "solutions/data/day02.csv").read_bytes()


@pytest.fixture(scope="module")
def on_github(seed, tmp_path_factory):
    """The built seed journal given a GitHub repo_url, rendered twice (nothing runs)."""
    root = copy_journal(seed.root, tmp_path_factory.mktemp("github"), site=False)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text() + f"repo_url: {REPO_URL}\n")
    first = build(root, Options(site=False))
    return root, first, build(root, Options(site=False))


def test_with_a_github_repo_url_each_day_page_links_its_notebook_on_colab(on_github):
    root, first, _ = on_github
    for day in first.days:
        name = export.notebook_name(day.entry)
        url = (f"https://colab.research.google.com/github/ada/torch-days/blob/main/results/"
               f"{day.entry.slug}/{name}")
        assert f'<a href="{url}">Open in Colab</a>' in \
            (root / f"docs/days/{day.entry.slug}.md").read_text()
        assert (root / f"results/{day.entry.slug}/{name}").is_file()


def test_with_a_github_repo_url_notebooks_fetch_their_data_from_it(on_github):
    root, first, second = on_github
    notebook, _ = notebook_of(root, 2)
    setup = "".join(notebook["cells"][1]["source"])
    assert ("'data/day02.csv': 'https://raw.githubusercontent.com/ada/torch-days/main/solutions/"
            "data/day02.csv'") in setup
    assert "urllib.request.urlretrieve(url, path)" in setup
    assert "results/day-02/day02_custom_dataset.ipynb" in first.written  # repo_url changed it
    assert not [w for w in second.written if w.startswith("results/")]  # same bytes: not written


def test_no_notebook_for_a_run_of_another_source(seed):
    root, report, _ = seed
    day = report.days[0]
    result = load_result(root, day.entry.day)
    source = (root / day.entry.solution).read_bytes()
    config = read_config(root)
    assert export.day_notebook(root, day.entry, result, source, config) is not None
    assert export.day_notebook(root, day.entry, result, source + b"\n# edited\n", config) is None


NOTEBOOK_SOLUTION = {
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# A toy notebook"]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": ["%matplotlib inline\n", "import matplotlib.pyplot as plt\n",
                    "import torch\n", "print('first cell')"]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": ["plt.plot(torch.arange(3).tolist())\n", "plt.show()\n", "print('second')"]},
    ],
    "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def test_a_notebook_solution_gets_its_figures_cell_by_cell(tmp_path):
    root = make_journal(tmp_path, days={}, extra_files={
        "solutions/day01.ipynb": json.dumps(NOTEBOOK_SOLUTION),
        "entries/day-01.yaml": textwrap.dedent("""\
            day: 1
            date: 2025-01-01
            task: A toy notebook
            solution: solutions/day01.ipynb
        """)})
    report = build(root, Options(site=False))
    assert report.days[0].result.ok, report.days[0].result.reason
    notebook, name = notebook_of(root, 1)
    assert name == "day01-with-outputs.ipynb"
    cells = [c for c in notebook["cells"] if c["cell_type"] == "code"][:-1]  # less the record
    assert "".join(cells[-2]["source"]).startswith("%matplotlib inline")
    assert cells[-2]["outputs"] == []
    kinds = [o["output_type"] for o in cells[-1]["outputs"]]
    assert kinds == ["stream", "display_data"]  # all the run printed, then the cell's figure
    assert "first cell" in "".join(cells[-1]["outputs"][0]["text"])
    page = (root / "docs/days/day-01.md").read_text()
    assert "(day-01/day01-with-outputs.ipynb)" in page and "(day-01/day01.ipynb)" in page
