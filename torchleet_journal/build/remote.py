"""GPU days in one command: `build.py remote DAYS --kaggle` runs each day on Kaggle and brings
the run back as the day's, through the same checks and record as `build.py ingest`.

For each day: its notebook as `build.py ingest` expects it (torchleet_journal/pages/export.py), with one more
of the journal's own cells first. That cell makes the run write, to Kaggle's working folder,
every cell it ran with what the cell showed (figures, the record of where it ran) and how it
ended, since Kaggle does not promise the executed notebook back; printed output comes back in
the run's log. Then `kernel-metadata.json` (private, GPU when the entry says `requires: cuda`,
internet on so the notebook can fetch its data files), a push, and polling until the run ends,
one line per day as its state changes. The output is downloaded, made into the run notebook it
stands for, and ingested (torchleet_journal/build/ingest.py): checked against the solution as it is now.

Kaggle's own CLI does the talking (torchleet_journal/build/kaggle_cli.py): the token never leaves it.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from torchleet_journal.base.errors import EXIT_FAILED, EXIT_INVALID, EXIT_OK, InputError
from torchleet_journal.base.files import read_regular
from torchleet_journal.build import kaggle_cli
from torchleet_journal.build.kaggle_cli import Kaggle, KaggleError, TokenRefused
from torchleet_journal.model.catalog import load_catalog
from torchleet_journal.model.entries import Entry, day_slug, load_entries
from torchleet_journal.model.notebook import notebook_json
from torchleet_journal.model.results import read_result
from torchleet_journal.model.siteconfig import read_config
from torchleet_journal.pages import export, publish

RECORD = "journal-run.json"  # what the first cell writes to the working folder
MAX_RECORD = 256 << 20  # bytes of it read at most (ingest's bound on a whole notebook)
MAX_LOG = 64 << 20  # bytes of the run's log read at most
FIRST_POLL, MAX_POLL = 1.0, 30.0  # seconds between status checks: soon at first, then less often
SAY_EVERY = 300.0  # a day whose state has not changed still gets a line this often
RUNNER_LINE = re.compile(r"^\[(?:NbConvertApp|papermill)\]")  # Kaggle's runner, not the run
ERROR_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit)): ?(.*)$")
# The first cell. It wraps IPython's display publisher and listens to its cell events, so it
# sees each later cell as Kaggle runs it; it writes the record after every cell, so a run that
# fails or is stopped still leaves what it did.
CAPTURE_CELL = f'''{export.JOURNAL_CELL}: run on Kaggle by `build.py remote`, this notebook
# writes each cell it runs, with what the cell showed and how it ended, to {RECORD}
# in its working folder: `python build.py remote DAY --kaggle --fetch` reads it back.
def _journal_capture(meta):
    import base64, datetime, json, os, platform, sys, traceback
    from IPython import get_ipython

    shell = get_ipython()
    run = {{"journal": meta, "cells": []}}
    publish = shell.display_pub.publish
    path = os.path.abspath({RECORD!r})  # the working folder, whatever the run's os.chdir

    def now():
        return datetime.datetime.now(datetime.timezone.utc).isoformat()

    def save():
        with open(path + ".part", "w") as handle:
            json.dump(run, handle)
        os.replace(path + ".part", path)

    def before(info):
        run["cells"].append({{"source": info.raw_cell, "outputs": [], "started": now()}})

    def shown(data, *args, **kwargs):
        if run["cells"]:
            kept = {{kind: base64.b64encode(value).decode() if isinstance(value, bytes) else value
                    for kind, value in data.items()}}
            run["cells"][-1]["outputs"].append({{"output_type": "display_data", "metadata": {{}},
                                                "data": kept}})
        return publish(data, *args, **kwargs)

    def after(result):
        if not run["cells"]:
            return
        cell = run["cells"][-1]
        cell["ended"] = now()
        torch = sys.modules.get("torch")  # what a run that stops early still says of itself
        run["ran"] = {{"where": "Kaggle" if os.environ.get("KAGGLE_KERNEL_RUN_TYPE") else
                      "Jupyter", "python": platform.python_version(),
                      "torch": getattr(torch, "__version__", "")}}
        error = result.error_in_exec or result.error_before_exec
        if error is not None:
            stack = error.__traceback__.tb_next if error.__traceback__ else None  # IPython's frame
            cell["error"] = {{"ename": type(error).__name__, "evalue": str(error),
                             "traceback": "".join(traceback.format_exception(
                                 type(error), error, stack)).splitlines()}}
        save()

    shell.display_pub.publish = shown
    shell.events.register("pre_run_cell", before)
    shell.events.register("post_run_cell", after)
    save()


_journal_capture({{META}})
del _journal_capture
'''
STOPPED_RECORD = (f"{export.JOURNAL_CELL}: where the run ran, as its first cell saw it (the "
                  "last cell never ran)")


class Refused(Exception):
    """One line, exit 2: a mistake found before anything was pushed, or a refused token."""


@dataclass
class Run:
    """One day on Kaggle: what it is, where, what was last said of it and how it ended here."""

    entry: Entry
    ref: str  # USER/SLUG
    timeout: float
    started: float
    state: str = ""
    said_at: float = 0.0
    outcome: str = ""  # "ok", "failed" (or left running) or "refused", once it is settled


def remote(root: Path, days: frozenset[int], fetch: bool, timeout: float | None,
           say: Callable[[str], None], lock) -> int:
    """Run `days` on Kaggle (or, with `fetch`, wait for their runs there) and store each as the
    day's run. Returns the exit status; raises Refused or InputError, having written nothing,
    for a mistake found before anything leaves the machine or a token Kaggle refuses."""
    from torchleet_journal.build.pipeline import (
        DEFAULT_TIMEOUT,  # the build's own default; pipeline imports render
    )

    root = root.resolve()
    entries = _days(root, days)
    try:
        kaggle = kaggle_cli.find()
        user = kaggle_cli.username(kaggle)
    except KaggleError as error:
        raise Refused(str(error)) from None
    config = read_config(root)
    notebooks = {} if fetch else {entry.day: _notebook(root, entry, config) for entry in entries}
    runs = [Run(entry, f"{user}/{_slug(config.site_name or root.name, entry)}",
                timeout or entry.timeout or DEFAULT_TIMEOUT, time.monotonic())
            for entry in entries]
    try:
        for run in runs if not fetch else ():
            _push(kaggle, run, notebooks[run.entry.day], say)
        _poll(root, kaggle, [run for run in runs if not run.outcome], say, lock)
    except KeyboardInterrupt:
        for run in runs:
            if not run.outcome and run.state not in kaggle_cli.ENDED:
                say(f"{run.entry.slug}: stopped waiting; the run goes on on Kaggle: "
                    f"{_fetch_hint(run.entry)}")
            elif not run.outcome:  # it ended, and was not brought back yet
                say(f"{run.entry.slug}: stopped before it was stored: {_fetch_hint(run.entry)}")
        return 130
    outcomes = {run.outcome for run in runs}
    return EXIT_INVALID if "refused" in outcomes else \
        EXIT_OK if outcomes == {"ok"} else EXIT_FAILED


def _days(root: Path, days: frozenset[int]) -> list[Entry]:
    entries = {entry.day: entry for entry in load_entries(root, load_catalog())}
    unknown = sorted(days - set(entries))
    if unknown:
        known = ", ".join(str(day) for day in sorted(entries)) or "none"
        raise Refused(f"this journal has no day {unknown[0]} (no entries/{day_slug(unknown[0])}"
                      f".yaml); its days are {known}")
    return [entries[day] for day in sorted(days)]


def _notebook(root: Path, entry: Entry, config) -> dict:
    """The day's notebook to push: the exported one, capture cell first. Refused when the files
    its last run read cannot reach it there."""
    result, _ = read_result(root, entry.day)
    left = export.left_behind(root, entry, result, config)
    if left:
        rel, why = next(iter(left.items()))
        fix = "set repo_url in mkdocs.yml to the journal's GitHub repository and push it there" \
            if why.startswith(publish.TOO_LARGE) else "commit it to the journal's repository"
        raise Refused(f"{rel}: day {entry.day} reads it, and the notebook cannot bring it to "
                      f"Kaggle ({why}); {fix}, or have the solution read it from a URL")
    try:
        source = (root / entry.solution).read_bytes()
    except OSError as error:
        raise Refused(f"{entry.solution}: cannot be read ({error.strerror or error})") from None
    notebook = export.notebook_to_run(root, entry, result, source, config)
    meta = repr(notebook["metadata"]["journal"])  # a Python literal, whatever the path holds
    capture = {"cell_type": "code", "execution_count": None, "id": "journal-capture",
               "metadata": {}, "outputs": [],
               "source": CAPTURE_CELL.replace("{META}", meta).splitlines(keepends=True)}
    notebook["cells"].insert(1, capture)
    return notebook


def _slug(name: str, entry: Entry) -> str:
    """The run's name on Kaggle, from the journal's and the day's: `torchleet-journal-day-08`.
    Its title is the same words, so Kaggle's slug of the title is this one."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:40].strip("-") or "journal"
    return f"{base}-{entry.slug}"


