"""Real learners' notebooks: run as Jupyter runs them, cached by the packages they import, honest
about CUDA, clean in what they leave, and stable in the files they store.

One toy journal holds a day for each thing a learner's notebook does; it is built once, and the
tests read what came out. Tests that need builds of their own make journals of their own.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

from tests.helpers import entry_yaml, install_package, make_journal, toy_solution, write
from tests.test_notebook import notebook
from torchleet_journal import cli
from torchleet_journal.build.hints import pip_name
from torchleet_journal.build.pipeline import Options, build, cuda_build, torch_has_cuda
from torchleet_journal.run.workdir import mirror

BIG = 9 << 20  # over workdir.COPY_LIMIT: linked into the run's folder, not copied
CSV = "x,y\n1,2\n3,4\n"


def with_outputs(text: str) -> str:
    """A notebook as the learner saved it after a failed run here: colour codes, local paths."""
    saved = json.loads(text)
    saved["cells"][0]["outputs"] = [{"output_type": "error", "ename": "ValueError", "evalue": "x",
                                     "traceback": ["\x1b[0;31mValueError\x1b[0m", f"File "
                                                   f"{sys.prefix}/lib/python3.11/site.py"]}]
    return json.dumps(saved)


BESIDE = with_outputs(notebook(
    ("code", "import os\nrows = open('ep2_data.csv').read().split()\nprint('rows', len(rows))\n"
             "print('linked', os.path.islink('weights.bin'))"),
    ("code", "import torch\n"
             "open('ep2_data.csv', 'w').write('overwritten')\n"
             "open('weights.bin', 'a').write('appended')\n"
             "torch.save({'w': torch.ones(2)}, 'checkpoint.pth')\n"
             "os.makedirs('data', exist_ok=True)\n"
             "open('data/downloaded.txt', 'w').write('fetched once')"),
))
COLOURED = r'''
import os
import torch

print("\x1b[32mstarting\x1b[0m in", os.getcwd(), "from", __file__)
print("torch lives in", torch.__file__)


def forward():
    return torch.nn.Linear(2, 2)(torch.ones(3))  # the wrong width: torch raises inside itself


try:
    forward()
except RuntimeError as error:
    raise ValueError("\x1b[1;31mshapes do not fit\x1b[0m") from error
'''
STUCK = notebook(
    ("code", "import time\nstarted = time.monotonic()"),
    ("code", "def wait_forever():\n    while True:\n        spin = time.monotonic() - started  # stuck"
             "\n\nwait_forever()"),
)
DAYS = {1: ("solutions/day01.ipynb", BESIDE, {"problem": "v1-1"}),
        2: ("solutions/day02.py", COLOURED, {"problem": "v1-2"}),
        3: ("solutions/day03.ipynb", STUCK, {"timeout": "2"})}


def days_as_files(days: dict) -> dict[str, str]:
    files = {}
    for day, (solution, source, fields) in days.items():
        files[solution] = source
        files[f"entries/day-{day:02d}.yaml"] = entry_yaml(day, solution, **fields)
    return files


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = make_journal(tmp_path_factory.mktemp("real"), days={}, extra_files={
        **days_as_files(DAYS), "solutions/ep2_data.csv": CSV})
    for name in ("weights.bin", "checkpoint.pth"):
        (root / "solutions" / name).write_bytes(b"0" * BIG)
    build(root, Options(site=False))
    return root


def result(root: Path, day: int) -> dict:
    return json.loads((root / f"results/day-{day:02d}/result.json").read_text())


def stored_text(root: Path) -> dict[str, str]:
    """Every text file the build stored or rendered, by path."""
    return {path.relative_to(root).as_posix(): path.read_text(errors="replace")
            for folder in ("results", "docs") for path in (root / folder).rglob("*")
            if path.suffix in (".json", ".log", ".md", ".ipynb")}


# --- 1. Jupyter's working folder -------------------------------------------------------------


def test_a_notebook_reads_the_data_beside_it_and_it_is_a_dependency(built):
    stored = result(built, 1)
    assert stored["status"] == "passed", stored["reason"]
    assert "rows 3" in stored["log_head"] and "linked True" in stored["log_head"]
    assert "solutions/ep2_data.csv" in stored["deps"], "editing the CSV re-runs the day"


def test_writes_to_the_learners_files_change_nothing_beside_the_notebook(built):
    assert (built / "solutions/ep2_data.csv").read_text() == CSV
    for name in ("weights.bin", "checkpoint.pth"):  # linked, then written: by open, torch.save
        assert (built / "solutions" / name).read_bytes() == b"0" * BIG
    assert not (built / "solutions/data").exists()


def test_what_lands_in_data_is_kept_in_the_journals_download_cache(built):
    kept = built / ".journal/downloads/data/downloaded.txt"
    assert kept.read_text() == "fetched once"


def test_a_dataset_downloaded_into_data_is_fetched_once_and_reused(tmp_path):
    fetches = notebook(("code", "import os\n"
                                "print('torch home', os.environ['TORCH_HOME'])\n"
                                "if os.path.exists('data/mnist.bin'):\n    print('reused')\n"
                                "else:\n    os.makedirs('data', exist_ok=True)\n"
                                "    open('data/mnist.bin', 'w').write('digits')\n    print('fetched')"))
    root = make_journal(tmp_path, days={}, extra_files=days_as_files(
        {1: ("solutions/day01.ipynb", fetches, {})}))
    first = build(root, Options(site=False)).days[0].result
    assert "fetched" in first.log_head and "torch home .journal/downloads/torch" in first.log_head
    again = build(root, Options(site=False, force=True)).days[0].result
    assert "reused" in again.log_head
    assert (root / ".journal/downloads/data/mnist.bin").read_text() == "digits"
    assert not (root / "solutions/data").exists()


def test_the_mirror_copies_small_files_links_large_ones_and_never_walks_a_linked_folder(tmp_path):
    source, work = tmp_path / "solutions", tmp_path / "work"
    write(source / "data/small.csv", CSV)
    write(source / "runs/old/events.out.tfevents.1", "stale")
    (source / "big.bin").write_bytes(b"0" * BIG)
    os.symlink(source, source / "loop")  # would never end if walked
    mirror(source, work)
    assert (work / "data/small.csv").read_text() == CSV and not (work / "data/small.csv").is_symlink()
    assert (work / "big.bin").is_symlink() and (work / "loop").is_symlink()
    assert not (work / "runs").exists(), "an old TensorBoard log would pass for this run's"


def test_past_its_copy_budget_the_mirror_links_small_files_too(tmp_path):
    source, work = tmp_path / "solutions", tmp_path / "work"
    for name in ("a.csv", "b.csv", "c.csv"):
        write(source / name, "x" * 4)
    mirror(source, work, budget=10)  # two 4-byte files fit, the third does not
    assert [(work / n).is_symlink() for n in ("a.csv", "b.csv", "c.csv")] == [False, False, True]


def test_a_file_not_beside_the_notebook_says_where_runs_start(tmp_path):
    lost = notebook(("code", "open('../elsewhere/data.csv')"))
    root = make_journal(tmp_path, days={}, extra_files=days_as_files(
        {1: ("solutions/day01.ipynb", lost, {})}))
    failed = build(root, Options(site=False)).days[0].result
    assert failed.reason == ("cell 1: FileNotFoundError: [Errno 2] No such file or directory: "
                             "'../elsewhere/data.csv' (a run starts in a copy of solutions/, as "
                             "Jupyter starts in the notebook's folder: put the file there and "
                             "open it by a path relative to it)")


# --- 5. solved means passed ------------------------------------------------------------------


def test_only_the_passing_day_counts_as_solved_the_failed_one_as_attempted(built):
    index = (built / "docs/index.md").read_text()
    assert "1<small> of 90</small>" in index.split("TorchLeet problems</a> solved")[1][:80]
    assert "1 more attempted, with no passing run yet" in index
    attempted = (built / "docs/torchleet.md").read_text().split("## Attempted")[1]
    assert "[Day 2](days/day-02.md)" in attempted.split("## Open")[0]


# --- 6. clean text ---------------------------------------------------------------------------


def test_colour_codes_are_gone_from_the_reason_traceback_and_log(built):
    stored = result(built, 2)
    assert stored["reason"] == "ValueError: shapes do not fit"
    assert stored["traceback"].rstrip().endswith("ValueError: shapes do not fit")
    assert "starting in . from solutions/day02.py" in stored["log_head"]
    for path, text in stored_text(built).items():
        assert "\x1b" not in text, path


def test_library_frames_are_named_from_site_packages_and_no_machine_path_is_stored(built):
    traceback = result(built, 2)["traceback"]
    assert re.search(r'File "torch/nn/modules/module\.py", line \d+, in _call_impl', traceback)
    assert "torch lives in torch/__init__.py" in result(built, 2)["log_head"]
    machine = {str(built), str(built.parent), sys.prefix, os.path.expanduser("~") + "/", "/tmp/"}
    for path, text in stored_text(built).items():
        found = [where for where in machine if where in text]
        assert not found, f"{path} holds {found}"


def test_the_published_notebook_has_none_of_the_learners_stored_outputs(built):
    published = json.loads((built / "docs/days/day-01/day01.ipynb").read_text())
    assert [c["outputs"] for c in published["cells"]] == [[], []]
    assert json.loads((built / "solutions/day01.ipynb").read_text())["cells"][0]["outputs"], \
        "the learner's own notebook keeps them"


# --- 7. timeout dumps for notebooks ----------------------------------------------------------


def test_a_stopped_notebook_shows_the_cell_line_it_was_stuck_on(built):
    stored = result(built, 3)
    assert stored["status"] == "timed out"
    assert ('File "solutions/day03.ipynb, cell 2", line 3, in wait_forever\n'
            "    spin = time.monotonic() - started  # stuck") in stored["traceback"]


# --- 2. the cache knows packages -------------------------------------------------------------


def cli_build(root: Path, capsys) -> dict[str, str]:
    """`build.py` as a long-lived process (`build.py serve`) runs it after a pip install, in
    this process: day -> "ran" or "cached"."""
    assert cli.main(["build", "--root", str(root), "--no-site"]) in (0, 1)
    return dict(re.findall(r"^(day-\d\d) .* (ran|cached)$", capsys.readouterr().err, re.M))


def test_installing_then_upgrading_a_package_reruns_only_the_day_that_imports_it(
        tmp_path, monkeypatch, capsys):
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))  # as pip's site folder is on the path
    uses = "import tinypkg\nprint('tinypkg', tinypkg.VERSION)\n"
    root = make_journal(tmp_path, days={1: uses, 2: 'print("no packages")\n'})
    assert cli_build(root, capsys) == {"day-01": "ran", "day-02": "ran"}
    failed = result(root, 1)
    assert failed["status"] == "failed" and failed["missing"] == "tinypkg"
    assert failed["reason"] == ("ModuleNotFoundError: No module named 'tinypkg' (add tinypkg to "
                                "requirements.txt and pip install it; the day runs again once "
                                "tinypkg can be imported)")
    page = (root / "docs/days/day-01.md").read_text()
    assert "add tinypkg to requirements.txt and pip install it" in page
    assert cli_build(root, capsys) == {"day-01": "cached", "day-02": "cached"}

    install_package(site, "tinypkg", "1.0")  # no --force: the day that failed on it runs again
    assert cli_build(root, capsys) == {"day-01": "ran", "day-02": "cached"}
    passed = result(root, 1)
    assert passed["status"] == "passed" and passed["packages"]["tinypkg"] == "1.0"
    assert "tinypkg" not in result(root, 2)["packages"]

    install_package(site, "tinypkg", "1.1")
    assert cli_build(root, capsys) == {"day-01": "ran", "day-02": "cached"}
    assert "tinypkg 1.1" in result(root, 1)["log_head"]


@pytest.mark.parametrize("module, name", [("sklearn", "scikit-learn"), ("cv2", "opencv-python"),
                                          ("PIL", "pillow"), ("yaml", "pyyaml"),
                                          ("skimage", "scikit-image"), ("bs4", "beautifulsoup4"),
                                          ("pandas", "pandas")])
def test_a_missing_module_is_named_by_what_pip_installs(module, name):
    assert pip_name(module) == name


# --- 3. CUDA, honestly -----------------------------------------------------------------------


def test_a_cuda_call_suggests_requires_cuda_then_shows_not_run_here(tmp_path):
    if torch_has_cuda():
        pytest.skip("this torch is a CUDA build: the day would run here")
    gpu = "import torch\nx = torch.ones(2).cuda()\n"
    root = make_journal(tmp_path, days={1: gpu})
    failed = build(root, Options(site=False)).days[0].result
    assert failed.status == "failed"
    assert failed.reason.endswith('(the torch here has no CUDA; if this day needs a GPU, add '
                                  '"requires: cuda" to entries/day-01.yaml)'), failed.reason
    assert "requires: cuda" in (root / "docs/days/day-01.md").read_text(), "the page suggests it"

    entry = root / "entries/day-01.yaml"
    entry.write_text(entry.read_text() + "requires: cuda\n")
    report = build(root, Options(site=False))
    assert report.failures == [] and not report.days[0].ran
    page = (root / "docs/days/day-01.md").read_text()
    assert '!!! info "Not run here"' in page and "needs a CUDA build of torch" in page
    assert "not compiled with CUDA" not in page, "the old CPU failure is not shown"


@pytest.mark.parametrize("line, expected", [("cuda: Optional[str] = '12.1'", True),
                                            ("cuda: Optional[str] = None", False),
                                            ("cuda = '11.8'", True), ("hip = '6.0'", False)])
def test_a_cuda_build_is_read_from_torchs_version_file(tmp_path, line, expected):
    version = tmp_path / "version.py"
    version.write_text(f"from typing import Optional\n__version__ = '2.13.0'\n{line}\n")
    assert cuda_build(version) is expected


# --- 4. new --notebook -----------------------------------------------------------------------


def test_new_notebook_writes_a_notebook_that_builds_and_passes(tmp_path):
    root = make_journal(tmp_path, days={})
    assert cli.main(["new", "Fit a line", "--notebook", "--root", str(root)]) == 0
    path = root / "solutions/day01_fit_line.ipynb"
    saved = json.loads(path.read_text())
    assert (saved["nbformat"], saved["nbformat_minor"]) == (4, 5)
    assert [c["cell_type"] for c in saved["cells"]] == ["markdown"] + ["code"] * 5
    assert all(c["outputs"] == [] for c in saved["cells"] if c["cell_type"] == "code")
    assert "solution: solutions/day01_fit_line.ipynb" in (root / "entries/day-01.yaml").read_text()

    stored = build(root, Options(site=False)).days[0].result
    assert stored.status == "passed", stored.reason
    assert len(stored.scalars["Loss/train"]["values"]) == 200
    plotted = [c for c in stored.cells if c["figures"]]
    assert [c["index"] for c in plotted] == [5], "the figure belongs to the last cell"


# --- 8. stable result files ------------------------------------------------------------------


def test_rerunning_keeps_file_names_and_touches_only_files_whose_bytes_changed(tmp_path):
    root = make_journal(tmp_path, days={1: toy_solution()})
    build(root, Options(site=False))
    folder, shown = root / "results/day-01", root / "docs/days/day-01"

    def stamps(where: Path) -> dict[str, tuple[int, int]]:
        return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in where.iterdir()
                if p.suffix != ".json"}

    first, first_shown = stamps(folder), stamps(shown)
    assert sorted(first) == ["chart-01.png", "day01.ipynb", "figure-01.png", "output.log"]
    build(root, Options(site=False, force=True))  # the same bytes again
    assert stamps(folder) == first and stamps(shown) == first_shown

    figure = (folder / "figure-01.png").read_bytes()
    write(root / "solutions/day01.py", toy_solution(5))  # another fit: other figures
    build(root, Options(site=False))
    assert sorted(stamps(folder)) == sorted(first), "modified in place, not renamed"
    assert (folder / "figure-01.png").read_bytes() != figure

    write(root / "solutions/day01.py", toy_solution(5) + "raise SystemExit('broken')\n")
    failed = build(root, Options(site=False)).days[0].result
    kept = failed.last_good["figures"]
    assert kept == ["last-good/figure-01.png"] and (folder / kept[0]).is_file()
    assert f'src="day-01/{kept[0]}"' in (root / "docs/days/day-01.md").read_text()
