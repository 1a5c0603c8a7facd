"""A notebook per day: the solution as a Jupyter notebook with the outputs of its last run.

Made from what is already stored, never by running anything: the solution's source, and its
result's log and figures in `results/day-NN/`. So a cached day, or a clone that never trained,
gets its notebook too, and a change of `repo_url` reaches every notebook at the next build.
The notebook is written into `results/day-NN/` beside the run it shows, only when its bytes
change, and only while that run is of the solution as it is now.

Run elsewhere (Colab), a solution still finds the files it read: a first cell puts them beside
it, fetched from the repository's raw URLs when `repo_url` is on GitHub, else carried inside
the notebook when they are small. A last cell records what the run logged and where it ran,
and the notebook's metadata names the day and the solution's hash: `build.py ingest` brings
such a run back (torchleet_journal/build/ingest.py). A `requires: cuda` day that has no run here gets its
notebook too, without outputs, to run where there is a GPU.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import urllib.parse
from pathlib import Path

from torchleet_journal.base.files import sha256_bytes, write_if_changed
from torchleet_journal.base.layout import STATE
from torchleet_journal.model import markup
from torchleet_journal.model.notebook import cells_of
from torchleet_journal.model.results import NOT_RUN, RESULTS_DIR, Result, day_dir
from torchleet_journal.model.siteconfig import SiteConfig, page_url
from torchleet_journal.model.source import decode
from torchleet_journal.pages import publish

COLAB = "https://colab.research.google.com/github/{owner}/{repo}/blob/{branch}/{path}"
RAW = "https://raw.githubusercontent.com/{owner}/{repo}/{branch}/{path}"
MAX_STREAM = 1 << 20  # printed output kept whole up to this size; beyond, the head and tail
MAX_CARRIED = 256 << 10  # data files carried inside a notebook, in all, when there is no repo
CACHE = f"{STATE}/notebooks.json"  # day -> what its notebook was made from, to skip remaking it
FORMAT = 2  # bump when the notebook's layout changes: every notebook is made again
KERNEL = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
          "language_info": {"name": "python"}}
# The first line of the journal's own code cells: how ingest tells them from the solution's,
# even where a notebook's cell metadata does not survive the trip.
JOURNAL_CELL = "# The journal's own cell"
RECORD_MIME = "application/vnd.torchleet-journal.run+json"  # the last cell's record of the run
# The last cell. It imports nothing the solution did not (tensorboard only if it is there),
# defines one name and deletes it, so it runs anywhere Jupyter does, and again after a re-run.
RECORD_CELL = f"""{JOURNAL_CELL}: what `python build.py ingest` reads back once this notebook
# has run elsewhere (Colab, Kaggle, Jupyter): the scalars the run logged and what it ran on.
def _journal_record():
    import datetime, gc, glob, math, os, platform, sys
    record = {{"ran_at": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
              "python": platform.python_version(), "scalars": [],
              "where": "Colab" if "google.colab" in sys.modules else
                       "Kaggle" if os.environ.get("KAGGLE_KERNEL_RUN_TYPE") else "Jupyter"}}
    torch = sys.modules.get("torch")
    if torch is not None:
        record["torch"] = torch.__version__
        record["device"] = torch.cuda.get_device_name() if torch.cuda.is_available() else "CPU"
    try:
        import resource  # peak memory of this kernel, as the journal's own runs measure it
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        record["peak_memory_mb"] = peak / (2**20 if sys.platform == "darwin" else 2**10)
    except (ImportError, OSError):
        pass
    # A SummaryWriter buffers scalars until it is closed: flush those still open.
    folders = {{"runs"}}
    writers = sys.modules.get("torch.utils.tensorboard.writer")
    for thing in gc.get_objects() if writers else ():
        if issubclass(type(thing), writers.SummaryWriter):  # type(): no object's own __class__
            thing.flush()
            folders.add(thing.log_dir)
    # Only this run's event files: those written since the first cell ran.
    started = globals().get("_journal_started", 0)
    runs = sorted({{os.path.abspath(os.path.dirname(path)) for folder in folders
                   for path in glob.glob(os.path.join(folder, "**", "events.out.tfevents.*"),
                                         recursive=True)
                   if os.path.getmtime(path) >= started}})
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    except ImportError:
        runs = []
    for run in runs:
        reader = EventAccumulator(run, size_guidance={{"scalars": 0}})  # 0: every point
        reader.Reload()
        for tag in reader.Tags().get("scalars", []):
            name = tag if len(runs) == 1 else os.path.relpath(run).replace(os.sep, "/") + "/" + tag
            points = reader.Scalars(tag)
            # A list, not an object: notebooks are saved with sorted keys, and the first tag
            # logged is the day's headline metric.
            record["scalars"].append({{
                "tag": name, "steps": [p.step for p in points],
                "values": [v if math.isfinite(v) else repr(v) for v in (p.value for p in points)]}})
    return record


