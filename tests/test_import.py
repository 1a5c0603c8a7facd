"""`build.py import TABLE.md`: a hand-kept progress table and its notebooks become a journal."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import make_journal, snapshot, write
from torchleet_journal.cli import main
from torchleet_journal.intake import placing, table
from torchleet_journal.model.catalog import load_catalog
from torchleet_journal.model.entries import Resource, load_entries

# The learner's own table this project started from, as they wrote it (../shared/seed/journal.md).
SEED = (Path(__file__).parent / "data/seed_journal.md").read_text(encoding="utf-8")


def run(args: list[str]) -> tuple[int, str, str]:
    """`build.py ARGS` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def notebook(heading: str, code: str) -> str:
    """A small Jupyter notebook: a Markdown heading cell, then one code cell."""
    cells = [{"cell_type": "markdown", "metadata": {}, "source": [f"# {heading}\n"]},
             {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
              "source": code.splitlines(True)}]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def commit(repo: Path, date: str, files: dict[str, str | bytes]) -> None:
    """Write `files` in `repo` and commit them as made on `date`."""
    for rel, content in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    stamp = f"{date}T12:00:00+00:00"
    env = dict(os.environ, GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp,
               GIT_AUTHOR_NAME="Learner", GIT_AUTHOR_EMAIL="l@example.com",
               GIT_COMMITTER_NAME="Learner", GIT_COMMITTER_EMAIL="l@example.com")
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", f"work of {date}"], check=True,
                   env=env)


def seed_rows(text: str, days: range) -> str:
    """The seed table with only the rows of `days`, as it stood on an earlier day."""
    lines = text.splitlines(True)
    keep = []
    for line in lines:
        found = table.DAY_CELL.match(table.plain_text(table.cells(line)[0])) \
            if line.startswith("|") else None
        if found is None or int(found.group(1)) in days:
            keep.append(line)
    return "".join(keep)


CSV_READER = 'text = open("ep2_data.csv").read()\nassert text.startswith("x,y")\nprint(len(text))\n'
TINY = "import torch\nprint(torch.ones(3).sum().item())\n"