def _push(kaggle: Kaggle, run: Run, notebook: dict, say) -> None:
    """Upload the day's notebook with its kernel-metadata.json and start its run."""
    entry, slug = run.entry, run.ref.split("/", 1)[1]
    metadata = {"id": run.ref, "title": slug.replace("-", " "), "code_file": f"{slug}.ipynb",
                "language": "python", "kernel_type": "notebook", "is_private": True,
                "enable_gpu": entry.requires == "cuda", "enable_tpu": False,
                "enable_internet": True, "dataset_sources": [], "competition_sources": [],
                "kernel_sources": [], "model_sources": []}
    # Outside the journal: a refused push leaves nothing behind in it.
    with tempfile.TemporaryDirectory(prefix="journal-push-") as folder:
        (Path(folder) / f"{slug}.ipynb").write_text(json.dumps(notebook, indent=1),
                                                    encoding="utf-8")
        (Path(folder) / "kernel-metadata.json").write_text(json.dumps(metadata, indent=1),
                                                           encoding="utf-8")
        try:
            kaggle_cli.push(kaggle, Path(folder))
        except TokenRefused as error:
            raise Refused(str(error)) from None
        except KaggleError as error:
            say(f"{entry.slug}: not run on Kaggle: {error}")
            run.outcome = "failed"
            return
    say(f"{entry.slug}: pushed to Kaggle as {run.ref} (private"
        f"{', GPU' if entry.requires == 'cuda' else ''})")
    run.started = time.monotonic()  # its time counts from the push


