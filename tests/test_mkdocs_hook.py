"""Plain `mkdocs build`, `gh-deploy` and `serve` on a fresh clone, as a MkDocs user runs them: the
hook renders docs/ from the committed results, runs nothing, imports no torch; edits show after
the reload; a mistake is the one located line build.py prints, and the last good pages stay up."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.helpers import REPO, override
from tests.site_helpers import LoggedServer, answering, free_port
from torchleet_journal.build import pipeline
from torchleet_journal.cli import main
from torchleet_journal.model.siteconfig import read_config
from torchleet_journal.website import site
from torchleet_journal.website.mkdocs_env import RENDERED_BY_BUILD

# `mkdocs` as its console script runs it (-P: the clone is not on sys.path), reporting at exit
# whether torch or tensorboard was ever imported.
MKDOCS = """
import atexit, sys
atexit.register(lambda: print("heavy imports:", [m for m in ("torch", "tensorboard")
                                                 if m in sys.modules], file=sys.stderr, flush=True))
from mkdocs.__main__ import cli
cli()
"""
NO_HEAVY_IMPORTS = "heavy imports: []"
STARTUP_SECONDS = 120  # the first render draws the journal's charts, then MkDocs builds
CHANGE_SECONDS = 20


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != RENDERED_BY_BUILD}
    return {**env, "NO_MKDOCS_2_WARNING": "1", "PYTHONUNBUFFERED": "1"}


def mkdocs_command(*args: str) -> list[str]:
    return [sys.executable, "-P", "-c", MKDOCS, *args]


def mkdocs(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(mkdocs_command(*args), cwd=root, capture_output=True, text=True,
                          env=_env(), timeout=300)


def fresh_clone(base: Path) -> Path:
    """This repository's committed HEAD, cloned: docs/ holds only its .gitignore, no site/."""
    root = base / "clone"
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    subprocess.run(["git", "clone", "--quiet", "--no-checkout", str(REPO), str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "checkout", "--quiet", head], check=True)
    return root


def git_status(root: Path, *paths: str) -> str:
    return subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", *paths],
                          capture_output=True, text=True, check=True).stdout


def build_py_error(root: Path) -> str:
    """The first line `python build.py` prints for this journal's invalid input."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["--no-site", "--root", str(root)]) == 2, err.getvalue()
    return err.getvalue().splitlines()[0]


def edit(path: Path, old: str, new: str) -> str:
    """Replace `old` with `new` in the file; returns the text it had."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text


def day_entries(root: Path) -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8"))
            for p in sorted((root / "entries").glob("day-*.yaml"))}


# --- mkdocs build and gh-deploy --------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A fresh clone, what its docs/ held, and `mkdocs build --strict` run in it."""
    root = fresh_clone(tmp_path_factory.mktemp("build"))
    docs_before = {p.name: p.read_text() for p in (root / "docs").iterdir()}
    started = time.monotonic()
    done = mkdocs(root, "build", "--strict")
    print(f"mkdocs build --strict on a fresh clone: {time.monotonic() - started:.1f} s")
    return root, docs_before, done


def test_a_fresh_clone_has_docs_holding_only_the_file_build_py_keeps_there(built):
    _, docs_before, _ = built
    assert docs_before == site.DOCS_KEEP, "a build would rewrite the committed docs/.gitignore"


def test_mkdocs_build_on_a_fresh_clone_has_every_day_page(built):
    root, _, done = built
    assert done.returncode == 0, done.stdout + done.stderr
    entries = day_entries(root)
    assert len(entries) >= 8
    for slug, entry in entries.items():
        page = root / f"site/days/{slug}.html"
        assert page.is_file(), f"no page for {slug}"
        assert entry["task"] in page.read_text(encoding="utf-8")
        assert "Out of date" not in page.read_text(encoding="utf-8"), "committed results are fresh"
    assert 'href="days/day-01.html"' in (root / "site/index.html").read_text(encoding="utf-8")


def test_mkdocs_build_does_not_list_the_day_pages_left_out_of_the_navigation(built):
    _, _, done = built  # by design: a year of days would be 365 lines at every serve rebuild
    assert "day-01.md" not in done.stdout + done.stderr


