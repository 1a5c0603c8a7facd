"""What leaves the machine: hostile files beside a solution, and hostile URLs in mkdocs.yml.

One journal is laid out the way a stranger's machine and a hostile collaborator would hit the
build: a git-ignored `.env`, links beside the solution to the journal itself (`j -> ..`), to a
folder elsewhere and to `/proc/self/environ`, a token in `.git/config`, a file in `.journal/`,
a data file whose name holds a newline, a solution whose name holds HTML. Its day reads them
all; it is built once, and the tests read the notebook the build published and what is left on
disk. Then `publish.publishable` is checked against git's own answers, and each hostile URL
in mkdocs.yml ends dropped with its one line, or quoted, on every page MkDocs writes.
"""

from __future__ import annotations

import ast
import base64
import html
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import copy_journal, entry_yaml, make_journal, write
from tests.html_scan import attribute_problems, parse
from torchleet_journal.build.pipeline import Events, Options, build
from torchleet_journal.model.siteconfig import checked_url, read_config
from torchleet_journal.pages import publish

SECRETS = {  # where each secret lives; none may reach anything the build publishes
    "ENV": "ENV_SECRET_7a1f",  # the journal's git-ignored .env
    "TOKEN": "TOKEN_SECRET_9b2e",  # a remote URL with a token, in .git/config
    "CACHE": "CACHE_SECRET_3c4d",  # a file in the build's .journal/
    "OUTSIDE": "OUTSIDE_SECRET_5e6f",  # a file in a folder outside the journal
    "ENVIRON": "ENVIRON_SECRET_0a8b",  # the build's environment, /proc/self/environ
}
NEWLINE = "new\nline.csv"
HTML_NAME = "solutions/day02_`x`<img src=x onerror=alert(1)>.py"
NOT_UTF8 = b"\xff.csv"  # a name that is no UTF-8: Python calls it '\udcff.csv'
READS_BYTES = f'''
import os

with open(os.path.join(os.fsencode(os.path.dirname(__file__)), {NOT_UTF8!r}), "rb") as handle:
    print(handle.read())
'''
# Every file the day reads, by the path it opens (from its own folder, as in Jupyter).
READS = ["../.env", "j/.git/config", "j/.journal/secret.txt", "x/outside.txt", "env.txt",
         "ok.csv", NEWLINE]
READER = f'''
import os

HERE = os.path.dirname(__file__)  # `../.env` from the journal's solutions/, as Jupyter has it
for name in {READS!r}:
    with open(os.path.join(HERE, name), "rb") as handle:
        print(repr(name), len(handle.read()) > 0)
'''


def lay_out(base: Path) -> tuple[Path, Path]:
    """The hostile journal (a git repository) and the folder outside it that it links to."""
    outside = base / "elsewhere"
    write(outside / "outside.txt", SECRETS["OUTSIDE"])
    root = make_journal(base, days={}, extra_files={
        "solutions/day01.py": READER, "entries/day-01.yaml": entry_yaml(1, "solutions/day01.py"),
        HTML_NAME: 'print("named with HTML")\n',
        "entries/day-02.yaml": entry_yaml(2, json.dumps(HTML_NAME)),
        "solutions/day03.py": READS_BYTES, "entries/day-03.yaml": entry_yaml(3, "solutions/day03.py"),
        ".env": f"API_KEY={SECRETS['ENV']}\n", ".gitignore": ".env\n/.journal/\n/site/\n",
        ".journal/secret.txt": SECRETS["CACHE"], "solutions/ok.csv": "x,y\n1,2\n",
        f"solutions/{NEWLINE}": "n\n"})
    (root / "solutions").joinpath(os.fsdecode(NOT_UTF8)).write_bytes(b"raw")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    with open(root / ".git/config", "a", encoding="utf-8") as config:
        config.write(f'[remote "origin"]\n\turl = https://{SECRETS["TOKEN"]}@github.com/a/b\n')
    os.symlink("..", root / "solutions/j")
    os.symlink(outside, root / "solutions/x")
    os.symlink("/proc/self/environ", root / "solutions/env.txt")
    return root, outside


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, links not followed: what must be the same after the build."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


