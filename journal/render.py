"""Rendering: entries and results in, Markdown out, through the Jinja templates in site_templates/.

Everything here is pure: functions take data and return strings (or the files a page needs, by
path). Writing them happens once, in `site`. The exceptions are two caches in .journal/: a
chart of the whole journal is drawn the first time its data is seen (see `charts.cached`), and
a solution's PyTorch APIs are read the first time its source is seen (see `apis.day_apis`).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

import jinja2

from . import apis, charts, export, feed, markup, progress
from .catalog import Catalog
from .entries import Entry
from .errors import InputError
from .metrics import summary
from .notebook import cells_of, without_outputs
from .results import NOT_RUN, RESULTS_DIR, TIMED_OUT, Result, day_dir
from .siteconfig import read_config

TEMPLATES = "site_templates"
# The templates the build renders pages from (they include the others).
PAGE_TEMPLATES = ("index.md.j2", "day.md.j2", "times.md.j2", "torchleet.md.j2", "tags.md.j2",
                  "gaps.md.j2", "progress_table.md.j2", "notebook_cells.md.j2", "apis.md.j2")
ASSETS = "assets"
CHARTS = "charts"  # docs/ folder of the charts drawn from the whole journal


# --- text in tables ------------------------------------------------------------------------


def cell_list(items, github: bool = False) -> str:
    """Several notes in one table cell, one per line, as the hand-written journal had them."""
    items = [markup.inline(i, github) for i in items]
    return items[0] if len(items) == 1 else "<br>".join(f"• {i}" for i in items)


def fence(text: str, language: str = "") -> str:
    """A fenced code block that no backtick run inside `text` can close early."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{language}\n{text.rstrip()}\n{ticks}"


def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.4g}"


def count(n: int, noun: str) -> str:
    """`1 day`, `5 days`."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def days_ago(n: int) -> str:
    if n == 0:
        return "today"
    if n == 1:
        return "yesterday"
    return f"{n} days ago" if n > 0 else f"in {count(-n, 'day')}"


# --- what the pages say about a run --------------------------------------------------------


def status_of(entry: Entry, result: Result | None) -> tuple[str, str]:
    """The run's status as (kind, words), read with what the entry expects.

    `kind` is one of passed, failed, waiting: what a badge's colour shows.
    """
    if result is None:
        return "waiting", "not run"
    if result.status == NOT_RUN:
        return "waiting", NOT_RUN
    if entry.expect == "fail":
        return ("passed", "failed, as expected") if not result.ok else (
            "failed", "passed, but expect: fail")
    return ("passed" if result.ok else "failed"), result.status


def status_label(entry: Entry, result: Result | None) -> str:
    """Status with an emoji, for the terminal and README.md (GitHub has the emoji font)."""
    kind, words = status_of(entry, result)
    icon = {"passed": "✅", "waiting": "⏸️"}.get(kind, "❌")
    if kind == "failed" and result.status == TIMED_OUT:
        icon = "⏱️"
    return f"{icon} {words}"


def status_badge(entry: Entry, result: Result | None) -> str:
    """Status as a coloured badge for the site, which must not depend on an emoji font."""
    kind, words = status_of(entry, result)
    return f'<span class="jl-status jl-{kind}">{words}</span>'


def main_metric(entry: Entry, result: Result | None) -> tuple[str, dict] | None:
    """The day's headline scalar: the one the entry names, else the first logged."""
    if result is None or not result.scalars:
        return None
    tag = entry.metric if entry.metric in result.scalars else next(iter(result.scalars))
    return tag, summary(result.scalars[tag])


def notebook_view(source: str, result: Result | None) -> list[dict]:
    """A notebook's cells for its page: its source as it is, with the figures each cell made.

    `stopped` marks the cell a failed run ended in, when cells after it did not run.
    """
    try:
        cells = cells_of(source)
    except ValueError:
        return []
    run = {cell["index"]: cell for cell in result.cells} if result else {}
    stopped = max(run) if run and not result.ok else None
    return [dict(cell, figures=run.get(cell["index"], {}).get("figures", []),
                 stopped=cell["index"] == stopped and cell is not cells[-1]) for cell in cells]


# --- pages ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def environment(templates: Path) -> jinja2.Environment:
    """The one Jinja environment, made once per templates folder."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates), autoescape=False,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True)
    # Text from outside the build reaches a page only through markup's filters: plain, inline,
    # block, code, link, attribute, file_url, yaml_string (see journal/markup.py).
    env.filters.update(plain=markup.plain, inline=markup.inline, block=markup.block,
                       code=markup.code, link=markup.link, attribute=markup.attribute,
                       file_url=markup.file_url,
                       yaml_string=markup.yaml_string, cell_list=cell_list, fence=fence,
                       indent_md=indent, number=number, days_ago=days_ago)
    env.globals.update(status_label=status_label, status_badge=status_badge, status_of=status_of,
                       main_metric=main_metric, summary=summary, count=count,
                       notebook_view=notebook_view, api_url=apis.docs_url)
    return env


def render(root: Path, template: str, **context) -> str:
    try:
        return environment(root / TEMPLATES).get_template(template).render(**context)
    except jinja2.TemplateSyntaxError as error:
        raise _template_problem(error, error.name or template, error.lineno) from None
    except jinja2.TemplateError as error:  # e.g. a name the template uses that is not given
        raise _template_problem(error, template, 1) from None


def check_templates(root: Path) -> None:
    """Before anything runs: every page's template is there and parses."""
    folder = root / TEMPLATES
    for name in PAGE_TEMPLATES:
        if not (folder / name).is_file():
            raise InputError.one(f"{TEMPLATES}/{name}", 1, "template missing, got no such file; "
                                 "restore it from the project (git checkout -- site_templates)")
        try:
            environment(folder).get_template(name)
        except jinja2.TemplateSyntaxError as error:
            raise _template_problem(error, error.name or name, error.lineno) from None