def _poll(root: Path, kaggle: Kaggle, runs: list[Run], say, lock) -> None:
    """Check each run's state until it ends or its time is up; bring back those that end."""
    pause = FIRST_POLL
    while waiting := [run for run in runs if not run.outcome]:
        for run in waiting:
            elapsed = time.monotonic() - run.started
            try:
                state, failure = kaggle_cli.status(kaggle, run.ref)
            except KaggleError as error:
                say(f"{run.entry.slug}: {error}; {_fetch_hint(run.entry)}")
                run.outcome = "refused" if isinstance(error, TokenRefused) else "failed"
                continue
            if state != run.state or time.monotonic() - run.said_at >= SAY_EVERY:
                say(f"{run.entry.slug}: {state.replace('_', ' ')} on Kaggle "
                    f"({_clock(elapsed)})")
                run.state, run.said_at = state, time.monotonic()
            if state in kaggle_cli.ENDED:
                run.outcome = _bring_back(root, kaggle, run, failure, say, lock)
            elif elapsed > run.timeout:
                run.outcome = "failed"
                say(f"{run.entry.slug}: still {state} on Kaggle after {_clock(elapsed)}, over "
                    f"its timeout of {run.timeout:g} s; stopped waiting, the run goes on: "
                    f"{_fetch_hint(run.entry)}")
        if any(not run.outcome for run in runs):
            _pause(pause)
            pause = min(pause * 1.5, MAX_POLL)


def _pause(seconds: float) -> None:
    time.sleep(seconds)


def _fetch_hint(entry: Entry) -> str:
    return f"`python build.py remote {entry.day} --kaggle --fetch` brings it back once it ends"


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}" if minutes >= 60 \
        else f"{minutes}:{seconds:02d}"


def _bring_back(root: Path, kaggle: Kaggle, run: Run, failure: str, say, lock) -> str:
    """Download the ended run and store it as the day's: "ok", "failed" or "refused"."""
    from torchleet_journal.build.ingest import ingest, outcome
    from torchleet_journal.model.status import status_of

    entry = run.entry
    if run.state.startswith("cancel"):
        say(f"{entry.slug}: the run was cancelled on Kaggle; nothing stored")
        return "failed"
    with tempfile.TemporaryDirectory(prefix="journal-output-") as folder:
        out = Path(folder)
        try:
            kaggle_cli.output(kaggle, run.ref, out / "output", RECORD)
            notebook = ran_notebook(root, entry, out / "output", run.ref.split("/")[1],
                                    run.state, failure)
        except (KaggleError, Refused) as error:
            say(f"{entry.slug}: Kaggle's run not brought back: {error}")
            return "failed"
        path = out / f"{entry.slug}-on-kaggle.ipynb"
        path.write_text(json.dumps(notebook), encoding="utf-8")
        try:
            with lock(root):
                entry, result, notes = ingest(root, path, entry.day)
        except InputError as error:
            for mistake in error.mistakes:
                say(f"{entry.slug}: Kaggle's run not stored: {mistake.message}")
            return "refused"
    say(outcome(entry, result, notes))
    return "ok" if status_of(entry, result).as_expected else "failed"


# --- the run notebook, from Kaggle's output ----------------------------------------------


