"""Bad entries: each gives one clear line naming file, line and value, exit 2, and nothing written.

Each case breaks one thing in a fresh two-day journal and checks the one located problem
`load_entries` raises. A few cases go through the command line too, on a copy of a built
journal: one line, exit 2, and docs/, site/, results/ and README.md byte-for-byte unchanged.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers import REPO, copy_journal, entry_yaml, make_journal, snapshot, toy_solution
from torchleet_journal.base.errors import InputError
from torchleet_journal.build.pipeline import Options, build
from torchleet_journal.cli import main
from torchleet_journal.model.catalog import load_catalog
from torchleet_journal.model.entries import load_entries

# entry_yaml(2, ...) lays out day-02.yaml as: day 1, date 2, task 3, tags 4, gaps 5 (item 6),
# learnings 7 (item 8), resources 9 (item 10, its url 11), solution 12; added fields from 13.
SOLUTION = "solutions/day02.py"


def day2(**fields) -> str:
    """The text of entries/day-02.yaml with `fields` added or replaced (None removes one)."""
    day = fields.pop("day", "2")
    text = entry_yaml(2, fields.pop("solution", SOLUTION), **fields)
    return text.replace("day: 2\n", f"day: {day}\n", 1)


@dataclass
class Case:
    id: str
    files: dict[str, str | bytes]  # path relative to the journal -> content
    line: int
    message: str  # a distinctive part of the one line, including the value it got
    path: str = "entries/day-02.yaml"
    links: dict[str, str] = field(default_factory=dict)  # symlink -> its target


def bad(id, text, line, message, **kw) -> Case:
    """A case that replaces entries/day-02.yaml with `text`."""
    return Case(id, {"entries/day-02.yaml": text}, line, message, **kw)


CASES = [
    bad("yaml-unclosed-quote", day2(task="'Toy task"), 3,
        "invalid YAML at column 7: while scanning a quoted scalar, found unexpected end of stream"),
    bad("yaml-bad-indent", day2(gaps="\n  - one\n - two"), 7,
        "invalid YAML at column 2: while parsing a block mapping, did not find expected key, "
        "got '- two'"),
    bad("yaml-key-without-colon", day2(task="Toy\ntags [toy]"), 4,
        "could not find expected ':', got 'tags [toy]'"),
    bad("yaml-control-character", day2(task="Toy\x07task"), 3,
        "YAML does not allow control characters, got '\\x07' at column 10"),
    bad("empty-file", "", 1, "file is empty; it needs at least day, date, task and solution"),
    bad("only-comments", "# to do tomorrow\n", 1, "file is empty"),
    bad("top-level-list", "- day: 2\n- task: Toy\n", 1,
        "an entry must be a mapping of fields (day: 9, date: ..., task: ...), got a list"),
    bad("top-level-text", "just some notes\n", 1, "got 'just some notes'"),
    bad("missing-task", day2(task=None), 1, "missing required field 'task'; add `task: "),
    bad("empty-solution", day2(solution=""), 12, "required field 'solution' is empty; fill it in"),
    bad("day-as-string", day2(day='"2"'), 1, "'day' must be a whole number from 1 to 9999 (e.g. "
        "`day: 9`, no quotes), got '2'"),
    bad("day-zero", day2(day="0"), 1, "'day' must be a whole number from 1 to 9999"),
    bad("day-negative", day2(day="-2"), 1, "got -2"),
    bad("day-not-file-name", day2(day="3"), 1, "'day' must match the file name day-02.yaml, "
        "got 3; rename the file to day-03.yaml or fix the number"),
    bad("gaps-as-string", day2(gaps="one big gap"), 5,
        "'gaps' must be a list of text, one `- item` per line, got 'one big gap'"),
    bad("gaps-number-item", day2(gaps="\n  - fine\n  - 42"), 7, "'gaps' item 2 must be text, "
        "got 42; quote it"),
    bad("tags-as-mapping", day2(tags="{a: 1}"), 4, "'tags' must be a list of text, one `- item` "
        "per line, got {'a': 1}"),
    bad("task-as-list", day2(task="[a, b]"), 3, "'task' must be text, got ['a', 'b']"),
    bad("resources-as-string", day2(resources="https://pytorch.org"), 9,
        "'resources' must be a list of `- title: ...` / `url: ...` pairs, got 'https://pytorch.org'"),
    bad("resource-without-url", day2(resources="\n  - title: Docs\n    link: https://x.org"), 10,
        "'resources' item 1 must have a text `title:` and a `url:` and nothing else, got "
        "{'link': 'https://x.org', 'title': 'Docs'}"),
    bad("timeout-negative", day2(timeout="-5"), 13, "'timeout' must be a positive number of "
        "seconds (e.g. `timeout: 120`), got -5"),
    bad("timeout-nan", day2(timeout=".nan"), 13, "'timeout' must be a positive number of seconds"),
    bad("timeout-as-text", day2(timeout="10 minutes"), 13, "got '10 minutes'"),
    bad("threads-zero", day2(threads="0"), 13, "'threads' must be a whole number of torch "
        "threads from 1 to 1024 (e.g. `threads: 4`), got 0; leave it out to use what `python` "
        "uses on this machine"),
    bad("threads-fraction", day2(threads="1.5"), 13, "'threads' must be a whole number"),
    bad("threads-as-text", day2(threads="all"), 13, "got 'all'"),
    bad("unknown-key", day2(learnings=None, learning="\n  - A misspelled field"), 11,
        "unknown field 'learning'; did you mean 'learnings'?"),
    bad("unknown-key-no-guess", day2(mood="great"), 13, "unknown field 'mood'; known fields: day,"),
    bad("duplicate-key", day2() + "task: Again\n", 13,
        "field 'task' must appear once, got it again (first on line 3); delete one"),
    Case("duplicate-day", {"entries/day-2.yaml": day2()}, 1, "'day' must be unique, got 2, which "
         "entries/day-02.yaml already has; renumber one of the two", path="entries/day-2.yaml"),
    bad("impossible-date", day2(date="2025-02-30"), 2, "'date' must be a real date written "
        "YYYY-MM-DD (e.g. 2025-02-04), got '2025-02-30'"),
    bad("not-a-date", day2(date="last tuesday"), 2, "got 'last tuesday'"),
    bad("date-without-dashes", day2(date="20250204"), 2, "got 20250204"),
    bad("solution-missing", day2(solution="solutions/day2.py"), 12,
        "'solution' file does not exist, got 'solutions/day2.py'; did you mean 'solutions/day02.py'?"),
    Case("solution-not-python", {"entries/day-02.yaml": day2(solution="solutions/notes.txt"),
                                 "solutions/notes.txt": "notes"}, 12,
         "'solution' must be a .py script or .ipynb notebook, got 'solutions/notes.txt'"),
    bad("solution-dotdot", day2(solution="solutions/../build.py"), 12,
        "'solution' must be a file inside solutions/, got 'solutions/../build.py'"),
    bad("solution-outside-root", day2(solution="../outside.py"), 12,
        "'solution' must be a file inside solutions/, got '../outside.py'"),
    bad("solution-absolute", day2(solution="/tmp/evil.py"), 12,
        "'solution' must be a file inside solutions/, got '/tmp/evil.py'; move the file"),
    bad("solution-bare-name", day2(solution="day02.py"), 12,
        "got 'day02.py'; did you mean 'solutions/day02.py'?"),
    Case("solution-symlink-out", {"entries/day-02.yaml": day2(solution="solutions/linked.py"),
                                  "../outside.py": "print('not in the journal')\n"}, 12,
         "'solution' must stay inside solutions/, got 'solutions/linked.py', a link to ",
         links={"solutions/linked.py": "../../outside.py"}),
    bad("problem-not-in-catalog", day2(problem="v1-99"), 13,
        "'problem' must be an id of a problem set's catalog, got 'v1-99'; did you mean v1-9"),
    bad("difficulty-unknown", day2(difficulty="trivial"), 13,
        "'difficulty' must be one of basic, easy, medium, hard, expert, 1-star, 2-star, 3-star, unrated, puzzle, got 'trivial'"),
    bad("url-javascript", day2(resources="\n  - title: Docs\n    url: javascript:alert(1)"), 10,
        "'resources' item 1 url must be http(s)://, mailto: or a relative link, got 'javascript:alert(1)'"),
    bad("url-data", day2(resources="\n  - title: Docs\n    url: 'data:text/html,<b>x</b>'"), 10,
        "got 'data:text/html,<b>x</b>'"),
    bad("url-protocol-relative", day2(resources="\n  - title: Docs\n    url: //evil.example/x"),
        10, "got '//evil.example/x'"),
    bad("url-tab-in-scheme", day2(resources='\n  - title: Docs\n    url: "java\\tscript:x()"'),
        10, "got 'java\\tscript:x()'"),
    bad("url-backslash-host", day2(resources="\n  - title: Docs\n    url: '/\\evil.example'"),
        10, "got '/\\\\evil.example'"),
    bad("learning-entity-link", day2(learnings="\n  - '[a](javascript&#58;alert(1))'"), 8,
        "got 'javascript&#58;alert(1)'"),
    bad("learning-javascript-link", day2(learnings="\n  - ok\n  - 'See [this](javascript:alert(1))'"),
        9, "'learnings' links must be http(s)://, mailto: or relative, got 'javascript:alert(1)'"),
    bad("task-data-image", day2(task="'Plot ![x](data:image/svg+xml,abc)'"), 3,
        "'task' links must be http(s)://, mailto: or relative, got 'data:image/svg+xml,abc'"),
    bad("not-utf8", day2(task="Caf\udce9").encode("utf-8", "surrogateescape"), 3,
        "entries must be UTF-8 text, got byte 0xe9 at column 10; save the file as UTF-8"),
    bad("over-1-mib", day2() + "# " + "x" * (1 << 20) + "\n", 1,
        "an entry may be at most 1 MiB, got 1,048,8"),
    bad("expect-unknown", day2(expect="sometimes"), 13,
        "'expect' must be one of pass, fail, got 'sometimes'"),
    bad("requires-unknown", day2(requires="gpu"), 13, "'requires' must be one of cuda, got 'gpu'"),
    Case("file-name-yml", {"entries/day-03.yml": day2()}, 1,
         "entry files are named day-NN.yaml, got day-03.yml; rename it to day-03.yaml", path="entries/day-03.yml"),
    Case("entry-is-folder", {"entries/day-05.yaml/notes.txt": "x"}, 1,
         "an entry must be a file, got a folder", path="entries/day-05.yaml"),
]


def apply(case: Case, root: Path) -> None:
    for rel, content in case.files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    for link, target in case.links.items():
        os.symlink(target, root / link)


def test_the_corpus_is_at_least_twenty_distinct_cases():
    assert len({case.id for case in CASES}) == len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_entry_is_one_line_naming_file_line_and_value(case, journal):
    apply(case, journal)
    with pytest.raises(InputError) as raised:
        load_entries(journal, load_catalog())
    problems = [str(problem) for problem in raised.value.mistakes]
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{case.path}:{case.line}: "), problems[0]
    assert case.message in problems[0]
    assert "\n" not in problems[0]


# --- through the command line: one line each, exit 2, nothing written ----------------------

# One case of each kind the loader finds: unreadable YAML, a bad field, a file that is no entry.
CLI_CASES = [case for case in CASES if case.id in ("yaml-unclosed-quote", "day-zero",
                                                   "entry-is-folder")]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A valid two-day journal, built once with its site; tests break copies of it."""
    root = make_journal(tmp_path_factory.mktemp("built"))
    build(root, Options())
    return root