def _template_problem(error: jinja2.TemplateError, name: str, line: int) -> InputError:
    return InputError.one(f"{TEMPLATES}/{name}", line, f"template error, got "
                          f"{error.message or type(error).__name__}; fix the template or restore "
                          "it from the project")


def day_files(root: Path, day) -> dict[str, str | Path]:
    """Files a day page shows (figures, charts, log, solution), by their path under docs/."""
    entry, result = day.entry, day.result
    solution: str | Path = root / entry.solution
    if entry.is_notebook:  # published without the outputs of the learner's own runs
        solution = without_outputs(solution.read_text(encoding="utf-8", errors="replace"))
    files = {f"days/{entry.slug}/{Path(entry.solution).name}": solution}
    if result is not None:
        for name in result.files():
            files[f"days/{entry.slug}/{name}"] = day_dir(root, entry.day) / name
    notebook = export.notebook_path(root, entry)
    if notebook.is_file():
        files[f"days/{entry.slug}/{notebook.name}"] = notebook
    return files


def render_docs(root: Path, days: list, catalog: Catalog,
                today: dt.date | None = None) -> dict[str, str | Path]:
    """Every file of docs/, as relative path -> text or source file.

    `today` is what "days since the last entry" and "due for review" count from.
    """
    today = today or dt.date.today()
    days = sorted(days, key=lambda d: d.entry.day)
    entries = [d.entry for d in days]
    passed = {d.entry.day for d in days if d.passed}
    journey = {"coverage": progress.coverage(entries, catalog, passed),
               "streaks": progress.streaks((e.date for e in entries), today), "today": today,
               "by_day": {e.day: e for e in entries}, "catalog": catalog}
    drawn = journey_charts(root, entries, journey["coverage"])
    journey["charts"] = {kind: f"{CHARTS}/{path.name}" for kind, path in drawn.items()}
    docs: dict[str, str | Path] = {journey["charts"][kind]: drawn[kind] for kind in drawn}
    docs["index.md"] = render(root, "index.md.j2", days=days, **journey,
                              due=progress.due_for_review(entries, today),
                              table=progress_table(root, days, link="days/{slug}.md",
                                                   files="days/{slug}/{name}", badges=True))
    docs["torchleet.md"] = render(root, "torchleet.md.j2", **journey)
    docs["tags.md"] = render(root, "tags.md.j2", tags=progress.by_tag(entries))
    docs["gaps.md"] = render(root, "gaps.md.j2", gaps=progress.gaps_by_tag(entries))
    docs["times.md"] = render(root, "times.md.j2", days=days)
    sources = {d.entry.day: (root / d.entry.solution).read_text(encoding="utf-8", errors="replace")
               for d in days}
    used = apis.day_apis(root, {d.entry.day: (sources[d.entry.day], d.entry.is_notebook)
                                for d in days})
    docs["apis.md"] = render(root, "apis.md.j2", groups=apis.index(used, entries))
    config = read_config(root)
    atom = feed.atom(entries, config)
    if atom is not None:
        docs[feed.FEED] = atom
    for day in days:
        source = sources[day.entry.day]
        docs[f"days/{day.entry.slug}.md"] = render(
            root, "day.md.j2", day=day, entry=day.entry, result=day.result,
            last_good=Result.from_dict(day.result.last_good) if day.result and
            day.result.last_good else None,
            problem=catalog.problems.get(day.entry.problem), source=source,
            solution_name=Path(day.entry.solution).name, apis=used[day.entry.day],
            notebook=export.notebook_name(day.entry)
            if export.notebook_path(root, day.entry).is_file() else None,
            colab=export.colab_url(config, day.entry))
        docs.update(day_files(root, day))
    assets = root / TEMPLATES / ASSETS
    for path in sorted(assets.rglob("*")):
        if path.is_file():
            docs[f"{ASSETS}/{path.relative_to(assets).as_posix()}"] = path
    return docs


def journey_charts(root: Path, entries: list[Entry],
                   covered: progress.Coverage) -> dict[str, Path]:
    """The tier bars and the activity calendar, by kind: files in the chart cache (drawn if new)."""
    tiers = [[t.name, t.solved, t.total] for t in covered.tiers]
    drawn = {"tiers": charts.cached(root, "tiers", tiers, charts.tier_bars)}
    activity = progress.activity(e.date for e in entries)
    if activity:
        counts = [[d.isoformat(), n] for d, n in activity.items()]
        drawn["activity"] = charts.cached(root, "activity", counts, charts.activity_calendar)
    return drawn


def progress_table(root: Path, days: list, link: str, files: str, badges: bool = False) -> str:
    """The progress table, each day linked through `link` (a format with {slug} and {source})
    and its sparkline found through `files` (a format with {slug} and {name}).

    The site shows statuses as badges; README.md, read on GitHub, as emoji.
    """
    return render(root, "progress_table.md.j2", days=sorted(days, key=lambda d: d.entry.day),
                  link=link, files=files, status=status_badge if badges else status_label,
                  github=not badges)


def readme_table(root: Path, days: list) -> str:
    """The progress table for README.md: links that work on GitHub, to the entry files."""
    return progress_table(root, days, link="{source}", files=RESULTS_DIR + "/{slug}/{name}")