class Warnings(Events):
    def __init__(self):
        self.lines: list[str] = []

    def warning(self, text: str) -> None:
        self.lines.append(text)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    base = tmp_path_factory.mktemp("publish")
    root, outside = lay_out(base)
    before = {"git": (root / ".git/config").read_bytes(), "env": (root / ".env").read_bytes(),
              "outside": tree(outside)}
    events = Warnings()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JOURNAL_TEST_SECRET", SECRETS["ENVIRON"])
        report = build(root, Options(site=False), events)
    return root, outside, report, before, events


def notebook(root: Path, day: int) -> dict:
    return json.loads(next((root / f"results/day-{day:02d}").glob("*.ipynb")).read_text())


def cell(nb: dict, index: int) -> str:
    return "".join(nb["cells"][index]["source"])


def test_the_day_read_every_secret_it_was_given(published):
    root, _, report, _, events = published
    day = report.days[0]
    assert day.result.ok, day.result.reason
    assert [line for line in day.result.log_head.splitlines()] == \
        [f"{name!r} True" for name in READS]
    assert events.lines == []  # nothing changed while it ran: no warning


def test_no_secret_reaches_anything_the_build_wrote(published):
    root, *_ = published
    for folder in ("results", "docs"):
        for path in (root / folder).rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                for secret in SECRETS.values():
                    assert secret.encode() not in data, (path, secret)


def files_of(setup: str) -> ast.expr:
    """The setup cell's `FILES = {...}`: where each carried or fetched file goes."""
    return next(node.value for node in ast.parse(setup).body if isinstance(node, ast.Assign)
                and getattr(node.targets[0], "id", "") == "FILES")


def test_only_files_git_would_publish_are_carried_each_name_a_literal(published):
    root, *_ = published
    setup = cell(notebook(root, 1), 1)
    # a newline in a name made no line of code
    carried = {name: base64.b64decode(blob) for name, blob in ast.literal_eval(files_of(setup)).items()}
    assert carried == {NEWLINE: b"n\n", "ok.csv": b"x,y\n1,2\n"}


def test_every_other_file_is_named_with_why_and_what_to_do(published):
    root, *_ = published
    setup = cell(notebook(root, 1), 1)
    assert setup.split("\n\n")[-1] == "\n".join([
        "# Not published with the journal: commit each to its repository, or read it from a URL:",
        "#   '../.env' (ignored by git)",
        "#   'env.txt' (outside the journal)",
        "#   'j/.git/config' (the journal's private state)",
        "#   'j/.journal/secret.txt' (the journal's private state)",
        "#   'x/outside.txt' (outside the journal)"])


