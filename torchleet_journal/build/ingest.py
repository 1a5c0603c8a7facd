"""Bringing a run back: a day's notebook run elsewhere (Colab, Kaggle, Jupyter), stored as its run.

A day's exported notebook (torchleet_journal/pages/export.py) names its day and the hash of the solution it
was made from, and ends with a cell that records the scalars the run logged and what it ran
on. Run elsewhere and downloaded, it comes back here. Its code cells must be the day's
solution as it is now (the journal's own cells aside); then its outputs become the day's
`Result`, keyed to that solution as a run of the build is and written through the same store.
So the next build keeps it and trains nothing, and editing the solution makes it out of date.

A notebook from outside is data: everything is checked before anything is written. Only
plain text, PNG and JPEG outputs are kept (HTML, JavaScript and SVG never reach a page live);
an image must be the type it claims, within size and count bounds; text is cleaned as a run's
own output is (torchleet_journal/build/clean.py), and the page escapes it like any other.
"""

from __future__ import annotations

import ast
import base64
import binascii
import datetime as dt
import io
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path

from torchleet_journal.base.dates import in_bounds, parse_time
from torchleet_journal.base.environment import versions
from torchleet_journal.base.errors import InputError, shown
from torchleet_journal.base.files import read_regular, refuse_linked_folders, sha256_bytes, sha256_file
from torchleet_journal.base.layout import STATE
from torchleet_journal.base.text import terminal_safe
from torchleet_journal.build.clean import scrubber
from torchleet_journal.build.run_key import cache_key, packages_imported
from torchleet_journal.model.catalog import load_catalog
from torchleet_journal.model.entries import Entry, load_entries
from torchleet_journal.model.notebook import cells_of, notebook_json
from torchleet_journal.model.results import (
    FAILED,
    PASSED,
    RAN_ON,
    RESULTS_DIR,
    Result,
    load_result,
    store_result,
)
from torchleet_journal.model.source import decode
from torchleet_journal.pages.export import JOURNAL_CELL, RECORD_MIME
from torchleet_journal.pages.render import where_it_ran

MAX_FILE = 256 << 20  # a notebook bigger than this is not read at all
MAX_LOG = 4 << 20  # characters of printed output kept: beyond, its head and its tail
MAX_IMAGE = 16 << 20  # bytes of one figure
MAX_PIXELS = 50_000_000  # of one figure, read from its header before anything decodes it
MAX_FIGURES = 100
MAX_SCALARS = 200
MAX_TRACEBACK = 64 << 10
# Image types kept, with the bytes each file starts with and the name PIL gives it.
IMAGES = {"image/png": (b"\x89PNG\r\n\x1a\n", "png", "PNG"),
          "image/jpeg": (b"\xff\xd8\xff", "jpg", "JPEG")}
KEPT = {"text/plain", RECORD_MIME, *IMAGES}  # any other type (HTML, JavaScript, SVG) is not
NOT_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}  # how the record spells them
# A library file on the machine it ran on, named as this machine's are (torchleet_journal/build/clean.py).
FOREIGN_LIBRARY = re.compile(r"(?<![\w.-])(?:/[\w.+-]+)+/(?:site|dist)-packages/")
# The first line of a journal's own code cell: today's, and that of the setup cell of notebooks
# exported before they could come back.
JOURNAL_CELLS = (JOURNAL_CELL, "# Run outside the journal (on Colab, say)")
RUN_ALL = "run all its cells (Colab: Runtime → Run all), then download it (File → Download .ipynb)"


@dataclass
class Brought:
    """A run read from a notebook, checked, not yet stored: the result and its files' bytes."""

    result: Result
    files: dict[str, bytes] = field(default_factory=dict)
    log: str = ""
    notes: list[str] = field(default_factory=list)  # what was left out or cut, one phrase each


