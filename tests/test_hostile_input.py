"""Hostile or broken input, end to end: the real build, then every page of the site scanned.

A journal full of hostile text (every entry field, notebook Markdown, TensorBoard tag names, an
exception message, a forged but fresh committed result, results that point at the environment
or outside the repository) is built once, beside a benign twin of the same shape. Every HTML page
of the hostile site may hold only the element and attribute kinds the benign one has, no event
handler and no script URL, and still show the hostile text as text. Then each way a user can
break the input ends in one located line and its documented exit status, never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO, make_journal, snapshot, write
from tests.html_scan import BAD_SCHEMES, Page, attribute_problems, parse
from torchleet_journal.base import files
from torchleet_journal.base.environment import versions
from torchleet_journal.base.errors import InputError
from torchleet_journal.base.files import sha256_file
from torchleet_journal.build import run_key
from torchleet_journal.build.pipeline import DEFAULT_TIMEOUT, Options, build
from torchleet_journal.cli import main
from torchleet_journal.model import results
from torchleet_journal.model.catalog import load_catalog
from torchleet_journal.model.entries import load_entries

MARKER = "JOURNAL_SECRET_MARKER_f00d1e"  # in the hostile build's environment, never on the site
OUTSIDE = "OUTSIDE_SECRET_5c0ffee"  # in a file beside the journal that a result links to
LOCATED = re.compile(r"^[^\s:]+(?:/[^\s:]+)*:\d+: \S")
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
LINK_IN_URL = "https://ok.example/[a](/onmouseover=alert(1)//)"

# --- the two journals: hostile, and a benign twin of the same shape -------------------------

TAGS = {  # TensorBoard tags the day-1 solution logs (any third-party notebook may choose them)
    True: ["a`" + IMG, "{: onclick=alert(1)}", "</td>" + SCRIPT, "x|y $<b>$ [q](" + LINK_IN_URL + ")",
           "<!-- progress:end -->", r"$\broken{$"],
    False: ["Loss/train", "Loss/valid", "Accuracy/train", "Accuracy/valid", "lr", "grad_norm"],
}
TOY = '''
import matplotlib.pyplot as plt
from torch.utils.tensorboard import SummaryWriter

TAGS = {tags!r}
writer = SummaryWriter()
for step in range(3):
    for i, tag in enumerate(TAGS):
        writer.add_scalar(tag, 1.0 / (step + i + 1), step)
writer.close()
print({printed!r})
plt.plot([0, 1], [1, 0])
plt.title({printed!r})
plt.show()
'''
FAILING = '''
print({printed!r})
raise ValueError({message!r})
'''
TRIVIAL = 'print("ok")\n'


def texts(hostile: bool) -> dict:
    """Every piece of outside text the journal carries, hostile or benign, same shape."""
    if not hostile:
        return {
            "task": "Fit a line", "tags": ["regression", "basics"],
            "gaps": ["Shapes of `nn.Linear`", "Why $x^2$ is convex", "a | b in a table",
                     "See [the docs](https://pytorch.org/docs/)"],
            "learnings": ["Use `torch.no_grad()` for $y = wx + b$", "![plot](https://ok.example/a.png)",
                          "<https://ok.example/>"],
            "resources": [{"title": "Docs", "url": "https://pytorch.org/docs/"},
                          {"title": "Tutorial", "url": "https://pytorch.org/tutorials/?a=1&b=2"}],
            "metric": None, "notebook_metric": "nb/missing",
            "printed": "training done", "message": "loss did not go down\nsee the plot",
            "cells": ["# Notebook\n\nSome *text* with `code` and $x$.",
                      "- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |",
                      "```python\nprint(1)\n```\n\n$$\nx^2\n$$",
                      "[docs][d] and [more](https://ok.example/)\n\n[d]: https://pytorch.org/",
                      "> quoted\n\n## Section"],
            "forged": "the loss stayed flat", "failing_name": "day03.py",
        }
    return {
        "task": f"{IMG} {{: onclick=alert(1)}} `x` $<b>$ [l]({LINK_IN_URL}) <!-- progress:end --> |"
                "\n---\ntitle: x\n\\",
        "tags": ["a`" + IMG[:30], "{: onclick=x}", "</td><script>"],
        "gaps": [IMG, "{: onclick=alert(1) }", "`</code>" + SCRIPT + "`",
                 f"${IMG}$", "`<!-- progress:end -->`", "<!-- progress:end -->",
                 "| a | b | `a|b` $c|d$ [u](https://ok.example/a|b)", "trailing backslash \\",
                 "---", "x" * 1900 + IMG],
        "learnings": [f"[x]({LINK_IN_URL})", "![[a](/onerror=alert(1)//)](https://ok.example/a.png)",
                      '<https://ok.example/"onmouseover="alert(1)>',
                      '[x](https://ok.example "t" onclick=alert(1))', "{#id .c onclick=alert(1)}",
                      "!!! danger onclick", "\\(" + IMG + "\\)"],
        "resources": [{"title": "</a>" + SCRIPT, "url": LINK_IN_URL},
                      {"title": "{: onclick=alert(1)} <b>", "url":
                       'https://ok.example/?q="><script>alert(1)</script>|x'}],
        "metric": TAGS[True][2], "notebook_metric": "<img src=x onerror=alert(2)>",
        "printed": f"{IMG} `x` {{: onclick=x}} <!-- progress:end -->",
        "message": f"{IMG}\n```\n</code></pre>{SCRIPT}\n!!! danger onclick\n"
                   "[x](javascript:alert(1)) $<b>$ | {: onclick=x}",
        "cells": [f"# Title {IMG}\n\nText with [x](javascript:alert(1)) and <javascript:alert(1)>.",
                  "!!! danger onclick\n??? note\n> !!! tip\n- ???+ x",
                  f"```html\n{SCRIPT}\n```\n{SCRIPT}\n\n$$\n{IMG}\n$$",
                  f"[r]: javascript:alert(1)\n[s]: {LINK_IN_URL}\n\n[x][r] [y][s] ![z][s]",
                  f"| {IMG} | {{: onclick=x}} |\n|---|---|\n| `a|b` | [x](data:text/html,x) |\n"
                  "<!-- progress:end -->\n```\nnever closed"],
        "forged": f"{IMG} {{: onclick=alert(1)}} [x]({LINK_IN_URL})",
        "failing_name": "day03`<img src=x onerror=alert(3)>` (x) [y].py",  # a file name is text
    }


def _entry(day: int, solution: str, t: dict, **fields) -> str:
    data = {"day": day, "date": f"2025-01-{day:02d}", "task": t["task"], "tags": t["tags"],
            "gaps": t["gaps"], "learnings": t["learnings"], "resources": t["resources"],
            "solution": solution, **fields}
    dumper = type("NoAliases", (yaml.SafeDumper,), {"ignore_aliases": lambda self, data: True})
    return yaml.dump({k: v for k, v in data.items() if v is not None}, Dumper=dumper,
                     sort_keys=False, allow_unicode=True)


def _notebook(t: dict) -> str:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": c} for c in t["cells"]]
    cells.insert(2, {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                     "source": "from torch.utils.tensorboard import SummaryWriter\n"
                               "w = SummaryWriter()\nfor s in range(2):\n"
                               "    w.add_scalar('nb/loss', 1.0 / (s + 1), s)\nw.close()\n"
                               f"print({t['printed']!r})\n"})
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def lay_out(base: Path, hostile: bool) -> Path:
    """The journal: 1 toy run with hostile tags, 2 notebook, 3 failing, 4 forged fresh result,
    5-8 committed results that cannot be trusted (a link to the environment, a link outside,
    a ../ name, a list)."""
    t = texts(hostile)
    root = make_journal(base, days={})
    sources = {1: ("day01.py", TOY.format(tags=TAGS[hostile], printed=t["printed"])),
               2: ("day02.ipynb", _notebook(t)),
               3: (t["failing_name"], FAILING.format(printed=t["printed"], message=t["message"]))}
    sources.update({day: (f"day{day:02d}.py", TRIVIAL) for day in (4, 5, 6, 7, 8)})
    for day, (name, source) in sources.items():
        (root / "solutions").mkdir(exist_ok=True)
        (root / "solutions" / name).write_text(source, encoding="utf-8")
        fields = {"metric": t["metric"]} if day == 1 else {}
        if day == 2:
            fields = {"metric": t["notebook_metric"]}
        write(root / f"entries/day-{day:02d}.yaml", _entry(day, f"solutions/{name}", t, **fields))
    _forge_fresh_result(root, 4, t["forged"], TAGS[hostile][:3])
    if hostile:
        (base / "outside.txt").write_text(OUTSIDE, encoding="utf-8")
        (base / "escape.png").write_text(OUTSIDE, encoding="utf-8")
        _committed(root, 5, {"figures": ["environ.png"]}, links={"environ.png": "/proc/self/environ"})
        _committed(root, 6, {"figures": ["secret.png"]}, links={"secret.png": str(base / "outside.txt")})
        _committed(root, 7, {"figures": ["../../../escape.png"]})
        (root / "results/day-08").mkdir(parents=True)
        (root / "results/day-08/result.json").write_text("[1, 2]", encoding="utf-8")
    return root


def _committed(root: Path, day: int, fields: dict, links: dict | None = None) -> None:
    folder = results.day_dir(root, day)
    folder.mkdir(parents=True)
    data = {"day": day, "status": "passed", "wall_time": 0.1, **fields}
    (folder / "result.json").write_text(json.dumps(data), encoding="utf-8")
    for name, target in (links or {}).items():
        os.symlink(target, folder / name)


def _forge_fresh_result(root: Path, day: int, text: str, tags: list[str]) -> None:
    """A committed result from someone else's clone whose key matches: it is shown, not re-run."""
    entry = next(e for e in load_entries(root, load_catalog()) if e.day == day)
    folder = results.day_dir(root, day)
    folder.mkdir(parents=True)
    for name in ("figure-01.png", "chart-01.png"):
        (folder / name).write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "output.log").write_text(text + "\n", encoding="utf-8")
    series = {"steps": [0, 1], "values": [1.0, 0.5]}
    deps = {entry.solution: sha256_file(root / entry.solution)}
    good = {"day": day, "status": "passed", "reason": "", "figures": ["figure-01.png"],
            "charts": {tags[0]: "chart-01.png"}, "scalars": {tag: series for tag in tags},
            "ran_at": f"2025-01-01T{text}", "python": text, "torch": text, "log_head": text,
            "log_lines": 1}
    forged = dict(good, status="failed", reason=text, exit_code=1, signal=text, log="output.log",
                  traceback=f"Traceback\n```\n{text}\n````\n", log_head=f"{text}\n```\n{text}",
                  log_tail=f"~~~\n{text}", log_lines=40,
                  deps=deps, last_good=good,
                  key=run_key.cache_key(root, entry, deps, versions(), "failed",
                                        DEFAULT_TIMEOUT))
    (folder / "result.json").write_text(json.dumps(forged), encoding="utf-8")


