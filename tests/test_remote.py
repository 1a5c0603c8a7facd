"""`build.py remote DAYS --kaggle`: a day run on Kaggle comes back as the day's run.

Kaggle is played by tests/kaggle_standin.py, put first on PATH as `kaggle`: it implements the
CLI's `config view`, `kernels push`, `kernels status` and `kernels output` and runs the pushed
notebook with nbclient. The seed journal's day 8 (a few seconds of LSTM training) runs twice in
this module: once to pass, once told to fail; the other tests use a toy day or run nothing.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from tests.helpers import make_journal, snapshot, toy_solution
from tests.site_helpers import copy_committed_journal
from torchleet_journal.build import kaggle_cli, remote
from torchleet_journal.build.pipeline import Options, build
from torchleet_journal.cli import main
from torchleet_journal.model.results import load_result

TOKEN = "standin-token-7c1e9a52f0d4"  # the learner's key, as the stand-in receives it
STANDIN = Path(__file__).with_name("kaggle_standin.py")
OOM = "CUDA out of memory. Tried to allocate 2.00 GiB"
TOLD = ("KAGGLE_STANDIN_FAIL", "KAGGLE_STANDIN_HANG", "KAGGLE_STANDIN_REFUSE",
        "KAGGLE_STANDIN_OLD", "KAGGLE_API_TOKEN")


@pytest.fixture(scope="module")
def kaggle(tmp_path_factory):
    """The stand-in on PATH with the learner's token in KAGGLE_USERNAME / KAGGLE_KEY, and a
    HOME of its own (no ~/.kaggle of this machine's is read)."""
    base = tmp_path_factory.mktemp("kaggle")
    (base / "bin").mkdir()
    program = base / "bin" / "kaggle"
    program.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{STANDIN}" "$@"\n')
    program.chmod(0o755)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", f"{base / 'bin'}{os.pathsep}{os.environ['PATH']}")
        patch.setenv("HOME", str(base / "home"))
        patch.setenv("KAGGLE_USERNAME", "learner")
        patch.setenv("KAGGLE_KEY", TOKEN)
        patch.setenv("KAGGLE_STANDIN_HOME", str(base / "server"))
        for name in TOLD + ("KAGGLE_CONFIG_DIR",):
            patch.delenv(name, raising=False)
        yield base


def remote_cli(root: Path, *args: str) -> tuple[int, list[str], list[str]]:
    """`build.py remote ... --root ROOT` in process: exit code, stdout and stderr lines."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["remote", *args, "--root", str(root)])
    return code, out.getvalue().splitlines(), err.getvalue().splitlines()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """The journal as committed, day 8's stored result removed: a fresh clone that lacks it."""
    root = copy_committed_journal(tmp_path_factory.mktemp("fresh"))
    shutil.rmtree(root / "results/day-08")
    return root


@pytest.fixture(scope="module")
def on_kaggle(kaggle, fresh, tmp_path_factory):
    """A copy of the fresh clone after `remote 8 --kaggle`, then a full build (site too)."""
    root = shutil.copytree(fresh, tmp_path_factory.mktemp("remoted") / "journal")
    said = remote_cli(root, "8", "--kaggle")
    return root, said, build(root, Options())


def test_a_day_run_on_kaggle_is_stored_as_passed_and_the_next_build_runs_nothing(on_kaggle):
    root, (code, out, err), report = on_kaggle
    assert (code, err) == (0, [])
    result = load_result(root, 8)
    assert result.status == "passed" and result.figures == ["figure-01.png"]
    assert list(result.scalars) == ["Loss/lstm_scratch", "Loss/lstm_builtin"]
    assert result.ran_on["where"] == "Kaggle"
    printed = result.log_head + result.log_tail
    assert "Epoch [500/500]" in printed and "NbConvertApp" not in printed
    assert [d.entry.slug for d in report.days if d.ran] == [] and not report.failures
    page = (root / "docs/days/day-08.md").read_text()
    assert f"Ran on Kaggle, CPU, torch {result.ran_on['torch']}, on {result.ran_at[:10]}" in page
    assert '<img src="day-08/figure-01.png"' in page


def test_one_line_per_state_then_what_was_stored(on_kaggle):
    _, (_, out, _), _ = on_kaggle
    assert out[0] == "day-08: pushed to Kaggle as learner/torchleet-journal-day-08 (private)"
    assert [line.split(" on Kaggle (")[0] for line in out[1:4]] == [
        "day-08: queued", "day-08: running", "day-08: complete"]
    assert out[4].startswith("day-08: stored the run that ran on Kaggle, CPU, torch ")
    assert out[4].endswith(" as passed: 1 figure, 2 scalars, 28 lines of output; "
                           "`python build.py` shows it") and len(out) == 5


def test_the_token_is_in_no_file_of_results_docs_or_site(on_kaggle):
    root = on_kaggle[0]
    files = [p for folder in ("results", "docs", "site") for p in (root / folder).rglob("*")
             if p.is_file()]
    assert len(files) > 50 and (root / "site/days/day-08.html").is_file()
    for path in files:
        data = path.read_bytes()
        data = gzip.decompress(data) if path.suffix == ".gz" else data
        assert TOKEN.encode() not in data, path


def test_a_run_that_fails_on_kaggle_is_stored_as_failed_with_its_error_line(
        kaggle, fresh, tmp_path, monkeypatch):
    root = shutil.copytree(fresh, tmp_path / "journal")
    monkeypatch.setenv("KAGGLE_STANDIN_FAIL", OOM)
    code, out, err = remote_cli(root, "8", "--kaggle")
    assert (code, err) == (1, [])
    assert "day-08: error on Kaggle (" in out[3]
    assert out[4].endswith(f" as failed (RuntimeError: {OOM}): 0 figures, 0 scalars, "
                           f"{load_result(root, 8).log_lines} lines of output; `python build.py` "
                           "shows it")
    result = load_result(root, 8)
    assert (result.status, result.reason) == ("failed", f"RuntimeError: {OOM}")
    assert "loss.backward()" in result.traceback and result.ran_on["where"] == "Kaggle"
    build(root, Options(site=False))
    page = (root / "docs/days/day-08.md").read_text()
    assert f"RuntimeError: {OOM}" in page and "Ran on Kaggle, torch " in page


# --- refused: one line, exit 2, nothing written ----------------------------------------------


def refused(root: Path, *args: str) -> str:
    """`remote` refused: exit 2, one line on stderr, results/ as it was and no .journal/."""
    before = snapshot(root, ("results",))
    code, out, err = remote_cli(root, *args)
    assert (code, out, len(err)) == (2, [], 1), (out, err)
    assert snapshot(root, ("results",)) == before and not (root / ".journal").exists()
    assert err[0].startswith("build.py remote: ") and err[0].endswith(
        "; nothing was run or written")
    return err[0]


def test_a_refused_token_is_one_line_that_never_shows_it(kaggle, fresh, monkeypatch):
    monkeypatch.setenv("KAGGLE_STANDIN_REFUSE", "1")
    line = refused(fresh, "8", "--kaggle")
    assert "Kaggle refused the token (401 Client Error: Unauthorized for url: " in line
    assert "key=***)" in line and TOKEN not in line
    assert "https://www.kaggle.com/settings/api" in line


def test_no_token_at_all(kaggle, fresh, monkeypatch):
    monkeypatch.delenv("KAGGLE_KEY")
    assert "the Kaggle CLI has no token it can use" in refused(fresh, "8", "--kaggle")


def test_no_kaggle_program(kaggle, fresh, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert refused(fresh, "8", "--kaggle") == (
        "build.py remote: the `kaggle` program is not on PATH; pip install kaggle, then see the "
        "README's \"GPU days on Kaggle\" for the one-time token set-up; nothing was run or "
        "written")


def test_an_unknown_day(kaggle, fresh):
    assert refused(fresh, "5,9", "--kaggle") == (
        "build.py remote: this journal has no day 9 (no entries/day-09.yaml); its days are "
        "1, 2, 3, 4, 5, 6, 7, 8; nothing was run or written")


def test_data_files_that_cannot_reach_the_notebook(kaggle, tmp_path):
    reads = toy_solution(3) + 'assert len(open("big.bin", "rb").read()) == 300_000\n'
    root = make_journal(tmp_path, days={1: reads}, extra_files={"solutions/big.bin": "x" * 300_000})
    assert not build(root, Options(site=False)).failures
    shutil.rmtree(root / ".journal")
    line = refused(root, "1", "--kaggle")
    assert line.startswith("build.py remote: solutions/big.bin: day 1 reads it, and the "
                           "notebook cannot bring it to Kaggle (too large to carry")
    assert "set repo_url in mkdocs.yml" in line


# --- a run that outlasts its timeout ---------------------------------------------------------


def test_a_timeout_stops_waiting_and_fetch_brings_the_runs_back(kaggle, tmp_path, monkeypatch):
    root = make_journal(tmp_path)  # two toy days, run at once
    monkeypatch.setenv("KAGGLE_STANDIN_HANG", "1")
    code, out, err = remote_cli(root, "1,2", "--kaggle", "--timeout", "1")
    assert (code, err, load_result(root, 1), load_result(root, 2)) == (1, [], None, None)
    assert out[:2] == [f"day-0{day}: pushed to Kaggle as learner/torchleet-journal-day-0{day} "
                       "(private)" for day in (1, 2)]
    for day in (1, 2):
        said = [line for line in out if line.startswith(f"day-0{day}: still running")]
        assert len(said) == 1 and said[0].endswith(
            ", over its timeout of 1 s; stopped waiting, the run goes on: `python build.py "
            f"remote {day} --kaggle --fetch` brings it back once it ends")
    # Ctrl-C while waiting: stopped, said how to come back, nothing lost.
    monkeypatch.setattr(remote, "_pause", lambda seconds: (_ for _ in ()).throw(
        KeyboardInterrupt))
    code, out, _ = remote_cli(root, "1", "--kaggle", "--fetch")
    assert code == 130 and out[-1] == (
        "day-01: stopped waiting; the run goes on on Kaggle: `python build.py remote 1 --kaggle "
        "--fetch` brings it back once it ends")
    monkeypatch.undo()  # the runs end now (no KAGGLE_STANDIN_HANG)
    monkeypatch.setenv("KAGGLE_STANDIN_OLD", "1")  # `has status "complete"`, as older CLIs say
    code, out, err = remote_cli(root, "1,2", "--kaggle", "--fetch")
    assert (code, err) == (0, [])
    assert [line.split(" (")[0] for line in out if "complete" in line] == [
        "day-01: complete on Kaggle", "day-02: complete on Kaggle"]
    stored = [line for line in out if ": stored the run that ran on Kaggle, CPU, torch " in line]
    assert [line[:6] for line in stored] == ["day-01", "day-02"]
    for day in (1, 2):
        result = load_result(root, day)
        assert result.ok and list(result.scalars) == ["Loss/train"] and result.figures


# --- the CLI's words -------------------------------------------------------------------------


def test_both_spellings_of_a_status_are_read():
    assert kaggle_cli.parse_status('me/day has status "complete"\n') == "complete"
    assert kaggle_cli.parse_status('me/day has status "KernelWorkerStatus.ERROR"\n') == "error"
    assert kaggle_cli.parse_status("404 Client Error: Not Found") is None


def test_the_token_is_scrubbed_from_the_files_the_cli_reads_it_from(tmp_path):
    (tmp_path / "kaggle").write_text("#!/bin/sh\n")
    (tmp_path / "kaggle").chmod(0o755)
    (tmp_path / "kaggle.json").write_text('{"username": "me", "key": "0123456789abcdef"}')
    (tmp_path / "access_token").write_text("KGAT_fedcba9876543210\n")
    kaggle = kaggle_cli.find({"PATH": str(tmp_path), "KAGGLE_CONFIG_DIR": str(tmp_path),
                              "HOME": str(tmp_path / "home"), "KAGGLE_API_TOKEN": "short"})
    assert kaggle.scrub("key 0123456789abcdef, token KGAT_fedcba9876543210, short") == \
        "key ***, token ***, short"  # a value too short to be a token blanks no word


def test_a_run_that_failed_before_the_journals_cell_keeps_its_logs_last_error_line(tmp_path):
    from torchleet_journal.build.ingest import ingest
    from torchleet_journal.model.catalog import load_catalog
    from torchleet_journal.model.entries import load_entries

    root = make_journal(tmp_path)
    entry = load_entries(root, load_catalog())[0]
    output = tmp_path / "output"  # what `kaggle kernels output` brought: the log, no record
    output.mkdir()
    (output / "journal-day-01.log").write_text(json.dumps([
        {"stream_name": "stderr", "time": 0.4, "data": "[NbConvertApp] Converting notebook\n"},
        {"stream_name": "stderr", "time": 2.1, "data": "Traceback (most recent call last):\n"},
        {"stream_name": "stderr", "time": 2.1,
         "data": "OSError: [Errno 28] No space left on device\n"}]))
    notebook = remote.ran_notebook(root, entry, output, "journal-day-01", "error", "")
    (tmp_path / "ran.ipynb").write_text(json.dumps(notebook))
    _, result, _ = ingest(root, tmp_path / "ran.ipynb", 1)
    assert (result.status, result.reason) == ("failed", "OSError: [Errno 28] No space left on device")
    assert result.log_head.startswith("Traceback (most recent call last):\n")
    with pytest.raises(remote.Refused, match="its output has no journal-run.json"):
        remote.ran_notebook(root, entry, output, "journal-day-01", "complete", "")
    for broken in ('{"journal": {"day": 1}, "cells": [{"source": "x", "outputs": [1]}]}',
                   "[" * 100_000, "{\"journal\": {}, \"cells\": 3}"):
        (output / "journal-run.json").write_text(broken)
        with pytest.raises(remote.Refused, match="its journal-run.json is not the record the "
                           "journal's first cell writes; push the day again"):
            remote.ran_notebook(root, entry, output, "journal-day-01", "complete", "")
