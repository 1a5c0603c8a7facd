"""The journey pages: home page summary and cards, TorchLeet, tags, gaps, day pages and
cached charts."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest

from tests.helpers import REPO, copy_journal, entry_yaml, make_journal, override, toy_solution
from torchleet_journal.build.pipeline import Day
from torchleet_journal.model.catalog import load_catalog
from torchleet_journal.model.entries import load_entries
from torchleet_journal.model.results import Result, day_dir, load_result
from torchleet_journal.pages import render
from torchleet_journal.website import site

TODAY = dt.date(2025, 2, 10)
LOSS = {"steps": [0, 1, 2], "values": [1.0, 0.5, 0.25]}


def days_of(root: Path) -> list[Day]:
    return [Day(e, load_result(root, e.day)) for e in load_entries(root, load_catalog())]


# --- the built seed journal's pages; its home page as of TODAY ------------------------------


def stat(index: str, label: str) -> str:
    """The text of the home page's summary tile whose label is `label`."""
    return index.split(f'<span class="jl-stat-label">{label}</span>')[1].split("</div>")[0]


def test_home_page_sums_up_the_seed_journey(seed, tmp_path):
    root = copy_journal(seed.root, tmp_path, site=False)  # its charts are cached: none is drawn
    index = render.render_docs(root, days_of(root), load_catalog(), TODAY)["index.md"]
    assert '<span class="jl-stat-value">8</span>' in stat(index, "Days logged")
    assert "8<small> of 8</small>" in stat(index, "Passing")
    solved = index.split("TorchLeet problems</a> solved</span>")[1].split("</div>")[0]
    assert "8<small> of 90</small>" in solved and "Basic 7/7" in solved
    assert "Medium 1/28" in solved
    current = stat(index, "Current streak")
    assert ">0 days<" in current, "the last entry is a week old: no streak is running"
    assert "last entry 2025-02-03, 7 days ago" in current
    longest = stat(index, "Longest streak")
    assert ">5 days<" in longest and "27 Jan – 31 Jan 2025" in longest


def test_home_page_has_a_card_per_day_newest_first_with_its_thumbnail(seed):
    html = (seed.root / "site/index.html").read_text()
    cards = html.split('<article class="jl-card">')[1:]
    assert len(cards) == 8
    assert [c.split('href="days/')[1].split('"')[0] for c in cards] == [
        f"day-{n:02d}.html" for n in range(8, 0, -1)]
    for card in cards:
        thumb = card.split('src="')[1].split('"')[0]
        assert thumb.startswith("thumbnails/") and (seed.root / "site" / thumb).stat().st_size > 1000
    assert "Loss/train 193.2 → 0.6634" in cards[-1], "day 1's loss, where it began and ended"
    assert '<a class="jl-chip" href="tags.html#tag-rnn">rnn <span class="jl-chip-count">1' \
        in cards[0]
    calendar = html.split('alt="Entries per day, as a calendar')[0].rsplit("<img", 1)[1]
    src = calendar.split('src="')[1].split('"')[0]
    assert src.startswith("charts/") and (seed.root / "site" / src).stat().st_size > 1000


def test_torchleet_page_lists_the_open_problems_with_their_notebooks(seed):
    page = (seed.root / "docs/torchleet.md").read_text()
    open_part = page[page.index("## Open"):]
    items = [line.strip() for line in open_part.splitlines() if line.strip().startswith("- ")]
    assert len(items) == 82
    assert ('- <a href="https://github.com/Exorust/TorchLeet/blob/f7765fa/torch/easy/cnn/CNN.ipynb">'
            "v1-8: Implement a CNN on CIFAR-10</a>") in items
    assert "- v1-18: Implement AlexNet from Scratch" in items, "no notebook, so no link"
    assert "v1-1:" not in open_part
    solved = page[page.index("## Solved"):page.index("## Open")]
    assert "| Medium | [Day 8](days/day-08.md) (2025-02-03) |" in solved
    assert (seed.root / "site/torchleet.html").read_text().count("<li>") >= 82
    assert 'alt="Problems solved per tier: basic 7 of 7, easy 0 of 16' in page
    assert ('**Next:** <a href="https://github.com/Exorust/TorchLeet/blob/f7765fa/torch/easy/cnn/'
            'CNN.ipynb">v1-8: Implement a CNN on CIFAR-10</a> (easy)') in page
    assert "| basics | 8 of 21 |" in page, "v1-1..7 and v1-17 are on TorchLeet's basics track"