@pytest.fixture(scope="module")
def learner(tmp_path_factory):
    """A learner's repository like the one this project started from: the seed table, a
    notebook a day named e1, ep2 ... m1, a CSV, TensorBoard runs, a checkpoint, a .DS_Store,
    a notebook of no day, one that could be two days; committed day by day."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("learner") / "TorchLeet-journey"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    commit(repo, "2025-01-20", {"journal.md": seed_rows(SEED, range(1, 3))})
    commit(repo, "2025-01-24", {"linear_regression_e1.ipynb": notebook("Linear Regression", TINY),
                                ".DS_Store": b"\0\1", "runs/Jan24/events.out.tfevents.1": b"x"})
    commit(repo, "2025-01-25", {"ep2.ipynb": notebook("Custom dataset from a CSV", CSV_READER),
                                "ep2_data.csv": "x,y\n1,2\n", "model.pth": b"\0" * 64})
    commit(repo, "2025-01-26", {"journal.md": SEED})
    for day, date in ((3, "2025-01-27"), (4, "2025-01-28"), (5, "2025-01-29"),
                      (6, "2025-01-30")):
        commit(repo, date, {f"e{day}.ipynb": notebook(f"Exercise {day}", TINY)})
    commit(repo, "2025-02-03", {"m1.ipynb": notebook("Sequences", TINY),
                                "scratchpad.ipynb": notebook("Trying things", TINY),
                                "losses.ipynb": notebook("Custom function", TINY)})
    before = {p.relative_to(repo).as_posix(): p.read_bytes() for p in repo.rglob("*")
              if p.is_file() and ".git" not in p.parts}
    root = make_journal(tmp_path_factory.mktemp("imported"), days={})
    code, out, err = run(["import", str(repo / "journal.md"), "--root", str(root)])
    return repo, root, before, code, out, err


def test_every_seed_row_becomes_an_entry_the_loader_accepts(learner):
    _, root, _, code, out, err = learner
    assert (code, err) == (0, "")
    entries = load_entries(root, load_catalog())
    assert [e.day for e in entries] == list(range(1, 9))
    assert [e.problem for e in entries] == ["v1-1", "v1-2", "v1-3", "v1-4", "v1-5", "v1-6",
                                            "v1-7", "v1-17"]
    one, two, *_, six, seven, eight = entries
    assert one.task == "Implement Linear Regression"  # "(Easy)" became the tier
    assert one.difficulty == "basic", "the catalog's tier of today for a known problem"
    assert one.learnings[0].startswith("Linear regression is linear in parameters")
    assert one.learnings[1] == "For multiple output regression, multiple heads are used"
    assert one.resources == ()
    assert two.gaps == ("Ensure `dtype` of the input data and the model weights are the same",
                        "Dataset` and `DataLoader` reside in `torch.utils.data`",
                        "achieve train/test split",
                        "an element of a `DataLoader` can be extracted with `next(iter(`")
    assert six.resources == (
        Resource("Neptune Tensorboard Tutorial", "https://neptune.ai/blog/tensorboard-tutorial"),
        Resource("SummaryWriter Class", "https://github.com/pytorch/pytorch/blob/v2.6.0/torch/"
                 "utils/tensorboard/writer.py#L172"))
    assert seven.solution == "solutions/day07_save_load_pytorch_model.ipynb"
    assert eight.gaps == ("Difference between `time_step, batch_size, sequence_length, "
                          "test_sequence`", "hidden states")
    assert "imported 8 days" in out


def test_notebooks_are_matched_by_number_tier_and_title(learner):
    _, root, _, _, out, _ = learner
    entries = {e.day: e for e in load_entries(root, load_catalog())}
    assert entries[1].solution == "solutions/day01_linear_regression.ipynb"
    assert entries[2].solution == "solutions/day02_custom_dataset_dataloader_load.ipynb"
    # m1: the first medium day, not day 1 (a basic one), with nothing in its title to help
    assert entries[8].solution == "solutions/day08_lstm_model.ipynb"
    assert (root / entries[8].solution).read_text() == notebook("Sequences", TINY)
    assert "m1.ipynb -> solutions/day08_lstm_model.ipynb" in out


def test_the_csv_lands_beside_its_notebook_and_runs_and_checkpoints_never_do(learner):
    _, root, _, _, _, _ = learner
    assert (root / "solutions/ep2_data.csv").read_text() == "x,y\n1,2\n"
    copied = sorted(p.relative_to(root / "solutions").as_posix()
                    for p in (root / "solutions").rglob("*"))
    assert not [name for name in copied if "runs" in name or name.endswith((".pth",
                                                                              ".DS_Store"))]


def test_unmatched_and_ambiguous_files_are_listed_with_what_to_do(learner):
    _, _, _, _, out, _ = learner
    assert ("not matched: scratchpad.ipynb: nothing in its name or title names a day of the "
            "table; to use it, copy it into solutions/ and name it in its entry's `solution:`"
            ) in out
    assert "not matched: losses.ipynb: it could be day 3 or 4;" in out
    assert ("note: day 7: no notebook or script of it was found; solutions/day07_save_load_"
            "pytorch_model.ipynb is a skeleton that runs") in out


def test_dates_come_from_the_files_first_commit_else_the_rows(learner):
    _, root, _, _, _, _ = learner
    dates = {e.day: e.date.isoformat() for e in load_entries(root, load_catalog())}
    assert dates == {1: "2025-01-24", 2: "2025-01-25", 3: "2025-01-27", 4: "2025-01-28",
                     5: "2025-01-29", 6: "2025-01-30", 7: "2025-01-26", 8: "2025-02-03"}


def test_the_source_folder_is_left_as_it_was(learner):
    repo, _, before, _, _, _ = learner
    after = {p.relative_to(repo).as_posix(): p.read_bytes() for p in repo.rglob("*")
             if p.is_file() and ".git" not in p.parts}
    assert after == before


def test_a_second_import_exits_2_and_writes_nothing(learner):
    repo, root, _, _, _, _ = learner
    before = snapshot(root, folders=("entries", "solutions"))
    code, out, err = run(["import", str(repo / "journal.md"), "--root", str(root)])
    assert code == 2 and out == ""
    assert err.splitlines()[0] == ("entries/day-01.yaml:1: already exists, and `build.py "
                                   "import` never overwrites a file; remove or rename it, or "
                                   "import into another journal (nothing was written)")
    assert "entries/day-08.yaml:1: already exists" in err
    assert snapshot(root, folders=("entries", "solutions")) == before


@pytest.fixture(scope="module")
def built(learner, tmp_path_factory):
    """The imported journal, built by its own `python build.py --no-site` in a copy."""
    _, root, _, _, _, _ = learner
    copy = tmp_path_factory.mktemp("built") / "journal"
    shutil.copytree(root, copy)
    done = subprocess.run([sys.executable, str(Path(__file__).parent.parent / "build.py"),
                           "--no-site", "--root", str(copy)], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    return copy, done


def test_the_imported_journal_builds_and_every_day_runs(built):
    copy, done = built
    assert done.returncode == 0, done.stderr[-2000:]
    for day in range(1, 9):
        record = json.loads((copy / f"results/day-{day:02d}/result.json").read_text())
        assert record["status"] == "passed"
    assert "solutions/ep2_data.csv" in json.loads(
        (copy / "results/day-02/result.json").read_text())["deps"]


# --- other layouts -------------------------------------------------------------------------

OTHER = """\
# My 100 days of ML

