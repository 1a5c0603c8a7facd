"""Problem sets: the shipped catalogs against their upstream files, a learner's own catalog,
the mistakes a catalog or the setting can hold, and `new` walking a set's path."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import re
import shutil

import pytest

from tests.helpers import REPO, make_journal, snapshot, write
from torchleet_journal.base.errors import InputError
from torchleet_journal.build.pipeline import Options, build
from torchleet_journal.cli import main
from torchleet_journal.model.catalog import load_catalog
from torchleet_journal.model.entries import load_entries
from torchleet_journal.pages import render

# The upstream files the catalogs were made from: beside the clone, as CI has them.
UPSTREAM = REPO.parent / "shared" / "problem-sets"
needs_upstream = pytest.mark.skipif(not UPSTREAM.is_dir(), reason="../shared/problem-sets "
                                    "(the upstream files of the catalogs) is not beside the clone")


def quietly(args: list[str]) -> tuple[int, str]:
    """`build.py ARGS` in this process: (exit status, stderr)."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        return main(args), err.getvalue()


def following(root, value: str) -> None:
    """Set mkdocs.yml's extra.problem_sets to `value` (written as YAML)."""
    config = root / "mkdocs.yml"
    text, count = re.subn(r"^  problem_sets: .*$", f"  problem_sets: {value}",
                          config.read_text(encoding="utf-8"), flags=re.M)
    assert count == 1
    config.write_text(text, encoding="utf-8")


# --- the shipped catalogs --------------------------------------------------------------------


@needs_upstream
def test_torchleet_catalog_has_every_upstream_id_in_order_with_tracks_and_the_llm_path():
    source = (UPSTREAM / "torchleet/questions.ts").read_text(encoding="utf-8")
    upstream = re.findall(r'^\s+id: "(v\d+-\d+)",$', source, re.M)
    catalog = load_catalog()
    ours = [p.id for p in catalog.of_set("torchleet")]
    assert len(upstream) == len(ours) == 90 and ours == upstream
    path = re.findall(r'^\s+"(v\d+-\d+)": \{ order: (\d+),', source, re.M)
    llm = [p.id for p in load_catalog().problems.values() if "llm-path" in p.tracks]
    assert sorted(llm) == sorted(pid for pid, _ in path) and len(llm) == 20
    for pid, order in path:
        assert catalog.problems[pid].order == int(order)
    solutions = re.findall(r'^\s+solutionPath:\s+"([^"]+)"', source, re.M)
    assert sorted(p.solution for p in catalog.of_set("torchleet") if p.solution) == sorted(solutions)


@needs_upstream
def test_numpy_100_and_tensor_puzzles_catalogs_match_their_upstream_ids_and_link_lines():
    exercises = (UPSTREAM / "numpy-100/exercises100.ktx").read_text(encoding="utf-8")
    lines = exercises.splitlines()
    questions = [int(n) for n in re.findall(r"^< q(\d+)$", exercises, re.M)]
    numpy = load_catalog().of_set("numpy-100")
    assert len(numpy) == len(questions) == 100
    assert [p.id for p in numpy] == [f"np-{n}" for n in questions]
    for problem in numpy:  # each link points at its own `< qN` and `< aN` line
        number = problem.id.split("-")[1]
        assert lines[int(problem.url.rsplit("#L", 1)[1]) - 1] == f"< q{number}"
        assert lines[int(problem.solution_url.rsplit("#L", 1)[1]) - 1] == f"< a{number}"
    readme = (UPSTREAM / "tensor-puzzles/README.md").read_text(encoding="utf-8")
    puzzles = re.findall(r"^## Puzzle (\d+) - (.+)$", readme, re.M)
    ours = load_catalog().of_set("tensor-puzzles")
    assert len(ours) == len(puzzles) == 21
    assert [(p.id, p.title) for p in ours] == [(f"tp-{n}", name) for n, name in puzzles]
    assert all(p.solution is None for p in ours), "Tensor-Puzzles publishes no answers"


def test_every_shipped_link_is_https_and_pinned_to_the_upstream_commit():
    catalog = load_catalog()
    commits = {"torchleet": "Exorust/TorchLeet/blob/f7765fa/",
               "numpy-100": "rougier/numpy-100/blob/6447594/",
               "tensor-puzzles": "srush/Tensor-Puzzles/blob/ad5069f/"}
    links = [(p.set, url) for p in catalog.problems.values()
             for url in (p.url, p.solution_url) if url]
    assert len(links) == 60 + 60 + 200 + 21
    for name, url in links:
        assert url.startswith("https://github.com/" + commits[name]), url


# --- a learner's own catalog, and the mistakes a catalog can hold ----------------------------

