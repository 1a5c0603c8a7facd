"""`build.py serve` on a toy journal, as a user runs it: edits show up, mistakes do not stop it,
Ctrl-C stops everything."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import REPO, copy_journal, make_journal
from tests.site_helpers import LoggedServer, answering, free_port
from torchleet_journal.build.pipeline import Options, build
from torchleet_journal.cli import main

STARTUP_SECONDS = 120  # mkdocs builds the site before it serves
CHANGE_SECONDS = 30


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A toy journal built once (in this process): a serve of a copy runs nothing at start."""
    root = make_journal(tmp_path_factory.mktemp("built"))
    build(root, Options())
    return root


@contextlib.contextmanager
def serving(root: Path, log: Path):
    """`build.py serve` in `root`, answering, and everything it and mkdocs printed."""
    url = f"http://127.0.0.1:{free_port()}"
    command = [sys.executable, str(REPO / "build.py"), "serve", "--root", str(root),
               "--dev-addr", url.removeprefix("http://")]
    server = LoggedServer(root, command, url, log, CHANGE_SECONDS,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})
    with answering(server, STARTUP_SECONDS):
        yield server


@pytest.fixture(scope="module")
def server(built, tmp_path_factory):
    """One server for the tests that edit while it serves, each a file of its own."""
    base = tmp_path_factory.mktemp("serve")
    with serving(copy_journal(built, base), base / "serve.log") as server:
        yield server


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _ran_at(root: Path, day: str) -> str:
    return json.loads((root / f"results/{day}/result.json").read_text())["ran_at"]


def test_entry_edit_shows_without_rerunning_and_reloads_once(server):
    ran_at = _ran_at(server.root, "day-01")
    reloads = server.log().count("Reloading browsers")
    _edit(server.root / "entries/day-01.yaml", "Gap of day 1", "Gap noticed while serving")
    server.wait_until("the edited gap on the day page",
                      lambda: "Gap noticed while serving" in server.page("days/day-01.html"))
    assert _ran_at(server.root, "day-01") == ran_at, "a text edit must not re-run the solution"
    time.sleep(1.5)  # room for a second reload, if a rebuild loop were to cause one
    assert server.log().count("Reloading browsers") == reloads + 1


def test_invalid_entry_is_reported_and_serving_goes_on(server):
    entry = server.root / "entries/day-02.yaml"
    good = entry.read_text()
    entry.write_text(good + "gapz: [typo]\n")
    server.wait_until("the error line", lambda: "entries/day-02.yaml:" in server.log())
    error = next(line for line in server.log().splitlines() if "entries/day-02.yaml:" in line)
    assert "'gapz'" in error
    assert "Toy task 2" in server.page("days/day-02.html"), "the last good page is still served"
    entry.write_text(good.replace("Toy task 2", "Toy task 2, fixed"))
    server.wait_until("the fixed entry's page",
                      lambda: "Toy task 2, fixed" in server.page("days/day-02.html"))


def test_failing_solution_shows_as_a_failed_day(server):
    solution = server.root / "solutions/day02.py"
    solution.write_text(solution.read_text() + "\nraise ValueError('broken while serving')\n")
    server.wait_until("the failure on the day page",
                      lambda: "broken while serving" in server.page("days/day-02.html"))
    assert "jl-failed" in server.page("")
    assert json.loads((server.root / "results/day-02/result.json").read_text())["status"] == "failed"


def _descendants(pid: int) -> set[int]:
    """Every live process below `pid`, read from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_ctrl_c_stops_server_and_children_cleanly(built, tmp_path):
    with serving(copy_journal(built, tmp_path), tmp_path / "serve.log") as server:
        family = _descendants(server.process.pid)
        assert family, "mkdocs serve runs as a child"
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=15) == 0
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in family) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in family if _alive(pid)], "a child outlived serve"
    assert "Shutting down..." in server.log(), "mkdocs was stopped as Ctrl-C stops it"


def test_killed_serve_takes_mkdocs_with_it(built, tmp_path):
    with serving(copy_journal(built, tmp_path), tmp_path / "serve.log") as server:
        family = _descendants(server.process.pid)
        server.process.kill()  # no chance to stop mkdocs itself
        server.process.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in family) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in family if _alive(pid)], "mkdocs outlived a killed serve"


def test_invalid_input_at_start_serves_nothing(tmp_path, capsys):
    root = make_journal(tmp_path, extra_files={"entries/day-03.yaml": "day: 3\n"})
    assert main(["serve", "--root", str(root), "--dev-addr", f"127.0.0.1:{free_port()}"]) == 2
    assert capsys.readouterr().err.startswith("entries/day-03.yaml:")
    assert not (root / "docs").exists()


def test_polling_reads_no_stored_result_until_something_changed(built, monkeypatch):
    """A year of days is a year of result.json files: a poll stats sources, it parses none."""
    from torchleet_journal.build import serve
    from torchleet_journal.model import results
    from torchleet_journal.model.results import recorded_deps

    class Server:  # mkdocs serve, as _watch sees it: running for five polls, then gone
        polls = 0

        def poll(self):
            self.polls += 1
            return None if self.polls <= 5 else 0

    reads = []
    monkeypatch.setattr(serve, "POLL_SECONDS", 0)
    monkeypatch.setattr(results, "read_result",
                        lambda root, day: reads.append(day) or (None, None))
    days = len(list((built / "entries").glob("day-*.yaml")))
    deps, _ = recorded_deps(built)  # as serve() does once a build is done
    seen = serve.snapshot(built, deps)
    serve._watch(built, Server(), seen, deps, rebuild=lambda: pytest.fail("nothing changed"))
    assert sorted(reads) == list(range(1, days + 1)), "each result read once, when watching began"