_journal = _journal_record()
_journal_said = (f"The journal's record of this run: {{len(_journal['scalars'])}} scalars, on "
                 f"{{_journal.get('device', 'CPU')}}, torch {{_journal.get('torch', '?')}}. Download "
                 "this notebook (File > Download .ipynb), then: python build.py ingest FILE.ipynb")
try:
    from IPython.display import display
    display({{{RECORD_MIME!r}: _journal, "text/plain": _journal_said}}, raw=True)
except ImportError:
    print(_journal_said)
del _journal_record, _journal, _journal_said
"""


def notebook_name(entry) -> str:
    """The notebook's file name in the day's results: the solution's, or beside a notebook's."""
    # The learner names the solution; a stored file's name stays plain (see results.FILE_NAME).
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(entry.solution).stem).strip("._") or "solution"
    return f"{stem}-with-outputs.ipynb" if entry.is_notebook else f"{stem}.ipynb"


def notebook_path(root: Path, entry) -> Path:
    return day_dir(root, entry.day) / notebook_name(entry)


def colab_url(config: SiteConfig, entry) -> str | None:
    """"Open in Colab" for the committed notebook, when the repository is on GitHub."""
    if config.github is None:
        return None
    owner, repo = config.github
    path = f"{RESULTS_DIR}/{entry.slug}/{notebook_name(entry)}"
    return COLAB.format(owner=owner, repo=repo, branch=_quoted(config.branch), path=path)


def write_notebooks(root: Path, days: list, config: SiteConfig) -> list[str]:
    """Write each day's notebook whose content changed; returns the paths written.

    A day whose solution, run and settings are those its notebook was last made from is
    skipped without encoding its figures again: a cached build stays fast.
    """
    try:
        made = json.loads((root / CACHE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        made = {}
    made = made if isinstance(made, dict) else {}
    written, now = [], {}
    for day in days:
        path = notebook_path(root, day.entry)
        try:
            source = (root / day.entry.solution).read_bytes()
        except OSError:
            continue
        result = day.result
        key = sha256_bytes(json.dumps([FORMAT, sha256_bytes(source), day.entry.solution,
                                       day.entry.task, str(day.entry.date), day.entry.requires,
                                       result and [result.key, result.ran_at, result.status,
                                                   result.files(), result.reason],
                                       config.site_url, config.repo_url, config.branch,
                                       _rules(root, day.entry, result)]).encode())
        now[day.entry.slug] = key
        _remove_other_notebooks(path)
        if made.get(day.entry.slug) == key and path.is_file():
            continue
        text = day_notebook(root, day.entry, result, source, config)
        if text is not None and write_if_changed(path, text):
            written.append(path.relative_to(root).as_posix())
    if now != made:
        write_if_changed(root / CACHE, json.dumps(now, indent=0, sort_keys=True))
    return written


def _rules(root: Path, entry, result: Result | None) -> list:
    """What decides which of the files the run read may be carried (see publish.rules_stamp)."""
    data = [rel for rel in (result.deps if result else ()) if rel != entry.solution]
    return publish.rules_stamp(root, data) if data else []


def _remove_other_notebooks(path: Path) -> None:
    """A renamed solution leaves its old notebook behind: only the current one stays."""
    for old in path.parent.glob("*.ipynb") if path.parent.is_dir() else ():
        if old.name != path.name and not old.is_symlink():
            old.unlink()


def day_notebook(root: Path, entry, result: Result | None, source: bytes,
                 config: SiteConfig) -> str | None:
    """The day's notebook as JSON text, or None when there is no run of this very source.

    A `requires: cuda` day with no such run gets one without outputs: where there is no GPU,
    running it elsewhere and bringing it back (`build.py ingest`) is how it gets a run.
    """
    digest = sha256_bytes(source)
    if result is None or result.status == NOT_RUN or result.deps.get(entry.solution) != digest:
        if entry.requires != "cuda":
            return None
        result = None
    notebook = _notebook(root, entry, result, result, source, config)
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def notebook_to_run(root: Path, entry, result: Result | None, source: bytes,
                    config: SiteConfig) -> dict:
    """The day's notebook without outputs, to run elsewhere now (`build.py remote`): its setup
    cell brings the files `result` read, whether or not that run is of this very source."""
    return _notebook(root, entry, None, result, source, config)


def left_behind(root: Path, entry, result: Result | None, config: SiteConfig) -> dict[str, str]:
    """The files `result` read that the setup cell neither fetches nor carries, with why."""
    data, _, verdicts, carried = _data_plan(root, entry, result, config)
    missing = {rel: verdicts[rel] for rel in data if verdicts[rel] is not None}
    allowed = [rel for rel in data if verdicts[rel] is None]
    if not config.github and sum(len(carried[rel]) for rel in allowed) > MAX_CARRIED:
        missing.update({rel: f"{publish.TOO_LARGE} ({MAX_CARRIED >> 10} KiB in all) without a "
                        "GitHub repo_url" for rel in allowed})
    return missing


def _notebook(root: Path, entry, shown: Result | None, read: Result | None, source: bytes,
              config: SiteConfig) -> dict:
    """The notebook: the outputs of run `shown` (None: none), the files run `read` read."""
    text = decode(source, entry.is_notebook)
    cells = [_markdown(_intro(entry, shown, config)), _setup_cell(root, entry, read, config)]
    log = _stream(_log_text(root, shown)) if shown else None
    if entry.is_notebook:
        cells += _notebook_cells(root, entry, shown, text, log)
    else:
        outputs = [log] if log else []
        outputs += [_image(root, shown, name) for name in shown.figures] if shown else []
        outputs += _error(shown) if shown else []
        cells.append(_code(text, outputs))
    cells.append(_code(RECORD_CELL, []))
    for number, cell in enumerate(cells):
        cell["id"] = f"cell-{number}"
    # What ingest checks a notebook that comes back against: the day, and the source it was made from.
    metadata = dict(KERNEL, journal={"day": entry.day, "solution": entry.solution,
                                     "sha256": sha256_bytes(source)})
    if entry.requires == "cuda":  # Colab opens it on a GPU runtime
        metadata.update(accelerator="GPU", colab={"gpuType": "T4"})
    return {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}


def _intro(entry, result: Result | None, config: SiteConfig) -> str:
    page = page_url(f"days/{entry.slug}.md", config.site_url) if config.site_url else None
    lines = [f"# Day {entry.day}: {markup.plain(entry.task)}", "",
             f"{entry.date.isoformat()} · made from {_file_name(entry.solution)} by the journal's build"
             + (f" · [the day's page]({markup.url(page)})" if page and markup.url(page) else ""),
             # No run time here: a re-run with the same outputs leaves the notebook's bytes alone.
             "", f"The outputs below are those of its last run ({markup.plain(result.status)}, "
             f"torch {markup.plain((result.ran_on or {}).get('torch') or result.torch)}): run the cells to make your own." if result
             else "It has no run yet: it needs a GPU (`requires: cuda`). Run it where there is one."]
    if entry.is_notebook and result:
        lines += ["", "All that the run printed is under the last code cell that ran."]
    lines += ["", "Ran it elsewhere (Colab: Runtime → Run all)? Download it (File → Download "
              ".ipynb) and `python build.py ingest FILE.ipynb` in the journal stores that run as "
              "the day's, as long as its code cells are still the solution's."]
    return "\n".join(lines)


def _file_name(name: str) -> str:
    """A file name in the intro's Markdown: a code span when it is plain, else escaped HTML code
    (a backtick, `<` or a newline in a name must not end the span or open an element)."""
    return f"`{name}`" if re.fullmatch(r"[A-Za-z0-9_./-]+", name) else markup.code(name)


def _setup_cell(root: Path, entry, result: Result | None, config: SiteConfig) -> dict:
    """A first cell that puts the files the solution read beside it, when they are missing,
    and notes when the run began (the last cell reads only the event files written since).

    Only what `publish.publishable` allows is fetched or carried; every other file is named,
    as a string literal like every name in the cell, with why it is not there.
    """
    data, places, verdicts, carried = _data_plan(root, entry, result, config)
    header = [f"{JOURNAL_CELL}: run outside the journal (on Colab, say), the solution finds",
              "# what it reads beside it, as it does in the repository."]
    imports, lines = ["import os", "import time"], ["", "_journal_started = time.time()"]
    if not entry.is_notebook:  # a script finds its files through __file__, which Jupyter lacks
        lines += ["if \"__file__\" not in globals():",
                  f"    __file__ = os.path.abspath({Path(entry.solution).name!r})"]
    allowed = [rel for rel in data if verdicts[rel] is None]
    if allowed and config.github:
        owner, repo = config.github
        urls = {places[rel]: RAW.format(owner=owner, repo=repo, branch=_quoted(config.branch),
                                        path=_quoted(publish.journal_path(root, rel)))
                for rel in allowed}
        imports.append("import urllib.request")
        lines += ["", "FILES = {"]
        lines += [f"    {place!r}: {url!r}," for place, url in urls.items()]
        lines += ["}", "for path, url in FILES.items():", "    if not os.path.exists(path):",
                  "        os.makedirs(os.path.dirname(path) or \".\", exist_ok=True)",
                  "        urllib.request.urlretrieve(url, path)"]
    elif allowed and sum(len(carried[rel]) for rel in allowed) <= MAX_CARRIED:
        imports.insert(0, "import base64")
        lines += ["", "FILES = {  # carried inside the notebook"]
        lines += [f"    {places[rel]!r}: {base64.b64encode(carried[rel]).decode()!r},"
                  for rel in allowed]
        lines += ["}", "for path, data in FILES.items():", "    if not os.path.exists(path):",
                  "        os.makedirs(os.path.dirname(path) or \".\", exist_ok=True)",
                  "        with open(path, \"wb\") as handle:",
                  "            handle.write(base64.b64decode(data))"]
    elif allowed:
        lines += ["", "# Copy these files from the journal's repository beside the notebook:"]
        lines += [f"#   {places[rel]!r}" for rel in allowed]
    refused = [rel for rel in data if verdicts[rel] is not None]
    if refused:
        lines += ["", "# Not published with the journal: commit each to its repository, or read "
                  "it from a URL:"]
        lines += [f"#   {places[rel]!r} ({verdicts[rel]})" for rel in refused]
    return _code("\n".join([*header, *imports, *lines]).replace("\n\n\n", "\n\n"), [])


def _data_plan(root: Path, entry, result: Result | None, config: SiteConfig):
    """The files the run read, each one's place beside the solution, why it may not be
    published (None: it may), and the bytes of those carried when there is no GitHub repo."""
    folder = (root / entry.solution).parent
    data = [rel for rel in (result.deps if result else {}) if rel != entry.solution]
    places = {rel: os.path.relpath(root / rel, folder).replace(os.sep, "/") for rel in data}
    verdicts = publish.publishable(root, data, None if config.github else MAX_CARRIED)
    carried = {}
    for rel in data if not config.github else ():
        try:
            carried[rel] = publish.read_published(root, rel) if verdicts[rel] is None else None
        except OSError:
            verdicts[rel] = publish.NOT_REGULAR
    return data, places, verdicts, carried


def _notebook_cells(root: Path, entry, result: Result | None, text: str,
                    log: dict | None) -> list[dict]:
    """A notebook solution's own cells, each with the figures it made in the run."""
    try:
        cells = cells_of(text)
    except ValueError:
        return [_code(text, [log] if log else [])]
    ran = {cell["index"]: cell for cell in result.cells} if result else {}
    last = max((i for i, c in ran.items() if c.get("kind") == "code"), default=None)
    out = []
    for cell in cells:
        if cell["kind"] == "markdown":
            out.append(_markdown(cell["source"]))
            continue
        record = ran.get(cell["index"])
        outputs = [_image(root, result, name) for name in (record or {}).get("figures", [])]
        if cell["index"] == last:
            outputs = ([log] if log else []) + outputs + _error(result)
        out.append(_code(cell["source"], outputs))
    return out


