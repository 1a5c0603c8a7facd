"""Rendering: entries and results in, Markdown out, through the Jinja templates in site_templates/.

Everything here is pure: functions take data and return strings (or the files a page needs, by
path). Writing them happens once, in `site`. The exceptions are two caches in .journal/: a
chart of the whole journal, or a day's card thumbnail, is drawn the first time its data is seen
(see `charts.cached`), and a solution's PyTorch APIs are read the first time its source is seen
(see `apis.day_apis`).
"""

from __future__ import annotations

import ast
import concurrent.futures
import datetime as dt
import functools
import hashlib
import os
import re
from pathlib import Path

import jinja2

from torchleet_journal.base import charts
from torchleet_journal.base.environment import canonical
from torchleet_journal.base.errors import InputError
from torchleet_journal.base.files import sha256_file
from torchleet_journal.base.layout import (
    ASSETS,
    TEMPLATES,
    merged,
    own_templates,
    shown_path,
    template_file,
    template_folders,
)
from torchleet_journal.base.source_cache import read_each
from torchleet_journal.model import apis, markup, source
from torchleet_journal.model.catalog import DEFAULT_SET, Catalog
from torchleet_journal.model.entries import Entry, tag_key
from torchleet_journal.model.metrics import headline_tag, summary
from torchleet_journal.model.notebook import cells_of, without_outputs
from torchleet_journal.model.results import RAN_ON, Result, day_dir, first_image
from torchleet_journal.model.siteconfig import page_url, read_config
from torchleet_journal.model.source import parse
from torchleet_journal.model.status import status_of
from torchleet_journal.pages import export, feed, journey
from torchleet_journal.pages.template_cache import template_cache
from torchleet_journal.review import card_back
from torchleet_journal.review import cards as review
from torchleet_journal.review import stats as review_stats
from torchleet_journal.review.card_html import back_html, highlighted

# The templates the build renders pages from (they include the others).
PAGE_TEMPLATES = ("index.md.j2", "day.md.j2", "times.md.j2", "problem_set.md.j2", "tags.md.j2",
                  "gaps.md.j2", "progress_table.md.j2", "progress_page.md.j2",
                  "notebook_cells.md.j2", "apis.md.j2", "review.md.j2")
CHARTS = "charts"  # docs/ folder of the charts drawn from the whole journal
THUMBNAILS = "thumbnails"  # docs/ folder of the home page's card images


# --- text in tables ------------------------------------------------------------------------


def cell_list(items, github: bool = False) -> str:
    """Several notes in one table cell, one per line, as the hand-written journal had them."""
    items = [markup.inline(i, github) for i in items]
    return items[0] if len(items) == 1 else "<br>".join(f"• {i}" for i in items)


def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.4g}"


def count(n: int, noun: str) -> str:
    """`1 day`, `5 days`."""
    return f"{n} {noun}{'' if n == 1 else 's'}"




def tag_anchor(tag: str) -> str:
    """A tag's id on the tags page, the same for each spelling of it (`entries.tag_key`).

    A tag of plain letters, digits and single dashes is its own id (`tag-cnn`); any other is
    what is left of it, `--`, and a hash of it (`C++` is `tag-c--…`). A plain tag never holds
    `--`, so no two tags share an id.
    """
    key = tag_key(tag)
    slug = re.sub(r"[^a-z0-9]+", "-", key).strip("-")
    if slug == key:
        return f"tag-{slug}"
    return f"tag-{slug}--{hashlib.sha256(key.encode('utf-8', 'backslashreplace')).hexdigest()[:12]}"


def date_span(first: dt.date, last: dt.date) -> str:
    """`28 Jan – 1 Feb 2025`, the year said once when both ends share it."""
    end = f"{last.day} {last:%b %Y}"
    if first == last:
        return end
    start = f"{first.day} {first:%b}" + ("" if first.year == last.year else f" {first:%Y}")
    return f"{start} – {end}"


def days_ago(n: int) -> str:
    if n == 0:
        return "today"
    if n == 1:
        return "yesterday"
    return f"{n} days ago" if n > 0 else f"in {count(-n, 'day')}"


# --- what the pages say about a run --------------------------------------------------------


def status_label(entry: Entry, result: Result | None) -> str:
    """Status with an emoji, for the terminal and README.md (GitHub has the emoji font)."""
    status = status_of(entry, result)
    return f"{status.icon} {markup.plain(status.words)}"  # a status read from results/ is data too