def ingest(root: Path, path: Path, day: int | None = None) -> tuple[Entry, Result, list[str]]:
    """Store the run in notebook `path` as its day's result (the day it names, or `day`).

    Returns the entry, the result as stored and what was left out of it. Raises InputError,
    having written nothing, when the notebook is not the day's solution as it is now, run.
    """
    root = root.resolve()
    name = str(path)
    notebook = _read(path)
    entries = {entry.day: entry for entry in load_entries(root, load_catalog(root))}
    entry = _which_day(name, notebook, day, entries)
    source = (root / entry.solution).read_bytes()
    pairs = _paired(name, notebook, entry, source)
    record = _record(notebook)
    _check_ran(name, pairs, record)
    brought = _brought(root, name, entry, pairs, record[1] if record else None)
    timeout = _key(root, entry, brought.result, notebook)
    if brought.result.wall_time > timeout:
        brought.notes.append(f"it took {brought.result.wall_time:.0f} s, over the day's timeout "
                             f"of {timeout:g} s: a build that can run it runs it again unless "
                             "the entry's timeout: allows that long")
    refuse_linked_folders(root, [RESULTS_DIR, f"{RESULTS_DIR}/{entry.slug}"])
    return entry, _store(root, brought), brought.notes


def outcome(entry: Entry, result: Result, notes: list[str]) -> str:
    """The one line `build.py ingest` prints once a run is stored."""
    figures = len(result.figures) + len(result.cell_figures())
    scalars = len(result.scalars)
    said = [f"{figures} figure{'s' * (figures != 1)}", f"{scalars} scalar{'s' * (scalars != 1)}",
            f"{result.log_lines} line{'s' * (result.log_lines != 1)} of output", *notes]
    status = result.status + (f" ({result.reason})" if result.reason else "")
    return (f"{entry.slug}: stored the run that {where_it_ran(result)} as {status}: "
            f"{', '.join(said)}; `python build.py` shows it")


# --- reading and checking ------------------------------------------------------------------


def _read(path: Path) -> dict:
    """The notebook's JSON, or one located line saying why it is none (truncated, too big)."""
    name = str(path)
    try:
        raw = read_regular(path, MAX_FILE)  # never a FIFO or a device: they need not end
        if len(raw) > MAX_FILE:
            size = path.stat().st_size
            raise InputError.one(name, 1, f"the notebook is {size / 2**20:.0f} MB, over the "
                                 f"{MAX_FILE >> 20} MB ingest reads; clear its largest outputs "
                                 "and download it again")
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        why = (error.strerror if isinstance(error, OSError) else None) or error
        raise InputError.one(name, 1, f"cannot be read ({why}); give the path of a downloaded "
                             ".ipynb file") from None
    try:
        notebook = notebook_json(text)  # the build's own reader: bounded depth, a list of cells
    except json.JSONDecodeError as error:
        # A notebook ends with its closing brace: without it, the download was cut short.
        cut = "" if text.rstrip().endswith("}") else " (the file ends early: cut short?)"
        raise InputError.one(name, error.lineno, f"not a notebook: its JSON is broken at column "
                             f"{error.colno}, {error.msg}{cut}; download it again") from None
    except ValueError as error:  # nested too deeply, or no cells
        raise InputError.one(name, 1, f"{error}; download it again as .ipynb") from None
    if notebook.get("nbformat") != 4 or not all(isinstance(c, dict) for c in notebook["cells"]):
        raise InputError.one(name, 1, "not a Jupyter notebook (nbformat 4, a list of cells); "
                             "download it again as .ipynb")
    return notebook


