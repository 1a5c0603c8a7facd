"""Failing solutions are content, not a crash: a corpus of them, built once, read by many tests.

Each kind of failure is a day of its own in one toy journal, beside a passing day. The journal
is built twice: first with day 11 passing, then with day 11 broken, so day 11 shows a failure
with its last good run under it.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
from html import unescape
from pathlib import Path

import pytest

from tests.helpers import copy_journal, entry_yaml, make_journal, running, toy_solution, write
from torchleet_journal import cli
from torchleet_journal.base import errors
from torchleet_journal.build.pipeline import Options, build

PASSING, RAISES, EXITS, ABORTS, HANGS, ASKS, WANTS_WINDOW, CHATTY = 1, 2, 3, 4, 5, 6, 7, 8
EXPECTED_FAILURE, UNEXPECTED_PASS, BROKEN_LATER = 9, 10, 11
CHATTY_LINES = 300_000  # of 100 characters: 30 MB

SOLUTIONS = {
    PASSING: toy_solution(),
    RAISES: '''
        def normalise(values):
            if not values:
                raise ValueError("cannot normalise <empty> list of __things__ [x](y)")
            return [v / sum(values) for v in values]

        def main():
            print("normalising")
            normalise([])

        if __name__ == "__main__":
            main()
        ''',
    EXITS: 'import sys\nprint("giving up")\nsys.exit(3)\n',
    ABORTS: 'import os\nprint("aborting", flush=True)\nos.abort()\n',
    HANGS: '''
        import os
        import subprocess

        sleeper = subprocess.Popen(["sleep", "1000"])
        print(f"pids {os.getpid()} {sleeper.pid}", flush=True)
        while True: pass  # one line: wherever the loop is stopped, it is on this line
        ''',
    ASKS: 'name = input("your name? ")\nprint(name)\n',
    WANTS_WINDOW: 'import matplotlib\nmatplotlib.use("TkAgg")\n',
    CHATTY: f'''
        for i in range({CHATTY_LINES}):
            print(f"{{i:08d}} " + "x" * 90)
        raise RuntimeError("too chatty to go on")
        ''',
    EXPECTED_FAILURE: 'raise RuntimeError("the bug this day documents")\n',
    UNEXPECTED_PASS: 'print("no bug here")\n',
    BROKEN_LATER: toy_solution(),
}
ENTRY_FIELDS = {HANGS: {"timeout": "2"}, EXPECTED_FAILURE: {"expect": "fail"},
                UNEXPECTED_PASS: {"expect": "fail"}}
# day -> (status words in the progress table, what the page's failure line says)
FAILURES = {
    RAISES: ("failed", "Failed: ValueError: cannot normalise &lt;empty&gt; list of &#95;&#95;things"),
    EXITS: ("failed", "Failed: the solution called sys.exit(3)"),
    ABORTS: ("failed", "Failed: killed by SIGABRT"),
    HANGS: ("timed out", "Timed out after 2 s and was stopped, with everything it started"),
    ASKS: ("failed", "Failed: EOFError: EOF when reading a line (the build runs solutions "
                     "with no input"),
    WANTS_WINDOW: ("failed", "Failed: RuntimeError: the interactive backend &#39;TkAgg&#39; "
                             "needs a screen"),
    CHATTY: ("failed", "Failed: RuntimeError: too chatty to go on"),
    UNEXPECTED_PASS: ("passed, but expect: fail", "Passed, but the entry expects it to fail"),
    BROKEN_LATER: ("failed", "Failed: RuntimeError: broken on purpose"),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, object]:
    """The corpus journal, built with day 11 passing, then again with day 11 broken."""
    root = make_journal(tmp_path_factory.mktemp("failures"), SOLUTIONS)
    for day, fields in ENTRY_FIELDS.items():
        write(root / f"entries/day-{day:02d}.yaml", entry_yaml(day, f"solutions/day{day:02d}.py",
                                                                **fields))
    # A generous default: a solution that waited for input would show up as timed out.
    build(root, Options(site=False, timeout=30))
    write(root / f"solutions/day{BROKEN_LATER:02d}.py", 'raise RuntimeError("broken on purpose")\n')
    report = build(root, Options(site=True, timeout=30))
    return root, report


def page(root: Path, day: int) -> str:
    return (root / f"docs/days/day-{day:02d}.md").read_text(encoding="utf-8")


def stored(root: Path, day: int) -> dict:
    return json.loads((root / f"results/day-{day:02d}/result.json").read_text(encoding="utf-8"))


def admonition(text: str) -> str:
    """The run's status box at the top of a day page: its title line and indented body."""
    match = re.search(r"^(?:!!!|\?\?\?) .*\n(?:(?:    .*)?\n)*", text, re.M)
    assert match, "the page has no status box"
    return match.group(0)


