"""The build, stage by stage: load entries → run solutions → collect results → render → site.

`build(root, options, events)` is the whole journal build for the folder `root`. It never
prints: it tells `events` what happens, and the CLI decides how to show it.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

from torchleet_journal.base import charts
from torchleet_journal.base.engine import remember
from torchleet_journal.base.environment import distributions, locked, versions
from torchleet_journal.base.errors import InputError, Mistake
from torchleet_journal.base.files import refuse_linked_folders, remove_temporaries
from torchleet_journal.base.layout import STATE
from torchleet_journal.build.run_key import made_elsewhere, stale_reason, unlocked_packages, unlocked_warning
from torchleet_journal.model.catalog import Catalog, load_catalog
from torchleet_journal.model.entries import Entry, day_slug, load_entries
from torchleet_journal.model.results import CHANGED, NOT_RUN, RESULTS_DIR, Result, read_result, store_result
from torchleet_journal.model.siteconfig import read_config
from torchleet_journal.model.status import Status, status_of
from torchleet_journal.pages import export, render
from torchleet_journal.review import cards as review
from torchleet_journal.website import site

SCRATCH = f"{STATE}/runs"
DEFAULT_TIMEOUT = 600.0


@dataclass
class Options:
    jobs: int | None = None  # None: one per core
    force: bool = False
    only: frozenset[int] | None = None
    timeout: float = DEFAULT_TIMEOUT  # --timeout: for days whose entry sets none
    site: bool = True
    # --publish (the Pages workflow): a day runs only when its code, data or run settings
    # changed or it has no stored run; one made with other versions is published as stored.
    publish: bool = False

    def timeout_for(self, entry: Entry) -> float:
        """The one effective timeout of a day's run: the entry's `timeout:`, else --timeout."""
        return float(entry.timeout or self.timeout)


@dataclass
class Day:
    """One day as the build ends with it: the entry, its result, and whether it ran now."""

    entry: Entry
    result: Result | None
    ran: bool = False
    stale: bool = False  # its stored result is not what running the solution now would give
    why: str = ""  # why it runs now (or would run), in a few words; empty when it is fresh
    as_stored: bool = False  # --publish: made with other versions, published as it was made

    @property
    def status(self) -> Status:
        return status_of(self.entry, self.result)

    @property
    def ok(self) -> bool:
        """Whether this day is as its entry says it should be: the build fails when one is not."""
        return self.status.as_expected


@dataclass
class Report:
    days: list[Day]
    written: list[str] = field(default_factory=list)
    stale_skipped: list[int] = field(default_factory=list)
    site: str = ""  # how site/ was brought up to date: unchanged, pages or full

    @property
    def failures(self) -> list[Day]:
        return [d for d in self.days if not d.ok]


class Events:
    """What the build tells its caller; the CLI overrides these to show progress."""

    def plan(self, to_run: list[Day], cached: list[Entry]) -> None: ...
    def as_stored(self, days: list[Day]) -> None: ...
    def started(self, entry: Entry) -> None: ...
    def finished(self, day: Day, done: int, total: int) -> None: ...
    def tick(self, running: list[tuple[Entry, float]]) -> None: ...
    def rendering(self) -> None: ...
    def building_site(self) -> None: ...
    def warning(self, text: str) -> None: ...


def build(root: Path, options: Options, events: Events | None = None,
          catalog: Catalog | None = None) -> Report:
    events = events or Events()
    root = root.resolve()
    catalog = catalog or load_catalog(root)
    entries = load_entries(root, catalog)  # raises InputError before anything is written
    _check_only(options, entries)
    site.check_readme(root)
    site.check_config(root, options.site)
    render.check_templates(root)
    _check_output_folders(root)
    remove_temporaries(root)  # README.md's, if a build was killed while writing it
    remove_temporaries(root / "results", recursive=True)
    env = versions()
    days = _stored(root, entries, events)
    to_run, skipped = _plan(root, entries, days, options, env)
    events.plan([days[e.day] for e in to_run], [e for e in entries if e not in to_run])
    elsewhere = [day for day in days.values() if day.as_stored]
    if elsewhere:
        events.as_stored(elsewhere)
    if to_run:
        # For seconds before the first run starts, the fork server's warm-up keeps one core
        # busy and the other idle: the parent does there what it would otherwise do after.
        early = threading.Thread(target=_early_work, args=(root, entries), daemon=True)
        early.start()
        _run(root, to_run, days, options, events, env)
        early.join()
        _recheck_stored(root, days, events)
    _warn_unlocked(root, days, events)
    report = Report(list(days.values()), stale_skipped=skipped)
    events.rendering()
    # Each day's notebook, made from its stored run, is a result too: written before the pages
    # that offer it for download.
    config = read_config(root)
    for warning in config.warnings:  # a URL in mkdocs.yml that no page may carry
        events.warning(warning)
    report.written = export.write_notebooks(root, report.days, config)
    report.written += _write_docs(root, report.days, catalog, events)
    report.written += site.update_readme(root, render.readme_table(root, report.days),
                                         events.warning)
    if options.site:
        events.building_site()
        report.site = site.build_site(root)
    remember(root)  # the engine and the packaged files the journal's overrides were made against
    return report


def render_stored(root: Path, catalog: Catalog | None = None) -> Report:
    """Render docs/ from the entries and their stored results, running nothing: the MkDocs hook.

    The days a build would run are planned as for `--only` naming none, so each is marked out
    of date exactly when `build.py` would run it. Invalid input raises before anything is written.
    """
    root = root.resolve()
    catalog = catalog or load_catalog(root)
    entries = load_entries(root, catalog)
    render.check_templates(root)
    _check_output_folders(root)
    days = _stored(root, entries, Events())
    _, skipped = _plan(root, entries, days, Options(only=frozenset()), versions())
    report = Report(list(days.values()), stale_skipped=skipped)
    report.written = _write_docs(root, report.days, catalog)
    return report


def survey(root: Path, options: Options, events: Events | None = None,
           catalog: Catalog | None = None) -> list[Day]:
    """Every day with its stored result and, when a build would run it, why: `build.py status`.
    Runs nothing, writes nothing, imports no torch. Invalid input raises InputError."""
    root = root.resolve()
    events = events or Events()
    entries = load_entries(root, catalog or load_catalog(root))
    days = _stored(root, entries, events)
    _plan(root, entries, days, options, versions())
    _warn_unlocked(root, days, events)
    return list(days.values())


def _stored(root: Path, entries: list[Entry], events: Events) -> dict[int, Day]:
    return {e.day: Day(e, _stored_result(root, e.day, events)) for e in entries}


def _check_output_folders(root: Path) -> None:
    """docs/, results/ and what results/ holds are written and pruned: none may be a link."""
    results = root / RESULTS_DIR
    inside = sorted(f"{RESULTS_DIR}/{p.name}" for p in results.iterdir()) if (
        results.is_dir() and not results.is_symlink()) else []
    refuse_linked_folders(root, [site.DOCS, RESULTS_DIR, *inside])


def _stored_result(root: Path, day: int, events: Events) -> Result | None:
    """The day's stored result; one that cannot be trusted is said once and run again."""
    result, problem = read_result(root, day)
    if problem:
        events.warning(problem)
    return result