def test_the_setup_cell_puts_the_carried_files_beside_the_notebook(published, tmp_path):
    root, *_ = published
    done = subprocess.run([sys.executable, "-c", cell(notebook(root, 1), 1)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(tmp_path)) == [NEWLINE, "ok.csv"]
    assert (tmp_path / NEWLINE).read_bytes() == b"n\n"


def test_html_in_a_solutions_name_stays_text_in_the_intro(published):
    root, *_ = published
    intro = cell(notebook(root, 2), 0)
    line = intro.splitlines()[2]
    assert "<img" not in intro and "`x`" not in intro
    start, end = line.index("<code>") + len("<code>"), line.index("</code>")
    assert html.unescape(line[start:end]) == HTML_NAME
    assert line.startswith("2025-01-02 · made from <code>")
    assert "<img" not in (root / "docs/days/day-02.md").read_text()  # nor on its page


def test_the_journal_git_and_the_outside_folder_are_as_they_were(published):
    root, outside, _, before, _ = published
    assert (root / ".git/config").read_bytes() == before["git"]
    assert (root / ".env").read_bytes() == before["env"]
    assert tree(outside) == before["outside"]
    assert os.readlink(root / "solutions/j") == ".."


def test_on_github_only_publishable_files_get_a_raw_url(published, tmp_path):
    root = copy_journal(published[0], tmp_path, site=False)
    with open(root / "mkdocs.yml", "a", encoding="utf-8") as config:
        config.write("repo_url: https://github.com/ada/torch-days\n")
    build(root, Options(site=False))  # day 1 runs again: what it read of /proc changed
    setup = cell(notebook(root, 1), 1)
    files = ast.literal_eval(files_of(setup))
    raw = "https://raw.githubusercontent.com/ada/torch-days/main/solutions/"
    assert files == {NEWLINE: raw + "new%0Aline.csv", "ok.csv": raw + "ok.csv"}
    assert "#   '../.env' (ignored by git)" in setup
    setup = cell(notebook(root, 3), 1)
    files = ast.literal_eval(files_of(setup))
    assert files == {"\udcff.csv": raw + "%FF.csv"}


def test_a_name_that_is_no_utf8_is_carried_under_its_own_bytes(published, tmp_path):
    root, *_ = published
    done = subprocess.run([sys.executable, "-c", cell(notebook(root, 3), 1)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert os.listdir(os.fsencode(tmp_path)) == [NOT_UTF8]
    assert (tmp_path / os.fsdecode(NOT_UTF8)).read_bytes() == b"raw"


# --- the one rule, against git ----------------------------------------------------------------

IGNORES = {".gitignore": "*.log\n!keep.log\n/build/\ndata/\nsecret*\n",
           "solutions/.gitignore": "local.csv\n!secret_ok.csv\n"}
FILES = ["a.csv", "x.log", "keep.log", "build/out.csv", "solutions/build/in.csv",
         "solutions/data/train.csv", "solutions/local.csv", "solutions/secret_ok.csv",
         "secret.txt", "solutions/ok.csv", "solutions/sub/keep.log", "solutions/sub/x.log"]


def _laid_out(root: Path) -> None:
    for rel, text in IGNORES.items():
        write(root / rel, text)
    for rel in FILES:
        write(root / rel, "data\n")


def test_without_git_the_ignore_files_are_read_as_git_reads_them(tmp_path):
    plain, repo = tmp_path / "plain", tmp_path / "repo"
    for root in (plain, repo):
        _laid_out(root)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    from_git = {rel for rel, why in publish.publishable(repo, FILES).items() if why}
    assert from_git == {"x.log", "build/out.csv", "solutions/data/train.csv",
                        "solutions/local.csv", "secret.txt", "solutions/sub/x.log"}
    assert {rel for rel, why in publish.publishable(plain, FILES).items() if why} == from_git


@pytest.mark.parametrize("link,rel,why", [
    ("..", "solutions/j/.git/config", publish.PRIVATE_STATE),
    ("..", "solutions/j/.journal/downloads/x", publish.PRIVATE_STATE),
    ("/proc/self/environ", "solutions/env.txt", publish.OUTSIDE),
    ("/etc", "solutions/x/hostname", publish.OUTSIDE),
    ("../.env", "solutions/data.csv", publish.IGNORED),  # a link inside, to an ignored file
    ("/dev/zero", "solutions/zero.bin", publish.OUTSIDE),
    ("..", "solutions/j/a.csv", None),  # a journal file, however it is reached
], ids=["git", "journal-state", "proc", "outside", "to-ignored", "device", "inside"])
def test_a_path_is_judged_by_where_it_leads(tmp_path, link, rel, why):
    root = tmp_path / "journal"
    write(root / ".gitignore", ".env\n")
    for name in (".env", "a.csv", ".git/config", ".journal/downloads/x"):
        write(root / name, "secret\n")
    (root / "solutions").mkdir()
    os.symlink(link, root / "solutions" / rel.split("/")[1])
    assert publish.publishable(root, [rel]) == {rel: why}


def test_a_fifo_a_folder_a_missing_and_a_large_file_are_not_carried(tmp_path):
    root = tmp_path / "journal"
    write(root / "big.bin", "x" * 11)
    os.mkfifo(root / "pipe")
    (root / "folder").mkdir()
    verdicts = publish.publishable(root, ["big.bin", "pipe", "folder", "gone.csv"], max_bytes=10)
    assert verdicts == {"big.bin": publish.TOO_LARGE, "pipe": publish.NOT_REGULAR,
                        "folder": publish.NOT_REGULAR, "gone.csv": publish.MISSING}


# --- URLs from mkdocs.yml --------------------------------------------------------------------


@pytest.mark.parametrize("key,value,url,problem", [
    ("repo_url", "javascript:alert(1)", None, "must be an http:// or https:// URL, got "
     "'javascript:alert(1)'"),
    ("repo_url", "javascript://%0aalert(1)", None, "must be an http:// or https:// URL, got "
     "'javascript://%0aalert(1)'"),
    ("repo_url", "java\tscript:alert(1)", None, "must be an http:// or https:// URL, got "
     "'java\\tscript:alert(1)'"),
    ("site_url", "data:text/html,<script>alert(1)</script>", None, "must be an http:// or "
     "https:// URL, got 'data:text/html,<script>alert(1)</script>'"),
    ("site_url", "//evil.example/", None, "must be an http:// or https:// URL, got "
     "'//evil.example/'"),
    ("repo_url", "https://ghp_token@github.com/a/b", None, "must not hold a user name or "
     "password, got a URL with one before its '@'"),
    ("edit_uri", "javascript:alert(1)", None, "must be an http:// or https:// URL, got "
     "'javascript:alert(1)'"),
    ("repo_url", 'https://github.com/a/b" onmouseover="alert(1)',
     "https://github.com/a/b%22%20onmouseover=%22alert(1)", None),
    ("site_url", 'https://x.example/"><script>alert(1)</script>/',
     "https://x.example/%22%3E%3Cscript%3Ealert(1)%3C/script%3E/", None),
    ("edit_uri", "edit/main/docs/", "edit/main/docs/", None),
    ("repo_url", "https://github.com/ada/torch-days", "https://github.com/ada/torch-days", None),
])
def test_a_configured_url_is_http_and_quoted_or_dropped_in_one_line(key, value, url, problem):
    text = f"site_name: x\n{key}: {json.dumps(value)}\n"
    expected = f"mkdocs.yml:2: '{key}' {problem}; it is left out of the site" if problem else None
    assert checked_url(key, value, text, relative=key == "edit_uri") == (url, expected)


def test_social_links_pass_the_same_check(tmp_path):
    write(tmp_path / "mkdocs.yml", "site_name: x\nextra:\n  social:\n"
          "    - icon: a\n      link: javascript:alert(1)\n"
          "    - icon: b\n      link: https://fosstodon.org/@ada\n")
    assert read_config(tmp_path).warnings == (
        "mkdocs.yml:5: 'extra.social.link' must be an http:// or https:// URL, got "
        "'javascript:alert(1)'; it is left out of the site",)


HOSTILE_CONFIG = {
    "dropped": ("repo_url: 'javascript://%0aalert(1)'\n",
                "mkdocs.yml:LINE: 'repo_url' must be an http:// or https:// URL, got "
                "'javascript://%0aalert(1)'; it is left out of the site"),
    "quoted": ("repo_url: 'https://github.com/ada/j\" onmouseover=\"alert(1)'\n"
               "site_url: 'https://x.example/\"><script>alert(1)</script>/'\n", None),
}


@pytest.fixture(scope="module", params=sorted(HOSTILE_CONFIG))
def configured(request, tmp_path_factory):
    """A one-day journal whose mkdocs.yml carries hostile URLs, built with its site."""
    root = make_journal(tmp_path_factory.mktemp(request.param), days={1: 'print("ok")\n'})
    config = root / "mkdocs.yml"
    text = "\n".join(line for line in config.read_text().splitlines()
                     if not line.startswith(("site_url:", "repo_url:"))) + "\n"
    config.write_text(text + HOSTILE_CONFIG[request.param][0])
    line = len(text.splitlines()) + 1
    done = subprocess.run([sys.executable, "build.py", "--root", str(root)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=600)
    return request.param, root, done, line


REPO_ROOT = Path(__file__).resolve().parent.parent


def pages(root: Path) -> dict[str, str]:
    return {p.relative_to(root / "site").as_posix(): p.read_text(encoding="utf-8")
            for p in (root / "site").rglob("*.html")}


def test_a_hostile_url_ends_in_one_warning_or_none(configured):
    name, root, done, line = configured
    assert done.returncode == 0, done.stderr
    warning = HOSTILE_CONFIG[name][1]
    warnings = [w for w in done.stderr.splitlines() if w.startswith("warning:")]
    assert warnings == ([f"warning: {warning.replace('LINE', str(line))}"] if warning else [])
    assert "Traceback" not in done.stderr


def test_no_page_carries_a_script_url_an_event_handler_or_an_injected_tag(configured):
    _, root, _, _ = configured
    found = pages(root)
    assert found
    for rel, text in found.items():
        page = parse(text)
        assert attribute_problems(page) == [], rel
        # The pages' own scripts may name the quoted URL; never the raw one.
        assert not [body for body in page.scripts if '"><script>' in body or
                    'onmouseover="' in body], rel
        assert "<script>alert(1)" not in text, rel
        assert "onmouseover" not in [a for e in page.elements for a in e.attrs], rel


def test_a_quoted_url_is_the_one_pages_link_to_and_a_dropped_one_is_gone(configured):
    name, root, _, _ = configured
    index = parse(pages(root)["index.html"])
    sources = [e.attrs.get("href") for e in index.elements
               if e.tag == "a" and e.attrs.get("class") == "md-source"]
    canonical = [e.attrs.get("href") for e in index.elements
                 if e.tag == "link" and e.attrs.get("rel") == "canonical"]
    if name == "dropped":
        assert sources == []
    else:
        assert sources and set(sources) == {"https://github.com/ada/j%22%20onmouseover=%22alert(1)"}
        assert canonical == ["https://x.example/%22%3E%3Cscript%3Ealert(1)%3C/script%3E/index.html"]


def test_plain_mkdocs_drops_it_with_the_same_line(configured, tmp_path):
    name, built, _, line = configured
    if HOSTILE_CONFIG[name][1] is None:
        pytest.skip("nothing to drop")
    root = copy_journal(built, tmp_path, site=False)
    shutil.rmtree(root / "docs", ignore_errors=True)
    (root / "docs").mkdir()
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--quiet"], cwd=root,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert done.returncode == 0, done.stderr
    assert HOSTILE_CONFIG[name][1].replace("LINE", str(line)) in done.stderr.splitlines()
    assert "javascript:" not in (root / "site/index.html").read_text()


def test_a_url_mkdocs_itself_refuses_stops_a_site_build_before_anything_runs(tmp_path):
    root = make_journal(tmp_path, days={1: 'print("ok")\n'})
    config = root / "mkdocs.yml"
    text = config.read_text()
    config.write_text(text + "repo_url: javascript:alert(1)\n")
    line = len(text.splitlines()) + 1
    done = subprocess.run([sys.executable, "build.py", "--root", str(root)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (
        f"mkdocs.yml:{line}: 'repo_url' must be an http:// or https:// URL, got "
        "'javascript:alert(1)'; MkDocs refuses it too: fix it or remove the line")
    assert not (root / "results").exists() and not (root / "site").exists()
