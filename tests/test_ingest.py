"""`build.py ingest`: a day's notebook run elsewhere comes back as the day's run, or is refused.

nbclient stands in for Colab: each day's exported notebook is run in a folder outside the
journal, as a learner's browser tab would, then brought back. Every refusal is one line and
exit 2, with the journal's results exactly as they were.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import shutil
from pathlib import Path

import nbformat
import pytest
import torch
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tests.helpers import copy_journal, entry_yaml, make_journal, snapshot, toy_solution
from torchleet_journal.build.pipeline import Options, build
from torchleet_journal.cli import main
from torchleet_journal.model.results import load_result
from torchleet_journal.pages import export

FAILING = toy_solution() + 'raise ValueError("loss too high")\n'
NOTEBOOK = {"cells": [
    {"cell_type": "markdown", "metadata": {}, "source": ["# A toy notebook"]},
    {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
     "source": ["%matplotlib inline\n", "import matplotlib.pyplot as plt\n", "print('first')"]},
    {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
     "source": ["plt.plot([3, 1, 2])\n", "plt.show()"]}],
    "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
RAN_ON = f"ran on Jupyter, CPU, torch {torch.__version__}"


def execute(notebook: Path, folder: Path) -> Path:
    """Run a notebook as Colab's "Run all" would, in `folder`: stopping at the first error."""
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(notebook, as_version=4)
    try:
        NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(folder)}}).execute()
    except CellExecutionError:
        pass  # the notebook keeps the outputs up to the failing cell, as a browser tab does
    ran = folder / f"ran-{notebook.name}"
    nbformat.write(nb, ran)
    return ran


@pytest.fixture(scope="module")
def journal(tmp_path_factory):
    """A built three-day journal (day 1 needs CUDA, day 3 fails) and its days' notebooks, each
    run outside it. Tests that change it work on a copy."""
    base = tmp_path_factory.mktemp("ingest")
    root = make_journal(base, days={1: toy_solution(), 2: toy_solution(50), 3: FAILING},
                        extra_files={"entries/day-01.yaml": entry_yaml(
                            1, "solutions/day01.py", requires="cuda"),
                            "solutions/day04.ipynb": json.dumps(NOTEBOOK),
                            "entries/day-04.yaml": entry_yaml(4, "solutions/day04.ipynb")})
    build(root, Options(site=False))
    outside = base / "outside"  # a browser tab's folder: nothing of the journal's beside it
    ran = {day: execute(next((root / f"results/day-0{day}").glob("*.ipynb")), outside)
           for day in (1, 2, 3, 4)}
    return root, ran


def ingest(root: Path, notebook: Path, capsys, *more: str) -> tuple[int, str]:
    """`build.py ingest`, in process: its exit code and the one line it printed."""
    code = main(["ingest", str(notebook), "--root", str(root), *more])
    out, err = capsys.readouterr()
    lines = (out + err).splitlines()
    assert len(lines) == 1, lines
    return code, lines[0]


@pytest.fixture(scope="module")
def brought_back(journal, tmp_path_factory):
    """A copy of the journal with all three days' outside runs ingested, then built."""
    root = copy_journal(journal[0], tmp_path_factory.mktemp("back"))
    said = {}
    for day, notebook in journal[1].items():
        code = main(["ingest", str(notebook), "--root", str(root)])
        said[day] = code
    return root, said, build(root, Options(site=False))


def test_the_exported_notebook_of_a_cuda_day_has_no_outputs_and_says_how_to_come_back(journal):
    root, _ = journal
    notebook = json.loads(next((root / "results/day-01").glob("*.ipynb")).read_text())
    assert notebook["metadata"]["journal"] == {
        "day": 1, "solution": "solutions/day01.py",
        "sha256": __import__("hashlib").sha256((root / "solutions/day01.py").read_bytes())
        .hexdigest()}
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert "".join(code[-1]["source"]) == export.RECORD_CELL
    assert "python build.py ingest FILE.ipynb" in "".join(notebook["cells"][0]["source"])