def _log_text(root: Path, result: Result) -> str:
    """What the run printed: the stored log whole, or its head and tail when it is large."""
    if result.log:
        path = day_dir(root, result.day) / result.log
        try:
            data = gzip.decompress(path.read_bytes()) if result.log.endswith(".gz") \
                else path.read_bytes()
            if len(data) <= MAX_STREAM:
                return data.decode("utf-8", errors="replace")
        except (OSError, EOFError, gzip.BadGzipFile):
            pass
    skipped = result.log_lines - result.log_head.count("\n") - result.log_tail.count("\n")
    middle = f"… {skipped} lines not shown …\n" if skipped > 0 else ""
    return result.log_head + middle + result.log_tail


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _markdown(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": _lines(text)}


def _code(text: str, outputs: list[dict]) -> dict:
    # No execution count: these outputs are the journal's run, not this notebook's. One that
    # comes back with counts has run elsewhere (ingest reads only the cells that have one).
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": outputs,
            "source": _lines(text)}


def _stream(text: str) -> dict | None:
    return {"output_type": "stream", "name": "stdout", "text": _lines(text)} if text else None


def _image(root: Path, result: Result, name: str) -> dict:
    data = (day_dir(root, result.day) / name).read_bytes()
    kind = "image/jpeg" if name.endswith(".jpg") else "image/png"  # an ingested run's may be JPEG
    return {"output_type": "display_data", "metadata": {},
            "data": {kind: base64.b64encode(data).decode(),
                     "text/plain": [f"<Figure: {name}>"]}}


def _error(result: Result) -> list[dict]:
    """A failed run's end, as Jupyter shows an exception."""
    if result.ok:
        return []
    name, _, value = result.reason.partition(": ")
    if not re.fullmatch(r"[A-Za-z_][\w.]*", name):
        name, value = "RunFailed", result.reason
    return [{"output_type": "error", "ename": name, "evalue": value,
             "traceback": result.traceback.splitlines() or [result.reason]}]


def _quoted(path: str) -> str:
    # A name that is not UTF-8 (a surrogate-escaped byte) keeps its byte: %FF.
    return urllib.parse.quote(path, safe="/", errors="surrogateescape")