def _which_day(name: str, notebook: dict, day: int | None, entries: dict[int, Entry]) -> Entry:
    """The day the notebook is for: the one its metadata names, which --day must agree with."""
    meta = notebook.get("metadata")
    meta = meta.get("journal") if isinstance(meta, dict) else None
    said = meta.get("day") if isinstance(meta, dict) else None
    said = said if isinstance(said, int) and not isinstance(said, bool) else None
    if said is not None and day is not None and said != day:
        raise InputError.one(name, 1, f"this is day {said}'s notebook, not day {day}'s; "
                             f"ingest it with --day {said}, or bring day {day}'s own notebook")
    day = day if day is not None else said
    if day is None:
        raise InputError.one(name, 1, "the notebook does not say which day it is (no journal "
                             "metadata); name it with --day N")
    if day not in entries:
        raise InputError.one(name, 1, f"this journal has no day {day} (no entries/day-"
                             f"{day:02d}.yaml); check --day, or the journal's folder (--root)")
    return entries[day]


@dataclass
class Pair:
    """One of the solution's code cells, and the notebook's cell that ran it."""

    number: int  # the solution's code cells counted from 1, as pages and failures name them
    index: int | None  # its index among a notebook solution's cells (None for a script)
    cell: dict


def _paired(name: str, notebook: dict, entry: Entry, source: bytes) -> list[Pair]:
    """The notebook's code cells, less the journal's own, matched to the solution's now: its
    text as Python reads it (a coding cookie, a BOM), as the export that made the notebook did."""
    text = decode(source, entry.is_notebook)
    try:
        ours = [c for c in cells_of(text) if c["kind"] == "code"] if entry.is_notebook \
            else [{"index": None, "source": text}]
    except ValueError:  # a notebook solution that is no notebook: exported as one cell
        ours = [{"index": None, "source": text}]
    theirs = [c for c in notebook["cells"] if c.get("cell_type") == "code" and not _journal(c)]
    pairs = []
    for number, (cell, mine) in enumerate(zip_longest(theirs, ours), 1):
        where = f"cell {number}" if entry.is_notebook else "its code"
        if cell is None:
            _differs(name, notebook, entry, source, f"{where} of {entry.solution} is missing "
                     "from the notebook")
        if mine is None:
            _differs(name, notebook, entry, source, f"its code cell {number} is not in "
                     f"{entry.solution}")
        theirs_text = _normal(_text(name, cell.get("source", ""), "source"))
        if theirs_text != _normal(mine["source"]):
            _differs(name, notebook, entry, source, f"{where} is not {entry.solution}'s as it "
                     f"is now: {_first_difference(theirs_text, _normal(mine['source']))}")
        pairs.append(Pair(number, mine["index"], cell))
    return pairs


def _differs(name: str, notebook: dict, entry: Entry, source: bytes, what: str) -> None:
    made = notebook.get("metadata", {}).get("journal", {})
    made = made.get("sha256") if isinstance(made, dict) else None
    older = " (the notebook was made from an earlier version of it)" \
        if made and made != sha256_bytes(source) else ""
    raise InputError.one(name, 1, f"{what}{older}; run the day's notebook as it is now, or put "
                         f"the change into {entry.solution} first")


def _first_difference(theirs: str, ours: str) -> str:
    lines = zip_longest(theirs.split("\n"), ours.split("\n"))
    for number, (mine, solution) in enumerate(lines, 1):
        if mine != solution:
            return (f"line {number} reads {shown(mine) if mine is not None else 'nothing'}, "
                    f"the solution's {shown(solution) if solution is not None else 'nothing'}")
    return "they differ"


def _normal(source: str) -> str:
    """A cell's code as compared: line ends and trailing blank lines are no difference."""
    return source.replace("\r\n", "\n").rstrip()


def _journal(cell: dict) -> bool:
    """Whether a code cell is the journal's own (its setup or record cell), not the solution's."""
    source = cell.get("source", "")
    first = source[0] if isinstance(source, list) and source else source
    return isinstance(first, str) and first.startswith(JOURNAL_CELLS)