def test_mkdocs_build_runs_nothing_and_imports_no_torch(built):
    root, _, done = built
    assert NO_HEAVY_IMPORTS in done.stderr
    assert git_status(root) == "", "results/ and README.md are as committed: nothing ran"
    assert not (root / ".journal/runs").exists()


def test_mkdocs_build_on_invalid_input_fails_with_build_py_line(tmp_path):
    root = fresh_clone(tmp_path)
    (root / "entries/day-03.yaml").write_text(
        (root / "entries/day-03.yaml").read_text() + "gapz: [typo]\n")
    done = mkdocs(root, "build", "--strict")
    output = done.stdout + done.stderr
    assert done.returncode != 0
    located = [line for line in output.splitlines() if "entries/day-03.yaml" in line]
    assert located == [build_py_error(root)]
    assert "Traceback" not in output
    assert sorted(p.name for p in (root / "docs").iterdir()) == [".gitignore"], "nothing written"


def test_mkdocs_gh_deploy_publishes_the_journal_from_a_fresh_clone(tmp_path):
    root = fresh_clone(tmp_path)
    remote = tmp_path / "pages.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(remote)], check=True)
    subprocess.run(["git", "-C", str(root), "remote", "set-url", "origin", str(remote)],
                   check=True)
    who = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    done = subprocess.run(mkdocs_command("gh-deploy", "--force"), cwd=root, capture_output=True,
                          text=True, env={**_env(), **who}, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    page = subprocess.run(["git", "-C", str(remote), "show", "gh-pages:days/day-01.html"],
                          capture_output=True, text=True, check=True).stdout
    assert day_entries(root)["day-01"]["task"] in page


def test_under_build_py_the_hook_renders_nothing(tmp_path):
    root = fresh_clone(tmp_path)
    pipeline.render_stored(root)
    edit(root / "entries/day-02.yaml", "day: 2", "day: 2\ngapz: [typo]")
    site.build_site(root)  # the hook rendering here would refuse the entry and fail the build
    assert (root / "site/days/day-02.html").is_file()


def test_build_py_and_the_hook_mark_the_same_day_out_of_date_on_the_same_page(journal):
    pipeline.build(journal, pipeline.Options(site=False))
    solution = journal / "solutions/day02.py"
    solution.write_text(solution.read_text() + "\n# edited, not run yet\n")
    report = pipeline.build(journal, pipeline.Options(only=frozenset({1}), site=False))
    assert "Out of date" in (journal / "docs/days/day-02.md").read_text()
    assert "Out of date" not in (journal / "docs/days/day-01.md").read_text()
    # The same pages from the hook; only the times page's "ran" (day 1, by that build) differs.
    assert pipeline.render_stored(journal).written == ["docs/times.md"]
    assert report.stale_skipped == [2]


# --- mkdocs serve ----------------------------------------------------------------------------


def _site_path(root: Path) -> str:
    return urlsplit(read_config(root).site_url or "/").path


@contextlib.contextmanager
def serving(root: Path, log: Path):
    """`mkdocs serve` in a fresh clone, answering, and everything it printed."""
    address = f"127.0.0.1:{free_port()}"
    # MkDocs serves under site_url's path (/torchleet-journal/), as its "Serving on" says.
    url = f"http://{address}{_site_path(root)}".rstrip("/")
    server = LoggedServer(root, mkdocs_command("serve", "--dev-addr", address), url, log,
                          CHANGE_SECONDS, cwd=root, env=_env())
    with answering(server, STARTUP_SECONDS):
        yield server


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One server for the tests that edit while it serves, each a file of its own."""
    base = tmp_path_factory.mktemp("serve")
    with serving(fresh_clone(base), base / "serve.log") as server:
        yield server


def test_serve_answers_with_the_home_page_and_a_day_page(served):
    assert 'href="days/day-01.html"' in served.page("")
    assert day_entries(served.root)["day-01"]["task"] in served.page("days/day-01.html")


def test_serve_watches_the_sources_and_not_the_docs_it_renders(served):
    watching = next(line for line in served.log().splitlines() if "Watching paths" in line)
    for folder in ("'entries'", "'solutions'", "'site_templates'", "'results'"):
        assert folder in watching
    assert "'docs'" not in watching, "the hook's own writes would set off a second build"


def test_edited_gap_appears_after_the_reload(served):
    edit(served.root / "entries/day-02.yaml", "achieve train/test split",
         "split the data before training")
    seconds = served.wait_until("the edited gap on the day page",
                                lambda: "split the data before training" in served.page("days/day-02.html"))
    print(f"save to served page: {seconds:.1f} s")


def test_edited_template_appears_after_the_reload(served):
    template = override(served.root, "day.md.j2")  # a copy of the packaged one, then edited
    original = edit(template, "## Gaps\n", "## Gaps\n\nNoted from an edited template.\n")
    try:
        served.wait_until("the template's new line on a day page",
                          lambda: "Noted from an edited template." in served.page("days/day-01.html"))
    finally:
        template.write_text(original, encoding="utf-8")


def test_edited_solution_says_its_result_is_out_of_date(served):
    solution = served.root / day_entries(served.root)["day-04"]["solution"]
    solution.write_text(solution.read_text() + "\n# edited while serving\n")
    served.wait_until("the out-of-date notice",
                      lambda: "Out of date" in served.page("days/day-04.html"))
    notice = served.page("days/day-04.html").split("Out of date", 1)[1][:1500]
    assert "python build.py" in notice, "the notice names the command that re-runs the day"
    assert "Out of date" not in served.page("days/day-03.html")
    assert git_status(served.root, "results", "README.md") == "", "nothing ran"


def test_broken_entry_prints_one_located_line_and_the_last_good_page_stays(served):
    entry = served.root / "entries/day-05.yaml"
    good = entry.read_text()
    old_gap, new_gap = "how to plot a surface plot", "how to draw the inputs as a surface"
    seen = len(served.log())
    entry.write_text(good.replace(old_gap, new_gap).replace("day: 5\n", "day: 5\ngapz: [typo]\n"))
    served.wait_until("the rebuild after the error line", lambda: "Reloading browsers" in
                      served.log()[seen:].partition("entries/day-05.yaml:")[2])
    printed = served.log()[seen:]
    located = [line for line in printed.splitlines() if "entries/day-05.yaml" in line]
    assert located == [build_py_error(served.root)]
    assert "Traceback" not in printed
    page = served.page("days/day-05.html")
    assert old_gap in page and new_gap not in page, "the last good page is served"
    entry.write_text(good.replace(old_gap, new_gap))
    served.wait_until("the fixed entry's page", lambda: new_gap in served.page("days/day-05.html"))


def test_ctrl_c_stops_serving_having_imported_no_torch(tmp_path):
    with serving(fresh_clone(tmp_path), tmp_path / "serve.log") as server:
        assert server.stop() == 0
    assert NO_HEAVY_IMPORTS in server.log()


def test_mkdocs_compiles_the_themes_templates_once_not_at_every_build(seed, tmp_path,
                                                                    monkeypatch):
    """Each MkDocs build (each rebuild under `serve`) makes a new theme environment; the hook
    lends it the journal's cache of compiled templates. (Material's search plugin makes one of
    its own, before any hook runs, for its few translation templates.)"""
    import jinja2
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))  # a cache of its own
    monkeypatch.setenv(RENDERED_BY_BUILD, "1")  # docs/ is rendered: only MkDocs builds
    compiled = []
    real = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile",
                        lambda env, source, name=None, *a, **k: compiled.append(name)
                        or real(env, source, name, *a, **k))
    for build_number in (1, 2):
        config = load_config(str(seed.root / "mkdocs.yml"), site_dir=str(tmp_path / "site"))
        mkdocs_build(config)
        if build_number == 1:
            assert "main.html" in compiled, "the first build compiles the theme"
            compiled.clear()
    pages = {"main.html", "base.html", "404.html", "sitemap.xml", "partials/nav.html"}
    assert pages & set(compiled) == set(), compiled
