"""The journey pages: home page summary, TorchLeet, tags, gaps, sparklines and cached charts."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from journal import render, site
from journal.catalog import load_catalog
from journal.entries import load_entries
from journal.pipeline import Day
from journal.results import Result, day_dir, load_result
from tests.helpers import REPO, copy_site_config, entry_yaml, make_journal, toy_solution

TODAY = dt.date(2025, 2, 10)
LOSS = {"steps": [0, 1, 2], "values": [1.0, 0.5, 0.25]}


def days_of(root: Path) -> list[Day]:
    return [Day(e, load_result(root, e.day)) for e in load_entries(root, load_catalog())]


# --- the seed journal, rendered and built as the site ---------------------------------------


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> Path:
    """A copy of the repository's journal with its stored results, rendered and built."""
    root = tmp_path_factory.mktemp("seed") / "journal"
    for folder in ("entries", "solutions", "results", "site_templates"):
        shutil.copytree(REPO / folder, root / folder)
    copy_site_config(root)
    site.write_docs(root, render.render_docs(root, days_of(root), load_catalog(), TODAY))
    site.build_site(root)  # mkdocs build --strict
    return root


def test_home_page_sums_up_the_seed_journey(seed):
    index = (seed / "docs/index.md").read_text()
    assert "**8 days** logged" in index
    assert "**8 of 90** problems solved" in index
    assert "7 of 7 basic ·" in index and "1 of 28 medium ·" in index
    assert "current streak **1 day**" in index and "longest streak **5 days**" in index
    assert "last entry 2025-02-03 (7 days ago)." in index
    assert "lists the 82 still open" in index


def test_home_page_shows_each_days_sparkline_and_charts(seed):
    html = (seed / "site/index.html").read_text()
    sparklines = [part.split('"')[0] for part in html.split('alt="sparkline of ')[1:]]
    assert len(sparklines) == 8
    for day in range(1, 9):
        name = load_result(seed, day).sparkline
        assert f'src="days/day-{day:02d}/{name}"' in html
        assert (seed / f"site/days/day-{day:02d}/{name}").is_file()
    for alt in ("Problems solved per tier", "Entries per day, as a calendar of weeks"):
        src = html.split(f'alt="{alt}" src="')[1].split('"')[0]
        assert src.startswith("charts/") and (seed / "site" / src).stat().st_size > 1000


def test_torchleet_page_lists_the_open_problems_with_their_notebooks(seed):
    page = (seed / "docs/torchleet.md").read_text()
    open_part = page[page.index("## Open"):]
    items = [line for line in open_part.splitlines() if line.startswith("- ")]
    assert len(items) == 82
    assert ('- <a href="https://github.com/Exorust/TorchLeet/blob/main/torch/easy/cnn/CNN.ipynb">'
            "v1-8: Implement a CNN on CIFAR-10</a>") in items
    assert "- v1-18: Implement AlexNet from Scratch" in items, "no notebook, so no link"
    assert "v1-1:" not in open_part
    solved = page[page.index("## Solved"):page.index("## Open")]
    assert "| Medium | [Day 8](days/day-08.md) (2025-02-03) |" in solved
    assert (seed / "site/torchleet/index.html").read_text().count("<li>") >= 82


def test_tags_and_gaps_pages_link_their_days(seed):
    tags = (seed / "docs/tags.md").read_text()
    rnn = tags[tags.index("## rnn"):].split("##")[1]
    assert "[Day 8: Implement a LSTM Model](days/day-08.md) · 2025-02-03" in rnn
    gaps = (seed / "docs/gaps.md").read_text()
    loss = gaps[gaps.index("## loss-functions"):].split("\n## ")[0]
    assert "- threshold for Huber loss · [Day 4](days/day-04.md)" in loss
    assert (seed / "site/gaps/index.html").is_file() and (seed / "site/tags/index.html").is_file()


