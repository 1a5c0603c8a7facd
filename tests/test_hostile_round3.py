"""Hostile and odd input, round 3: what `import`, `ingest`, `review`, `anki` and `status` read
is data, never a command, a path out of the journal, a traceback or a hang.

A foreign repository's own git configuration runs nothing; files outside a source folder are
never copied in; review state and decks are never written through a link out of the journal;
a committed result's names are never imported; dates no journal can hold are refused in one
located line; every reader of learner text is linear on its worst shape.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from tests.helpers import REPO, entry_yaml, make_journal, write
from tests.test_import import commit, notebook
from torchleet_journal.base import dates
from torchleet_journal.base.errors import InputError
from torchleet_journal.cli import main
from torchleet_journal.intake import matching, table
from torchleet_journal.intake.day_log import read_day_log
from torchleet_journal.model import ipython, markup
from torchleet_journal.model.catalog import load_catalog
from torchleet_journal.model.entries import MD_LINK, load_entries
from torchleet_journal.review import cards as review

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


# --- 2: review state and decks are never written through a link out of the journal ----------


def cli(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "build.py"), *args, "--root", str(root)],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)


@pytest.fixture
def gapped(tmp_path) -> Path:
    """A journal whose day 1 has a gap to review, and a file outside it that must stay as is."""
    root = make_journal(tmp_path, extra_files={
        "entries/day-01.yaml": entry_yaml(1, "solutions/day01.py", gaps="\n  - 'a gap'")})
    write(tmp_path / "outside/log.tsv", "precious\n")
    return root


@pytest.mark.parametrize("link, to", [("reviews", "../outside"),
                                      ("reviews/log.tsv", "../../outside/log.tsv")])
def test_review_refuses_a_log_or_folder_that_is_a_link(gapped, link, to):
    if link != "reviews":
        (gapped / "reviews").mkdir()
    (gapped / link).symlink_to(to)
    outside = gapped.parent / "outside/log.tsv"
    done = cli(gapped, "review", "--list")
    kind = "a folder" if link == "reviews" else "a file"
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        f"{link}:1: must be {kind} of this journal, got a link to {to!r}; review appends every "
        "answer to it, so remove the link (git rm) and review again",
        "1 problem found; nothing was run or written."]
    answer = review.Answer(review.card_id(1, "a gap"), review.now(), 3)
    with pytest.raises(InputError):
        review.append(gapped, answer)
    assert outside.read_text() == "precious\n", "nothing appended out of the journal"


def test_anki_refuses_a_deck_path_that_is_a_link_and_writes_no_temporary_through_one(gapped):
    outside = gapped.parent / "outside/log.tsv"
    (gapped / "gaps.apkg").symlink_to(outside)
    done = cli(gapped, "anki")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (f"build.py anki: {gapped}/gaps.apkg: is a link to {str(outside)!r}, "
                           "and the deck is written as a file of its own; remove the link or "
                           "name another .apkg\n")
    (gapped / "gaps.apkg").unlink()
    (gapped / ".gaps.apkg.tmp").symlink_to(outside)  # the old fixed temporary's name
    done = cli(gapped, "anki")
    assert done.returncode == 0, done.stderr
    assert zipfile.is_zipfile(gapped / "gaps.apkg") and not (gapped / "gaps.apkg").is_symlink()
    assert outside.read_text() == "precious\n"


# --- 4: dates from outside are bounded -----------------------------------------------------


def test_import_start_beyond_the_journals_years_is_one_line(tmp_path):
    root = make_journal(tmp_path / "j", days={})
    write(tmp_path / "log.md", TABLE)
    done = cli(root, "import", str(tmp_path / "log.md"), "--start", "9999-12-30")
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith(
        "argument --start: must be a real date from 1970 to 2100 written YYYY-MM-DD, got "
        "'9999-12-30'")
    assert "Traceback" not in done.stderr
    assert list((root / "entries").glob("*.yaml")) == []


def test_a_review_line_dated_9999_is_skipped_with_its_place_everywhere_the_log_is_read(gapped):
    card = review.card_id(1, "a gap")
    write(gapped / review.LOG, f"{card}\t2025-02-01T09:00:00Z\t3\n{card}\t9999-12-30T00:00:00Z\t3\n")
    done = cli(gapped, "review", "--list")
    assert done.returncode == 0, done.stderr
    assert done.stderr == (f"warning: reviews/log.tsv:2: the time must be in a year from 1970 "
                           f"to 2100, got '{card}\\t9999-12-30T00:00:00Z\\t3'; skipped\n")
    reviews = review.deck(gapped, load_entries(gapped, load_catalog()))
    assert [a.time.year for a in reviews.answers] == [2025]


@pytest.mark.parametrize("text, parsed", [
    ("2025-02-04T10:11:12Z", "2025-02-04T10:11:12+00:00"),
    ("2025-02-04T10:11:12.123456789+01:00", "2025-02-04T10:11:12.123456+01:00"),
    ("0001-01-01T00:00:00-14:00", None), ("9999-12-31T23:59:59-14:00", None),
    ("2100-12-31T23:59:59-14:00", None),  # 2101 in UTC
    ("2025-02-30T00:00:00", None), ("\x002025-01-01", None), ("2025-01-01" * 1000, None)])
def test_one_parser_bounds_every_time_read_from_outside(text, parsed):
    time = dates.parse_time(text)
    assert (time.isoformat() if time else None) == parsed


# --- 3: committed data is never a module name ------------------------------------------------


CANARY_MODULE = "import pathlib, os\npathlib.Path(os.environ['CANARY']).write_text('imported')\n"


@pytest.fixture(scope="module")
def missing_module(tmp_path_factory) -> tuple[Path, Path]:
    """A built day that failed for a module not installed (canarymod), and a folder where that
    module now is, whose import writes a canary file."""
    base = tmp_path_factory.mktemp("missing")
    root = make_journal(base, days={1: "import canarymod\n"})
    assert main(["build", "--root", str(root), "--no-site"]) == 1
    write(base / "site/canarymod/__init__.py", CANARY_MODULE)
    write(base / "site/canarymod/x.py", "")
    return root, base / "site"


@pytest.mark.parametrize("missing, said", [
    ("canarymod", "out of date: canarymod can be imported now"),
    ("canarymod.x", "out of date: no stored result yet"),  # refused as data: not a module name
    ("../../canarymod", "out of date: no stored result yet")])
def test_status_finds_a_missing_module_without_importing_it_or_any_dotted_name(
        missing_module, tmp_path, missing, said):
    built, site = missing_module
    root = shutil.copytree(built, tmp_path / "journal", symlinks=True)
    stored = root / "results/day-01/result.json"
    data = json.loads(stored.read_text())
    assert data["missing"] == "canarymod", "the run recorded the top-level name"
    stored.write_text(json.dumps({**data, "missing": missing}))
    canary = tmp_path / "canary"
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "status", "--root", str(root)],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(site), "CANARY": str(canary)})
    assert done.returncode == 0, done.stderr
    assert not canary.exists(), "nothing a result names is imported"
    line = done.stdout.splitlines()[0]
    assert line.startswith("day-01") and line.endswith(said)


def test_a_package_whose_metadata_has_no_version_is_stored_so_the_day_stays_cached(
        tmp_path, monkeypatch, capsys):
    site = tmp_path / "site-packages"
    write(site / "brokenpkg/__init__.py", "")
    write(site / "brokenpkg-0.dist-info/METADATA", "Metadata-Version: 2.1\nName: brokenpkg\n")
    write(site / "brokenpkg-0.dist-info/top_level.txt", "brokenpkg\n")
    monkeypatch.syspath_prepend(str(site))
    root = make_journal(tmp_path, days={1: "import brokenpkg\nprint('ok')\n"})
    for expected in ("ran", "cached"):
        assert main(["build", "--root", str(root), "--no-site"]) == 0
        err = capsys.readouterr().err
        assert re.search(rf"^day-01 .* {expected}$", err, re.M), err
    stored = json.loads((root / "results/day-01/result.json").read_text())
    assert stored["packages"] == {"brokenpkg": "unknown"}


# --- 2: what import copies resolves inside the source folder ---------------------------------


def test_import_copies_no_module_a_notebook_names_by_a_path_outside_its_folder(tmp_path):
    secret = tmp_path / "outside/secret"
    write(secret.with_suffix(".py"), "TOKEN = 'do-not-publish'\n")
    source = tmp_path / "theirs"
    code = (f"import importlib\n__import__({str(secret)!r})\n"
            f"importlib.import_module({str(secret)!r})\nimport helper\nimport mine\n")
    write(source / "log.md", TABLE)
    write(source / "d1.ipynb", notebook("Linear regression", code))
    write(source / "mine.py", "X = 1\n")
    (source / "helper.py").symlink_to(secret.with_suffix(".py"))
    root = make_journal(tmp_path / "j", days={})
    code, out, err = run(["import", str(source / "log.md"), "--root", str(root)])
    assert (code, err) == (0, ""), out
    copied = sorted(p.relative_to(root / "solutions").as_posix()
                    for p in (root / "solutions").rglob("*") if p.is_file())
    assert copied == ["day01_linear_regression.ipynb", "mine.py"]
    assert not any("do-not-publish" in p.read_text(errors="replace")
                   for p in root.rglob("*") if p.is_file())


# --- 5: every reader of learner text is linear on its worst shape ----------------------------


SIZE = 200_000
# A linear reader in Python does a few dozen passes' work per character; a quadratic one on
# 200 KB does 200,000 times more. The bound sits far from both, so a loaded machine passes it.
FACTOR = 400


def plain_read(text: str) -> float:
    """The time of one plain pass over the text, a character at a time: the unit of the bound."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in text:
            pass
        best = min(best, time.perf_counter() - start)
    return best