def status_badge(entry: Entry, result: Result | None) -> str:
    """Status as a coloured badge for the site, which must not depend on an emoji font."""
    status = status_of(entry, result)
    return f'<span class="jl-status jl-{status.kind}">{markup.plain(status.words)}</span>'


def headline(entry: Entry, result: Result | None) -> dict | None:
    """The headline metric as where it started and where it ended: `Loss/train 193 → 0.66`."""
    tag = headline_tag(result.scalars, entry.metric) if result is not None else None
    if tag is None:
        return None
    values = result.scalars[tag]["values"]
    return {"tag": tag, "start": values[0], "end": values[-1]}


def read_solutions(root: Path, entries: list[Entry]) -> tuple[dict, dict, dict]:
    """Each day's solution source, the APIs it uses, and its lead and plot titles, by day.

    Read without running anything, and cached by the source's hash (`torchleet_journal.base.source_cache`).
    """
    sources = {e.day: source.read(root / e.solution) for e in entries}
    read = {e.day: (sources[e.day], e.is_notebook) for e in entries}
    return (sources, apis.day_apis(root, read),
            read_each(root, "pages", "2", read, what_source_says, _said_shape))


def what_source_says(source: str, notebook: bool) -> dict:
    """A solution's lead paragraph and plot titles, read from its source (and cached by it).

    A notebook's titles are per code cell, by the cell's index (as text, as JSON keeps keys).
    """
    said = {"lead": lead(source, notebook), "titles": None, "cell_titles": {}}
    if not notebook:
        said["titles"] = plot_titles(source)
        return said
    try:
        cells = cells_of(source)
    except ValueError:
        return said
    for cell in cells:
        titles = plot_titles(cell["source"]) if cell["kind"] == "code" else None
        if titles:
            said["cell_titles"][str(cell["index"])] = titles
    return said


def _said_shape(said) -> bool:
    if not isinstance(said, dict) or not isinstance(said.get("lead"), str):
        return False
    cells = said.get("cell_titles")
    return isinstance(cells, dict) and all(
        titles is None or isinstance(titles, dict) and all(
            isinstance(titles.get(k), str) for k in ("caption", "alt"))
        for titles in [said.get("titles"), *cells.values()])


def lead(source: str, notebook: bool) -> str:
    """What the solution says it does: its module docstring, or a notebook's first Markdown
    cell. Read without running anything; a leading "Day 8:" is dropped (the title says it)."""
    if notebook:
        try:
            cells = cells_of(source)
        except ValueError:
            return ""
        text = next((c["source"] for c in cells if c["kind"] == "markdown"), "")
    else:
        tree = parse(source)
        text = tree and ast.get_docstring(tree) or ""
    text = re.sub(r"^[ \t]*#{1,6}[ \t]+", "", text, flags=re.M)  # a heading reads as a line
    text = re.sub(r"^\s*Day\s+\d+\s*[:.\-–]\s*", "", text, flags=re.I).strip()
    return text[:1].upper() + text[1:]


TITLE_CALLS = {"suptitle": 0, "title": 1, "set_title": 1}  # the figure's title before its axes


def plot_titles(source: str) -> dict[str, str] | None:
    """Alt text and caption for the one figure `source` draws, from the titles it gives it.

    Read statically: the string constants passed to suptitle / title / set_title. Only for a
    run stored before figures kept the titles they were shown with (`figure_captions`), and
    only for a single figure. None if there is no title.
    """
    tree = parse(source)
    if tree is None:
        return None
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in TITLE_CALLS and node.args[0].value.strip():
                found.append((TITLE_CALLS[name], node.lineno, node.args[0].value.strip()))
    titles = [title for _, _, title in sorted(found)]
    if not titles:
        return None
    return {"caption": titles[0], "alt": "Plot: " + "; ".join(titles)}


# What a caption must not carry: controls, and the marks that reorder text around them (bidi
# embeddings, overrides and isolates could make a caption read differently from what it holds).
NOT_IN_CAPTIONS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def caption_of(titles: list[str]) -> dict[str, str] | None:
    """A figure's caption (its first title) and alt text (all of them), None if it has none."""
    titles = [title for title in map(_caption_text, titles) if title]
    return {"caption": titles[0], "alt": "Plot: " + "; ".join(titles)} if titles else None