def test_the_last_cell_records_scalars_and_device_and_reruns_cleanly(journal, tmp_path):
    root, ran = journal
    record = nbformat.read(ran[2], as_version=4).cells[-1].outputs[-1]["data"][export.RECORD_MIME]
    assert record["where"] == "Jupyter" and record["device"] == "CPU"
    assert record["torch"] == torch.__version__
    assert [s["tag"] for s in record["scalars"]] == ["Loss/train"]
    assert record["scalars"][0]["steps"] == list(range(50))
    # Run again where the first run's event files still are: only the new run's are read.
    shutil.copytree(ran[2].parent / "runs", tmp_path / "runs")
    before = len(list((tmp_path / "runs").iterdir()))
    again = execute(next((root / "results/day-02").glob("*.ipynb")), tmp_path)
    assert len(list((tmp_path / "runs").iterdir())) == before + 1 > 2
    record = nbformat.read(again, as_version=4).cells[-1].outputs[-1]["data"][export.RECORD_MIME]
    assert [(s["tag"], len(s["steps"])) for s in record["scalars"]] == [("Loss/train", 50)]


def test_an_outside_run_is_stored_and_the_next_build_runs_nothing(brought_back):
    root, said, report = brought_back
    assert said == {1: 0, 2: 0, 3: 1, 4: 0}  # day 3's run failed, as it did here
    assert [d.entry.day for d in report.days if d.ran] == []
    assert [d.entry.day for d in report.failures] == [3]
    for day in (1, 2):
        result = load_result(root, day)
        assert result.ok and result.ran_on == {"where": "Jupyter", "device": "CPU",
                                               "torch": torch.__version__}
        assert result.figures == ["figure-01.png"] and list(result.scalars) == ["Loss/train"]
        page = (root / f"docs/days/day-0{day}.md").read_text()
        assert f"{RAN_ON[:1].upper()}{RAN_ON[1:]}, on {result.ran_at[:10]}, brought back" in page
        assert f'<img src="day-0{day}/figure-01.png"' in page
        assert f'<img src="day-0{day}/chart-01.png"' in page and "<code>Loss/train</code>" in page
        assert (root / f"docs/days/day-0{day}/figure-01.png").read_bytes()[:4] == b"\x89PNG"
    assert "final loss" in load_result(root, 2).log_head


def test_a_notebook_solutions_figures_stay_with_their_cells(brought_back):
    root, _, _ = brought_back
    result = load_result(root, 4)
    assert result.figures == [] and [(c["index"], c["figures"]) for c in result.cells] == [
        (1, []), (2, ["figure-01.png"])]
    assert result.log_head == "first\n"
    page = (root / "docs/days/day-04.md").read_text()
    assert '<img src="day-04/figure-01.png"' in page


def test_a_cuda_day_shows_its_ingested_run_on_a_machine_without_cuda(brought_back):
    root, _, report = brought_back
    day = report.days[0]
    assert day.entry.requires == "cuda" and day.status.case == "passed" and not day.ran


def test_the_outcome_line_says_what_was_stored(journal, tmp_path, capsys):
    root = copy_journal(journal[0], tmp_path)
    code, line = ingest(root, journal[1][2], capsys)
    result = load_result(root, 2)
    assert code == 0
    assert line == (f"day-02: stored the run that {RAN_ON}, on {result.ran_at[:10]} as passed: "
                    "1 figure, 1 scalar, 1 line of output; `python build.py` shows it")


def test_a_colab_run_says_so_on_the_page(journal, tmp_path, capsys):
    root = copy_journal(journal[0], tmp_path / "copy", site=False)

    def on_colab(notebook):
        record = notebook["cells"][-1]["outputs"][-1]["data"][export.RECORD_MIME]
        record.update(where="Colab", device="Tesla T4\x1b]0;owned\x07", torch="2.5.1+cu121",
                      ran_at="2026-12-03T09:15:00+00:00")
    code, line = ingest(root, edited(journal[1][2], tmp_path, on_colab), capsys)
    assert code == 0 and line.startswith(
        "day-02: stored the run that ran on Colab, Tesla T4, torch 2.5.1+cu121, on "
        "2026-12-03 as passed: ")
    build(root, Options(site=False))
    assert "Ran on Colab, Tesla T4, torch 2.5.1+cu121, on 2026-12-03, brought " \
        "back with `build.py ingest`" in (root / "docs/days/day-02.md").read_text()


def test_a_run_with_an_error_output_is_stored_as_a_failed_run(brought_back):
    root, _, _ = brought_back
    result = load_result(root, 3)
    assert result.status == "failed" and result.reason == "ValueError: loss too high"
    assert "loss too high" in result.traceback and "\x1b" not in result.traceback
    assert result.ran_on == {}  # "Run all" stopped at the error: the record cell never ran
    page = (root / "docs/days/day-03.md").read_text()
    assert f"Ran elsewhere on {result.ran_at[:10]}, brought back with `build.py ingest`" in page
    assert '<img src="day-03/figure-01.png"' in page  # shown before it raised