def _recheck_stored(root: Path, days: dict[int, Day], events: Events) -> None:
    """A solution runs with the learner's rights and may have touched results/ meanwhile.

    Days that ran are read again too: a later run may have deleted what an earlier one
    stored, and a page must not name files that are gone.
    """
    for day in days.values():
        if day.result is None or not day.ran and day.result.status == NOT_RUN:
            continue  # nothing stored to check (NOT_RUN without a run is made here, not read)
        day.result, problem = read_result(root, day.entry.day)
        if day.result is None:
            events.warning(problem or f"{RESULTS_DIR}/{day.entry.slug}/result.json: removed "
                           "while solutions ran (by one of them?); the day runs again next build")


def _write_docs(root: Path, days: list[Day], catalog: Catalog,
                events: Events | None = None) -> list[str]:
    reviews = review.deck(root, [d.entry for d in days])
    for problem in reviews.problems:  # a damaged log line is skipped, and said
        (events or Events()).warning(str(problem))
    return site.write_docs(root, render.render_docs(root, days, catalog, reviews=reviews))


def _check_only(options: Options, entries: list[Entry]) -> None:
    """`--only` must name days that exist: a typo would otherwise quietly run nothing."""
    known = {entry.day for entry in entries}
    missing = sorted((options.only or frozenset()) - known)
    if missing:
        have = f"days {min(known)}-{max(known)}" if known else "no days yet"
        raise InputError([Mistake(f"entries/{day_slug(day)}.yaml", 1, f"--only names day {day}, "
                                  f"which has no entry file; this journal has {have}")
                          for day in missing])


def _plan(root: Path, entries: list[Entry], days: dict[int, Day], options: Options,
          env: dict[str, str]) -> tuple[list[Entry], list[int]]:
    """Which days must run now: forced, or whose stored result no longer matches.

    The one place that decides a day is out of date: those `--only` leaves out are marked stale.
    """
    to_run, skipped = [], []
    for entry in entries:
        day = days[entry.day]
        if entry.requires == "cuda" and not torch_has_cuda():
            day.result = _not_run_here(entry, day.result)
            continue
        if options.force or (options.only is not None and entry.day in options.only):
            day.why = "--force" if options.force else "--only"
            to_run.append(entry)
            continue
        day.why = stale_reason(root, entry, day.result, env, options.timeout_for(entry)) or ""
        if not day.why:
            continue
        if options.publish and made_elsewhere(root, entry, day.result, options.timeout_for(entry)):
            day.as_stored = True  # its page says what it was made with
            continue
        if options.only is None:
            to_run.append(entry)
        else:
            skipped.append(entry.day)  # --only runs just the days it names; the rest are listed
            day.stale = day.result is not None
    return _longest_first(to_run, days), skipped