OWN = """\
set:
  name: my-course
  title: My course
  link: https://example.org/course/{path}
  tiers: [week-1, week-2]
  path: listed
problems:
- id: mc-1
  title: Tensors
  tier: week-1
  question: tensors.html
- id: mc-2
  title: Autograd
  tier: week-2
  question: https://example.org/autograd
"""


@pytest.fixture
def own(tmp_path):
    root = make_journal(tmp_path, days={}, extra_files={"catalogs/my-course.yaml": OWN})
    following(root, "[my-course]")
    return root


def test_a_journals_own_catalog_is_followed_and_walked_like_a_shipped_one(own):
    catalog = load_catalog(own)
    assert catalog.followed == ("my-course",)
    assert catalog.problems["mc-1"].url == "https://example.org/course/tensors.html"
    assert catalog.problems["mc-2"].url == "https://example.org/autograd"
    assert quietly(["new", "--root", str(own), "--date", "2026-01-05"])[0] == 0
    assert quietly(["new", "--root", str(own), "--date", "2026-01-06"])[0] == 0
    entries = load_entries(own, catalog)
    assert [(e.problem, e.task, e.difficulty) for e in entries] == [
        ("mc-1", "Tensors", "week-1"), ("mc-2", "Autograd", "week-2")]
    code, err = quietly(["new", "--root", str(own)])
    assert code == 2 and err.startswith("entries/day-03.yaml:3: every problem of my-course "
                                        "already has a day; say what the next one is about")


def test_an_own_sets_titles_reach_its_page_as_text(own):
    hostile = (OWN.replace("title: My course", "title: <script>alert(1)</script>")
               .replace("title: Tensors", "title: '<img src=x onerror=alert(1)>'"))
    write(own / "catalogs/my-course.yaml", hostile)
    docs = render.render_docs(own, [], load_catalog(own), today=dt.date(2026, 1, 5))
    page, home = docs["my-course.md"], docs["index.md"]
    assert "<script>alert" not in page + home and "<img src=x" not in page + home
    assert "# Progress through &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert ('**Next:** <a href="https://example.org/course/tensors.html">mc-1: &lt;img src=x '
            'onerror=alert(1)&gt;</a> (week-1)') in page


BAD = [
    ("duplicate-id", OWN.replace("id: mc-2", "id: mc-1"), 12,
     "duplicate id 'mc-1' (first on line 8); give each problem its own id"),
    ("unknown-tier", OWN.replace("tier: week-2", "tier: week-3"), 12,
     "unknown tier 'week-3'; the set's tiers: week-1, week-2"),
    ("not-https", OWN.replace("https://example.org/autograd", "http://example.org/autograd"), 12,
     "question must be an https:// link or a path in the set's repository, got "
     "'http://example.org/autograd'"),
    ("script-link", OWN.replace("question: tensors.html", "question: javascript:alert(1)"), 8,
     "question must be an https:// link"),
    ("set-link", OWN.replace("https://example.org/course/{path}", "http://example.org/{path}"), 1,
     "set.link must be an https:// URL with {path}"),
    ("id-of-another-set", OWN.replace("id: mc-2", "id: v1-8"), 12,
     "'v1-8' is a problem id of the set 'torchleet'; give this set's problems ids of their own"),
    ("page-name", OWN.replace("name: my-course", "name: index"), 1,
     "set.name must be lower-case letters, digits and dashes"),
    ("too-big", OWN + "#" * (4 << 20), 1, "a catalog may be at most 4 MiB; split it"),
    ("alias", OWN.replace("tier: week-2", "tier: &t week-2\n  tracks: *t"), 15, "YAML aliases are not allowed"),
]