def test_publishing_with_other_versions_keeps_an_ingested_run(brought_back, tmp_path,
                                                               monkeypatch):
    """The Pages runner's Python or torch differs from the learner's: a run brought back from a
    GPU is published as stored, never trained on the runner; a learner's build runs it again."""
    from torchleet_journal.build import pipeline

    root = copy_journal(brought_back[0], tmp_path, site=False)
    here = pipeline.versions()
    monkeypatch.setattr(pipeline, "versions", lambda: {**here, "python": "3.99"})
    report = build(root, Options(site=False, publish=True))
    assert [d.entry.day for d in report.days if d.ran] == []
    assert {d.entry.day for d in report.days if d.as_stored} >= {2, 4}  # day 1: no CUDA here
    report = build(root, Options(site=False, only=frozenset({2})))
    assert [d.entry.day for d in report.days if d.ran] == [2]


def test_editing_the_solution_puts_an_ingested_run_out_of_date(brought_back, tmp_path):
    root = copy_journal(brought_back[0], tmp_path, site=False)
    with open(root / "solutions/day02.py", "a") as handle:
        handle.write("# edited\n")
    assert build(root, Options(site=False, only=frozenset({3}))).stale_skipped == [2]


# --- refused, with nothing written ---------------------------------------------------------


@pytest.fixture
def unchanged(journal):
    """The journal's results and scratch folder, checked to be as they were after the test."""
    root = journal[0]
    before = snapshot(root, ("results",))
    yield root
    assert snapshot(root, ("results",)) == before
    assert not list((root / ".journal").glob("ingest-*"))


def edited(ran: Path, folder: Path, change) -> Path:
    """A copy of a run notebook with `change` applied to its JSON."""
    notebook = json.loads(ran.read_text())
    change(notebook)
    path = folder / "edited.ipynb"
    path.write_text(json.dumps(notebook))
    return path


def solution_cell(notebook: dict) -> dict:
    return [c for c in notebook["cells"] if c["cell_type"] == "code"][1]


def test_changed_code_is_refused_naming_the_first_difference(journal, unchanged, tmp_path,
                                                             capsys):
    def change(notebook):
        cell = solution_cell(notebook)
        cell["source"] = "".join(cell["source"]).replace("lr=0.5", "lr=0.4")
    path = edited(journal[1][2], tmp_path, change)
    code, line = ingest(unchanged, path, capsys)
    assert (code, line) == (2, (
        f"{path}:1: its code is not solutions/day02.py's as it is now: line 10 reads "
        "'optimizer = torch.optim.SGD(model.parameters(), lr=0.4)', the solution's "
        "'optimizer = torch.optim.SGD(model.parameters(), lr=0.5)'; run the day's notebook as it "
        "is now, or put the change into solutions/day02.py first; nothing was written"))


def test_a_notebook_of_an_earlier_solution_is_refused(journal, tmp_path, capsys):
    root = copy_journal(journal[0], tmp_path, site=False)
    with open(root / "solutions/day02.py", "a") as handle:
        handle.write("# edited\n")
    before = snapshot(root, ("results",))
    code, line = ingest(root, journal[1][2], capsys)
    assert (code, line) == (2, (
        f"{journal[1][2]}:1: its code is not solutions/day02.py's as it is now: line 23 reads "
        "nothing, the solution's '# edited' (the notebook was made from an earlier version of "
        "it); run the day's notebook as it is now, or put the change into solutions/day02.py "
        "first; nothing was written"))
    assert snapshot(root, ("results",)) == before


def test_another_days_notebook_is_refused(journal, unchanged, capsys):
    code, line = ingest(unchanged, journal[1][3], capsys, "--day", "2")
    assert (code, line) == (2, f"{journal[1][3]}:1: this is day 3's notebook, not day 2's; "
                            "ingest it with --day 3, or bring day 2's own notebook; nothing was "
                            "written")