def _text(name: str, value, what: str) -> str:
    """Notebook text, stored as a string or a list of lines; anything else is no notebook."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "".join(value)
    raise InputError.one(name, 1, f"not a Jupyter notebook: a cell's {what} must be text, got "
                         f"{type(value).__name__}; download it again")


def _record(notebook: dict) -> tuple[int, dict] | None:
    """The record the journal's last cell made when it ran: (its execution count, record)."""
    found = None
    for cell in notebook["cells"]:
        if cell.get("cell_type") != "code" or not _journal(cell) or \
                not _is_count(cell.get("execution_count")):
            continue
        for output in cell.get("outputs", []) if isinstance(cell.get("outputs"), list) else []:
            data = output.get("data") if isinstance(output, dict) else None
            value = data.get(RECORD_MIME) if isinstance(data, dict) else None
            if isinstance(value, str):  # a front end that keeps JSON outputs as text
                try:
                    value = json.loads(value)
                except ValueError:
                    value = None
            if isinstance(value, dict):
                found = (cell["execution_count"], value)
    return found


def _check_ran(name: str, pairs: list[Pair], record: tuple[int, dict] | None) -> None:
    """The solution's cells ran, in order, up to the end or to a failure; else say what to do."""
    ran = [pair for pair in pairs if _is_count(pair.cell.get("execution_count"))]
    if not ran:
        raise InputError.one(name, 1, f"the notebook has not been run here (no code cell has an "
                             f"execution count); {RUN_ALL}")
    counts = [pair.cell["execution_count"] for pair in ran] + ([record[0]] if record else [])
    for before, after in zip(counts, counts[1:]):
        if after <= before:
            raise InputError.one(name, 1, f"its cells ran out of order ([{after}] after "
                                 f"[{before}]), so its outputs may not be one run of the code; "
                                 f"restart and {RUN_ALL}")
    failed = any(_outputs(name, pair.cell, "error") for pair in ran)
    missed = [pair for pair in pairs if not _is_count(pair.cell.get("execution_count")) and
              _normal(_text(name, pair.cell.get("source", ""), "source"))]
    if missed and not failed:
        where = f"cell {missed[0].number}" if pairs[0].index is not None else "its code"
        raise InputError.one(name, 1, f"{where} has not run, and no cell failed: the run is not "
                             f"complete; {RUN_ALL}")


def _outputs(name: str, cell: dict, kind: str | None = None) -> list[dict]:
    outputs = cell.get("outputs", [])
    if not isinstance(outputs, list) or not all(
            isinstance(o, dict) and isinstance(o.get("output_type"), str) for o in outputs):
        raise InputError.one(name, 1, "not a Jupyter notebook: a cell's outputs must be a list "
                             "of outputs; download it again")
    return [o for o in outputs if kind is None or o["output_type"] == kind]


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# --- the run, as a Result ------------------------------------------------------------------


def _brought(root: Path, name: str, entry: Entry, pairs: list[Pair],
             record: dict | None) -> Brought:
    """The run the notebook holds: status, printed output, figures, scalars, where it ran."""
    result = Result(entry.day, PASSED, exit_code=0)
    brought, printed, live = Brought(result), [], 0
    clean = _cleaner(root)
    for pair in pairs:
        if not _is_count(pair.cell.get("execution_count")):
            break  # the run stopped before it (at a failure, checked above)
        shown_here = []
        for output in _outputs(name, pair.cell):
            kind = output["output_type"]
            if kind == "stream":
                printed.append(_text(name, output.get("text", ""), "output"))
            elif kind in ("display_data", "execute_result"):
                live += _display(name, output.get("data"), brought, printed, shown_here)
            elif kind == "error":
                _failed(entry, pair, output, result, clean, printed)
                break
        if pair.index is not None:
            result.cells.append({"index": pair.index, "kind": "code", "figures": shown_here})
        else:
            result.figures += shown_here
        if not result.ok:
            break
    brought.log = clean(_bounded("".join(printed), brought.notes))
    if live:
        brought.notes.append(f"{live} HTML/JavaScript/SVG output{'s' * (live != 1)} not "
                             "published (shown as text where they had a plain-text form)")
    _read_record(record or {}, result, brought.notes)
    result.wall_time, ran_at = _timing(pairs)
    result.ran_at = result.ran_at or ran_at
    return brought