# --- the build as a whole ------------------------------------------------------------------


def test_the_build_finishes_and_reports_each_failure(corpus):
    root, report = corpus
    assert sorted(d.entry.day for d in report.failures) == sorted(FAILURES)
    assert (root / "site/index.html").is_file()
    assert [d.entry.day for d in report.days if d.ran] == [BROKEN_LATER]  # the rest were cached


def test_cli_exits_1_and_names_each_failed_day(corpus, tmp_path, capsys):
    root = copy_journal(corpus[0], tmp_path, site=False)
    assert cli.main(["build", "--root", str(root), "--no-site"]) == errors.EXIT_FAILED
    err = capsys.readouterr().err
    for day in FAILURES:
        assert f"failed: day-{day:02d}: " in err
    assert "failed: day-09" not in err and "failed: day-01" not in err


@pytest.mark.parametrize("day", sorted(FAILURES))
def test_progress_table_marks_the_day_failed(corpus, day):
    root, _ = corpus
    words = FAILURES[day][0]
    row = next(line for line in (root / "docs/days/index.md").read_text().splitlines()
               if line.startswith(f"| [**{day}**]"))
    assert f'<span class="jl-status jl-failed">{words}</span>' in row


@pytest.mark.parametrize("day", sorted(FAILURES))
def test_readme_table_marks_the_day_failed(corpus, day):
    root, _ = corpus
    row = next(line for line in (root / "README.md").read_text().splitlines()
               if line.startswith(f"| [**{day}**]"))
    assert FAILURES[day][0] in row and "✅" not in row


@pytest.mark.parametrize("day", sorted(FAILURES))
def test_day_page_says_what_happened_in_a_red_box(corpus, day):
    root, _ = corpus
    box = admonition(page(root, day))
    assert box.startswith(f'!!! failure "{FAILURES[day][1]}')


@pytest.mark.parametrize("day", sorted(set(FAILURES) - {UNEXPECTED_PASS}))
def test_failed_page_keeps_its_output_inside_the_box_collapsed(corpus, day):
    root, _ = corpus
    box = admonition(page(root, day))
    assert '    ??? note "Output: ' in box
    assert "## Output" not in page(root, day)


def test_passing_day_is_intact_with_figure_metrics_and_output(corpus):
    root, _ = corpus
    text, result = page(root, PASSING), stored(root, PASSING)
    assert admonition(text).startswith('??? success "Passed in '), "collapsed: all is well"
    figure = result["figures"][0]
    assert f'<img src="day-01/{figure}"' in text and (root / "docs/days/day-01" / figure).is_file()
    assert "| <code>Loss/train</code> |" in text
    assert "## Output" in text and "final loss" in text


def test_every_day_has_its_html_page(corpus):
    root, _ = corpus
    for day in SOLUTIONS:
        assert (root / f"site/days/day-{day:02d}.html").is_file()


# --- each kind of failure ------------------------------------------------------------------


def test_traceback_shows_only_the_solutions_own_frames(corpus):
    root, _ = corpus
    text = page(root, RAISES)
    traceback = text.split("```pytb\n", 1)[1].split("```", 1)[0]
    frames = re.findall(r'File "([^"]+)", line \d+, in (\S+)', traceback)
    assert frames == [("solutions/day02.py", "<module>"), ("solutions/day02.py", "main"),
                      ("solutions/day02.py", "normalise")]
    assert traceback.rstrip().endswith(
        "ValueError: cannot normalise <empty> list of __things__ [x](y)")
    # Nor anywhere else on the page, the output included: no build machinery, no full paths.
    for machinery in ("runpy", "journal/", "multiprocessing", str(root)):
        assert machinery not in text


def test_exception_text_is_shown_as_text_in_the_html(corpus):
    root, _ = corpus
    html = (root / "site/days/day-02.html").read_text(encoding="utf-8")
    assert "<empty>" not in html and "<em>things</em>" not in html
    # As the browser shows it: every character as raised, none read as markup.
    assert ("Failed: ValueError: cannot normalise <empty> list of __things__ [x](y)</p>"
            in unescape(html))


def test_sys_exit_shows_the_code_and_where(corpus):
    root, _ = corpus
    result = stored(root, EXITS)
    assert result["exit_code"] == 3
    assert 'File "solutions/day03.py", line 3, in <module>' in result["traceback"]