@pytest.mark.parametrize("text, line, message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_catalog_is_one_located_line_exit_2_and_nothing_written(own, text, line, message):
    write(own / "catalogs/my-course.yaml", text)
    with pytest.raises(InputError) as raised:
        load_catalog(own)
    assert len(raised.value.mistakes) == 1, raised.value.mistakes
    shown = str(raised.value.mistakes[0])
    assert shown.startswith(f"catalogs/my-course.yaml:{line}: ") and message in shown, shown
    before = snapshot(own, ("entries", "solutions", "docs", "results"))
    for args in (["new", "--root", str(own)], ["build", "--root", str(own)]):
        code, err = quietly(args)
        assert code == 2 and err.startswith(shown + "\n") and err.count("\n") == 2, err
    assert snapshot(own, ("entries", "solutions", "docs", "results")) == before


def test_a_catalog_that_is_a_fifo_is_one_line_not_a_wait(own):
    os.mkfifo(own / "catalogs/pipe.yaml")  # no writer: opened plainly, the read never returns
    with pytest.raises(InputError) as raised:
        load_catalog(own)
    assert [str(m) for m in raised.value.mistakes] == [
        "catalogs/pipe.yaml:1: cannot read the catalog: not a regular file (a folder, pipe, "
        "socket or device); check the file"]


def test_an_unknown_set_or_track_in_the_setting_is_one_line_naming_mkdocs_yml(own):
    line = next(i for i, text in enumerate((own / "mkdocs.yml").read_text().splitlines(), 1)
                if text.startswith("  problem_sets:"))
    for value, said in (("[numpy-1000]", "unknown problem set 'numpy-1000' in "
                         "extra.problem_sets; known sets: torchleet, numpy-100, tensor-puzzles, "
                         "my-course"),
                        ("[torchleet/llm]", "torchleet has no track 'llm'; its tracks: basics, "
                         "advanced, llm-path")):
        following(own, value)
        code, err = quietly(["new", "--root", str(own)])
        assert (code, err) == (2, f"mkdocs.yml:{line}: {said}\n"
                                  "1 problem found; nothing was run or written.\n")
    assert not (own / "entries").exists() or not list((own / "entries").glob("*.yaml"))


# --- walking a set: init, then new with no task ---------------------------------------------


def trivial(title: str) -> str:
    return f'"""{title}."""\n\nif __name__ == "__main__":\n    print("done")\n'


@pytest.mark.parametrize("name, total, titles", [
    ("numpy-100", 100, ["Import the numpy package under the name `np`",
                        "Print the numpy version and the configuration",
                        "Create a null vector of size 10"]),
    ("tensor-puzzles", 21, ["ones", "sum", "outer"])])
def test_init_a_set_then_three_new_days_walk_it_and_its_page_counts_them(tmp_path, name, total,
                                                                         titles):
    root = tmp_path / "journal"
    code, err = quietly(["init", str(root), "--problem-set", name, "--author", "A",
                         "--repo", "a/b"])
    assert code == 0, err
    assert f"  problem_sets: [{name}]\n" in (root / "mkdocs.yml").read_text()
    for day in range(1, 4):
        assert quietly(["new", "--root", str(root), "--date", f"2026-01-0{day}"]) == (0, "")
    entries = load_entries(root, load_catalog(root))
    prefix = "np" if name == "numpy-100" else "tp"
    assert [(e.problem, e.task) for e in entries] == [
        (f"{prefix}-{n}", title) for n, title in enumerate(titles, 1)]
    for entry in entries:  # the learner's solution, written
        (root / entry.solution).write_text(trivial(entry.task), encoding="utf-8")
    report = build(root, Options(jobs=1, site=False))
    assert [d.status.solved for d in report.days] == [True] * 3
    page = (root / f"docs/{name}.md").read_text(encoding="utf-8")
    assert f"**3 of {total}**" in page
    assert "**Next:** " in page and f"{prefix}-4: " in page
    day = (root / "docs/days/day-01.md").read_text(encoding="utf-8")
    assert ("compare with the reference" in day) == (name == "numpy-100")
    assert not (root / "docs/torchleet.md").exists(), "a page only for the sets followed"


def test_new_with_no_task_on_the_seed_journal_takes_torchleets_next_problem(tmp_path):
    root = make_journal(tmp_path, days={})
    for folder in ("entries", "solutions"):
        shutil.rmtree(root / folder, ignore_errors=True)
        shutil.copytree(REPO / folder, root / folder)
    assert quietly(["new", "--root", str(root), "--date", "2026-01-05"]) == (0, "")
    entry = load_entries(root, load_catalog(root))[-1]
    assert (entry.day, entry.problem, entry.task, entry.difficulty) == (
        9, "v1-8", "Implement a CNN on CIFAR-10", "easy")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["status", "--root", str(root)]) == 0
    assert out.getvalue().splitlines()[-1] == ("next torchleet problem: v1-9 Implement an RNN "
                                               "from Scratch (easy); `python build.py new` starts it")
    code, err = quietly(["new", "--problem", "np-101", "--root", str(root)])
    assert (code, err.splitlines()[0]) == (2, "entries/day-10.yaml:5: --problem 'np-101' is not "
                                              "an id of any problem set's catalog; did you mean "
                                              "np-11, np-10, np-100?")
    following(root, "[torchleet/llm-path]")  # a track: its own order, from its first step
    assert quietly(["new", "--root", str(root), "--date", "2026-01-06"]) == (0, "")
    entry = load_entries(root, load_catalog(root))[-1]
    assert (entry.problem, entry.task) == ("v2-3", "Implement Byte Pair Encoding from Scratch")