def _display(name: str, data, brought: Brought, printed: list[str],
             shown_here: list[str]) -> int:
    """One display or result output: its image as a figure, else its plain text as printed.
    Returns 1 when it also held a type that is never published live (HTML, JS, SVG...)."""
    if not isinstance(data, dict):
        return 0
    image = next((mime for mime in IMAGES if mime in data), None)
    if image is not None:
        figure = _figure(image, data[image], brought)
        shown_here += [figure] if figure else []
    elif "text/plain" in data:
        text = _text(name, data["text/plain"], "output")
        printed.append(text if text.endswith("\n") else text + "\n")
    return int(any(mime not in KEPT for mime in data))


def _figure(mime: str, payload, brought: Brought) -> str | None:
    """Store an image output as the next figure if it is the image it claims; else say why not."""
    magic, suffix, kind = IMAGES[mime]
    count = len(brought.files) + 1  # the figures kept so far, in every cell
    problem = None
    if count > MAX_FIGURES:
        problem = f"more than {MAX_FIGURES} figures"
    elif not isinstance(payload, (str, list)) or not all(isinstance(p, str) for p in payload):
        problem = "not base64 text"
    elif sum(map(len, payload)) > MAX_IMAGE * 4 // 3 + 4096:  # base64: 4 characters a 3 bytes
        problem = f"over {MAX_IMAGE >> 20} MB"
    else:
        try:
            data = base64.b64decode("".join(payload))
        except (binascii.Error, TypeError):
            data = b""
        problem = _image_problem(data, magic, kind)
    if problem:
        brought.notes.append(f"an image output left out ({problem})")
        return None
    name = f"figure-{count:02d}.{suffix}"
    brought.files[name] = data
    return name


def _image_problem(data: bytes, magic: bytes, kind: str) -> str | None:
    """Why `data` is not a `kind` image we may publish, or None if it is one."""
    if not data.startswith(magic):
        return f"not the {kind} image it claims to be"
    if len(data) > MAX_IMAGE:
        return f"over {MAX_IMAGE >> 20} MB"
    from PIL import Image  # matplotlib's own dependency: reads the header, decodes nothing yet

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != kind:
                return f"not the {kind} image it claims to be"
            if image.width * image.height > MAX_PIXELS:
                return f"{image.width}×{image.height} pixels, over {MAX_PIXELS // 10**6} million"
            image.verify()
    except Exception as error:  # whatever PIL makes of a broken file, it is not kept
        return f"a broken {kind} ({type(error).__name__})"
    return None


def _failed(entry: Entry, pair: Pair, output: dict, result: Result, clean, printed) -> None:
    """The run's failure, as the build records one: a reason line and the traceback."""
    name = output.get("ename")
    name = name if isinstance(name, str) and re.fullmatch(r"[A-Za-z_][\w.]{0,100}", name) \
        else "Error"
    value = output.get("evalue") if isinstance(output.get("evalue"), str) else ""
    where = f"cell {pair.number}: " if pair.index is not None else ""
    first = value.splitlines()[0] if value.strip() else ""
    result.status, result.exit_code = FAILED, 1
    result.reason = clean(terminal_safe(f"{where}{name}: {first}".rstrip(": ")))[:1000]
    lines = output.get("traceback")
    lines = lines if isinstance(lines, list) and all(isinstance(x, str) for x in lines) else []
    result.traceback = clean("\n".join(lines) or result.reason)[-MAX_TRACEBACK:]
    printed.append(result.traceback + "\n")  # the log shows what Jupyter showed


