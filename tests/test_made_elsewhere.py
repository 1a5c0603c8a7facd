"""A run made on another machine: where it was made is on its page, a learner's build runs it
again when the environment drifted, and the Pages build (`--publish`) publishes it as stored,
listing it with the reason `status` gives, and runs only the days whose code changed."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO, install_package, make_journal, write
from torchleet_journal import cli
from torchleet_journal.base.environment import machine, python_minor, release, torch_build, versions
from torchleet_journal.build import pipeline

DAY = "import tinypkg\nprint('tinypkg', tinypkg.VERSION)\n"


def build(root: Path, capsys, *args: str) -> tuple[dict[str, str], str]:
    """`build.py build` in this process: day -> ran/cached, and its log."""
    code = cli.main(["build", "--root", str(root), "--no-site", *args])
    err = capsys.readouterr().err
    assert code == 0, err
    return dict(re.findall(r"^(day-\d\d) .* (ran|cached)$", err, re.M)), err


def stored(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted((root / "results").rglob("*")) if p.is_file()}


@pytest.fixture
def journal(tmp_path, monkeypatch, capsys) -> Path:
    """Two days built with tinypkg 1.0, then tinypkg moved to 2.0: the learner's machine and the
    runner differ in a package both days import."""
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    install_package(site, "tinypkg", "1.0")
    root = make_journal(tmp_path, days={1: DAY, 2: DAY})
    assert build(root, capsys)[0] == {"day-01": "ran", "day-02": "ran"}
    install_package(site, "tinypkg", "2.0")
    return root


def test_a_run_records_where_it_was_made_and_its_page_says_it_in_one_line(journal):
    result = json.loads((journal / "results/day-01/result.json").read_text())
    assert (result["platform"], result["torch"]) == (machine(), torch_build())
    assert result["python"] == versions()["python"]
    assert versions()["torch"] == release(torch_build()) and "+" not in versions()["torch"]
    page = html.unescape((journal / "docs/days/day-01.md").read_text())  # x86&#95;64
    assert f"Ran on {machine()}, Python {result['python']}, torch {torch_build()}, tinypkg " \
           f"1.0, on {result['ran_at'][:10]}, in " in page


def test_publish_runs_nothing_for_a_package_drift_and_lists_the_days_with_status_reason(
        journal, capsys):
    before = stored(journal)
    assert cli.main(["status", "--root", str(journal)]) == 0
    said = capsys.readouterr().out
    assert re.search(r"^day-01 .* out of date: tinypkg 1\.0 → 2\.0$", said, re.M)
    ran, log = build(journal, capsys, "--publish")
    assert ran == {"day-01": "cached", "day-02": "cached"}
    assert "published as stored, made with other versions than here (--publish does not run " \
           "them):\n  days 1-2: tinypkg 1.0 → 2.0\n" in log
    assert stored(journal) == before
    for day in ("day-01", "day-02"):  # each page names the version its run was made with
        page = (journal / f"docs/days/{day}.md").read_text()
        assert "tinypkg 1.0, on " in page and "Out of date" not in page


def test_publish_runs_the_day_whose_code_changed_and_only_it(journal, capsys):
    write(journal / "solutions/day02.py", DAY + "print('edited')\n")
    ran, log = build(journal, capsys, "--publish")
    assert ran == {"day-01": "cached", "day-02": "ran"}
    assert "day-02: solutions/day02.py changed" in log
    assert "  day-01: tinypkg 1.0 → 2.0\n" in log
    assert json.loads((journal / "results/day-02/result.json").read_text())["packages"] == \
        {"tinypkg": "2.0"}


def test_a_learners_build_still_runs_the_drifted_days_and_says_why(journal, capsys):
    ran, log = build(journal, capsys)
    assert ran == {"day-01": "ran", "day-02": "ran"}
    assert "days 1-2: tinypkg 1.0 → 2.0" in log and "published as stored" not in log


@pytest.mark.parametrize("drift, said", [
    ({"python": "3.99"}, "Python {python} → 3.99"),
    ({"torch": "9.9.9"}, "torch {torch} → 9.9.9"),
])
def test_publish_keeps_a_run_made_with_another_python_or_torch(journal, capsys, monkeypatch,
                                                               drift, said):
    here = versions()
    monkeypatch.setattr(pipeline, "versions", lambda: {**here, **drift})
    ran, log = build(journal, capsys, "--publish")
    assert ran == {"day-01": "cached", "day-02": "cached"}
    assert f"  days 1-2: {said.format(**here)}" in log


def test_publish_runs_a_day_with_no_stored_run(journal, capsys):
    write(journal / "solutions/day03.py", DAY)
    entry = (journal / "entries/day-02.yaml").read_text()
    write(journal / "entries/day-03.yaml", entry.replace("day: 2", "day: 3").replace(
        "day02.py", "day03.py").replace("2025-01-02", "2025-01-03"))
    ran, log = build(journal, capsys, "--publish")
    assert ran == {"day-01": "cached", "day-02": "cached", "day-03": "ran"}
    assert "day-03: no stored result yet" in log


# --- before the install: one line, no traceback --------------------------------------------


def test_build_py_without_its_packages_says_what_to_install(tmp_path):
    # -S: no site-packages, so PyYAML, Jinja2 and MkDocs cannot be imported, as before a pip install.
    done = subprocess.run([sys.executable, "-S", str(REPO / "build.py"), "--root", str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == "" and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("build.py: PyYAML, Jinja2, Markdown, mkdocs")
    assert "`pip install -r requirements.txt`" in done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written


# --- the journal's Python and the workflows --------------------------------------------------


def workflow(name: str) -> dict:
    return yaml.safe_load((REPO / ".github/workflows" / name).read_text())


def test_init_names_the_python_it_runs_with(tmp_path):
    from torchleet_journal.intake import init

    made = init.init_journal(tmp_path / "mine", init.Settings("T", "A", "a", "b"))
    assert ".python-version" in made
    assert (tmp_path / "mine/.python-version").read_text() == python_minor() + "\n"


def test_both_workflows_read_the_journals_python_and_tests_run_on_three_systems():
    assert re.fullmatch(r"3\.\d+\n", (REPO / ".python-version").read_text())
    for name in ("pages.yml", "tests.yml"):
        setups = [step["with"] for job in workflow(name)["jobs"].values()
                  for step in job.get("steps", []) if "setup-python" in step.get("uses", "")]
        assert setups and all(s.get("python-version-file") == ".python-version" for s in setups)
    jobs = workflow("tests.yml")["jobs"]
    systems = {job["runs-on"] for job in jobs.values()} | {
        os for job in jobs.values() for os in job.get("strategy", {}).get("matrix", {}).get("os", [])}
    assert {"macos-latest", "windows-latest", "ubuntu-latest"} <= systems
    assert "bash .ci/run" in [step.get("run") for step in jobs["linux"]["steps"]]
    build_step = next(s["run"] for s in workflow("pages.yml")["jobs"]["build"]["steps"]
                      if "python build.py" in s.get("run", ""))
    assert "python build.py --publish" in build_step


@pytest.mark.parametrize("pages, status", [(["index.html", "days/day-01.html"], 0),
                                           (["index.html"], 1), ([], 1)])
def test_pages_refuses_a_site_that_lacks_an_entrys_page(tmp_path, pages, status):
    script = next(s["run"] for s in workflow("pages.yml")["jobs"]["build"]["steps"]
                  if s.get("name") == "Check every entry has a page")
    write(tmp_path / "entries/day-01.yaml", "day: 1\n")
    for page in pages:
        write(tmp_path / "site" / page, "<html></html>")
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == status
    assert ("::error" in done.stdout) == bool(status)
