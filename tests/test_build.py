"""The whole build on a two-day toy journal: the Markdown, the HTML and the stored results."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from tests.helpers import copy_journal, entry_yaml, make_journal, override, toy_solution
from torchleet_journal.build.pipeline import Options, build
from torchleet_journal.run import runner


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, object]:
    root = make_journal(tmp_path_factory.mktemp("built"))
    report = build(root, Options())
    return root, report


def test_both_days_ran_and_passed(built):
    root, report = built
    assert [(d.entry.day, d.result.status, d.ran) for d in report.days] == [
        (1, "passed", True), (2, "passed", True)]


def test_days_page_has_the_progress_table_linking_each_day(built):
    root, _ = built
    table = (root / "docs/days/index.md").read_text()
    assert "| **Day** | **Task** | **Gaps** | **Key Learnings** | **Resource Suggestions** |" in table
    assert "[**1**](day-01.md)" in table and "[**2**](day-02.md)" in table
    assert ("Learning of day 2 with <code>code</code> and "
            '<span class="arithmatex">&#92;(x^2&#92;)</span>') in table


def test_day_page_shows_figure_metrics_output_and_source(built):
    root, _ = built
    page = (root / "docs/days/day-02.md").read_text()
    result = json.loads((root / "results/day-02/result.json").read_text())
    assert f'<img src="day-02/{result["figures"][0]}" alt="Plot: toy fit">' in page
    assert (root / "docs/days/day-02" / result["figures"][0]).stat().st_size > 1000
    final = result["scalars"]["Loss/train"]["values"][-1]
    assert len(result["scalars"]["Loss/train"]["values"]) == 50
    assert f"| <code>Loss/train</code> | {final:.4g} |" in page
    assert "final loss" in page  # the captured output
    assert "[Download <code>day02.py</code>](day-02/day02.py)" in page
    assert "writer.add_scalar" in page


def test_html_site_has_table_pages_images_and_math(built):
    root, _ = built
    index = (root / "site/index.html").read_text()
    assert index.count('class="jl-status jl-passed"') == 2
    day = (root / "site/days/day-01.html").read_text()
    assert '<span class="arithmatex">&#92;(x^2&#92;)</span>' in day
    assert '<figure class="jl-figure">\n<img src="day-01/figure-' in day, "no figure shown"
    for src in [i.split('src="')[1] for i in day.split("<img ")[1:] if 'src="' in i]:
        assert (root / "site/days" / src.split('"')[0]).is_file()


def test_readme_table_links_entries_for_github(built):
    root, _ = built
    readme = (root / "README.md").read_text()
    start, end = readme.index("<!-- progress:start -->"), readme.index("<!-- progress:end -->")
    table = readme[start:end]
    assert "[**1**](entries/day-01.yaml)" in table
    assert "✅ passed" in table


def test_solution_files_land_in_scratch_not_in_the_journal(built):
    root, _ = built
    assert not (root / "runs").exists()
    assert not list((root / "solutions").glob("**/runs"))
    assert not (root / "solutions/__pycache__").exists()
    assert not (root / ".journal/runs").exists(), "scratch folders are removed after the build"


def test_rebuild_runs_nothing_and_writes_nothing(built, tmp_path):
    root = copy_journal(built[0], tmp_path)
    first = build(root, Options(site=False))
    # The times page says which days the last build ran; only that changes, once.
    assert first.written == ["docs/times.md"]
    before = {p: p.stat().st_mtime_ns for p in (root / "docs").rglob("*") if p.is_file()}
    report = build(root, Options(site=False))
    assert [d.ran for d in report.days] == [False, False]
    assert report.written == []
    after = {p: p.stat().st_mtime_ns for p in (root / "docs").rglob("*") if p.is_file()}
    assert after == before


def test_headline_metric_is_the_first_logged_after_a_reload_from_disk(tmp_path):
    source = ("from torch.utils.tensorboard import SummaryWriter\n"
              "writer = SummaryWriter()\n"
              "for step in range(3):\n"
              "    writer.add_scalar('zeta', 1.0 + step, step)\n"
              "    writer.add_scalar('alpha', 2.0 + step, step)\n"
              "writer.close()\n")
    root = make_journal(tmp_path, days={1: source})
    build(root, Options(site=False))
    readme = (root / "README.md").read_text()
    assert "`zeta` 1 → 3" in readme, "the first logged scalar, where it began and ended"
    again = build(root, Options(site=False))  # results now come from result.json
    assert "README.md" not in again.written
    assert list(again.days[0].result.scalars) == ["zeta", "alpha"]


def test_raw_html_in_entry_text_shows_as_text_but_br_breaks_a_line(tmp_path):
    root = make_journal(tmp_path, days={}, extra_files={
        "solutions/day01.py": toy_solution(5),
        "entries/day-01.yaml": entry_yaml(
            1, "solutions/day01.py",
            learnings="\n  - 'First<br />second <img src=x onerror=alert(1)> and `a<b`'")})
    build(root, Options())
    for page in ("site/days/index.html", "site/days/day-01.html"):
        html = (root / page).read_text()
        assert "<img src=x" not in html and '<img src="x"' not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "First<br>second" in html or "First<br />second" in html
        assert "<code>a&lt;b</code>" in html


def test_without_fork_the_runner_falls_back_to_fresh_interpreters(tmp_path, monkeypatch):
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert runner._context().get_start_method() == "spawn"
    root = make_journal(tmp_path, days={1: toy_solution(5)})
    report = build(root, Options(site=False))
    assert report.days[0].result.status == "passed"
    assert report.days[0].result.scalars["Loss/train"]["steps"] == [0, 1, 2, 3, 4]


def test_only_naming_a_day_without_an_entry_is_refused(journal, capsys):
    from torchleet_journal.cli import main

    assert main(["--root", str(journal), "--only", "2,7", "--no-site"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == ("entries/day-07.yaml:1: --only names day 7, which has no entry file; "
                      "this journal has days 1-2")
    assert not (journal / "docs").exists() and not (journal / "results").exists()


def test_temporaries_left_by_a_killed_write_are_cleared_by_the_next_build(journal):
    build(journal, Options(site=False))
    leftovers = [journal / ".README.md.k1ll3d.tmp", journal / "results/day-01/.result.json.x.tmp"]
    for path in leftovers:
        path.write_text("half-written")
    build(journal, Options(site=False))
    assert [p for p in leftovers if p.exists()] == []
    assert (journal / "results/day-01/result.json").is_file()


@pytest.mark.parametrize("argv, line", [
    (["biuld"], "build.py: unknown command 'biuld'; did you mean 'build'? the commands are "
                "build, status, new, serve, init, import, review, anki, ingest, remote (see "
                "build.py --help)"),
    (["--timeout", "-3"], "build.py build: error: argument --timeout: must be a number of "
                          "seconds above 0, got '-3'"),
    (["--only", "3,x"], "build.py build: error: argument --only: must be day numbers separated "
                        "by commas, e.g. 3,5; got '3,x'"),
])
def test_command_line_mistakes_exit_2_with_one_clear_line(journal, capsys, argv, line):
    from torchleet_journal.cli import main

    try:
        code = main([*argv, "--root", str(journal)])
    except SystemExit as stop:  # argparse's way out, as under build.py
        code = stop.code
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().splitlines()[-1] == line
    assert "Traceback" not in err
    assert not (journal / "docs").exists()


def test_a_metric_the_run_never_logged_is_pointed_out_on_the_page(tmp_path):
    root = make_journal(tmp_path, days={}, extra_files={
        "solutions/day01.py": toy_solution(5),
        "entries/day-01.yaml": entry_yaml(1, "solutions/day01.py", metric="Loss/tran")})
    build(root, Options())
    page = (root / "docs/days/day-01.md").read_text()
    assert '!!! warning "metric: Loss/tran was not logged"' in page
    assert ("but the run logged <code>Loss/train</code>; <code>Loss/train</code> stands in. Fix the "
            "name in <code>entries/day-01.yaml</code>.") in page
    html = (root / "site/days/day-01.html").read_text()
    assert 'class="admonition warning"' in html and "Fix the name in" in html


def test_a_readme_without_the_table_markers_is_refused_before_anything_runs(journal, capsys):
    from torchleet_journal.cli import main

    (journal / "README.md").write_text("# My journal\n\nNo table here.\n")
    assert main(["--root", str(journal)]) == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        "README.md:1: the progress table goes between <!-- progress:start --> and "
        "<!-- progress:end -->, got a README without them; add both, each on a line of its own")
    assert not (journal / "results").exists() and not (journal / "docs").exists()
    assert (journal / "README.md").read_text() == "# My journal\n\nNo table here.\n"


def test_a_broken_template_or_missing_config_is_refused_before_anything_runs(journal, capsys):
    from torchleet_journal.cli import main

    day = override(journal, "day.md.j2")  # the journal's own copy, which it breaks
    day.write_text(day.read_text() + "\n{% if result %}\nunclosed\n")
    (journal / "mkdocs.yml").unlink()
    assert main(["--root", str(journal)]) == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        "mkdocs.yml:1: the site's configuration is missing, got no such file; restore it from "
        "the project, or pass --no-site to stop at docs/")
    assert main(["--root", str(journal), "--no-site"]) == 2
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith("site_templates/day.md.j2:")
    assert "template error, got Unexpected end of template" in first
    assert not (journal / "results").exists() and not (journal / "docs").exists()