def figure_captions(result: Result | None, titles: dict | None = None,
                    cell_titles: dict | None = None) -> dict[str, dict[str, str]]:
    """Each figure's caption and alt text by file name, from the titles it had when shown.

    A run stored before figures' titles were kept falls back on the titles its source gives a
    figure shown alone (`titles`, and per notebook cell `cell_titles`), as pages were made then.
    """
    if result is None:
        return {}
    if result.captions is not None:
        return {name: caption for name, shown in result.captions.items()
                if (caption := caption_of(shown))}
    lone = {}
    if titles and len(result.figures) == 1:
        lone[result.figures[0]] = titles
    for cell in result.cells:
        said = (cell_titles or {}).get(str(cell.get("index")))
        if said and len(cell.get("figures", [])) == 1:
            lone[cell["figures"][0]] = said
    return {name: {key: _caption_text(text) for key, text in said.items()}
            for name, said in lone.items()}


def _caption_text(text: str) -> str:
    return " ".join(NOT_IN_CAPTIONS.sub(" ", text).split())


def paragraphs(text: str) -> list[str]:
    """Plain text split at blank lines, each paragraph's lines joined."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


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


def environment(root: Path) -> jinja2.Environment:
    """The one Jinja environment, made once per journal and set of its own templates: its own
    first, then the packaged ones (torchleet_journal/base/layout.py). Jinja notices an edited
    template, not a new one that now hides a packaged one: a new override makes a new one."""
    return _environment(root, own_templates(root))


@functools.lru_cache(maxsize=4)
def _environment(root: Path, own: tuple[str, ...]) -> jinja2.Environment:
    # Compiled templates are cached (torchleet_journal/pages/template_cache.py), so a build that changed no
    # template compiles none (half a no-op build's time otherwise).
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(template_folders(root)), autoescape=False,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True,
                             bytecode_cache=template_cache())
    # Text from outside the build reaches a page only through markup's filters: plain, inline,
    # block, code, link, attribute, file_url, yaml_string (see torchleet_journal/model/markup.py).
    env.filters.update(plain=markup.plain, inline=markup.inline, block=markup.block,
                       code=markup.code, link=markup.link, attribute=markup.attribute,
                       file_url=markup.file_url,
                       yaml_string=markup.yaml_string, cell_list=cell_list, fence=markup.fence,
                       indent_md=indent, number=number, days_ago=days_ago, href=page_url,
                       tag_anchor=tag_anchor, paragraphs=paragraphs)
    env.globals.update(status_label=status_label, status_badge=status_badge, status_of=status_of,
                       summary=summary, count=count,
                       notebook_view=notebook_view, api_url=apis.docs_url, headline=headline,
                       date_span=date_span, where_it_ran=where_it_ran)
    return env


def render(root: Path, template: str, **context) -> str:
    try:
        return environment(root).get_template(template).render(**context)
    except jinja2.TemplateSyntaxError as error:
        raise _template_problem(root, error, error.name or template, error.lineno) from None
    except jinja2.TemplateError as error:  # e.g. a name the template uses that is not given
        raise _template_problem(root, error, template, 1) from None


def check_templates(root: Path) -> None:
    """Before anything runs: every page's template is there and parses."""
    for name in PAGE_TEMPLATES:
        if template_file(root, name) is None:
            raise InputError.one(f"{TEMPLATES}/{name}", 1, "template missing, got no such file "
                                 "here nor in the installed engine; reinstall it (pip install -r "
                                 "requirements.txt)")
        try:
            environment(root).get_template(name)
        except jinja2.TemplateSyntaxError as error:
            raise _template_problem(root, error, error.name or name, error.lineno) from None


def _template_problem(root: Path, error: jinja2.TemplateError, name: str, line: int) -> InputError:
    found = template_file(root, name)
    return InputError.one(shown_path(root, found) if found else f"{TEMPLATES}/{name}", line,
                          f"template error, got {error.message or type(error).__name__}; fix the "
                          f"template, or delete your copy in {TEMPLATES}/ to use the packaged one")


def day_files(root: Path, day) -> dict[str, str | Path]:
    """Files a day page shows (figures, charts, log, solution), by their path under docs/."""
    entry, result = day.entry, day.result
    solution: str | Path = root / entry.solution
    if entry.is_notebook:  # published without the outputs of the learner's own runs
        solution = without_outputs(source.read(solution))
    files = {f"days/{entry.slug}/{Path(entry.solution).name}": solution}
    if result is not None:
        for name in result.files():
            files[f"days/{entry.slug}/{name}"] = day_dir(root, entry.day) / name
    notebook = export.notebook_path(root, entry)
    if notebook.is_file():
        files[f"days/{entry.slug}/{notebook.name}"] = notebook
    return files