def test_a_truncated_notebook_is_refused(journal, unchanged, tmp_path, capsys):
    path = tmp_path / "cut.ipynb"
    path.write_bytes(journal[1][2].read_bytes()[:5000])
    code, line = ingest(unchanged, path, capsys)
    assert code == 2
    assert line.startswith(f"{path}:") and line.endswith(
        " (the file ends early: cut short?); download it again; nothing was written")
    assert ": not a notebook: its JSON is broken at column " in line


def test_an_unexecuted_notebook_is_refused(journal, unchanged, capsys):
    # Day 3's notebook as the journal exported it: the journal's own run's outputs, no counts.
    exported = next((unchanged / "results/day-03").glob("*.ipynb"))
    assert solution_cell(json.loads(exported.read_text()))["outputs"]
    code, line = ingest(unchanged, exported, capsys)
    assert (code, line) == (2, (
        f"{exported}:1: the notebook has not been run here (no code cell has an execution "
        "count); run all its cells (Colab: Runtime → Run all), then download it (File → "
        "Download .ipynb); nothing was written"))


def test_a_run_with_cells_out_of_order_is_refused(journal, unchanged, tmp_path, capsys):
    def change(notebook):
        solution_cell(notebook)["execution_count"] = 9
    path = edited(journal[1][2], tmp_path, change)
    code, line = ingest(unchanged, path, capsys)
    assert code == 2 and "its cells ran out of order ([3] after [9])" in line


# --- outputs are data ----------------------------------------------------------------------


def jpeg() -> str:
    from PIL import Image

    data = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(data, "JPEG")
    return base64.b64encode(data.getvalue()).decode()


LIVE = [{"output_type": "display_data", "metadata": {},
         "data": {"text/html": "<script>alert('html')</script>", "text/plain": "<b>plain</b>"}},
        {"output_type": "display_data", "metadata": {},
         "data": {"application/javascript": "alert('js')"}},
        {"output_type": "execute_result", "metadata": {}, "execution_count": 2,
         "data": {"image/svg+xml": "<svg onload=\"alert('svg')\"></svg>"}},
        {"output_type": "display_data", "metadata": {},  # HTML that claims to be a PNG
         "data": {"image/png": base64.b64encode(b"<html><script>alert('png')</script>").decode()}},
        {"output_type": "display_data", "metadata": {}, "data": {"image/jpeg": jpeg()}}]


def test_html_javascript_and_svg_outputs_are_never_published_live(journal, tmp_path, capsys):
    root = copy_journal(journal[0], tmp_path / "copy", site=False)
    path = edited(journal[1][2], tmp_path, lambda nb: solution_cell(nb)["outputs"].extend(LIVE))
    code, line = ingest(root, path, capsys)
    assert code == 0
    assert line.endswith(
        "2 figures, 1 scalar, 2 lines of output, an image output left out (not the PNG image it "
        "claims to be), 3 HTML/JavaScript/SVG outputs not published (shown as text where they "
        "had a plain-text form); `python build.py` shows it")
    result = load_result(root, 2)
    assert result.figures == ["figure-01.png", "figure-02.jpg"]
    build(root, Options(site=False))
    exported = json.loads(next((root / "results/day-02").glob("*.ipynb")).read_text())
    assert [o["data"]["image/jpeg"] for o in solution_cell(exported)["outputs"]
            if "image/jpeg" in o.get("data", {})] == [LIVE[-1]["data"]["image/jpeg"]]
    page = (root / "docs/days/day-02.md").read_text()
    assert "alert(" not in page and "<svg" not in page and "<script" not in page
    assert "```text\n" in page and "<b>plain</b>" in result.log_head  # as text, in a fence
    assert not list((root / "results/day-02").glob("*.htm*"))


def test_a_50_mb_output_is_cut_to_its_head_and_tail(journal, tmp_path, capsys):
    root = copy_journal(journal[0], tmp_path / "copy", site=False)
    flood = {"output_type": "stream", "name": "stdout", "text": "x" * 99 + "\n"}
    flood["text"] *= 500_000  # 50 MB
    path = edited(journal[1][2], tmp_path, lambda nb: solution_cell(nb)["outputs"].append(flood))
    code, line = ingest(root, path, capsys)
    assert code == 0 and "output cut to its first and last 2 MB of 47.7 MB;" in line
    result = load_result(root, 2)
    assert result.log == "output.log.gz"
    log = gzip.decompress((root / "results/day-02/output.log.gz").read_bytes()).decode()
    assert len(log) < 4.1 * 2**20 and "characters not kept by `build.py ingest`" in log
    assert log.startswith("final loss")
