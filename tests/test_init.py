"""`build.py init DIR`: a new, empty journal of one's own that `new` and a build turn into a site."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import tomllib

from tests.helpers import REPO, installed_engine, snapshot
from torchleet_journal.base import engine
from torchleet_journal.base.errors import InputError
from torchleet_journal.cli import main
from torchleet_journal.intake import init
from torchleet_journal.model.siteconfig import read_config


def main_quietly(args: list[str]) -> tuple[int, str]:
    """`build.py ARGS` in this process, with no terminal to ask on: (exit status, stderr)."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        return main(args), err.getvalue()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """`init` into an empty folder, then `new`, then the new journal's own `python build.py`."""
    target = tmp_path_factory.mktemp("mine") / "journal"
    target.mkdir()
    made = main_quietly(["init", str(target), "--title", "Ada's <PyTorch> days", "--author",
                         "Ada L.", "--repo", "https://github.com/ada/torch-days.git"])
    files = {p.relative_to(target).as_posix(): p.read_bytes() for p in sorted(target.rglob("*"))
             if p.is_file()}
    new = main_quietly(["new", "Fit a line", "--date", "2026-01-05", "--root", str(target)])
    built = subprocess.run([sys.executable, "build.py"], cwd=target, capture_output=True,
                           text=True, stdin=subprocess.DEVNULL,
                           env=installed_engine(tmp_path_factory.mktemp("engine")))
    return target, made, files, new, built


def test_init_lays_down_the_learners_side_and_no_engine_code(fresh):
    target, made, files, _, _ = fresh
    assert made[0] == 0, made[1]
    for path in ("build.py", "requirements.in", "requirements.txt", ".python-version", "uv.toml",
                 "site_templates/README.md", ".github/workflows/pages.yml",
                 ".gitignore", ".gitattributes", "mkdocs.yml", "README.md"):
        assert path in files, path
    # No engine: its only Python file is build.py, a few lines calling the installed package
    assert [f for f in files if f.endswith(".py")] == ["build.py"]
    assert len(files["build.py"].decode().splitlines()) <= 15
    assert "from torchleet_journal.start import main" in files["build.py"].decode()
    assert not [f for f in files if f.startswith("torchleet_journal/") or f.endswith((".j2", ".yaml"))]
    assert [f for f in files if f.startswith("site_templates/")] == ["site_templates/README.md"]
    # docs/ holds only what keeps it in git, empty: plain mkdocs needs the folder to exist
    assert [f for f in files if f.startswith(("results/", "docs/", "site/"))] == ["docs/.gitignore"]
    assert [f for f in files if f.startswith(("entries/", "solutions/"))] == \
        ["entries/.gitkeep", "solutions/.gitkeep"]


def test_init_names_the_engine_at_its_exact_version_in_the_lock(fresh):
    files = fresh[2]
    wanted = f"torchleet-journal=={engine.version()}"
    requirements_in = files["requirements.in"].decode().splitlines()
    assert wanted in requirements_in
    assert "uv pip compile requirements.in -o requirements.txt -P torchleet-journal" in \
        files["requirements.in"].decode()
    lock = files["requirements.txt"].decode()
    assert wanted + "\n    # via -r requirements.in\n" in lock
    pins = [line.split("==")[0] for line in lock.splitlines() if "==" in line and line[0].isalnum()]
    # in order, the engine once (a universal lock may pin a package once per Python or platform)
    assert pins == sorted(pins, key=str.lower) and pins.count("torchleet-journal") == 1
    ours = (REPO / "requirements.txt").read_text()  # every package of the engine's own lock, as is
    assert [line for line in ours.splitlines() if "==" in line and line[0].isalnum()] == \
        [line for line in lock.splitlines() if "==" in line and line[0].isalnum()
         and not line.startswith("torchleet-journal==")]
    assert [line for line in requirements_in if line.startswith("torch==")] == \
        [line for line in ours.splitlines() if line.startswith("torch==")]


def test_the_starter_files_are_this_repositorys_own():
    """What init copies is kept in the package; each equals this repository's file."""
    for rel, name in init.STARTER_FILES.items():
        assert (init.STARTER / name).read_bytes() == (REPO / rel).read_bytes(), rel
    assert (init.STARTER / init.LOCK).read_bytes() == (REPO / "requirements.txt").read_bytes()
    ours = (REPO / "mkdocs.yml").read_text()
    ours = ours[ours.index("theme:"):]
    ours = re.sub(r"  # The engine's overrides \(.*?\n  custom_dir: [^\n]*\n", "", ours, flags=re.S)
    ours = re.sub(r"# Plain `mkdocs serve`.*?hooks:\n  - torchleet_journal/mkdocs_plugin.py\n\n", "",
                  ours, flags=re.S)
    starter = (init.STARTER / "mkdocs.yml").read_text()
    plugin = starter[starter.index("  # The engine (torchleet-journal)"):starter.index("  - torchleet-journal\n")]
    assert starter == ours.replace("  - offline\n", "  - offline\n" + plugin + "  - torchleet-journal\n")
    assert "hooks:" not in starter and "custom_dir" not in starter
    uv = tomllib.loads((init.STARTER / init.UV_CONFIG).read_text())["pip"]
    assert uv == tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["uv"]["pip"]


def test_init_fills_in_mkdocs_yml(fresh):
    config = read_config(fresh[0])  # a build never edits mkdocs.yml
    assert config.site_name == "Ada's <PyTorch> days"
    assert config.site_author == "Ada L."
    assert config.repo_url == "https://github.com/ada/torch-days"
    assert config.site_url == "https://ada.github.io/torch-days/"
    assert config.github == ("ada", "torch-days")