def _cleaner(root: Path):
    """This machine's paths made relative (torchleet_journal/build/clean.py), and the other machine's library
    folders dropped, so `/usr/local/lib/python3.10/dist-packages/torch/...` reads `torch/...`."""
    clean = scrubber(root)
    return lambda text: FOREIGN_LIBRARY.sub("", clean(text))


def _bounded(text: str, notes: list[str]) -> str:
    """Printed output whole up to MAX_LOG characters; beyond, its head and tail."""
    if len(text) <= MAX_LOG:
        return text
    half = MAX_LOG // 2
    notes.append(f"output cut to its first and last {half >> 20} MB of {len(text) / 2**20:.1f} MB")
    return (text[:half] + f"\n… {len(text) - 2 * half} characters not kept by `build.py "
            "ingest` …\n" + text[-half:])


def _read_record(record: dict, result: Result, notes: list[str]) -> None:
    """What the journal's last cell recorded: scalars, where and on what it ran, peak memory."""
    def said(key: str) -> str:
        value = record.get(key)
        return terminal_safe(" ".join(value.split()))[:100] if isinstance(value, str) else ""

    result.ran_on = {key: said(key) for key in RAN_ON if said(key)}
    ran_at = parse_time(said("ran_at"))
    result.ran_at = ran_at.isoformat(timespec="seconds") if ran_at else ""
    peak = record.get("peak_memory_mb")
    if isinstance(peak, (int, float)) and not isinstance(peak, bool) and math.isfinite(peak) \
            and peak >= 0:
        result.peak_memory_mb = float(peak)
    scalars = record.get("scalars")
    for series in scalars if isinstance(scalars, list) else ():
        tag = series.get("tag") if isinstance(series, dict) else None
        tag = tag if isinstance(tag, str) else ""
        points = _series(series)
        if points is None or not tag or len(result.scalars) == MAX_SCALARS:
            notes.append(f"the scalar {shown(tag)} left out ("
                         + ("unreadable)" if points is None or not tag else
                            f"more than {MAX_SCALARS} scalars)"))
            continue
        result.scalars[terminal_safe(tag)[:300]] = points
    if len(notes) > 12:  # one line: a record with a thousand bad tags says so once
        notes[10:] = [f"{len(notes) - 10} more left out"]


def _series(series) -> dict[str, list[float]] | None:
    """A scalar's {"tag", "steps", "values"} as the record spells them, as the journal keeps
    them ({"steps", "values"}), or None if it is not one."""
    if not isinstance(series, dict):
        return None
    steps, values = series.get("steps"), series.get("values")
    if not isinstance(steps, list) or not isinstance(values, list) or not steps or \
            len(steps) != len(values) or not all(_is_count(step) for step in steps):
        return None
    numbers = [NOT_FINITE.get(v) if isinstance(v, str) else v for v in values]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers):
        return None
    try:
        return {"steps": steps, "values": [float(v) for v in numbers]}
    except OverflowError:  # a whole number too big for a float
        return None


def _timing(pairs: list[Pair]) -> tuple[float, str]:
    """Wall time over the solution's cells, and when the last ended, from their metadata:
    Jupyter's `execution` times, or Colab's `executionInfo` (0 and "" where neither is)."""
    seconds, last = 0.0, None
    for pair in pairs:
        if not _is_count(pair.cell.get("execution_count")):
            continue
        meta = pair.cell.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        times, info = meta.get("execution"), meta.get("executionInfo")
        try:
            if isinstance(times, dict):
                start = parse_time(str(times["iopub.execute_input"]))
                end = parse_time(str(times["shell.execute_reply"]))
                if start is None or end is None:
                    continue  # not a time, or one outside the years the journal computes with
                seconds, last = seconds + max((end - start).total_seconds(), 0.0), end
            elif isinstance(info, dict):
                seconds += max(float(info["elapsed"]), 0.0) / 1000
                end = dt.datetime.fromtimestamp(float(info["timestamp"]) / 1000, dt.timezone.utc)
                last = end if in_bounds(end) else last
        except (KeyError, TypeError, ValueError, OverflowError, OSError):
            continue
    ran_at = last.astimezone().isoformat(timespec="seconds") if last else ""
    return (round(seconds, 3) if math.isfinite(seconds) else 0.0), ran_at