def test_a_second_render_with_charts_cached_imports_no_plotting_and_writes_nothing(seed):
    script = f"""
import datetime, json, sys
from pathlib import Path
from journal import render, site
from journal.catalog import load_catalog
from journal.entries import load_entries
from journal.pipeline import Day
from journal.results import load_result
root, catalog = Path({str(seed)!r}), load_catalog()
days = [Day(e, load_result(root, e.day)) for e in load_entries(root, catalog)]
today = datetime.date.fromisoformat("{TODAY.isoformat()}")
docs = render.render_docs(root, days, catalog, today)
written = site.write_docs(root, docs)
heavy = [m for m in ("matplotlib", "torch", "tensorboard") if m in sys.modules]
print(json.dumps([written, heavy, sorted(k for k in docs if k.startswith("charts/"))]))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                          text=True, check=True)
    written, heavy, charts = json.loads(done.stdout)
    assert (written, heavy) == ([], [])
    assert charts == sorted(p.relative_to(seed / "docs").as_posix()
                            for p in (seed / "docs/charts").iterdir())


# --- a hand-made journal: reviews, untagged days, raw HTML, a day with no result ------------


@pytest.fixture
def handmade(tmp_path) -> Path:
    days = {1: toy_solution(), 2: toy_solution(), 3: toy_solution()}
    return make_journal(tmp_path, days, extra_files={
        "entries/day-01.yaml": entry_yaml(
            1, "solutions/day01.py", date="2025-01-01", problem="v1-1", tags="[rnn, data]",
            review="2025-01-05", gaps="\n  - 'Gap <script>alert(1)</script> in `a<b`'"),
        "entries/day-02.yaml": entry_yaml(2, "solutions/day02.py", date="2025-01-01",
                                          problem="v1-18", tags=None, review="2025-03-01"),
        "entries/day-03.yaml": entry_yaml(3, "solutions/day03.py", date="2025-01-03"),
    })


def render_handmade(root: Path, days: list[Day] | None = None) -> dict:
    results = {1: Result(1, "passed", scalars={"Loss/train": LOSS}, sparkline="sparkline-ab.png"),
               3: Result(3, "failed", scalars={"Loss/train": LOSS})}  # no sparkline drawn
    days = days if days is not None else days_of(root)
    for day in days:
        day.result = results.get(day.entry.day)
    return render.render_docs(root, days, load_catalog(), today=dt.date(2025, 1, 10))


def test_home_page_of_a_handmade_journal(handmade):
    index = render_handmade(handmade)["index.md"]
    # Day 2 (v1-18) has no run yet: its problem is attempted, not solved.
    assert "**1 of 90** problems solved" in index and "1 of 7 basic ·" in index
    assert "**1** more attempted, with no passing run yet" in index and "0 of 28 medium ·" in index
    assert "**2 calendar days** with an entry" in index  # days 1 and 2 share a date
    assert "current streak **1 day**" in index and "longest streak **1 day**" in index
    assert "last entry 2025-01-03 (7 days ago)." in index
    due = index[index.index("## Due for review"):index.index("## Days")]
    assert "- [Day 1: Toy task 1](days/day-01.md) · review set for 2025-01-05 (5 days ago)" in due
    assert "Day 2" not in due, "its review date has not come"
    assert "![sparkline of Loss/train](days/day-01/sparkline-ab.png)" in index
    assert index.count("![sparkline") == 1, "no sparkline where none was drawn"


def test_readme_table_finds_sparklines_in_the_committed_results(handmade):
    days = days_of(handmade)
    days[0].result = Result(1, "passed", scalars={"Loss/train": LOSS}, sparkline="sparkline-ab.png")
    table = render.readme_table(handmade, days)
    assert "![sparkline of Loss/train](results/day-01/sparkline-ab.png)" in table
    assert day_dir(handmade, 1) == handmade / "results/day-01"


def test_torchleet_tags_and_gaps_of_a_handmade_journal(handmade):
    docs = render_handmade(handmade)
    attempted = docs["torchleet.md"].split("## Attempted")[1].split("## Open")[0]
    assert ("| v1-18: Implement AlexNet from Scratch | Medium | [Day 2](days/day-02.md) "
            "(2025-01-01) |") in attempted, "no notebook, so no link; not run, so not solved"
    open_items = docs["torchleet.md"].split("## Open")[1].splitlines()
    assert len([line for line in open_items if line.startswith("- ")]) == 89
    tags = docs["tags.md"]
    headings = [line for line in tags.splitlines() if line.startswith("## ")]
    assert headings == ["## data", "## rnn", "## toy", "## untagged"]
    assert "- [Day 2: Toy task 2](days/day-02.md) · 2025-01-01" in tags.split("## untagged")[1]
    gaps = docs["gaps.md"]
    assert "<script>" not in gaps
    assert ("- Gap &lt;script&gt;alert(1)&lt;/script&gt; in <code>a&lt;b</code> · [Day 1](days/day-01.md)"
            in gaps)


def test_journey_charts_are_reused_until_what_they_draw_changes(handmade):
    first = render_handmade(handmade)
    charts = {k.split("-")[0]: v for k, v in first.items() if k.startswith("charts/")}
    assert set(charts) == {"charts/tiers", "charts/activity"}
    assert all(path.is_file() and path.parent == handmade / ".journal/charts"
               for path in charts.values())
    again = render_handmade(handmade, days_of(handmade)[:2])  # day 3's date is gone
    redrawn = {k.split("-")[0]: v for k, v in again.items() if k.startswith("charts/")}
    assert redrawn["charts/tiers"] == charts["charts/tiers"], "day 3 solved nothing: same chart"
    assert redrawn["charts/activity"] != charts["charts/activity"]
    assert sorted(p.name for p in (handmade / ".journal/charts").iterdir()) == sorted(
        p.name for p in redrawn.values()), "the outdated calendar is removed from the cache"


def test_an_empty_journal_renders_without_a_calendar(tmp_path):
    root = make_journal(tmp_path, days={})
    docs = render.render_docs(root, [], load_catalog(), today=TODAY)
    assert "_No entries yet._" in docs["index.md"]
    assert "**0 of 90** problems solved" in docs["index.md"]
    assert [k for k in docs if k.startswith("charts/")] == [
        k for k in docs if k.startswith("charts/tiers-")]