def test_every_seed_day_page_links_its_question_and_the_reference(seed):
    for day in range(1, 9):
        page = (seed.root / f"docs/days/day-{day:02d}.md").read_text()
        header = next(line for line in page.splitlines() if "TorchLeet <a href=" in line)
        question, reference = (href.split('"')[0] for href in header.split('href="')[1:3])
        assert question.startswith("https://github.com/Exorust/TorchLeet/blob/f7765fa/torch/")
        assert reference == question.replace(".ipynb", "_SOLN.ipynb"), header
        assert ">compare with the reference</a>" in header

def test_tags_and_gaps_pages_link_their_days(seed):
    tags = (seed.root / "docs/tags.md").read_text()
    rnn = tags[tags.index('<dt id="tag-rnn">'):].split("</dd>")[0]
    assert '<a href="days/day-08.html">Day 8: Implement a LSTM Model</a>' in rnn
    gaps = (seed.root / "docs/gaps.md").read_text()
    day4 = gaps[gaps.index("## [Day 4:"):].split("\n## ")[0]
    assert '<a class="jl-chip" href="tags.html#tag-loss-functions">' in day4
    assert "- threshold for Huber loss" in day4
    assert gaps.count("- threshold for Huber loss") == 1, "each gap once, whatever its tags"
    assert "<li>threshold for Huber loss</li>" in (seed.root / "site/gaps.html").read_text()
    assert (seed.root / "site/tags.html").is_file()


def test_day_pages_lead_with_the_docstring_and_link_their_neighbours(seed):
    day8 = (seed.root / "docs/days/day-08.md").read_text()
    lead = day8.split('<div class="jl-lead">')[1].split("</div>")[0]
    assert "<p>Next-step prediction on a sine wave, with an LSTM from scratch and with nn.LSTM.</p>" \
        in lead, "the module docstring, its 'Day 8:' dropped"
    assert day8.index("jl-lead") < day8.index("## Gaps") < day8.index("## Figures")
    assert '??? success "Passed in' in day8, "the build details are collapsed"
    assert '<a class="jl-chip" href="../tags.html#tag-lstm">lstm</a>' in day8
    assert 'rel="prev" href="../days/day-07.html"' in day8 and 'rel="next"' not in day8
    day1 = (seed.root / "docs/days/day-01.md").read_text()
    assert 'rel="next" href="../days/day-02.html"' in day1 and 'rel="prev"' not in day1


def test_a_figure_is_described_by_the_titles_its_solution_gives_it(seed):
    day7 = (seed.root / "docs/days/day-07.md").read_text()
    figure = day7.split('<figure class="jl-figure">')[1].split("</figure>")[0]
    assert ('alt="Plot: Day 7: save and load a model; Training loss; Predictions before and '
            'after the round trip"') in figure, "the suptitle first, then each axes' title"
    assert "<figcaption>Day 7: save and load a model</figcaption>" in figure


def test_plot_titles_are_read_without_running_and_only_from_constants():
    source = ('fig.suptitle("Whole")\nax.set_title("Left")\nplt.title(f"{x}")\n'
              'ax.set_title(name)\nplt.title("  ")\n')
    assert render.plot_titles(source) == {"caption": "Whole", "alt": "Plot: Whole; Left"}
    assert render.plot_titles("plt.plot([1, 2])") is None
    assert render.plot_titles("def broken(:") is None