def _warn_unlocked(root: Path, days: dict[int, Day], events: Events) -> None:
    """A package a solution imports that the lock does not pin: another machine installs
    another version and runs the day again, so say so, once per solution, until it is locked."""
    pins = locked(root)
    for day in days.values():
        unlocked = unlocked_packages(pins, day.result.packages) if day.result else []
        if unlocked:
            events.warning(unlocked_warning(day.entry.solution, unlocked))


def _longest_first(entries: list[Entry], days: dict[int, Day]) -> list[Entry]:
    """Start the slowest days first (by their last runtime), so one long day ends the build."""
    def expected(entry: Entry) -> float:
        result = days[entry.day].result
        return result.wall_time if result else float("inf")
    return sorted(entries, key=expected, reverse=True)


def changed_while_running(root: Path, entry: Entry, result: Result) -> list[str]:
    """The files a run read that changed while it ran (a learner saving mid-run): its result
    belongs to the bytes it ran, so the day is out of date at once.

    The child noted a data file that changed (capture.CHANGED); the solution, read once, is
    checked here against the hash of what ran.
    """
    from torchleet_journal.base.files import sha256_file

    changed = [rel for rel, digest in result.deps.items() if digest == CHANGED]
    solution = root / entry.solution
    now = sha256_file(solution) if solution.is_file() else None
    if entry.solution in result.deps and result.deps[entry.solution] != now:
        changed.insert(0, entry.solution)
    return changed


def _early_work(root: Path, entries: list[Entry]) -> None:
    """What needs no run's result: importing the drawing libraries, reading the packages'
    metadata (to name the packages a run imports) and the solutions' sources (for the render).

    Only a head start: whatever fails here is done again, and reported, where it is needed.
    """
    try:
        charts.preload()
        distributions()
        render.read_solutions(root, entries)
    except Exception:
        pass


def torch_has_cuda() -> bool:
    """Whether the torch that would run the solutions is a CUDA build, without importing it.

    The build, not the driver, decides: a machine with nvidia-smi and CPU torch runs no CUDA.
    """
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return False
    return cuda_build(Path(spec.submodule_search_locations[0]) / "version.py")


def cuda_build(version_py: Path) -> bool:
    """Whether torch's `version.py` names a CUDA version (`cuda = '12.1'`, not `None`)."""
    try:
        tree = ast.parse(version_py.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return False
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if isinstance(target, ast.Name) and target.id == "cuda":
            return isinstance(node.value, ast.Constant) and node.value.value is not None
    return False


def _not_run_here(entry: Entry, stored: Result | None) -> Result:
    """A CUDA day on a machine without CUDA: its stored pass, else "not run here".

    A failure stored from a run without CUDA says nothing about the day; only its last
    passing run, if any, is kept to show.
    """
    if stored is not None and stored.ok:
        return stored
    last_good = stored.last_good if stored is not None else None
    shown = "its last passing run is shown below" if last_good else "no stored result yet"
    return Result(entry.day, NOT_RUN, reason=f"needs a CUDA build of torch, and the torch here "
                  f"has none; {shown}", last_good=last_good)


def _run(root: Path, to_run: list[Entry], days: dict[int, Day], options: Options,
         events: Events, env: dict[str, str]) -> None:
    from torchleet_journal.build.collect import to_result
    from torchleet_journal.run import runner  # what runs solutions is imported only when one runs
    from torchleet_journal.run.capture import Job

    scratch = root / SCRATCH
    shutil.rmtree(scratch, ignore_errors=True)  # what a killed build left behind
    parallel = max(1, min(options.jobs or os.cpu_count() or 1, len(to_run)))
    by_day = {e.day: e for e in to_run}
    jobs = []
    for entry in to_run:
        base = scratch / entry.slug
        (base / "work").mkdir(parents=True)
        (base / "out").mkdir()
        job = Job(entry.day, root, root / entry.solution, base / "work", base / "out",
                  entry.threads)
        jobs.append((job, options.timeout_for(entry)))

    def done(outcome) -> None:
        entry = by_day[outcome.job.day]
        result = store_result(root, *to_result(root, entry, outcome, env))
        changed = changed_while_running(root, entry, result)
        if changed:
            name = os.fsencode(changed[0]).decode("utf-8", "backslashreplace")  # a name's bytes
            events.warning(f"{name}: changed while day {entry.day} ran; its page shows the "
                           "run of the version before, and the next build runs it again")
        days[entry.day] = Day(entry, result, ran=True, stale=bool(changed))
        shutil.rmtree(outcome.job.workdir.parent, ignore_errors=True)
        events.finished(days[entry.day], len(finished) + 1, len(jobs))
        finished.append(entry.day)

    finished: list[int] = []
    runner.run_jobs(jobs, parallel, on_start=lambda job: events.started(by_day[job.day]),
                    on_done=done,
                    on_tick=lambda running: events.tick([(by_day[j.day], t) for j, t in running]))
    shutil.rmtree(scratch, ignore_errors=True)