def render_docs(root: Path, days: list, catalog: Catalog, today: dt.date | None = None,
                reviews: review.Deck | None = None) -> dict[str, str | Path]:
    """Every file of docs/, as relative path -> text or source file.

    `today` is what streaks, "days since the last entry" and "due for review" count from;
    `reviews`, the gaps' cards as the review log leaves them (read here if not given).
    """
    today = today or dt.date.today()
    days = sorted(days, key=lambda d: d.entry.day)
    entries = [d.entry for d in days]
    passed = {d.entry.day for d in days if d.status.solved}
    reviews = reviews if reviews is not None else review.deck(root, entries)
    cards = review.page_context(reviews, today)
    # The Review page shows a due gap twice (due, and in the table of all): made once each.
    cards["gap_html"] = {s.card.id: markup.inline(s.card.gap) for s in cards["cards"]}
    cards.update(review_stats.figures(reviews, today, root))
    sources, used, said = read_solutions(root, entries)
    cards["back_html"] = card_backs(root, days, cards["cards"], sources)
    coverages = journey.coverages(entries, catalog, passed)
    context = {"coverage": coverages[0], "coverages": coverages,
               "streaks": journey.streaks((e.date for e in entries), today), "today": today,
               "by_day": {e.day: e for e in entries}, "catalog": catalog,
               "tags": journey.by_tag(entries), "site": read_config(root), "reviews": cards}
    drawn = journey_charts(root, entries, coverages)
    context["charts"] = {kind: f"{CHARTS}/{path.name}" for kind, path in drawn.items()}
    context["chart_widths"] = {kind: charts.display_width(path) for kind, path in drawn.items()}
    docs: dict[str, str | Path] = {context["charts"][kind]: drawn[kind] for kind in drawn}
    # PIL lets go of the GIL while it decodes, scales and encodes: new cards are made on every
    # core (a fresh clone makes all of them).
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        thumbs = dict(zip((d.entry.day for d in days), pool.map(lambda d: thumbnail(root, d), days)))
    docs.update({f"{THUMBNAILS}/{path.name}": path for path in thumbs.values() if path})
    context["thumbnails"] = {day: path and f"{THUMBNAILS}/{path.name}"
                             for day, path in thumbs.items()}
    docs["index.md"] = render(root, "index.md.j2", days=days, **context,
                              due=journey.due_for_review(entries, today))
    docs["days/index.md"] = render(root, "progress_page.md.j2", days=days, table=progress_table(
        root, days, link="{slug}.md", badges=True))
    for covered in coverages:  # a page per set followed: torchleet.md, numpy-100.md, ...
        problem_set = catalog.sets[covered.set]
        docs[problem_set.page] = render(root, "problem_set.md.j2", problem_set=problem_set,
                                        track=catalog.tracks.get(covered.set),
                                        **{**context, "coverage": covered})
    docs["tags.md"] = render(root, "tags.md.j2", **context)
    docs["gaps.md"] = render(root, "gaps.md.j2", days=[d for d in days if d.entry.gaps])
    docs["times.md"] = render(root, "times.md.j2", days=days)
    docs["review.md"] = render(root, "review.md.j2", **context)
    docs["apis.md"] = render(root, "apis.md.j2", groups=apis.index(used, entries))
    config = read_config(root)
    atom = feed.atom(entries, config)
    if atom is not None:
        docs[feed.FEED] = atom
    for before, day, after in zip([None] + days[:-1], days, days[1:] + [None]):
        notebook = export.notebook_name(day.entry)
        docs[f"days/{day.entry.slug}.md"] = day_page(
            root, day, before, after, catalog, sources[day.entry.day], apis=used[day.entry.day],
            **said[day.entry.day],
            notebook=notebook if export.notebook_path(root, day.entry).is_file() else None,
            colab=export.colab_url(config, day.entry),
            gap_states=review.gap_states(day.entry, cards),
            gap_since=review_stats.gap_known_since(day.entry, cards))
        docs.update(day_files(root, day))
    for rel, path in merged(root, ASSETS).items():  # the packaged assets, or the journal's own
        docs[f"{ASSETS}/{rel}"] = path
    return docs


def card_backs(root: Path, days: list, cards: list[review.Scheduled],
               sources: dict[int, str]) -> dict[str, str]:
    """Each card's back (`torchleet_journal.review.card_back`) as the Review page shows it, by card id; the
    figure is the copy of it the day's page has (`day_files`)."""
    names = {d.entry.day: first_image(d.result) for d in days}
    figures = {day: name if name and (day_dir(root, day) / name).is_file() else None
               for day, name in names.items()}
    answers = card_back.backs(root, [s.card for s in cards], sources, figures)
    code = highlighted(root, answers.values(), inline_styles=False)
    note = functools.cache(markup.inline)  # a day's cards share its learnings
    return {s.card.id: back_html(answers[s.card.id], figures[s.card.entry.day] and markup.file_url(
        f"days/{s.card.entry.slug}/{figures[s.card.entry.day]}"), note, code) for s in cards}


