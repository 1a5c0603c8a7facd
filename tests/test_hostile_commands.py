"""Odd machines, round 2: `init`'s text, closed and non-UTF-8 streams, a build run from another
folder, bad `--dev-addr`s, `!ENV` in mkdocs.yml, and a day deleted while `serve` runs.

Each runs `build.py` (or plain `mkdocs`) as a process, as a user's shell would, and asserts the
exit status, the exact one line said, and what is on disk afterwards.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import REPO, entry_yaml, installed_engine, make_journal, write
from tests.site_helpers import LoggedServer, answering, free_port
from torchleet_journal.model.siteconfig import read_config

BUILD = str(REPO / "build.py")


def run(args: list, cwd: Path, env: dict | None = None, shell: str | None = None,
        **kwargs) -> subprocess.CompletedProcess:
    """`python build.py ARGS` in `cwd` (through bash when `shell` adds redirections)."""
    command = [sys.executable, BUILD, *args]
    if shell is not None:
        command = ["bash", "-c", f'"$@" {shell}', "bash", *command]
    return subprocess.run(command, cwd=cwd, capture_output=True, env={**os.environ, **(env or {})},
                          stdin=subprocess.DEVNULL, timeout=600, **kwargs)


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


# --- 8: init ---------------------------------------------------------------------------------


@pytest.mark.parametrize("option, value, line", [
    ("--title", b"bad\xff", "--title:1: must be text mkdocs.yml can hold, got 'bad\\udcff', which "
                            "has a byte that is not UTF-8; retype it without"),
    ("--author", "x\u0080y".encode(), "--author:1: must be text mkdocs.yml can hold, got "
                                      "'x\\x80y', which has U+0080, a control character; "
                                      "retype it without"),
    ("--title", "a\x1bb".encode(), "--title:1: must be text mkdocs.yml can hold, got 'a\\x1bb', "
                                   "which has U+001B, a control character; retype it without"),
    ("--author", "no\ufffeway".encode(), "--author:1: must be text mkdocs.yml can hold, got "
                                        "'no\\ufffeway', which has U+FFFE, which YAML cannot "
                                        "hold; retype it without"),
])
def test_init_refuses_text_yaml_cannot_carry_in_one_line_and_writes_nothing(tmp_path, option,
                                                                            value, line):
    args = [b"init", b"mine", option.encode(), value, b"--repo", b"ada/days"]
    done = run(args, tmp_path)
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [line]
    assert listing(tmp_path) == [], "no journal, no scratch folder"


def test_init_under_an_ascii_terminal_writes_the_whole_journal_and_says_so(tmp_path):
    done = run(["init", "mine", "--title", "Café ∑", "--author", "Zoë", "--repo", "ada/days"],
               tmp_path, env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("ascii").startswith(
        "created a new journal in mine: 'Caf\\xe9 \\u2211' by Zo\\xeb, published at "
        "https://ada.github.io/days/")
    assert read_config(tmp_path / "mine").site_name == "Café ∑"
    assert (tmp_path / "mine/README.md").read_text(encoding="utf-8").startswith("# Café ∑")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("fresh")
    done = run(["init", "mine", "--title", "Fresh", "--author", "Ada", "--repo", "ada/fresh"], base)
    assert done.returncode == 0, done.stderr
    return base / "mine"


def _mkdocs(*args) -> list[str]:
    return [sys.executable, "-m", "mkdocs", *args]


def test_plain_mkdocs_build_accepts_a_fresh_journal_at_once(fresh, tmp_path):
    # A journal made by init names the installed engine's plugin, which renders docs/ first
    done = subprocess.run(_mkdocs("build", "--site-dir", str(tmp_path / "site")), cwd=fresh,
                          capture_output=True, text=True, timeout=300,
                          env={**installed_engine(tmp_path), "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr
    assert "Fresh" in (tmp_path / "site/index.html").read_text(encoding="utf-8")
    assert (fresh / "docs/.gitignore").is_file()


def test_plain_mkdocs_serve_accepts_a_fresh_journal_at_once(fresh, tmp_path):
    port = free_port()
    server = LoggedServer(fresh, _mkdocs("serve", "--dev-addr", f"127.0.0.1:{port}"),
                          f"http://127.0.0.1:{port}/fresh", tmp_path / "serve.log", 30, cwd=fresh,
                          env={**installed_engine(tmp_path), "NO_MKDOCS_2_WARNING": "1"})
    with answering(server, 120):
        assert "Fresh" in server.page("index.html")


def test_env_tags_in_mkdocs_yml_are_read_as_mkdocs_reads_them(tmp_path, monkeypatch):
    root = make_journal(tmp_path, days={})
    config = root / "mkdocs.yml"
    text = re.sub(r"(?m)^site_name: .*$", "site_name: !ENV [JOURNAL_TEST_TITLE, 'Named by default']",
                  config.read_text(encoding="utf-8"))
    assert "!ENV" in text
    config.write_text(text, encoding="utf-8")
    monkeypatch.delenv("JOURNAL_TEST_TITLE", raising=False)
    assert read_config(root).site_name == "Named by default"
    monkeypatch.setenv("JOURNAL_TEST_TITLE", "Named by the environment")
    assert read_config(root).site_name == "Named by the environment"


# --- 9: every command finds its journal, and survives its streams ---------------------------


@pytest.fixture
def journal(tmp_path) -> Path:
    return make_journal(tmp_path, days={1: 'print("ünïcode ✅")\n'})


def test_build_py_run_from_another_folder_writes_nothing_there(journal, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for args in ([], ["new", "A task"], ["serve"]):
        done = run(args, elsewhere)
        assert done.returncode == 2
        assert done.stderr.decode().splitlines() == [
            f"{elsewhere}:1: is not a journal (it has no entries/ and no mkdocs.yml); run "
            "build.py in the journal's folder or pass --root with it, or start one with "
            "`python build.py init DIR`", "1 problem found; nothing was run or written."]
    done = run(["--root", str(journal), "--no-site"], elsewhere)
    assert done.returncode == 0, done.stderr
    assert listing(elsewhere) == [], "the lock, caches and outputs are the journal's"
    assert (journal / ".journal/lock").is_file() and (journal / "results/day-01").is_dir()


@pytest.mark.parametrize("closed", ["2>&-", ">&-", "<&- >&- 2>&-"])
def test_closed_standard_streams_are_survived_and_nothing_lands_in_the_lock(journal, closed):
    done = run(["--root", str(journal), "--no-site"], journal, shell=closed)
    assert done.returncode == 0
    assert (journal / ".journal/lock").read_text().isdigit(), "no message written into the lock"
    log = next((journal / "results/day-01").glob("*.log")).read_text(encoding="utf-8")
    assert log == "ünïcode ✅\n"
    assert (journal / "docs/days/day-01.md").is_file()


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_non_utf8_terminal_gets_every_line_escaped_not_a_traceback(journal, encoding):
    done = run(["--root", str(journal), "--no-site"], journal, env={"PYTHONIOENCODING": encoding})
    assert done.returncode == 0, done.stderr
    err = done.stderr.decode(encoding)
    assert "Traceback" not in err
    assert "day-01   \\u2705 passed" in err


@pytest.mark.parametrize("address", ["127.0.0.1:abc", "127.0.0.1:99999", "localhost", "host:80",
                                     ":8000", "127.0.0.1:-1", "999.0.0.1:8000", "[::1:80"])
def test_a_bad_dev_addr_is_one_line_and_exit_2_before_anything_is_built(journal, address):
    done = run(["serve", "--root", str(journal), "--dev-addr", address], journal)
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [
        f"build.py serve: error: argument --dev-addr: must be IP:PORT with a port from 0 to "
        f"65535, e.g. 127.0.0.1:8000, got {address!r}"]
    assert not (journal / "docs").exists() and not (journal / "results").exists()


# --- serve --dirty ---------------------------------------------------------------------------


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_serve_stops_serving_a_deleted_days_page(tmp_path):
    root = make_journal(tmp_path, days={1: 'print(1)\n', 2: 'print(2)\n'})
    port = free_port()
    server = LoggedServer(root, [sys.executable, BUILD, "serve", "--root", str(root), "--dev-addr",
                                 f"127.0.0.1:{port}"], f"http://127.0.0.1:{port}",
                          tmp_path / "serve.log", 30, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    with answering(server, 120):
        assert _status(f"{server.url}/days/day-02.html") == 200
        (root / "entries/day-02.yaml").unlink()
        server.wait_until("the deleted day's page gone",
                          lambda: _status(f"{server.url}/days/day-02.html") == 404)
        assert _status(f"{server.url}/days/day-02/day02.py") == 404
        assert _status(f"{server.url}/days/day-01.html") == 200
        write(root / "entries/day-02.yaml", entry_yaml(2, "solutions/day02.py"))
        server.wait_until("the day back", lambda: _status(f"{server.url}/days/day-02.html") == 200)