# --- keying and storing --------------------------------------------------------------------


def _key(root: Path, entry: Entry, result: Result, notebook: dict) -> float:
    """Key the run as the build keys its own: to the solution and the files it read, as they
    are now, this machine's Python and torch, and the versions of the packages it imports.
    Returns the day's timeout, which a run of it must fit in to stay fresh."""
    from torchleet_journal.build.pipeline import (
        DEFAULT_TIMEOUT,  # the build's own default; pipeline imports render
    )

    timeout = float(entry.timeout or DEFAULT_TIMEOUT)
    result.deps = dict(sorted({entry.solution: sha256_file(root / entry.solution),
                               **_data_files(root, entry, notebook)}.items()))
    result.packages = packages_imported(root, result.deps)
    result.settings = entry.run_settings()
    # The result names the Python and torch its key holds (this machine's, which ingested it),
    # so a Pages build with other versions knows it is the same run and publishes it as stored
    # (run_key.made_elsewhere); the notebook's own torch is in ran_on, for its page.
    here = versions()
    result.python, result.torch = here["python"], here["torch"]
    result.key = cache_key(root, entry, result.deps, here, result.status, timeout,
                           packages=result.packages)
    return timeout


def _data_files(root: Path, entry: Entry, notebook: dict) -> dict[str, str]:
    """The journal's files the notebook's setup cell put beside the solution, with their hashes:
    editing one makes the run out of date, as it does a run of the build that read it.

    The setup cell is the notebook's, so it is data: only files the day's own stored run read
    (from which the export wrote that cell) are taken; any other it names is not the day's, and
    would otherwise ride into the published notebook's setup cell."""
    folder = (root / entry.solution).parent
    stored = load_result(root, entry.day)
    known = set(stored.deps) if stored else set()
    found = {}
    for cell in notebook["cells"]:
        if cell.get("cell_type") != "code" or not _journal(cell):
            continue
        try:
            tree = ast.parse(_text("", cell.get("source", ""), "source"))
        except (SyntaxError, ValueError, InputError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict) and \
                    any(isinstance(t, ast.Name) and t.id == "FILES" for t in node.targets):
                for key in node.value.keys:
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        path = os.path.normpath(folder / key.value)
                        rel = os.path.relpath(path, root).replace(os.sep, "/")
                        if rel in known and Path(path).is_file():
                            found[rel] = sha256_file(Path(path))
    return found


def _store(root: Path, brought: Brought) -> Result:
    """Write the run through the result store: its files first, then result.json, the commit
    point. Charts are drawn and the log laid out in a scratch folder beside, removed after."""
    from torchleet_journal.base import charts
    from torchleet_journal.build.collect import (
        _store_log,  # the build's own layout of a run's log: head, tail, gzip
    )
    from torchleet_journal.run.capture import LOG

    result = brought.result
    (root / STATE).mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root / STATE, prefix="ingest-") as scratch:
        out = Path(scratch)
        for name, data in brought.files.items():
            (out / name).write_bytes(data)
        for number, (tag, series) in enumerate(result.scalars.items(), 1):
            if len(series["values"]) > 1:
                name = f"chart-{number:02d}.png"
                charts.metric_chart(tag, series["steps"], series["values"], out / name)
                result.charts[tag] = name
        if brought.log:
            (out / LOG).write_text(brought.log, encoding="utf-8")
        result.log, log_file = _store_log(result, out)
        produced = {name: out / name for name in result.files()}
        if log_file is not None:
            produced[result.log] = log_file
        return store_result(root, result, produced)