def test_init_writes_a_readme_with_empty_progress_markers_and_a_quick_start(fresh):
    text = fresh[2]["README.md"].decode()
    assert "<!-- progress:start -->\n<!-- progress:end -->" in text
    assert "## Quick start" in text and 'python build.py new "' in text
    assert "# Ada's \\<PyTorch\\> days" in text  # the title as typed, not as markup
    assert ".venv/" in fresh[2][".gitignore"].decode().split()


def test_new_then_build_in_the_new_journal_gives_a_one_day_site(fresh):
    target, _, _, new, built = fresh
    assert new[0] == 0, new[1]
    assert built.returncode == 0, built.stderr[-2000:]
    assert sorted(p.name for p in (target / "site/days").iterdir()) == [
        "day-01", "day-01.html", "index.html"]  # the day's page, its files, the days table
    page = (target / "site/days/day-01.html").read_text()
    assert "Fit a line" in page
    assert ('href="https://colab.research.google.com/github/ada/torch-days/blob/main/results/'
            'day-01/day01_fit_line.ipynb"') in page  # init's repo_url reaches the notebook link
    assert (target / "results/day-01/day01_fit_line.ipynb").is_file()
    feed = ET.parse(target / "site/feed.xml").getroot()
    links = [e.get("href") for e in feed.iter("{http://www.w3.org/2005/Atom}link")
             if e.get("href").endswith("/days/day-01.html")]
    assert links == ["https://ada.github.io/torch-days/days/day-01.html"]
    assert "day-01" in (target / "README.md").read_text()  # the table is filled in


def test_init_into_a_folder_with_files_refuses_and_writes_nothing(tmp_path):
    target = tmp_path / "notes"
    target.mkdir()
    (target / "todo.txt").write_text("mine\n")
    before = snapshot(tmp_path, folders=("",))
    code, err = main_quietly(["init", str(target), "--repo", "ada/x"])
    assert code == 2
    assert err.splitlines() == [
        f"{target}:1: is not empty (it holds todo.txt), and `build.py init` never writes over "
        "files; pick a new or empty folder"]
    assert snapshot(tmp_path, folders=("",)) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes"]  # no scratch folder left


def test_init_refuses_a_bad_repo_before_writing(tmp_path):
    code, err = main_quietly(["init", str(tmp_path / "new"), "--repo", "not a repo"])
    assert code == 2
    assert err.startswith("--repo:1: must be a GitHub repository as owner/name")
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("text, owner, name, site", [
    ("ada/torch-days", "ada", "torch-days", "https://ada.github.io/torch-days/"),
    ("https://github.com/Ada/days/", "Ada", "days", "https://ada.github.io/days/"),
    ("github.com/ada/ada.github.io", "ada", "ada.github.io", "https://ada.github.io/"),
])
def test_repo_gives_the_pages_address(text, owner, name, site):
    assert init.parse_repo(text) == (owner, name)
    assert init.Settings("t", "a", owner, name).site_url == site


def test_defaults_and_answers_on_a_terminal(tmp_path):
    asked = []

    def ask(question, default):
        asked.append(question)
        return "ada/answered" if "repository" in question else ""

    chosen = init.settings(tmp_path / "my journal", "Given title", None, None, ask)
    assert asked == ["Your name", "GitHub repository (owner/name)"]  # the title was given
    assert (chosen.title, chosen.owner, chosen.repo) == ("Given title", "ada", "answered")
    quiet = init.settings(tmp_path / "my journal", None, "Ada", None)
    assert (quiet.title, quiet.owner, quiet.repo) == \
        ("My PyTorch journal", init.PLACEHOLDER_OWNER, "my-journal")
    with pytest.raises(InputError):
        init.parse_repo("a/b/c")


def test_this_journal_ignores_the_virtualenv_the_readme_suggests():
    done = subprocess.run(["git", "check-ignore", "-q", ".venv/lib/torch/__init__.py"], cwd=REPO)
    assert done.returncode == 0
    assert "-m venv .venv" in (REPO / "README.md").read_text()


def test_the_engine_runs_as_python_dash_m_and_names_its_commands(tmp_path):
    done = subprocess.run([sys.executable, "-m", "torchleet_journal", "--help"], cwd=tmp_path,
                          capture_output=True, text=True, env=installed_engine(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "{build,status,new,serve,init,import,review,anki,ingest,remote}" in done.stdout


def test_a_journal_without_its_engine_installed_says_so_in_one_line(fresh):
    target = fresh[0]
    done = subprocess.run([sys.executable, "build.py", "status"], cwd=target, capture_output=True,
                          text=True, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "build.py:8: the engine torchleet-journal is not installed (No module named "
        "'torchleet_journal'); run `pip install -r requirements.txt` in this journal's virtual "
        "environment"]


@pytest.mark.parametrize("installed", [True, False])
def test_init_says_how_the_new_journal_gets_the_engine(tmp_path, monkeypatch, capsys, installed):
    """Installed, the engine comes back from the journal's lock; run from this checkout (which no
    index holds), the next steps build its wheel here for pip to find."""
    import importlib.metadata

    def distribution(name):
        if installed:
            return object()
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", distribution)
    assert main(["init", str(tmp_path / "mine"), "--title", "T", "--author", "A", "--repo",
                 "ada/mine"]) == 0
    said = capsys.readouterr().out
    dist = REPO / "dist"
    wheel = f"pip wheel {REPO} --no-deps -w {dist} && pip install -r requirements.txt " \
            f"--find-links {dist}\n"
    assert (wheel in said) != installed
    assert installed == ("&& pip install -r requirements.txt\n" in said)