def _table(gaps: str, resources: str = "") -> str:
    return (f"| Day | Task | Gaps | Resources |\n|---|---|---|---|\n"
            f"| 1 | Linear regression | {gaps} | {resources} |\n")


def _import_reads(text: str) -> None:
    """The table read into days, as `import` reads it; a refusal is an answer too."""
    try:
        header, rows = table.read_table(text, "log.md")
        table.rows_to_days(header, rows, "log.md", load_catalog())
    except InputError:
        pass


def _day_log_reads(text: str) -> None:
    """A #100DaysOfCode log read into days, as `import` reads one; a refusal is an answer too."""
    try:
        days = read_day_log(text, "log.md", lambda label: table.HEADER.get(
            table.header_name(label)), table.recorded_date, dt.date(2026, 1, 1))
        if days:
            table.rows_to_days(table.Header(*days[0]), days[1], "log.md", load_catalog())
    except InputError:
        pass


def _script_heading(text: str) -> None:
    """A script's title, as import reads it from the file to match it to a day."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "x.py")
        path.write_text(text)
        matching._heading(path)


READERS = {
    # importer: the table, its cells, a script's docstring, the words of a title
    "gaps-40000-code-spans": (_import_reads, _table(", ".join(f"`x{i % 10}`" for i in range(40_000)))),
    "spaces-under-a-pipe": (_import_reads, "| Day | Task |\n" + " " * SIZE + "\n"),
    "tabs-under-a-pipe": (_import_reads, "| Day | Task |\n" + "\t" * SIZE + "\n"),
    "unclosed-code-spans": (_import_reads, _table(" `a" * (SIZE // 3))),
    "bullets-and-spaces": (_import_reads, _table("- a" + " " * SIZE + "x")),
    "task-of-spaces": (_import_reads, "| Day | Task |\n|---|---|\n| 1 | **" + " " * SIZE + "x |\n"),
    "header-of-angles": (_import_reads, "| Day | Task " + "<" * SIZE + " |\n|---|---|\n| 1 | a |\n"),
    "link-titles-of-brackets": (_import_reads, _table("[" * SIZE, "[" * SIZE)),
    "url-of-brackets": (_import_reads, _table("", "http://a.b/" + ")" * SIZE)),
    "digits": (table.words, "0" * SIZE),
    # a log of day headings: its headings, bold labels and link lists
    "day-heading-of-spaces": (_day_log_reads, "### Day 1" + " \t" * (SIZE // 2) + "x"),
    "day-heading-of-dates": (_day_log_reads, "### Day 1: " + "June 27, " * (SIZE // 9)),
    "day-labels-of-stars": (_day_log_reads, "### Day 1\n" + "**" * (SIZE // 2) + ":\n"),
    "day-label-of-spaces": (_day_log_reads, "### Day 1\n**a**" + " " * SIZE + ":x\n"),
    "day-items-of-dashes": (_day_log_reads, "### Day 1\n**Thoughts:**\n" + "- " * (SIZE // 2)),
    "day-headings-many": (_day_log_reads, "### Day 1\n**Today's Progress**: a\n" * 5000),
    "docstring-quotes-and-spaces": (_script_heading, '"""' + " " * (SIZE // 2) + '""' +
                                    " " * (SIZE // 2)),  # 3 KB of this took a minute
    "docstring-spaces": (_script_heading, '"""' + " " * SIZE + "x"),
    # notebook Markdown and entry text, as pages show them
    "markdown-tabs": (markup.block, "\t" * 40_000),
    "markdown-spaces": (markup.block, " " * SIZE),
    "markdown-link-of-spaces": (markup.block, "[a](" + " " * 19_990 + "!\n" * 10),
    "markdown-links-of-spaces": (markup.inline, ("[a](" + " " * 1000 + "!") * 19),
    "markdown-backticks": (markup.block, "`a " * (SIZE // 3)),
    "markdown-dollars": (markup.block, ("$a " * 6000 + "\n") * 10),
    # notebook code as the build runs it: IPython's syntax
    "help-line-of-dots": (ipython.translate, "a." * (SIZE // 2) + "!?"),
    "magic-line": (ipython.translate, "x = %time " + " " * SIZE + "y"),
    # a review log
    "review-log": (lambda text: [review._parse(line) for line in text.splitlines()],
                   ("d01-000000000000\t" + "2025-01-01T00:00:00Z\t" * 4 + "\n") * 4000),
    # entry text: its links
    "entry-links": (lambda text: list(MD_LINK.finditer(text)), "\n" * SIZE + "x"),
    "entry-link-parens": (lambda text: list(MD_LINK.finditer(text)), "](" + "(" * SIZE),
}


@pytest.mark.parametrize("name", READERS)
def test_each_reader_is_linear_on_its_worst_shape(name):
    read, text = READERS[name]
    unit = plain_read(text)
    # Timed as the unit is, at its best of three: a pause from a busy machine lengthens one read,
    # while a quadratic reader is slow every time (so one fast read is enough to stop).
    took = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        read(text)
        took = min(took, time.perf_counter() - start)
        if took < FACTOR * unit + 0.5:
            break
    assert took < FACTOR * unit + 0.5, (f"{name}: {took:.2f} s, {took / unit:.0f} plain reads "
                                        f"of its {len(text):,} characters")


# --- also noticed --------------------------------------------------------------------------


def test_gaps_of_symbols_only_are_each_their_own_card():
    gaps = ["???", "!!!", "🤯", "🤯 🔥", "`?`"]
    assert len({review.card_id(1, gap) for gap in gaps}) == len(gaps)
    assert review.card_id(1, "??? ") == review.card_id(1, " ???"), "spacing is no difference"
    assert review.card_id(1, "**Why** softmax?") == review.card_id(1, "why softmax"), \
        "a gap with words keeps the card it had"


def test_import_reads_no_fifo_and_no_device_and_says_so_in_one_line(tmp_path):
    root = make_journal(tmp_path / "j", days={})
    os.mkfifo(tmp_path / "log.md")
    (tmp_path / "zero.md").symlink_to("/dev/zero")
    for name in ("log.md", "zero.md"):
        code, out, err = run(["import", str(tmp_path / name), "--root", str(root)])
        assert code == 2
        assert err.splitlines()[0] == (f"{tmp_path / name}:1: cannot read the table: not a "
                                       "regular file (a folder, pipe, socket or device); check "
                                       "the path")
    write(tmp_path / "src/log.md", TABLE)
    write(tmp_path / "src/d1.ipynb", notebook("Linear regression", "print(1)\n"))
    os.mkfifo(tmp_path / "src/d2.py")  # a solution-like FIFO beside it: never opened
    (tmp_path / "src/d3.py").symlink_to("/dev/zero")
    code, out, err = run(["import", str(tmp_path / "src/log.md"), "--root", str(root)])
    assert (code, err) == (0, "")


def test_a_table_whose_history_has_a_nul_and_a_line_separator_is_dated_from_it(tmp_path):
    needs_git()
    repo = tmp_path / "theirs"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    # git looks for a NUL in the first 8,000 bytes only: this one shows in the diff, after a
    # U+2028, where str.splitlines() would start a line (read as a date marker).
    odd = "x" * 8100 + "\nnotes\u2028\x002025-13-45 more\n"
    commit(repo, "2025-01-20", {"log.md": odd + TABLE})
    commit(repo, "2025-01-21", {"log.md": odd + TABLE + "| 2 | Logistic regression |\n"})
    root = make_journal(tmp_path / "j", days={})
    code, out, err = run(["import", str(repo / "log.md"), "--root", str(root), "--dry-run"])
    assert (code, err) == (0, "")
    assert "2025-01-20" in out and "2025-01-21" in out


# --- 7 and 4: ingest compares the solution as Python reads it, and bounds what it reads -------


LATIN_1 = '# -*- coding: latin-1 -*-\nprint("café")\n'.encode("latin-1")
BOM = b'\xef\xbb\xbfprint("bom")\n'


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """A built journal whose day 1 has a latin-1 coding cookie, day 2 a BOM, and day 3 reads
    a data file; with an untracked file beside its solutions that no day reads."""
    base = tmp_path_factory.mktemp("ingest")
    root = make_journal(base, days={1: "", 2: "", 3: "print(open('data.csv').read())\n"})
    (root / "solutions/day01.py").write_bytes(LATIN_1)
    (root / "solutions/day02.py").write_bytes(BOM)
    write(root / "solutions/data.csv", "x,y\n")
    assert main(["build", "--root", str(root), "--no-site"]) == 0
    write(root / "solutions/secret.txt", "not the day's\n")
    return root


def ran(root: Path, day: int, folder: Path, timing: dict | None = None, edit=None) -> Path:
    """The day's exported notebook as a browser tab would bring it back: every code cell run
    in order (no outputs needed), with `timing` as each cell's Jupyter metadata."""
    made = next((root / f"results/day-{day:02d}").glob("*.ipynb"))
    notebook = json.loads(made.read_text())
    count = 0
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            count += 1
            cell["execution_count"] = count
            if timing:
                cell["metadata"]["execution"] = timing
            if edit:
                edit(cell)
    path = folder / f"ran-{day}.ipynb"
    path.write_text(json.dumps(notebook))
    return path


@pytest.mark.parametrize("day", [1, 2])
def test_ingest_accepts_the_days_own_notebook_when_its_solution_has_a_cookie_or_a_bom(
        exported, tmp_path, day):
    root = shutil.copytree(exported, tmp_path / "journal")
    code, out, err = run(["ingest", str(ran(root, day, tmp_path)), "--root", str(root)])
    assert (code, err) == (0, ""), out
    assert out.startswith(f"day-{day:02d}: stored the run")


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                  "2101-01-01T00:00:00Z"])
def test_ingest_leaves_out_cell_times_no_journal_can_hold(exported, tmp_path, when):
    root = shutil.copytree(exported, tmp_path / "journal")
    timing = {"iopub.execute_input": when, "shell.execute_reply": when}
    code, out, err = run(["ingest", str(ran(root, 3, tmp_path, timing)), "--root", str(root)])
    assert (code, err) == (0, ""), out
    stored = json.loads((root / "results/day-03/result.json").read_text())
    assert stored["ran_at"] == "" and stored["wall_time"] == 0


def test_ingest_takes_from_the_setup_cell_only_files_the_days_own_run_read(exported, tmp_path):
    root = shutil.copytree(exported, tmp_path / "journal")

    def smuggle(cell):
        source = "".join(cell["source"])
        if source.startswith("# The journal's own cell: run outside"):
            cell["source"] = source + "\nFILES = {'secret.txt': '', 'data.csv': ''}\n"

    code, out, err = run(["ingest", str(ran(root, 3, tmp_path, edit=smuggle)), "--root",
                          str(root)])
    assert (code, err) == (0, ""), out
    stored = json.loads((root / "results/day-03/result.json").read_text())
    assert sorted(stored["deps"]) == ["solutions/data.csv", "solutions/day03.py"]


def test_ingest_reads_no_fifo_and_no_device(exported, tmp_path):
    os.mkfifo(tmp_path / "fifo.ipynb")
    (tmp_path / "zero.ipynb").symlink_to("/dev/zero")
    for name in ("fifo.ipynb", "zero.ipynb"):
        code, out, err = run(["ingest", str(tmp_path / name), "--root", str(exported)])
        assert code == 2
        assert err.splitlines()[0] == (f"{tmp_path / name}:1: cannot be read (not a regular "
                                       "file (a folder, pipe, socket or device)); give the path "
                                       "of a downloaded .ipynb file; nothing was written")


@pytest.mark.parametrize("option", [["new", "A task", "--date", "9999-12-30"],
                                    ["import", "log.md", "--start", "0001-01-01"]])
def test_every_date_option_is_bounded_as_entries_are(tmp_path, option):
    root = make_journal(tmp_path / "j")
    write(root / "log.md", TABLE)
    done = cli(root, *option)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "from 1970 to 2100" in done.stderr.splitlines()[-1] or \
        "from 1970 to 2100" in done.stderr.splitlines()[0]
    assert sorted(p.name for p in (root / "entries").iterdir()) == ["day-01.yaml", "day-02.yaml"]


# --- 6: URLs as people write them ---------------------------------------------------------------


def test_a_url_keeps_the_brackets_it_opens_and_leaves_the_sentences(tmp_path):
    wiki = "https://en.wikipedia.org/wiki/Transformer_(deep_learning_architecture)"
    root = make_journal(tmp_path / "j", days={})
    write(tmp_path / "log.md", _table("attention", wiki) +
          "| 2 | Logistic regression | odds | (see https://x.org/a). |\n")
    code, out, err = run(["import", str(tmp_path / "log.md"), "--root", str(root)])
    assert (code, err) == (0, ""), out
    one, two = load_entries(root, load_catalog())
    assert [r.url for r in one.resources] == [wiki]
    assert not any(item.startswith("Resources:") for item in one.learnings), one.learnings
    assert [r.url for r in two.resources] == ["https://x.org/a"], "the sentence's ) is its own"
