"""Committed results travel: a run is keyed by what decides its numbers (the files it read, its
settings, Python, torch and the packages its own code imports), never by what else happened to be
installed or loaded, and the build says which input changed when a day runs again."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO, install_package, make_journal, write
from tests.test_notebook import notebook
from torchleet_journal import cli
from torchleet_journal.base.environment import canonical, locked, release, versions
from torchleet_journal.build.run_key import stale_reason
from torchleet_journal.model.apis import imported_modules
from torchleet_journal.model.catalog import load_catalog
from torchleet_journal.model.entries import load_entries
from torchleet_journal.model.results import load_result

# tinypkg imports deeppkg (a transitive dependency) and probes for probepkg, as tensorboard
# probes for boto3: neither is the solution's own import.
TINY = "import deeppkg\ntry:\n    import probepkg\nexcept ImportError:\n    probepkg = None\n"
DAY_1 = "import tinypkg\nprint('tinypkg', tinypkg.VERSION)\n"
DAY_2 = "import helper\nprint('helper says', helper.SAYS)\n"  # a helper module of the journal's
HELPER = "import helperpkg\nSAYS = helperpkg.VERSION\n"


def build_lines(root: Path, capsys, *args: str) -> tuple[dict[str, str], str]:
    """`build.py` in this process, as `serve` runs it after a pip install: day -> ran/cached,
    and what it printed."""
    assert cli.main(["build", "--root", str(root), "--no-site", *args]) in (0, 1)
    err = capsys.readouterr().err
    return dict(re.findall(r"^(day-\d\d) .* (ran|cached)$", err, re.M)), err


@pytest.fixture
def site(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))  # as pip's site folder is on the path
    for name in ("tinypkg", "deeppkg", "helperpkg"):
        install_package(folder, name, "1.0", TINY if name == "tinypkg" else "")
    return folder


@pytest.fixture
def journal(tmp_path, site) -> Path:
    return make_journal(tmp_path, days={1: DAY_1, 2: DAY_2},
                        extra_files={"solutions/helper.py": HELPER})


def test_the_key_holds_the_packages_the_solution_and_its_helpers_import_and_nothing_else(
        journal, site, capsys):
    assert build_lines(journal, capsys)[0] == {"day-01": "ran", "day-02": "ran"}
    assert load_result(journal, 1).packages == {"tinypkg": "1.0"}
    assert load_result(journal, 2).packages == {"helperpkg": "1.0"}


def test_an_optional_or_transitive_package_trains_nothing(journal, site, capsys):
    build_lines(journal, capsys)
    install_package(site, "probepkg", "1.0")  # now tinypkg finds and loads it
    assert build_lines(journal, capsys)[0] == {"day-01": "cached", "day-02": "cached"}
    install_package(site, "deeppkg", "2.0")
    assert build_lines(journal, capsys)[0] == {"day-01": "cached", "day-02": "cached"}


def test_a_package_the_code_imports_reruns_its_days_and_the_build_names_it(journal, site, capsys):
    build_lines(journal, capsys)
    install_package(site, "tinypkg", "1.1", TINY)
    ran, said = build_lines(journal, capsys)
    assert ran == {"day-01": "ran", "day-02": "cached"}
    assert "  day-01: tinypkg 1.0 → 1.1\n" in said
    install_package(site, "helperpkg", "1.1")
    ran, said = build_lines(journal, capsys)
    assert ran == {"day-01": "cached", "day-02": "ran"}
    assert "  day-02: helperpkg 1.0 → 1.1\n" in said
    assert build_lines(journal, capsys)[0] == {"day-01": "cached", "day-02": "cached"}


def test_status_lists_each_day_fresh_or_why_and_runs_nothing(journal, site, capsys):
    build_lines(journal, capsys)
    stored = (journal / "results/day-01/result.json").read_bytes()
    install_package(site, "tinypkg", "2.0", TINY)
    write(journal / "solutions/helper.py", HELPER + "# edited\n")
    assert cli.main(["status", "--root", str(journal)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["day-01  ✅ passed  out of date: tinypkg 1.0 → 2.0",
                   "day-02  ✅ passed  out of date: solutions/helper.py changed",
                   "2 days: 0 fresh, 2 out of date (`python build.py` runs them)",
                   "next torchleet problem: v1-1 Implement Linear Regression (basic); "
                   "`python build.py new` starts it"]
    assert (journal / "results/day-01/result.json").read_bytes() == stored


def test_status_imports_no_torch(journal):
    probe = ("import sys\nfrom torchleet_journal import cli\ncli.main(['status', '--root', sys.argv[1]])\n"
             "print([m for m in ('torch', 'matplotlib', 'tensorboard') if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", probe, str(journal)], cwd=REPO,
                          capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "[]"
    assert "2 days: 0 fresh, 2 out of date" in done.stdout


def test_a_package_off_its_locked_version_says_how_to_reuse_the_stored_results(
        journal, site, capsys):
    write(journal / "requirements.txt", "helperpkg==1.0\ntinypkg==1.0\n")
    build_lines(journal, capsys)
    install_package(site, "tinypkg", "1.1", TINY)
    _, said = build_lines(journal, capsys)
    assert ("  day-01: tinypkg 1.0 → 1.1 (requirements.txt pins tinypkg 1.0: `pip install -r "
            "requirements.txt` reuses the stored results)\n") in said


def test_a_package_the_lock_leaves_out_is_named_with_the_fix(journal, site, capsys):
    write(journal / "requirements.txt", "tinypkg==1.0\n")
    _, said = build_lines(journal, capsys)
    assert ("warning: solutions/day02.py imports helperpkg, which requirements.txt does not pin: "
            "add it to requirements.in, then run `uv pip compile requirements.in -o requirements.txt` "
            "and commit both, "
            "or other machines may run this day again\n") in said
    assert "day01.py imports" not in said


# --- why a day runs: one reason per input ----------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    reads = "print(open('rows.csv').read().count(','))\n"
    root = make_journal(tmp_path_factory.mktemp("why"), days={1: reads},
                        extra_files={"solutions/rows.csv": "a,b\n1,2\n"})
    assert cli.main(["build", "--root", str(root), "--no-site"]) == 0
    return root


def reason(root: Path, env: dict | None = None, timeout: float = 600.0) -> str | None:
    entry = load_entries(root, load_catalog())[0]
    return stale_reason(root, entry, load_result(root, 1), env or versions(), timeout)


def test_a_fresh_day_has_no_reason(built):
    assert reason(built) is None


def test_python_and_torch_versions_are_named(built):
    python, torch = versions()["python"], versions()["torch"]
    assert reason(built, {**versions(), "python": "3.99"}) == (
        f"Python {python} → 3.99 (its stored run was made with Python {python}: a virtualenv of "
        "that Python reuses it)")
    assert reason(built, {**versions(), "torch": "9.0"}) == f"torch {torch} → 9.0"
    write(built / "requirements.txt", f"torch=={torch}\n")
    try:
        assert reason(built, {**versions(), "torch": "9.0"}) == (
            f"torch {torch} → 9.0 (requirements.txt pins torch {torch}: `pip install -r "
            "requirements.txt` reuses the stored results)")
    finally:
        (built / "requirements.txt").unlink()


def test_a_timeout_it_no_longer_fits_is_named(built):
    took = load_result(built, 1).wall_time
    assert reason(built, timeout=took / 2) == (f"its last run took {took:.0f} s, more than its "
                                                f"timeout of {took / 2:g} s")


def test_a_changed_or_missing_data_file_is_named(tmp_path, built):
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(built), str(copy)], check=True)
    write(copy / "solutions/rows.csv", "a,b,c\n")
    assert reason(copy) == "solutions/rows.csv changed"
    (copy / "solutions/rows.csv").unlink()
    assert reason(copy) == "solutions/rows.csv is gone"


def test_a_changed_run_setting_is_named(tmp_path, built):
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(built), str(copy)], check=True)
    entry = copy / "entries/day-01.yaml"
    entry.write_text(entry.read_text() + "requires: cuda\n")
    assert reason(copy) == "requires: None → cuda"


# --- what a solution imports, read without running it ----------------------------------------


def test_imports_are_found_wherever_they_stand_relative_ones_aside():
    source = ("import numpy as np, os.path\nfrom matplotlib import pyplot\nfrom . import helper\n"
              "from .data import rows\nimport importlib\n"
              "def fit():\n    import scipy.linalg\n    return importlib.import_module('pandas')\n"
              "try:\n    import sklearn\nexcept ImportError:\n    pass\n"
              "yaml = __import__('yaml')\nname = 'x'\nimportlib.import_module(name)\n"
              "importlib.import_module('.sibling', 'pkg')\n")
    assert imported_modules(source) == {"numpy", "os", "matplotlib", "importlib", "scipy",
                                        "pandas", "sklearn", "yaml"}


def test_a_notebooks_code_cells_are_read_without_their_ipython_lines():
    text = notebook(("markdown", "# import pandas"),
                    ("code", "%matplotlib inline\n!pip install seaborn\nimport torch\n"),
                    ("code", "%%time\nfrom torchvision import datasets\n"))
    assert imported_modules(text, notebook=True) == {"torch", "torchvision"}


def test_a_latin_1_source_and_one_that_does_not_parse():
    latin = "# -*- coding: latin-1 -*-\nimport numpy\nname = 'café'\n".encode("latin-1")
    assert imported_modules(latin) == {"numpy"}
    assert imported_modules("import torch\ndef broken(:\n") == set()


# --- the seed journal and its lock -----------------------------------------------------------


def lock_pins(name: str) -> dict[str, str]:
    return locked(REPO) if name == "requirements.txt" else {
        canonical(m.group(1)): m.group(2) for m in re.finditer(
            r"^([A-Za-z0-9._-]+)==(\S+)", (REPO / name).read_text(), re.M)}


def test_every_committed_result_was_made_with_the_locked_versions():
    pins = lock_pins("requirements.txt")
    for path in sorted((REPO / "results").glob("day-*/result.json")):
        stored = json.loads(path.read_text())
        made_with = {canonical(d): v for d, v in stored["packages"].items()}
        assert made_with, f"{path}: no packages recorded"
        assert {d: pins.get(d) for d in made_with} == made_with, (
            f"{path.parent.name} was made with other versions than requirements.txt pins: "
            "install the lock in a fresh virtualenv, run `python build.py --force`, commit")
        assert release(stored["torch"]) == pins["torch"]


def test_the_dev_lock_agrees_with_the_lock_and_the_lock_has_every_requirement():
    pins, dev = lock_pins("requirements.txt"), lock_pins("requirements-dev.txt")
    assert {d: v for d, v in dev.items() if d in pins and pins[d] != v} == {}, \
        "run `uv pip compile requirements-dev.in -o requirements-dev.txt` after changing requirements.txt"
    wanted = re.findall(r"^([A-Za-z0-9._-]+)", (REPO / "requirements.in").read_text(), re.M)
    assert [name for name in wanted if canonical(name) not in pins] == [], \
        "run `uv pip compile requirements.in -o requirements.txt` after changing requirements.in"


def test_status_on_a_journal_never_built_and_a_cuda_day_here(tmp_path, capsys):
    from torchleet_journal.build.pipeline import torch_has_cuda
    if torch_has_cuda():
        pytest.skip("this torch is a CUDA build: the day would run here")
    root = make_journal(tmp_path, days={1: DAY_1, 2: DAY_1})
    entry = root / "entries/day-02.yaml"
    entry.write_text(entry.read_text() + "requires: cuda\n")
    assert cli.main(["status", "--root", str(root)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("day-01  ") and out[0].endswith("  out of date: no stored result yet")
    assert out[1].startswith("day-02  ") and out[1].endswith(
        "  not run on this machine (requires: cuda)")
    assert out[2] == "2 days: 0 fresh, 1 out of date, 1 not run here (`python build.py` runs them)"
