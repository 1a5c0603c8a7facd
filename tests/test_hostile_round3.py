"""Hostile and odd input, round 3: what `import`, `ingest`, `review`, `anki` and `status` read
is data, never a command, a path out of the journal, a traceback or a hang.

A foreign repository's own git configuration runs nothing; files outside a source folder are
never copied in; review state and decks are never written through a link out of the journal;
a committed result's names are never imported; dates no journal can hold are refused in one
located line; every reader of learner text is linear on its worst shape.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from journal.cli import main
from tests.helpers import make_journal, write
from tests.test_import import commit, notebook

TABLE = "| Day | Task |\n|---|---|\n| 1 | Linear regression |\n"


def run(args: list[str]) -> tuple[int, str, str]:
    """`build.py ARGS` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def needs_git():
    if shutil.which("git") is None:
        pytest.skip("git is not installed")


# --- 1: a foreign repository's configuration is never obeyed ----------------------------------


def _hostile_repository(repo: Path, canaries: Path) -> list[str]:
    """A committed table and notebook, then a .git/config and .gitattributes whose every
    command would write a canary file: what a copied folder or an archive can carry."""
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    commit(repo, "2025-01-20", {"log.md": TABLE, ".gitattributes": "* diff=evil\n",
                                "d1.ipynb": notebook("Linear regression", "print(1)\n")})
    commit(repo, "2025-01-21", {"log.md": TABLE + "| 2 | Logistic regression |\n"})
    names = ["textconv", "extdiff", "fsmonitor", "pager", "gpg", "hook", "askpass"]
    for name in names:
        script = canaries / name
        script.write_text(f'#!/bin/sh\ntouch "{canaries}/ran-{name}"\ncat "$1" 2>/dev/null\n')
        script.chmod(0o755)
    hooks = repo / ".git/hooks"
    for hook in ("post-checkout", "pre-commit", "post-index-change", "reference-transaction"):
        shutil.copy(canaries / "hook", hooks / hook)
    with open(repo / ".git/config", "a") as config:
        config.write(f"[diff \"evil\"]\n\ttextconv = {canaries}/textconv\n"
                     f"\tcommand = {canaries}/extdiff\n"
                     f"[diff]\n\texternal = {canaries}/extdiff\n"
                     f"[core]\n\tfsmonitor = {canaries}/fsmonitor\n\tpager = {canaries}/pager\n"
                     f"\taskPass = {canaries}/askpass\n"
                     f"[log]\n\tshowSignature = true\n[gpg]\n\tprogram = {canaries}/gpg\n"
                     f"[pager]\n\tlog = {canaries}/pager\n")
    return names


def test_a_foreign_repositorys_git_config_runs_nothing_on_import(tmp_path):
    needs_git()
    repo, canaries = tmp_path / "theirs", tmp_path / "canaries"
    repo.mkdir(), canaries.mkdir()
    names = _hostile_repository(repo, canaries)
    # The config is live: plain git, as the journal used to call it, runs the textconv driver.
    subprocess.run(["git", "-C", str(repo), "--no-pager", "log", "-p", "--no-ext-diff",
                    "--", "log.md"], capture_output=True, stdin=subprocess.DEVNULL)
    assert (canaries / "ran-textconv").exists(), "the hostile config must be one git obeys"
    (canaries / "ran-textconv").unlink()
    root = make_journal(tmp_path / "j", days={})
    code, out, err = run(["import", str(repo / "log.md"), "--root", str(root), "--dry-run"])
    assert (code, err) == (0, "")
    assert "2025-01-20" in out and "2025-01-21" in out, "the dates still come from history"
    assert sorted(p.name for p in canaries.iterdir()) == sorted(names), "no canary was written"