def run_cli(root: Path, capsys) -> tuple[int, list[str]]:
    code = main(["--root", str(root), "--no-site"])
    return code, capsys.readouterr().err.splitlines()


@pytest.mark.parametrize("case", CLI_CASES, ids=[case.id for case in CLI_CASES])
def test_bad_entry_gives_one_line_exit_2_and_writes_nothing(case, built, tmp_path, capsys):
    root = copy_journal(built, tmp_path)
    apply(case, root)
    before = snapshot(root)
    code, err = run_cli(root, capsys)
    assert code == 2
    assert err[0].startswith(f"{case.path}:{case.line}: "), err[0]
    assert case.message in err[0]
    assert err[1:] == ["1 problem found; nothing was run or written."]
    assert snapshot(root) == before


def test_a_valid_edit_does_change_the_snapshot(built, tmp_path, capsys):
    """The unchanged-snapshot checks above could fail: the same CLI run on a good edit writes."""
    root = copy_journal(built, tmp_path)
    (root / "entries/day-02.yaml").write_text(day2(task="A better task"), encoding="utf-8")
    before = snapshot(root)
    code, _ = run_cli(root, capsys)
    assert code == 0
    after = snapshot(root)
    assert after["docs/days/day-02.md"] != before["docs/days/day-02.md"]
    assert b"A better task" in after["README.md"]