def test_a_second_render_with_charts_cached_imports_no_plotting_and_writes_nothing(seed, tmp_path):
    root = copy_journal(seed.root, tmp_path, site=False)
    site.write_docs(root, render.render_docs(root, days_of(root), load_catalog(), TODAY))
    script = f"""
import datetime, json, sys
from pathlib import Path
from torchleet_journal.pages import render
from torchleet_journal.website import site
from torchleet_journal.model.catalog import load_catalog
from torchleet_journal.model.entries import load_entries
from torchleet_journal.build.pipeline import Day
from torchleet_journal.model.results import load_result
root, catalog = Path({str(root)!r}), load_catalog()
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
    assert charts == sorted(p.relative_to(root / "docs").as_posix()
                            for p in (root / "docs/charts").iterdir())


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
    results = {1: Result(1, "passed", scalars={"Loss/train": LOSS}),
               3: Result(3, "failed", scalars={"Loss/train": LOSS})}
    days = days if days is not None else days_of(root)
    for day in days:
        day.result = results.get(day.entry.day)
    return render.render_docs(root, days, load_catalog(), today=dt.date(2025, 1, 10))


def test_home_page_of_a_handmade_journal(handmade):
    index = render_handmade(handmade)["index.md"]
    solved = index.split("TorchLeet problems</a> solved</span>")[1].split("</div>")[0]
    # Day 2 (v1-18) has no run yet: its problem is attempted, not solved.
    assert "1<small> of 90</small>" in solved and "Basic 1/7" in solved
    assert "Medium 0/28" in solved and "1 more attempted, with no passing run yet" in solved
    assert ">0 days<" in stat(index, "Current streak")
    assert "last entry 2025-01-03, 7 days ago" in stat(index, "Current streak")
    assert ">1 day<" in stat(index, "Longest streak")
    due = index[index.index("## Due for review"):index.index("## Days")]
    assert "- [Day 1: Toy task 1](days/day-01.md) · review set for 2025-01-05 (5 days ago)" in due
    assert "Day 2" not in due, "its review date has not come"
    assert "Loss/train 1 → 0.25" in index, "day 1's headline metric, start → end"
    assert 'jl-card-empty">no figure' in index, "a day with no stored figure still has a card"


def test_readme_table_shows_the_headline_metric_start_to_end(handmade):
    days = days_of(handmade)
    days[0].result = Result(1, "passed", scalars={"Loss/train": LOSS})
    table = render.readme_table(handmade, days)
    assert "`Loss/train` 1 → 0.25" in table
    assert day_dir(handmade, 1) == handmade / "results/day-01"


def test_torchleet_tags_and_gaps_of_a_handmade_journal(handmade):
    docs = render_handmade(handmade)
    attempted = docs["torchleet.md"].split("## Attempted")[1].split("## Open")[0]
    assert ("| v1-18: Implement AlexNet from Scratch | Medium | [Day 2](days/day-02.md) "
            "(2025-01-01) |") in attempted, "no notebook, so no link; not run, so not solved"
    open_items = docs["torchleet.md"].split("## Open")[1].splitlines()
    assert len([line for line in open_items if line.strip().startswith("- ")]) == 89
    tags = docs["tags.md"]
    anchors = [line.split('"')[1] for line in tags.splitlines() if line.startswith("<dt id=")]
    assert anchors == ["tag-data", "tag-rnn", "tag-toy", "tag-untagged"]
    untagged = tags.split('<dt id="tag-untagged">')[1]
    assert '<a href="days/day-02.html">Day 2: Toy task 2</a>' in untagged
    gaps = docs["gaps.md"]
    assert "<script>" not in gaps
    assert "- Gap &lt;script&gt;alert(1)&lt;/script&gt; in <code>a&lt;b</code>" in gaps
    assert "## [Day 1: Toy task 1](days/day-01.md)" in gaps


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
    assert "0<small> of 90</small>" in docs["index.md"]
    assert "Current streak" not in docs["index.md"]
    assert [k for k in docs if k.startswith("charts/")] == [
        k for k in docs if k.startswith("charts/tiers-")]


def test_a_status_from_a_foreign_result_file_is_shown_as_text(handmade):
    days = days_of(handmade)
    days[0].result = Result(1, "<img src=x onerror=alert(1)>")
    docs = render.render_docs(handmade, days, load_catalog(), today=TODAY)
    for page in ("index.md", "days/index.md", "days/day-01.md"):
        assert "<img src=x" not in docs[page], page
    assert "&lt;img src=x onerror=alert(1)&gt;" in docs["index.md"]


def test_a_temp_folder_that_cannot_be_used_costs_only_the_compile(tmp_path, monkeypatch):
    """Compiled templates are cached in the user's temp folder; one that cannot hold a folder
    (here it is a file) must not fail the build."""
    not_a_folder = tmp_path / "tmp"
    not_a_folder.write_text("a file where the temp folder should be")
    monkeypatch.setattr("tempfile.tempdir", str(not_a_folder))
    render._environment.cache_clear()
    try:
        page = render.render(REPO, "gaps.md.j2", days=[])
    finally:
        render._environment.cache_clear()
    assert page == render.render(REPO, "gaps.md.j2", days=[])


def test_a_journal_copied_elsewhere_compiles_no_template_again(tmp_path, monkeypatch):
    """The compiled-template cache is keyed by a template's source, not its path; an edited
    template is compiled anew."""
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))  # a cache of its own
    render._environment.cache_clear()
    first, second = tmp_path / "first", tmp_path / "second"
    shutil.copytree(REPO / render.TEMPLATES, first / render.TEMPLATES)
    render.check_templates(first)
    compiled = []
    real = jinja2.Environment.compile
    monkeypatch.setattr(jinja2.Environment, "compile",
                        lambda env, source, name=None, *a, **k: compiled.append(name)
                        or real(env, source, name, *a, **k))
    shutil.copytree(REPO / render.TEMPLATES, second / render.TEMPLATES)
    render.check_templates(second)
    assert compiled == []
    gaps = override(second, "gaps.md.j2")  # the journal's own copy, edited
    gaps.write_text(gaps.read_text() + "{# edited #}\n")
    render._environment.cache_clear()
    render.check_templates(second)
    assert compiled == ["gaps.md.j2"]
    render._environment.cache_clear()