def test_abort_is_a_signal_with_where_it_happened(corpus):
    root, _ = corpus
    result = stored(root, ABORTS)
    assert (result["status"], result["signal"]) == ("failed", "SIGABRT")
    assert 'File "solutions/day04.py", line 3, in <module>\n    os.abort()' in result["traceback"]
    assert "aborting" in result["log_head"]  # what it printed before dying is kept


def test_timeout_kills_the_solution_and_what_it_started(corpus):
    root, _ = corpus
    result = stored(root, HANGS)
    assert result["status"] == "timed out"
    child, grandchild = map(int, re.search(r"pids (\d+) (\d+)", result["log_head"]).groups())
    assert not running(child) and not running(grandchild)
    # Where it was stuck, from the stack the runner asked for before killing it.
    where = ('File "solutions/day05.py", line 7, in <module>\n    while True: pass  # one line: '
             'wherever the loop is stopped, it is on this line\nStopped here after 2 s')
    assert result["traceback"].endswith(where), result["traceback"]


def test_input_gets_end_of_file_at_once_instead_of_waiting(corpus):
    root, _ = corpus
    result = stored(root, ASKS)
    assert result["status"] == "failed"  # not "timed out": it never waited
    assert result["reason"].startswith("EOFError: EOF when reading a line")


def test_interactive_backend_gets_a_clear_reason(corpus):
    root, _ = corpus
    reason = stored(root, WANTS_WINDOW)["reason"]
    assert "'TkAgg' needs a screen" in reason and "remove matplotlib.use('TkAgg')" in reason


def test_huge_output_shows_head_and_tail_and_keeps_the_full_log(corpus):
    root, _ = corpus
    text, result = page(root, CHATTY), stored(root, CHATTY)
    assert len(text.encode()) < 200_000
    assert "00000000 xxx" in text and f"{CHATTY_LINES - 1:08d} xxx" in text
    assert "lines not shown here: the full log has them" in text
    assert result["log"].endswith(".gz") and f"[full log](day-08/{result['log']})" in text
    for folder in ("results/day-08", "docs/days/day-08"):
        with gzip.open(root / folder / result["log"], "rt") as log:
            lines = log.read().splitlines()
        assert len(lines) >= CHATTY_LINES and lines[CHATTY_LINES - 1].startswith(
            f"{CHATTY_LINES - 1:08d} ")


def test_expected_failure_counts_as_ok(corpus):
    root, report = corpus
    day = next(d for d in report.days if d.entry.day == EXPECTED_FAILURE)
    assert day.result.status == "failed" and day.ok
    box = admonition(page(root, EXPECTED_FAILURE))
    assert box.startswith('??? success "Failed, as the entry expects (`expect: fail`): '
                          'RuntimeError: the bug this day documents"'), "collapsed: all is well"
    assert 'File "solutions/day09.py", line 1, in <module>' in box


def test_expected_failure_alone_exits_0(corpus, tmp_path):
    root, _ = corpus
    alone = tmp_path / "alone"
    shutil.copytree(root, alone, ignore=shutil.ignore_patterns("site", "docs"))
    for entry in (alone / "entries").glob("day-*.yaml"):
        if entry.name != f"day-{EXPECTED_FAILURE:02d}.yaml":
            entry.unlink()
    assert cli.main(["build", "--root", str(alone), "--no-site"]) == errors.EXIT_OK


def test_unexpected_pass_says_how_to_fix_the_entry(corpus):
    root, _ = corpus
    box = admonition(page(root, UNEXPECTED_PASS))
    assert "remove `expect: fail` from <code>entries/day-10.yaml</code>" in box


# --- nothing lost --------------------------------------------------------------------------


def test_failed_day_keeps_its_last_good_run(corpus):
    root, _ = corpus
    result = stored(root, BROKEN_LATER)
    assert result["status"] == "failed"
    good = result["last_good"]
    assert good["status"] == "passed" and good["figures"] and good["scalars"]
    text = page(root, BROKEN_LATER)
    failure, last_good = text.split("## Last successful run", 1)
    assert admonition(failure).startswith('!!! failure "Failed: RuntimeError: broken on purpose"')
    assert f"on\n{good['ran_at'][:10]}" in last_good
    figure = good["figures"][0]
    assert f'<img src="day-11/{figure}"' in last_good and "| <code>Loss/train</code> |" in last_good
    for folder in ("results/day-11", "docs/days/day-11", "site/days/day-11"):
        assert (root / folder / figure).is_file()