def test_every_problem_in_every_file_is_reported_together(built, tmp_path, capsys):
    root = copy_journal(built, tmp_path)
    (root / "entries/day-01.yaml").write_text(
        entry_yaml(1, "solutions/day01.py", learnings=None, learnigns="\n  - x")
        .replace("day: 1\n", 'day: "1"\n'))
    (root / "entries/day-02.yaml").write_text(day2(
        date="2025-13-01", gaps="\n  - ok\n  - 7",
        resources="\n  - title: Docs\n    url: javascript:alert(1)"))
    before = snapshot(root)
    code, err = run_cli(root, capsys)
    assert code == 2
    assert [line.split(": ")[0] for line in err[:-1]] == [
        "entries/day-01.yaml:1", "entries/day-01.yaml:11",
        "entries/day-02.yaml:2", "entries/day-02.yaml:7", "entries/day-02.yaml:11"]
    assert "did you mean 'learnings'?" in err[1]
    assert err[-1] == "5 problems found; nothing was run or written."
    assert snapshot(root) == before


def test_build_py_exits_2_with_the_line_and_no_traceback(built, tmp_path):
    root = copy_journal(built, tmp_path)
    (root / "entries/day-02.yaml").write_text(day2(day="0"), encoding="utf-8")
    before = snapshot(root)
    done = subprocess.run([sys.executable, "build.py", "--root", str(root)], cwd=REPO, check=False,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == ("entries/day-02.yaml:1: 'day' must be a whole number "
                                           "from 1 to 9999 (e.g. `day: 9`, no quotes), got 0")
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert snapshot(root) == before


# --- what passes -----------------------------------------------------------------------------


def test_notebook_solution_passes_and_paths_are_stored_from_the_root(tmp_path):
    root = make_journal(tmp_path, days={1: toy_solution()}, extra_files={
        "solutions/day02.ipynb": '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
        "entries/day-02.yaml": entry_yaml(2, "./solutions/day02.ipynb", problem="v1-2"),
        "entries/day-01.yaml~": "an editor's backup, not an entry",
    })
    os.symlink("day01.py", root / "solutions/alias.py")
    (root / "entries/day-03.yaml").write_text(entry_yaml(3, "solutions/alias.py"))
    first, second, third = load_entries(root, load_catalog())
    assert (first.solution, first.source) == ("solutions/day01.py", "entries/day-01.yaml")
    assert (second.solution, second.is_notebook) == ("solutions/day02.ipynb", True)
    assert second.difficulty == "basic"  # taken from the catalog's v1-2
    assert third.solution == "solutions/alias.py"  # a link that stays inside solutions/ is fine


def test_the_journals_own_entries_are_valid():
    entries = load_entries(REPO, load_catalog())
    assert [e.day for e in entries] == list(range(1, len(entries) + 1))
    assert all(e.solution.startswith("solutions/") for e in entries)


def test_missing_entries_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match=r"^entries/:1: no entries folder here"):
        load_entries(tmp_path, load_catalog())