def _run_build(root: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(REPO / "build.py"), "--root", str(root)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class Built:
    def __init__(self, root: Path, code: int, out: str, err: str):
        self.root, self.code, self.out, self.err = root, code, out, err
        self.pages = {p.relative_to(root / "site").as_posix(): p.read_text(encoding="utf-8")
                      for p in sorted((root / "site").rglob("*.html"))}
        self.parsed = {rel: parse(text) for rel, text in self.pages.items()}


def _outside_listing(base: Path) -> list[str]:
    return sorted(p.relative_to(base).as_posix() for p in base.rglob("*")
                  if "journal" not in p.relative_to(base).parts)


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[bool, Built]:
    """The hostile journal and its benign twin, built at once: the hostile one by `build.py` as
    CI runs it, with a secret in its environment; the twin in this process, meanwhile."""
    bases = {hostile: tmp_path_factory.mktemp("hostile" if hostile else "benign")
             for hostile in (True, False)}
    roots = {hostile: lay_out(base, hostile) for hostile, base in bases.items()}
    before = _outside_listing(bases[True])
    process = _run_build(roots[True], {**os.environ, "JOURNAL_SECRET_MARKER": MARKER})
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--root", str(roots[False])])
    built = {False: Built(roots[False], code, out.getvalue(), err.getvalue())}
    out, err = process.communicate(timeout=600)
    built[True] = Built(roots[True], process.returncode, out, err)
    built[True].outside_before, built[True].outside_after = before, _outside_listing(bases[True])
    readme = (roots[True] / "README.md").read_bytes()
    built[True].rebuild = build(roots[True], Options(site=False))  # nothing changed since
    built[True].readmes = (readme, (roots[True] / "README.md").read_bytes())
    return built


@pytest.fixture(scope="module")
def hostile(builds) -> Built:
    return builds[True]


# --- the build itself ----------------------------------------------------------------------


def test_both_builds_end_with_the_failed_days_and_no_traceback(builds):
    for hostile, built in builds.items():
        assert built.code == 1, built.err  # day 3 fails, day 4's forged result is a failure
        assert "Traceback" not in built.err and "Traceback" not in built.out
        assert (built.root / "site/index.html").is_file()


def test_each_untrusted_committed_result_is_one_warning_and_runs_again(hostile):
    warnings = [line for line in hostile.err.splitlines() if line.startswith("warning: ")]
    for day, why in ((5, "'environ.png'"), (6, "'secret.png'"), (7, "'../../../escape.png'"),
                     (8, "must be an object of fields, got list")):
        said = [w for w in warnings if w.startswith(f"warning: results/day-0{day}/result.json: ")]
        assert len(said) == 1 and why in said[0], warnings
        stored = results.load_result(hostile.root, day)
        assert stored is not None and stored.ok and stored.figures == []


def test_a_forged_fresh_result_is_shown_not_run(hostile):
    assert re.search(r"day-04 .*cached", hostile.err)
    text = _visible(hostile, "days/day-04.html")
    assert texts(True)["forged"] in text


# --- every page of the site ----------------------------------------------------------------


def _visible(built: Built, page: str) -> str:
    return " ".join(built.parsed[page].visible.split())


def _signatures(page: Page) -> set[tuple]:
    """Each element's kind: tag, attribute names and class (code highlighting's spans as one)."""
    found = set()
    for element in page.elements:
        names = tuple(sorted(element.attrs))
        cls = element.attrs.get("class")
        if element.tag == "span" and "pre" in element.inside:
            cls = "(highlighted code)"
        found.add((element.tag, names, cls))
    return found


def test_both_sites_have_the_same_pages(builds):
    assert set(builds[True].pages) == set(builds[False].pages)
    assert len(builds[True].pages) >= 12


def test_no_page_has_an_event_handler_or_a_script_url(hostile):
    found = {rel: attribute_problems(page) for rel, page in hostile.parsed.items()}
    assert {rel: p for rel, p in found.items() if p} == {}


def test_no_page_has_an_element_kind_the_benign_site_lacks(builds):
    benign = set().union(*(_signatures(p) for p in builds[False].parsed.values()))
    extra = {rel: sorted(_signatures(page) - benign, key=str)
             for rel, page in builds[True].parsed.items()}
    assert {rel: e for rel, e in extra.items() if e} == {}


def test_scripts_are_the_sites_own(builds):
    for rel, page in builds[True].parsed.items():
        twin = builds[False].parsed[rel]
        mine = [e.attrs.get("src") for e in page.elements if e.tag == "script"]
        assert mine == [e.attrs.get("src") for e in twin.elements if e.tag == "script"], rel
        # The site's own assets, relative or under site_url's path (the 404 page's are absolute).
        assert all(src is None or ("://" not in src and not src.startswith("//") and
                                   re.match(r"^(?:\.{1,2}/|/[^/]+/)*assets/", src)) for src in mine)
        assert len(page.scripts) == len(twin.scripts), rel
        assert not any(s in squeezed for body in page.scripts
                       for squeezed in [body.lower()] for s in ("alert(", "onerror"))


def test_no_comment_carries_text_from_outside(hostile):
    for rel, page in hostile.parsed.items():
        assert not [c for c in page.comments if "progress" in c or "alert" in c], rel


def test_the_search_index_holds_no_markup_made_from_text(builds):
    index = json.loads((builds[True].root / "site/search/search_index.json").read_text("utf-8"))
    benign = json.loads((builds[False].root / "site/search/search_index.json").read_text("utf-8"))
    allowed = set().union(*(_signatures(parse(d["text"] + d["title"])) for d in benign["docs"]))
    for doc in index["docs"]:
        page = parse(doc["title"] + " " + doc["text"])
        assert "<script" not in doc["text"].lower() and "<script" not in doc["title"].lower()
        assert attribute_problems(page) == [], doc["location"]
        assert _signatures(page) <= allowed | {("p", (), None)}, doc["location"]


def test_the_hostile_text_reached_the_pages_as_text(hostile):
    t = texts(True)
    day1 = _visible(hostile, "days/day-01.html")
    assert " ".join(t["task"].split()) in day1
    for text in [*t["tags"], IMG, "{: onclick=alert(1) }", "</code>" + SCRIPT, "!!! danger onclick",
                 "</a>" + SCRIPT, "{: onclick=alert(1)} <b>"]:
        assert text.lower() in day1.lower(), text
    for tag in TAGS[True]:
        assert tag in day1, tag  # the metrics table names every scalar as logged
    title = re.search(r"<title>(.*?)</title>", hostile.pages["days/day-01.html"], re.S)
    assert "Day 1: " + IMG in html.unescape(title.group(1))
    notebook = _visible(hostile, "days/day-02.html")
    for text in ("Title " + IMG, "!!! danger onclick", "??? note", "[x](javascript:alert(1))",
                 "[x][r]", SCRIPT, "metric: <img src=x onerror=alert(2)> was not logged"):
        assert text in notebook, text
    failed = _visible(hostile, "days/day-03.html")
    assert IMG in failed and "!!! danger onclick" in failed and t["printed"] in failed
    assert "Download " + t["failing_name"] in failed
    download = [e for e in hostile.parsed["days/day-03.html"].elements
                if e.tag == "a" and e.attrs.get("href", "").endswith(".py")]
    assert [e.attrs["href"] for e in download] == [
        "day-03/day03%60%3Cimg%20src%3Dx%20onerror%3Dalert%283%29%3E%60%20%28x%29%20%5By%5D.py"]
    assert (hostile.root / "site/days/day-03" / t["failing_name"]).is_file()


def test_links_keep_allowed_urls_with_their_markdown_characters_encoded(hostile):
    page = hostile.parsed["days/day-01.html"]
    hrefs = [e.attrs["href"] for e in page.elements if e.tag == "a" and "href" in e.attrs]
    assert "https://ok.example/%5Ba%5D(/onmouseover=alert(1)//)" in hrefs
    assert not any("javascript" in h.lower() for h in hrefs)


def test_every_hostile_tag_has_its_chart(hostile):
    stored = results.load_result(hostile.root, 1)
    assert list(stored.scalars) == TAGS[True]
    assert set(stored.charts) == set(TAGS[True])  # a tag like $\broken{$ is text on its chart too


# --- nothing leaks, nothing lands outside ---------------------------------------------------


def test_the_environment_and_outside_files_appear_nowhere(hostile):
    for folder in ("site", "docs", "results"):
        for path in (hostile.root / folder).rglob("*"):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                assert MARKER.encode() not in data and OUTSIDE.encode() not in data, path


def test_nothing_is_written_outside_the_journal(hostile):
    assert hostile.outside_after == hostile.outside_before
    assert not (hostile.root / "escape.png").exists()
    assert not any(p.is_symlink() for p in (hostile.root / "results").rglob("*"))


# --- README.md ------------------------------------------------------------------------------


def test_two_builds_leave_readme_byte_identical(hostile):
    first, second = hostile.readmes
    assert first == second
    # Only the execution-times page says which days ran in the last build.
    assert hostile.rebuild.written == ["docs/times.md"]
    assert first.decode().count("<!-- progress:end -->\n") == 1


def _unescaped_pipes(row: str) -> int:
    return len(re.findall(r"(?<!\\)\|", row))


def test_every_readme_row_has_as_many_cells_as_the_header(hostile):
    readme = hostile.readmes[0].decode()
    table = readme.split("<!-- progress:start -->\n", 1)[1].rsplit("\n<!-- progress:end -->", 1)[0]
    rows = table.strip().splitlines()
    assert len(rows) == 2 + 8
    assert {_unescaped_pipes(row) for row in rows} == {_unescaped_pipes(rows[0])}
    assert "`a\\|b`" in rows[2] and "%7C" in rows[2]


# --- entries a user (or a copy-paste) can break: one located line each --------------------


@pytest.fixture
def small(tmp_path) -> Path:
    """A two-day journal, not built: day 1 valid, day 2 for a test to replace."""
    return make_journal(tmp_path, days={1: TRIVIAL, 2: TRIVIAL})


def day2(**fields) -> str:
    """day-02.yaml with `fields` replaced (as YAML source text) or added."""
    base = {"day": "2", "date": "2025-01-02", "task": "Toy", "gaps": "[a gap]",
            "solution": "solutions/day02.py"}
    base.update(fields)
    return "".join(f"{k}: {v}\n" for k, v in base.items() if v is not None)


DIGITS = "1" * 5000
# (id, entry text, line, a distinctive part of the message)
ENTRY_CASES = [
    ("int-abc", day2(day="!!int abc"), 1, "YAML cannot read 'abc' as !!int; remove the !!tag"),
    ("float-abc", day2(timeout="!!float abc"), 6, "YAML cannot read 'abc' as !!float"),
    ("float-empty", day2(timeout="!!float"), 6, "YAML cannot read '' as !!float"),
    ("bool-maybe", day2(expect="!!bool maybe"), 6, "YAML cannot read 'maybe' as !!bool"),
    ("int-in-a-list", day2(gaps="[ok, !!int abc]"), 4, "YAML cannot read a value"),
    ("timestamp-feb-30", day2(date="!!timestamp 2025-02-30"), 2,
     "YAML cannot read '2025-02-30' as !!timestamp"),
    ("timestamp-garbage", day2(review="!!timestamp yesterday"), 6,
     "YAML cannot read 'yesterday' as !!timestamp"),
    ("day-5000-digits", day2(day=DIGITS), 1, "YAML cannot read '1111"),
    ("day-5000-digits-quoted", day2(day=f'"{DIGITS}"'), 1, "'day' must be a whole number"),
    ("day-too-big", day2(day="10000"), 1, "from 1 to 9999"),
    ("day-float-inf", day2(day=".inf"), 1, "'day' must be a whole number"),
    ("python-object", day2(task="!!python/object:os.system ls"), 3, "invalid YAML"),
    ("python-apply", day2(task='!!python/object/apply:os.system ["id"]'), 3, "invalid YAML"),
    ("python-name", day2(task="!!python/name:os.system"), 3, "invalid YAML"),
    ("binary-bad", day2(task='!!binary "not base64!"'), 3, "invalid YAML at column 7: failed"),
    ("binary-good", day2(task="!!binary aGVsbG8="), 3, "'task' must be text"),
    ("set", day2(gaps="!!set {a, b}"), 4, "'gaps' must be a list of text"),
    ("date-0001", day2(date="0001-01-01"), 2, "from 1970 to 2100"),
    ("date-9999", day2(date="9999-12-31"), 2, "from 1970 to 2100"),
    ("date-0025", day2(date="0025-01-01"), 2, "check the year for a typo"),
    ("date-1969", day2(date="1969-12-31"), 2, "from 1970 to 2100"),
    ("date-2101", day2(date="2101-01-01"), 2, "from 1970 to 2100"),
    ("review-0001", day2(review="0001-01-01"), 6, "'review' must be a date from 1970"),
    ("date-month-13", day2(date="2025-13-01"), 2, "must be a real date"),
    ("date-5-digit-year", day2(date="20250-01-01"), 2, "must be a real date"),
    ("alias-repeated", day2(gaps="[&a x, *a, *a]"), 4, "YAML aliases are not allowed"),
    ("alias-bomb", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n" + day2(), 2, "YAML aliases are not allowed"),
    ("alias-merge", "base: &base {x: 1}\n" + day2(task=None) + "<<: *base\n", 6,
     "YAML aliases are not allowed"),
    ("alias-in-task", day2(task="&t Toy", gaps="[*t]"), 4, "YAML aliases are not allowed"),
    ("nul-in-task", day2(task='"Toy\\0task"'), 3, "U+0000"),
    ("esc-in-task", day2(task='"Toy\\e[2Jtask"'), 3, "U+001B"),
    ("osc-title", day2(task='"\\e]0;pwned\\atask"'), 3, "U+001B"),
    ("bidi-override", day2(task='"Toy \\u202Eksat"'), 3, "U+202E"),
    ("bidi-isolate", day2(task='"Toy \\u2066x\\u2069"'), 3, "U+2066"),
    ("rlm", day2(task='"Toy\\u200Fx"'), 3, "U+200F"),
    ("c1-nel", day2(task='"Toy\\Nx"'), 3, "U+0085"),
    ("del", day2(task='"Toy\\x7Fx"'), 3, "U+007F"),
    ("esc-in-gap-item", day2(gaps='\n  - fine\n  - "bad\\e[31m"'), 6, "'gaps' item 2"),
    ("esc-in-tag", day2(tags='["ok", "\\e[5m"]'), 6, "'tags' item 2"),
    ("bidi-in-resource-title", day2(resources='\n  - title: "\\u202Egnp.exe"\n    url: '
                                    "https://ok.example/"), 7, "U+202E"),
    ("task-too-long", day2(task="x" * 301), 3, "at most 300 characters, got 301"),
    ("gap-too-long", day2(gaps=f"[{'x' * 2001}]"), 4, "at most 2,000 characters"),
    ("too-many-gaps", day2(gaps="[" + ", ".join(["g"] * 101) + "]"), 4, "at most 100 items"),
    ("javascript-in-gap", day2(gaps="['[x](javascript:alert(1))']"), 4, "links must be"),
    ("entity-javascript-in-learning", day2(learnings="['[x](&#106;avascript:alert(1))']"), 6,
     "links must be"),
    ("autolink-vbscript", day2(gaps="['<vbscript:msgbox(1)>']"), 4, "links must be"),
    ("reference-data", day2(gaps="['[r]: data:text/html,x']"), 4, "links must be"),
    ("resource-javascript-tab", day2(resources='\n  - title: x\n    url: "java\\tscript:x"'), 7,
     "url must be http(s)://"),
    ("resource-protocol-relative", day2(resources="\n  - title: x\n    url: //evil.example/"), 7,
     "url must be http(s)://"),
]


@pytest.mark.parametrize("text,line,message", [c[1:] for c in ENTRY_CASES],
                         ids=[c[0] for c in ENTRY_CASES])
def test_a_broken_entry_is_one_located_line(small, text, line, message):
    (small / "entries/day-02.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_entries(small, load_catalog())
    problems = [str(p) for p in raised.value.mistakes]
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"entries/day-02.yaml:{line}: "), problems[0]
    assert message in problems[0] and "\n" not in problems[0]
    assert len(problems[0]) < 400


@pytest.mark.parametrize("date", ["1970-01-01", "2100-12-31"])
def test_the_edges_of_the_date_range_are_accepted(small, date):
    (small / "entries/day-02.yaml").write_text(day2(date=date), encoding="utf-8")
    assert [e.date.isoformat() for e in load_entries(small, load_catalog())][1] == date


def test_entries_at_both_edges_of_the_range_draw_a_bounded_calendar(tmp_path, monkeypatch):
    """1970-01-01 and 2100-12-31 are both valid: the calendar shows its last five years."""
    from torchleet_journal.base import charts

    drawn = []
    monkeypatch.setattr(charts, "_week_grid", lambda ax, monday, weeks, end, days: drawn.append(
        (monday, weeks)))
    charts.activity_calendar([["1970-01-01", 1], ["2100-12-31", 1]], tmp_path / "calendar.png")
    assert 0 < sum(weeks for _, weeks in drawn) <= 5 * 53
    assert drawn[0][0].year >= 2095 and (tmp_path / "calendar.png").is_file()


def test_an_anchor_without_an_alias_is_harmless(small):
    (small / "entries/day-02.yaml").write_text(day2(task="&t Toy"), encoding="utf-8")
    assert load_entries(small, load_catalog())[1].task == "Toy"


# --- the command line: exit status and one line --------------------------------------------


def _one_line(code: int, err: str, expected: int, start: str) -> None:
    assert code == expected, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[0].startswith(start), lines
    assert LOCATED.match(lines[0]) or lines[0].startswith("build.py: "), lines
    assert lines[1:] in ([], ["1 problem found; nothing was run or written."]), lines


def test_a_fifo_entry_is_refused_without_hanging(small):
    """In a process of its own: a hang would time out, not hang the tests."""
    os.mkfifo(small / "entries/day-03.yaml")
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(small),
                           "--no-site"], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert "Traceback" not in done.stdout
    _one_line(done.returncode, done.stderr, 2,
              "entries/day-03.yaml:1: an entry must be a regular file")


def test_an_unconstructible_value_is_one_line(small, capsys):
    (small / "entries/day-02.yaml").write_text(day2(day="!!int abc"), encoding="utf-8")
    code = main(["--root", str(small), "--no-site"])
    _one_line(code, capsys.readouterr().err, 2, "entries/day-02.yaml:1: YAML cannot")
    assert not (small / "docs").exists() and not (small / "results").exists()


def test_a_missing_root_is_one_line(tmp_path, capsys):
    code = main(["--root", str(tmp_path / "nowhere")])
    _one_line(code, capsys.readouterr().err, 2, f"{tmp_path / 'nowhere'}:1: --root")


def test_a_journal_folder_that_is_a_file_is_one_line(small, capsys):
    (small / ".journal").write_text("not a folder", encoding="utf-8")
    code = main(["--root", str(small), "--no-site"])
    _one_line(code, capsys.readouterr().err, 2, ".journal:1: must be the build's own")


# --- folders the build writes and prunes must be the journal's own -------------------------


@pytest.mark.parametrize("link", ["results/day-01", "results", "docs", ".journal",
                                  "results/day-07"])
def test_a_linked_output_folder_is_refused_and_its_target_untouched(small, tmp_path, capsys,
                                                                    link):
    """A cloned journal can carry `results/day-01 -> ../../..`: the build would prune it."""
    victim = tmp_path / "victim"
    (victim / "sub").mkdir(parents=True)
    (victim / "precious.txt").write_text("keep me", encoding="utf-8")
    (small / link).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(victim, small / link)
    code = main(["--root", str(small), "--no-site"])
    err = capsys.readouterr().err.splitlines()
    assert code == 2, err
    assert err[0].startswith(f"{link}:1: must be a folder of this journal, got a link to ")
    assert err[1:] == ["1 problem found; nothing was run or written."]
    assert sorted(p.name for p in victim.rglob("*")) == ["precious.txt", "sub"]


def test_a_link_inside_a_days_folder_is_removed_not_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me", encoding="utf-8")
    folder = results.day_dir(tmp_path, 3)
    folder.mkdir(parents=True)
    os.symlink(victim, folder / "linked-folder")
    os.symlink(victim / "precious.txt", folder / "linked-file.png")
    results.store_result(tmp_path, results.Result(3, results.PASSED), {})
    assert sorted(p.name for p in folder.iterdir()) == ["result.json"]
    assert (victim / "precious.txt").read_text(encoding="utf-8") == "keep me"


# --- cannot write: disk full, read-only folders ---------------------------------------------


@pytest.fixture(scope="module")
def benign_root(builds) -> Path:
    return builds[False].root


def _copy(root: Path, base: Path) -> Path:
    target = base / "journal"
    shutil.copytree(root, target, symlinks=True, ignore=shutil.ignore_patterns("site"))
    return target


def _refuse_writes(monkeypatch, under: str, error: int) -> None:
    real = files.write_atomic

    def refusing(path, data, durable=False):
        if under in Path(path).parts:
            raise OSError(error, os.strerror(error), str(path))
        return real(path, data, durable)
    # Every module that took write_atomic by name writes through the refusing one too.
    for module in [files, *(m for name, m in sys.modules.items() if name.startswith("journal."))]:
        if getattr(module, "write_atomic", None) is real:
            monkeypatch.setattr(module, "write_atomic", refusing)


@pytest.mark.parametrize("under,error", [("docs", errno.ENOSPC), ("docs", errno.EROFS),
                                         ("journal", errno.ENOSPC)],
                         ids=["disk-full", "read-only-docs", "disk-full-everywhere"])
def test_cannot_write_docs_is_exit_4_and_leaves_readme_and_results(benign_root, tmp_path,
                                                                   monkeypatch, capsys, under,
                                                                   error):
    root = _copy(benign_root, tmp_path)
    _refuse_writes(monkeypatch, under, error)
    entry = root / "entries/day-01.yaml"
    entry.write_text(entry.read_text("utf-8").replace("Fit a line", "Fit a plane"), "utf-8")
    before = _stored_runs(root)
    code = main(["--root", str(root), "--no-site"])
    err = capsys.readouterr().err
    assert code == 4, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("build.py: cannot write ") and (
        os.strerror(error) in lines[0]), lines
    assert _stored_runs(root) == before  # README.md too


def _stored_runs(root: Path) -> dict[str, bytes]:
    """results/ and README.md, but the days' notebooks: they are rendered from the entries (the
    edited task is their title), written whole before the pages that offer them."""
    return {rel: data for rel, data in snapshot(root, folders=("results",)).items()
            if not rel.endswith(".ipynb")}


def test_read_only_results_is_exit_4_and_keeps_the_stored_results(benign_root, tmp_path,
                                                                  monkeypatch, capsys):
    root = _copy(benign_root, tmp_path)
    before = snapshot(root, folders=("results",))
    _refuse_writes(monkeypatch, "results", errno.EROFS)
    code = main(["--root", str(root), "--no-site", "--only", "5"])
    err = capsys.readouterr().err
    assert code == 4, err
    assert "Traceback" not in err
    said = [line for line in err.splitlines() if line.startswith("build.py: ")]
    assert said == err.splitlines()[-1:], err
    assert said[0].startswith("build.py: cannot write ") and "results/day-05" in said[0]
    assert snapshot(root, folders=("results",)) == before


# --- a solution that breaks the journal around it while it runs ---------------------------


def test_a_solution_that_removes_the_readme_markers_or_results(benign_root, tmp_path, capsys):
    root = _copy(benign_root, tmp_path)
    (root / "solutions/day05.py").write_text(
        "from pathlib import Path\nroot = Path(__file__).resolve().parents[1]\n"
        "(root / 'README.md').write_text('# mine now\\n')\n", encoding="utf-8")
    (root / "solutions/day06.py").write_text(
        "import shutil\nfrom pathlib import Path\n"
        "shutil.rmtree(Path(__file__).resolve().parents[1] / 'results')\n", encoding="utf-8")
    code = main(["--root", str(root), "--no-site", "--jobs", "1"])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert code in (0, 1), err
    assert (root / "README.md").read_text("utf-8") == "# mine now\n"
    assert any(line.startswith("warning: README.md: ") for line in err.splitlines()), err
    gone = [line for line in err.splitlines() if "removed while solutions ran" in line]
    assert gone and all(line.startswith("warning: results/day-0") for line in gone), err
    assert (root / "docs/index.md").is_file()


# --- build.py new -----------------------------------------------------------------------------

NEW_CASES = [
    ("300-char-word", ["x" * 300]),
    ("301-char-word", ["y" * 301]),
    ("javascript-link", ["[x](javascript:alert(1))"]),
    ("html", [IMG + " " + SCRIPT]),
    ("attr-list", ["{: onclick=alert(1)} `x` $y$ | <!-- progress:end -->"]),
    ("newlines-and-rule", ["a\n---\ntitle: x\n\\"]),
    ("escape-sequence", ["Toy \x1b[2J\x1b]0;pwned\x07"]),
    ("bidi", ["Toy \u202egnp.exe"]),
    ("quote-heavy", ["\"\"\" '''\\ \" ' triple"]),
    ("date-0001", ["Toy", "--date", "0001-01-01"]),
    ("date-9999", ["Toy", "--date", "9999-12-31"]),
    ("date-impossible", ["Toy", "--date", "2025-02-30"]),
    ("date-garbage", ["Toy", "--date", "<script>"]),
    ("empty", ["   "]),
]


@pytest.mark.parametrize("args", [c[1] for c in NEW_CASES], ids=[c[0] for c in NEW_CASES])
def test_new_writes_a_valid_entry_or_nothing(small, capsys, args):
    before = sorted(p.name for p in (small / "entries").iterdir()) + sorted(
        p.name for p in (small / "solutions").iterdir())
    code = main(["new", *args, "--root", str(small)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    if code == 0:
        entries = load_entries(small, load_catalog())  # the next build accepts it
        assert entries[-1].day == 3
        assert entries[-1].task == " ".join(args[0].split())
        assert all(len(p.name) < 100 for p in (small / "solutions").iterdir())
        compile((small / entries[-1].solution).read_text("utf-8"), "skeleton", "exec")
    else:
        assert code == 2, captured.err
        lines = captured.err.splitlines()
        assert LOCATED.match(lines[0]) and lines[-1].endswith("nothing was run or written.")
        after = sorted(p.name for p in (small / "entries").iterdir()) + sorted(
            p.name for p in (small / "solutions").iterdir())
        assert after == before
        assert not any(s in captured.err for s in ("\x1b", "\u202e"))


def test_new_refuses_what_the_build_would_refuse(small, tmp_path, capsys):
    expected = {"javascript-link": 2, "301-char-word": 2, "escape-sequence": 2, "bidi": 2,
                "date-0001": 2, "date-9999": 2, "date-impossible": 2, "date-garbage": 2,
                "empty": 2, "300-char-word": 0, "html": 0, "attr-list": 0, "newlines-and-rule": 0,
                "quote-heavy": 0}
    got = {}
    for name, args in NEW_CASES:
        root = tmp_path / name / "journal"
        shutil.copytree(small, root)
        got[name] = main(["new", *args, "--root", str(root)])
    capsys.readouterr()
    assert got == expected


# --- notebooks that are not quite notebooks: a failed day, never a crash of the build ---------

BROKEN_NOTEBOOKS = [
    ("source-ints", {"cells": [{"cell_type": "markdown", "source": [1, 2]}]}),
    ("source-none-line", {"cells": [{"cell_type": "markdown", "source": ["a", None]}]}),
    ("source-mapping", {"cells": [{"cell_type": "code", "source": {"a": 1}}]}),
    ("source-number", {"cells": [{"cell_type": "code", "source": 5}]}),
    ("deep-json", "[" * 100_000 + "]" * 100_000),
    ("cells-mapping", {"cells": {"0": {}}}),
    ("a-list", [1, 2]),
    ("not-json", "{\"cells\": ["),
]


@pytest.mark.parametrize("notebook", [c[1] for c in BROKEN_NOTEBOOKS],
                         ids=[c[0] for c in BROKEN_NOTEBOOKS])
def test_a_broken_notebook_is_one_line_and_renders_as_its_text(notebook):
    from torchleet_journal.model.notebook import cells_of
    from torchleet_journal.pages.render import notebook_view

    text = notebook if isinstance(notebook, str) else json.dumps(notebook)
    with pytest.raises(ValueError) as raised:
        cells_of(text)
    assert "\n" not in str(raised.value) and len(str(raised.value)) < 200
    assert notebook_view(text, None) == []  # the page shows the file's text instead


# --- committed results of the wrong shape: read_result says why, in one line -----------------

GOOD = {"day": 9, "status": "passed", "wall_time": 1.0}
RESULT_CASES = [
    ("list", [1, 2]), ("null", None), ("string", "passed"), ("number", 9),
    ("figures-5", dict(GOOD, figures=5)), ("figures-string", dict(GOOD, figures="a.png")),
    ("wall-time-text", dict(GOOD, wall_time="x")), ("wall-time-negative", dict(GOOD, wall_time=-1)),
    ("wall-time-nan", "NaN"), ("wall-time-inf", "Infinity"),
    ("day-other", dict(GOOD, day=8)), ("day-bool", dict(GOOD, day=True)),
    ("status-unknown", dict(GOOD, status="<b>ok</b>")),
    ("scalars-list", dict(GOOD, scalars=[1])),
    ("scalars-unequal", dict(GOOD, scalars={"t": {"steps": [0, 1], "values": [1.0]}})),
    ("scalars-text", dict(GOOD, scalars={"t": {"steps": ["a"], "values": ["b"]}})),
    ("charts-list", dict(GOOD, charts=["a.png"])),
    ("cells-text", dict(GOOD, cells="x")), ("cells-no-index", dict(GOOD, cells=[{"figures": []}])),
    ("name-dotdot", dict(GOOD, figures=["../../../etc/passwd"])),
    ("name-absolute", dict(GOOD, figures=["/etc/passwd"])),
    ("name-hidden", dict(GOOD, figures=[".env"])),
    ("name-not-text", dict(GOOD, figures=[{"a": 1}])),
    ("name-missing", dict(GOOD, figures=["nothere.png"])),
    ("log-dotdot", dict(GOOD, log="../x.log")),
    ("log-link", dict(GOOD, log="link.png")),
    ("figure-is-folder", dict(GOOD, figures=["folder.png"])),
    ("last-good-nested", dict(GOOD, last_good=dict(GOOD, last_good=GOOD))),
    ("last-good-bad", dict(GOOD, last_good=dict(GOOD, figures=["environ.png"]))),
    ("deps-absolute", dict(GOOD, deps={"/proc/kcore": "0" * 64})),
    ("deps-dotdot", dict(GOOD, deps={"solutions/../../secret": "0" * 64})),
    ("deps-parent", dict(GOOD, deps={"../secret": "0" * 64})),
    ("deps-not-text", dict(GOOD, deps={"solutions/x.py": 5})),
    ("deep-nesting", "[" * 100_000 + "]" * 100_000),
    ("not-json", "{"), ("not-utf8", b"\xff\xfe{}"),
]


@pytest.mark.parametrize("content", [c[1] for c in RESULT_CASES], ids=[c[0] for c in RESULT_CASES])
def test_an_untrusted_result_is_no_result_with_one_line(tmp_path, content):
    folder = results.day_dir(tmp_path, 9)
    folder.mkdir(parents=True)
    (folder / "folder.png").mkdir()
    os.symlink("/proc/self/environ", folder / "link.png")
    os.symlink("/proc/self/environ", folder / "environ.png")
    path = folder / "result.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str) and content in ("NaN", "Infinity"):
        path.write_text(json.dumps(GOOD).replace("1.0", content), encoding="utf-8")
    elif isinstance(content, str) and content.startswith(("[", "{")):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    stored, why = results.read_result(tmp_path, 9)
    assert stored is None
    assert why.startswith("results/day-09/result.json: ") and "\n" not in why and len(why) < 300


def test_a_good_result_is_read(tmp_path):
    folder = results.day_dir(tmp_path, 9)
    folder.mkdir(parents=True)
    (folder / "figure.png").write_bytes(b"png")
    (folder / "result.json").write_text(json.dumps(dict(GOOD, figures=["figure.png"])), "utf-8")
    stored, why = results.read_result(tmp_path, 9)
    assert why is None and stored.figures == ["figure.png"]


def test_the_corpus_covers_each_class():
    assert len(ENTRY_CASES) >= 40 and len(RESULT_CASES) >= 30 and len(NEW_CASES) >= 12
    assert len(texts(True)["gaps"]) + len(texts(True)["learnings"]) + len(TAGS[True]) >= 20
    assert not any(s in json.dumps(texts(False)) for s in BAD_SCHEMES)