def ran_notebook(root: Path, entry: Entry, output: Path, slug: str, state: str,
                 failure: str) -> dict:
    """The notebook the run stands for: each cell it ran with its outputs and how it ended,
    what it printed (its log) on the last of the solution's cells that ran."""
    printed = _printed(output / f"{slug}.log")
    record = _record(output / RECORD)
    if record is None:
        if state != "error":
            raise Refused(f"its output has no {RECORD} (was the notebook changed on Kaggle?); "
                          f"push it again: python build.py remote {entry.day} --kaggle")
        return _failed_early(root, entry, printed, failure)
    cells = []
    for number, ran in enumerate(record["cells"], 1):
        outputs = list(ran["outputs"])
        error = ran.get("error")
        if isinstance(error, dict):
            outputs.append({"output_type": "error", **{k: error.get(k) for k in
                                                        ("ename", "evalue", "traceback")}})
        times = {"iopub.execute_input": ran.get("started"), "shell.execute_reply": ran.get("ended")}
        cells.append({"cell_type": "code", "execution_count": number, "id": f"ran-{number}",
                      "metadata": {"execution": times}, "outputs": outputs,
                      "source": ran["source"]})
    solution = [cell for cell in cells if not _journal(cell)]
    if printed and solution:
        solution[-1]["outputs"].insert(0, _stream(printed))
    recorded = any(export.RECORD_MIME in output.get("data", {}) for cell in cells
                   for output in cell["outputs"] if isinstance(output.get("data"), dict))
    if not recorded and isinstance(record.get("ran"), dict):
        # The last cell never ran (the run failed first): what the first cell saw instead.
        cells.append({"cell_type": "code", "execution_count": len(cells) + 1, "id": "ran-record",
                      "metadata": {}, "source": STOPPED_RECORD, "outputs": [
                          {"output_type": "display_data", "metadata": {},
                           "data": {export.RECORD_MIME: record["ran"]}}]})
    return _as_notebook(record["journal"], cells)


def _record(path: Path) -> dict | None:
    """The capture cell's record (None if the run left none), checked to be its shape."""
    broken = Refused(f"its {RECORD} is not the record the journal's first cell writes; push "
                     "the day again")
    try:
        raw = read_regular(path, MAX_RECORD)
        if len(raw) > MAX_RECORD:
            raise Refused(f"its {RECORD} is over {MAX_RECORD >> 20} MB")
        record = notebook_json(raw.decode("utf-8"))  # bounded depth, a list of cells
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError):
        raise broken from None
    if not isinstance(record.get("journal"), dict) or not all(
            isinstance(c, dict) and isinstance(c.get("source"), str)
            and isinstance(c.get("outputs"), list)
            and all(isinstance(o, dict) for o in c["outputs"]) for c in record["cells"]):
        raise broken
    return record


def _printed(path: Path) -> str:
    """What the run printed, from its log: a JSON list of {"stream_name", "time", "data"}
    records (plain text if it is not one), less the lines of Kaggle's own notebook runner."""
    try:
        text = read_regular(path, MAX_LOG)[:MAX_LOG].decode("utf-8", errors="replace")
    except OSError:
        return ""
    try:
        records = json.loads(text)
    except (ValueError, RecursionError):
        records = None
    if isinstance(records, list):
        text = "".join(r["data"] for r in records
                       if isinstance(r, dict) and isinstance(r.get("data"), str))
    return "".join(line for line in text.splitlines(keepends=True)
                   if not RUNNER_LINE.match(line))


def _failed_early(root: Path, entry: Entry, printed: str, failure: str) -> dict:
    """A run that failed before the journal's first cell could record it (Kaggle could not
    start it): the day's solution, failed with the log's last error line."""
    config = read_config(root)
    source = (root / entry.solution).read_bytes()
    notebook = export.notebook_to_run(root, entry, None, source, config)
    lines = [line.strip() for line in printed.splitlines() if line.strip()]
    said = next((m for m in map(ERROR_LINE.match, reversed(lines)) if m), None)
    name, value = (said.group(1), said.group(2)) if said else \
        ("KaggleRunFailed", failure or (lines[-1] if lines else "the run ended with an error"))
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    first = next(cell for cell in code if not _journal(cell))
    first.update(execution_count=1, outputs=[
        *([_stream(printed)] if printed else []),
        {"output_type": "error", "ename": name, "evalue": value, "traceback": lines[-40:]}])
    return _as_notebook(notebook["metadata"]["journal"], code)


def _journal(cell: dict) -> bool:
    source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
    return source.startswith(export.JOURNAL_CELL)


def _stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def _as_notebook(journal: dict, cells: list[dict]) -> dict:
    return {"cells": cells, "metadata": dict(export.KERNEL, journal=journal), "nbformat": 4,
            "nbformat_minor": 5}
