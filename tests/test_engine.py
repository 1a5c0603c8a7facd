"""The engine as a package, seen from a journal: an upgrade re-runs no day; site_templates/
replaces packaged files of the same name, and `status` says when an upgrade changed a packaged
file that the journal replaced."""

from __future__ import annotations

import contextlib
import glob
import io
import shutil
import subprocess
from pathlib import Path

import pytest
import tomllib

from tests.helpers import REPO, make_journal, override
from torchleet_journal.base import engine, layout
from torchleet_journal.cli import main


def run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def engine_copy(tmp_path, monkeypatch):
    """The packaged templates as a copy this test may upgrade, under a version it may bump."""
    packaged = tmp_path / "engine/site_templates"
    shutil.copytree(REPO / "torchleet_journal/site_templates", packaged)
    monkeypatch.setattr(layout, "PACKAGED", packaged)
    monkeypatch.setattr(engine, "PACKAGED", packaged)
    monkeypatch.setattr(engine, "version", lambda: "1.0")
    return packaged


def test_an_override_replaces_the_packaged_template(tmp_path):
    root = make_journal(tmp_path, days={1: 'print("hi")\n'})
    mine = override(root, "day.md.j2")
    mine.write_text(mine.read_text() + "\nWritten by my own template.\n")
    assert run(["--root", str(root), "--no-site"])[0] == 0
    assert "Written by my own template." in (root / "docs/days/day-01.md").read_text()
    assert "Written by my own template." not in (root / "docs/index.md").read_text()
    assert layout.overrides(root) == ["day.md.j2"]


def test_status_warns_when_an_upgrade_changed_a_template_the_journal_replaced(tmp_path, engine_copy,
                                                                              monkeypatch):
    root = make_journal(tmp_path, days={1: 'print("hi")\n'})
    override(root, "day.md.j2")
    override(root, "tags.md.j2")
    assert run(["--root", str(root), "--no-site"])[0] == 0
    assert "warning" not in run(["status", "--root", str(root)])[2]
    # The upgrade: a new version whose day.md.j2 changed (tags.md.j2 did not)
    (engine_copy / "day.md.j2").write_text((engine_copy / "day.md.j2").read_text() + "\nnew\n")
    monkeypatch.setattr(engine, "version", lambda: "1.1")
    code, _, err = run(["status", "--root", str(root)])
    assert code == 0
    assert err.splitlines() == [
        "warning: site_templates/day.md.j2: replaces the packaged day.md.j2, which changed since "
        "torchleet-journal 1.0 (now 1.1); carry its changes into your copy, or delete your copy "
        "to use the packaged one"]
    # A build does not silence it: the copy is still the old one
    assert run(["--root", str(root), "--no-site"])[0] == 0
    assert "day.md.j2" in run(["status", "--root", str(root)])[2]
    # The learner carries the change over: the next build notes it, and status is quiet
    shutil.copy(engine_copy / "day.md.j2", root / "site_templates/day.md.j2")
    assert run(["--root", str(root), "--no-site"])[0] == 0
    assert "warning" not in run(["status", "--root", str(root)])[2]


def test_a_broken_packaged_template_is_named_by_its_package_path(tmp_path, engine_copy):
    root = make_journal(tmp_path, days={1: 'print("hi")\n'})
    (engine_copy / "tags.md.j2").write_text("{% if %}\n")
    code, _, err = run(["--root", str(root), "--no-site"])
    assert code == 2
    assert err.splitlines()[0].startswith(
        "torchleet_journal/site_templates/tags.md.j2:1: template error, got ")
    assert not (root / "docs").exists() and not (root / "results").exists()


def test_a_new_engine_version_reruns_no_day(tmp_path, monkeypatch):
    """The engine's version is in no run key: after an upgrade the next build runs 0 days."""
    root = make_journal(tmp_path, days={1: 'print("hi")\n'})
    monkeypatch.setattr(engine, "version", lambda: "1.0")
    assert run(["--root", str(root), "--no-site"])[0] == 0
    key = (root / "results/day-01/result.json").read_bytes()
    monkeypatch.setattr(engine, "version", lambda: "2.0")
    code, _, err = run(["--root", str(root), "--no-site"])
    assert code == 0
    assert "1 day, 0 ran, 0 failed" in err
    assert (root / "results/day-01/result.json").read_bytes() == key
    assert '"version": "2.0"' in (root / engine.RECORD).read_text()  # the build noted the upgrade


def test_every_data_file_the_engine_reads_is_package_data():
    """pyproject.toml's package-data covers every file of the engine that is not Python, so
    the installed engine has its templates, catalogs, API list and starter files."""
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["torchleet_journal"]
    package = REPO / "torchleet_journal"
    shipped = {path for pattern in patterns for path in map(Path, glob.glob(str(package / pattern),
                                                                              recursive=True))}
    listed = subprocess.run(["git", "ls-files", "torchleet_journal"], cwd=REPO, capture_output=True,
                            text=True, check=True).stdout.split()
    data = {REPO / rel for rel in listed if not rel.endswith(".py")}
    assert sorted(p.relative_to(package).as_posix() for p in data - shipped) == []
    assert (package / "model/torch_api.txt") in shipped and (package / "day.md.j2") not in shipped