Some words first, and a table that is not the log:

| Tool | Why |
|------|-----|
| vim  | fast |

| TIL | # | Topic | What was hard | Links | Mood |
|-----|:-:|-------|---------------|-------|------|
| - `view` needs contiguous memory - `reshape` copies when it must | 1 | Tensors, views and reshape | strides, memory layout, $f(x, y)$ | [Docs](https://pytorch.org/docs/stable/tensor_view.html), https://example.org/strides | good |
| first<br>second, still second<br />third | 2 | Implement Custom Loss Function (Huber Loss) (Medium) | `torch.where(a, b, c)`, thresholds, and the delta | | tired |
| | 3 | Build a thing of my own (Hard) | | plain words without a link | |
"""


@pytest.fixture
def other(tmp_path):
    folder = tmp_path / "log"
    write(folder / "README.md", OTHER)
    write(folder / "day01.py", '"""Tensors and views."""\nimport torch\nfrom shapes import show\n'
          'print(torch.ones(2))\nprint(open("../elsewhere.txt").read())\n')
    write(folder / "shapes.py", "def show(x):\n    print(x.shape)\n")
    write(tmp_path / "elsewhere.txt", "far away\n")
    write(folder / "solutions/huber_loss.ipynb", notebook("Huber loss", TINY))
    write(folder / "solutions/.ipynb_checkpoints/huber_loss-checkpoint.ipynb",
          notebook("Huber loss", TINY))
    write(folder / "helpers.py", "def f():\n    return 1\n")
    root = make_journal(tmp_path / "j", days={})
    return folder, root


def test_other_column_names_order_bullets_and_br(other):
    folder, root = other
    code, out, err = run(["import", str(folder / "README.md"), "--root", str(root),
                          "--start", "2024-03-01"])
    assert (code, err) == (0, "")
    one, two, three = load_entries(root, load_catalog())
    assert one.task == "Tensors, views and reshape" and one.problem is None
    assert one.learnings == ("`view` needs contiguous memory", "`reshape` copies when it must",
                             "Mood: good")
    assert one.gaps == ("strides", "memory layout", "$f(x, y)$")
    assert one.resources == (Resource("Docs", "https://pytorch.org/docs/stable/tensor_view.html"),
                             Resource("example.org/strides", "https://example.org/strides"))
    assert two.learnings == ("first", "second, still second", "third", "Mood: tired")
    assert two.gaps == ("`torch.where(a, b, c)`", "thresholds, and the delta")
    assert (two.problem, two.difficulty) == ("v1-4", "basic")
    assert (three.difficulty, three.problem) == ("hard", None)
    assert three.learnings == ("Resources: plain words without a link",)
    assert [e.date for e in (one, two, three)] == [dt.date(2024, 3, 1), dt.date(2024, 3, 2),
                                                   dt.date(2024, 3, 3)]
    assert one.solution == "solutions/day01_tensors_views_reshape.py"
    assert two.solution == "solutions/day02_custom_loss_function_huber.ipynb"
    assert "not matched: helpers.py: nothing in its name or title" in out
    assert (root / "solutions/shapes.py").read_text().startswith("def show(x)"), "it imports it"
    assert "shapes.py" not in out.split("not matched:", 1)[1], "a helper, not an unmatched file"
    assert ("note: day01.py reads ../elsewhere.txt, outside its folder: copy it into "
            "solutions/ and change the path in the code") in out


def test_dry_run_prints_the_plan_and_writes_nothing(other):
    folder, root = other
    before = snapshot(root, folders=("entries", "solutions", ".journal"))
    code, out, err = run(["import", str(folder / "README.md"), "--root", str(root),
                          "--dry-run"])
    assert (code, err) == (0, "")
    assert f"day  2  {dt.date.today()}  Implement Custom Loss Function (Huber Loss) [v1-4]" in out
    assert "huber_loss.ipynb -> solutions/day02_custom_loss_function_huber.ipynb" in out
    assert out.rstrip().endswith("dry run: 3 days planned; nothing was written")
    assert snapshot(root, folders=("entries", "solutions", ".journal")) == before


def test_without_history_or_start_dates_are_today_and_marked(other):
    folder, root = other
    assert run(["import", str(folder / "README.md"), "--root", str(root)])[0] == 0
    text = (root / "entries/day-03.yaml").read_text()
    assert (f"date: {dt.date.today()}  # today's date: the import found no history for this "
            "day; check it\n") in text


def test_a_day_number_wins_a_file_two_titles_fit_goes_to_neither(tmp_path):
    folder = tmp_path / "log"
    write(folder / "log.md", "| Day | Task |\n|---|---|\n| 1 | Custom activation |\n"
          "| 2 | Custom loss |\n| 3 | Custom dataset |\n")
    write(folder / "day_3_anything.py", TINY)
    write(folder / "custom.ipynb", notebook("Custom things", TINY))
    write(folder / "activation.ipynb", notebook("Custom activation", TINY))
    write(folder / "activation_again.ipynb", notebook("Custom activation", TINY))
    root = make_journal(tmp_path / "j", days={})
    code, out, _ = run(["import", str(folder / "log.md"), "--root", str(root), "--dry-run"])
    assert code == 0
    assert "day_3_anything.py -> solutions/day03_custom_dataset.py" in out
    assert "not matched: custom.ipynb: it could be day 1, 2 or 3;" in out
    assert ("not matched: activation.ipynb: fits day 1, and so does activation_again.ipynb; "
            "name the one in entries/day-01.yaml's `solution:`") in out


def test_a_row_that_links_its_notebook_is_given_it(tmp_path):
    folder = tmp_path / "log"
    write(folder / "log.md", "| Day | Task | Notebook |\n|---|---|---|\n"
          "| 1 | [Fit a line](nb/anything.ipynb) | |\n| 2 | Other | [code](x.py) |\n")
    write(folder / "nb/anything.ipynb", notebook("Something else entirely", TINY))
    write(folder / "x.py", TINY)
    write(folder / "day01.py", TINY)
    root = make_journal(tmp_path / "j", days={})
    code, out, _ = run(["import", str(folder / "log.md"), "--root", str(root), "--dry-run"])
    assert code == 0
    assert "anything.ipynb -> solutions/day01_fit_line.ipynb" in out
    assert "x.py -> solutions/day02_other.py" in out
    assert ("not matched: day01.py: fits day 1, but its row names nb/anything.ipynb; name the "
            "one in entries/day-01.yaml's `solution:`") in out


def test_names_with_day_folders_github_links_and_torchleet_names(tmp_path):
    folder = tmp_path / "repo"
    write(folder / "README.md", """\
| # | Problem | Difficulty |
|---|---------|------------|
| 1 | Implement an LSTM from Scratch | Medium |

| Day | Task | Notes |
|-----|------|-------|
| 1 | Linear regression | [mine](https://github.com/me/repo/blob/main/nbs/fit.ipynb) |
| 2 | Huber loss | |
| 3 | A CNN on CIFAR-10 | |
| 4 | Write a Custom Activation Function | |
| 5 | | |
""")
    write(folder / "nbs/fit.ipynb", notebook("Nothing to see", TINY))
    write(folder / "Day 2 - losses.ipynb", notebook("Losses", TINY))
    write(folder / "day_03/main.py", TINY)
    write(folder / "custom-activation_SOLN.ipynb", notebook("Solution", TINY))
    root = make_journal(tmp_path / "j", days={})
    code, out, err = run(["import", str(folder / "README.md"), "--root", str(root), "--dry-run"])
    assert (code, err) == (0, "")
    assert "fit.ipynb -> solutions/day01_linear_regression.ipynb" in out
    assert "Day 2 - losses.ipynb -> solutions/day02_huber_loss.ipynb" in out
    assert "main.py -> solutions/day03_cnn_cifar_10.py" in out
    assert "custom-activation_SOLN.ipynb -> solutions/day04_custom_activation_function.ipynb" in out
    assert "note: rows with only a day number were left out: day 5" in out
    assert "dry run: 4 days planned" in out


def test_a_date_and_a_difficulty_column_are_the_learners(tmp_path):
    folder = tmp_path / "log"
    write(folder / "log.md", "| Day | Date | Level | Task |\n|---|---|---|---|\n"
          "| 1 | 2024-06-01 | 🟢 Easy | Tensors |\n| 2 | 3 Jun 2024 | **Hard** | Autograd |\n")
    root = make_journal(tmp_path / "j", days={})
    assert run(["import", str(folder / "log.md"), "--root", str(root)])[0] == 0
    one, two = load_entries(root, load_catalog())
    assert (one.date, one.difficulty) == (dt.date(2024, 6, 1), "easy")
    assert (two.date, two.difficulty) == (dt.date(2024, 6, 3), "hard")


def test_a_folder_the_code_names_is_copied_when_small(tmp_path):
    folder = tmp_path / "log"
    write(folder / "log.md", "| Day | Task |\n|---|---|\n| 1 | Images |\n| 2 | CIFAR |\n")
    write(folder / "day1.py", 'import os\nprint(os.listdir("images/train"), "images")\n')
    write(folder / "images/other.txt", "not read: the bare word images is no path")
    write(folder / "images/train/a/1.txt", "one")
    write(folder / "images/train/runs/x", "a run")
    write(folder / "images/train/b/model.pt", "weights")
    write(folder / "day2.py", 'print("./data")\n')
    (folder / "data/cifar").mkdir(parents=True)
    (folder / "data/cifar/batch").write_bytes(b"\0" * (placing.MAX_FOLDER_BYTES + 1))
    root = make_journal(tmp_path / "j", days={})
    code, out, _ = run(["import", str(folder / "log.md"), "--root", str(root)])
    assert code == 0
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("solutions/**/*")
                  if p.is_file()) == ["solutions/day01_images.py", "solutions/day02_cifar.py",
                                      "solutions/images/train/a/1.txt"]
    assert ("note: day2.py reads the folder data, too large to copy (16 MiB; the most copied is "
            "16 MiB in 500 files): copy what it needs into solutions/ yourself") in out


def test_a_path_built_in_code_names_its_data_file(tmp_path):
    folder = tmp_path / "log"
    write(folder / "log.md", "| Day | Task |\n|---|---|\n| 1 | Read a CSV |\n")
    write(folder / "day1.py", 'import os\nfrom pathlib import Path\n'
          'print(open(Path(__file__).parent / "data" / "day1.csv").read())\n'
          'print(os.path.join("data", "other.csv"))\n')
    write(folder / "data/day1.csv", "a,b\n")
    write(folder / "data/other.csv", "c,d\n")
    write(folder / "data/unread.csv", "e,f\n")
    root = make_journal(tmp_path / "j", days={})
    assert run(["import", str(folder / "log.md"), "--root", str(root)])[0] == 0
    assert sorted(p.name for p in (root / "solutions/data").iterdir()) == ["day1.csv", "other.csv"]


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(("table", "message"), [
    ("# Notes\n\nno table here\n", "log.md:1: no Markdown table found; the progress table "
     "needs a header row, a |---| row under it, and a row per day"),
    ("| Task | Notes |\n|---|---|\n| a | b |\n", "log.md:1: the table has no day column (its "
     "columns: task, notes); name one column Day"),
    ("| Day | Task |\n|---|---|\n| 1 | a |\n| 1 | b |\n", "log.md:4: day 1 appears twice "
     "(first on line 3); renumber one of the two"),
    ("| Day | Task |\n|---|---|\n| one | a |\n", "log.md:3: the day must be a number, got "
     "'one'; write it as 1, **1** or Day 1"),
    ("\n| Day | Task | Gaps | Learnings | Links |\n|-|-|-|-|-|\n| 1 | a | b | c | d | e | f |\n",
     "log.md:4: row has 7 cells, header has 5; write a | inside a cell as \\|"),
    ("| Day | Task | Links |\n|---|---|---|\n| 1 | a | [x](javascript:alert(1)) |\n",
     "log.md:3: day 1: 'resources' item 1 url must be http(s)://, mailto: or a relative link, "
     "got 'javascript:alert(1)'; link to a web page instead"),
])
def test_bad_tables_are_one_located_line_and_exit_2(tmp_path, monkeypatch, table, message):
    folder = tmp_path / "log"
    write(folder / "log.md", table)
    root = make_journal(tmp_path / "j", days={})
    monkeypatch.chdir(folder)
    code, out, err = run(["import", "log.md", "--root", str(root)])
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == message
    assert list(root.glob("entries/*")) == list(root.glob("solutions/*")) == []


def test_html_in_cells_is_kept_as_text(tmp_path):
    folder = tmp_path / "log"
    write(folder / "log.md", "| Day | Task | Gaps |\n|---|---|---|\n"
          "| 1 | <b>Bold</b> task | <script>alert(1)</script> <img src=x onerror=y> |\n")
    root = make_journal(tmp_path / "j", days={})
    assert run(["import", str(folder / "log.md"), "--root", str(root)])[0] == 0
    entry, = load_entries(root, load_catalog())
    assert entry.task == "<b>Bold</b> task"
    assert entry.gaps == ("<script>alert(1)</script> <img src=x onerror=y>",)


def test_a_10000_row_table_is_read_and_refused_in_one_located_line(tmp_path):
    rows = "".join(f"| {n} | Task number {n} | gap {n} |\n" for n in range(1, 10_001))
    write(tmp_path / "big.md", "| Day | Task | Gaps |\n|---|---|---|\n" + rows)
    root = make_journal(tmp_path / "j", days={})
    code, _, err = run(["import", str(tmp_path / "big.md"), "--root", str(root)])
    assert code == 2
    assert err.splitlines()[0] == f"{tmp_path / 'big.md'}:10002: the day must be from 1 to " \
        "9999, got 10000"
    assert list(root.glob("entries/*")) == []


def test_an_existing_solution_is_never_overwritten(tmp_path):
    folder = tmp_path / "log"
    write(folder / "log.md", "| Day | Task |\n|---|---|\n| 1 | Fit a line |\n| 2 | Other |\n")
    root = make_journal(tmp_path / "j", days={},
                        extra_files={"solutions/day02_other.py": "print('mine')\n"})
    code, _, err = run(["import", str(folder / "log.md"), "--root", str(root)])
    assert code == 2
    assert err.splitlines()[0].startswith("solutions/day02_other.py:1: already exists, and "
                                          "`build.py import` never overwrites a file")
    assert not (root / "entries/day-01.yaml").exists(), "all or nothing"
    assert (root / "solutions/day02_other.py").read_text() == "print('mine')\n"


def test_init_readme_mentions_import():
    from torchleet_journal.intake import init

    assert "python build.py import" in init.README


def test_a_failed_write_takes_back_what_was_moved(tmp_path, monkeypatch):
    folder = tmp_path / "log"
    write(folder / "log.md", "| Day | Task |\n|---|---|\n| 1 | Fit a line |\n| 2 | Other |\n")
    root = make_journal(tmp_path / "j", days={})
    calls = []
    real_link = os.link

    def link(source, target):
        calls.append(target)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(target))
        real_link(source, target)

    monkeypatch.setattr(placing.os, "link", link)
    code, _, err = run(["import", str(folder / "log.md"), "--root", str(root)])
    assert code == 4 and "No space left on device" in err
    assert len(calls) == 3
    assert list(root.glob("entries/*")) == list(root.glob("solutions/*")) == []
    assert not list((root / ".journal").glob("import-*")), "the staging folder is gone"