def day_page(root: Path, day, before, after, catalog: Catalog, source: str, **more) -> str:
    """A day's page, linked to the days `before` and `after` it (None at either end).

    `more`: what else the page shows (its PyTorch APIs, its notebook and Colab link).
    """
    entry = day.entry
    last_good = day.result.last_good if day.result else None
    last_good = Result.from_dict(last_good) if last_good else None
    captions = figure_captions(day.result, more.pop("titles", None), more.pop("cell_titles", None))
    captions.update(figure_captions(last_good))
    problem = catalog.problems.get(entry.problem)
    return render(root, "day.md.j2", day=day, entry=entry, result=day.result,
                  last_good=last_good, captions=captions, problem=problem,
                  problem_set=problem and catalog.sets.get(problem.set), source=source,
                  solution_name=Path(entry.solution).name,
                  before=before and before.entry, after=after and after.entry, **more)




def where_it_ran(result: Result) -> str:
    """Where and with what a run was made, in one line for its page and the terminal: "ran on
    Linux x86_64, Python 3.11, torch 2.13.0+cpu, matplotlib 3.11.2, on 2026-12-03" for the
    build's own runs (the packages its code imports, each at the version it ran with); "ran
    on Colab, Tesla T4, torch 2.5.1+cu121, on 2026-12-03" for one brought back (or "ran
    elsewhere" when its notebook did not say)."""
    on = result.ran_on
    if on is None:  # the build's own run: where it was made, and the versions that decide it
        said = [result.platform, result.python and f"Python {result.python}",
                result.torch and f"torch {result.torch}"]
        said += [f"{dist} {version}" for dist, version in sorted(result.packages.items())
                 if canonical(dist) != "torch"]
    else:
        said = [f"torch {on[key]}" if key == "torch" else on[key] for key in RAN_ON if on.get(key)]
    said = [words for words in said if words]
    words = "ran on " + ", ".join(said) if said else "ran elsewhere"
    return words + (f"{',' if said else ''} on {result.ran_at[:10]}" if result.ran_at else "")


def thumbnail(root: Path, day) -> Path | None:
    """A small copy of the day's first image for its home page card (None if it has none)."""
    name = first_image(day.result)
    source = day_dir(root, day.entry.day) / name if name else None
    if source is None or not source.is_file():
        return None
    # Keyed by the figure's bytes: a re-run keeps its file name (figure-01.png), not its picture.
    try:
        return charts.cached(root, f"thumb-{day.entry.slug}", [name, sha256_file(source)],
                             lambda _, path: charts.thumbnail(source, path), suffix=".webp")
    except charts.NotAnImage:
        return None  # the card shows no picture; the day page says what the file is


def journey_charts(root: Path, entries: list[Entry],
                   coverages: list[journey.Coverage]) -> dict[str, Path]:
    """Each followed set's tier bars and the activity calendar, by kind: files in the chart
    cache (drawn if new)."""
    drawn = {}
    for covered in coverages:
        tiers = [[t.name, t.solved, t.total] for t in covered.tiers]
        # TorchLeet's keeps the cache name it always had: an old journal draws nothing anew.
        # `cached` deletes a kind's older files by `kind-*`; a set's name has no dot, so no
        # kind here starts another's.
        name = "tiers" if covered.set == DEFAULT_SET else f"{covered.set}.tiers"
        drawn[f"tiers-{covered.set}"] = charts.cached(root, name, tiers, charts.tier_bars)
    activity = journey.activity(e.date for e in entries)
    if activity:
        counts = [[d.isoformat(), n] for d, n in activity.items()]
        drawn["activity"] = charts.cached(root, "activity", counts, charts.activity_calendar)
    return drawn


def progress_table(root: Path, days: list, link: str, badges: bool = False) -> str:
    """The progress table, each day linked through `link` (a format with {slug} and {source}).

    The site shows statuses as badges; README.md, read on GitHub, as emoji.
    """
    return render(root, "progress_table.md.j2", days=sorted(days, key=lambda d: d.entry.day),
                  link=link, status=status_badge if badges else status_label,
                  github=not badges)


def readme_table(root: Path, days: list) -> str:
    """The progress table for README.md: links that work on GitHub, to the entry files."""
    return progress_table(root, days, link="{source}")
