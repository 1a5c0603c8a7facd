"""A notebook per day: the solution as a Jupyter notebook with the outputs of its last run.

Made from what is already stored, never by running anything: the solution's source, and its
result's log and figures in `results/day-NN/`. So a cached day, or a clone that never trained,
gets its notebook too, and a change of `repo_url` reaches every notebook at the next build.
The notebook is written into `results/day-NN/` beside the run it shows, only when its bytes
change, and only while that run is of the solution as it is now.

Run elsewhere (Colab), a solution still finds the files it read: a first cell puts them beside
it, fetched from the repository's raw URLs when `repo_url` is on GitHub, else carried inside
the notebook when they are small.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import urllib.parse
from pathlib import Path

from . import markup, publish
from .files import sha256_bytes, write_if_changed
from .notebook import cells_of
from .results import NOT_RUN, RESULTS_DIR, Result, day_dir
from .siteconfig import SiteConfig, page_url

COLAB = "https://colab.research.google.com/github/{owner}/{repo}/blob/{branch}/{path}"
RAW = "https://raw.githubusercontent.com/{owner}/{repo}/{branch}/{path}"
MAX_STREAM = 1 << 20  # printed output kept whole up to this size; beyond, the head and tail
MAX_CARRIED = 256 << 10  # data files carried inside a notebook, in all, when there is no repo
CACHE = ".journal/notebooks.json"  # day -> what its notebook was made from, to skip remaking it
FORMAT = 2  # bump when the notebook's layout changes: every notebook is made again
KERNEL = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
          "language_info": {"name": "python"}}


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
    """The day's notebook as JSON text, or None when there is no run of this very source."""
    if result is None or result.status == NOT_RUN or \
            result.deps.get(entry.solution) != sha256_bytes(source):
        return None
    text = source.decode("utf-8", errors="replace")
    cells = [_markdown(_intro(entry, result, config))]
    setup = _setup_cell(root, entry, result, config)
    if setup:
        cells.append(setup)
    log = _stream(_log_text(root, result))
    if entry.is_notebook:
        cells += _notebook_cells(root, entry, result, text, log)
    else:
        outputs = [log] if log else []
        outputs += [_image(root, result, name) for name in result.figures]
        outputs += _error(result)
        cells.append(_code(text, outputs, 1))
    for number, cell in enumerate(cells):
        cell["id"] = f"cell-{number}"
    metadata = dict(KERNEL)
    if entry.requires == "cuda":  # Colab opens it on a GPU runtime
        metadata.update(accelerator="GPU", colab={"gpuType": "T4"})
    notebook = {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def _intro(entry, result: Result, config: SiteConfig) -> str:
    page = page_url(f"days/{entry.slug}.md", config.site_url) if config.site_url else None
    lines = [f"# Day {entry.day}: {markup.plain(entry.task)}", "",
             f"{entry.date.isoformat()} · made from {_file_name(entry.solution)} by the journal's build"
             + (f" · [the day's page]({markup.url(page)})" if page and markup.url(page) else ""),
             # No run time here: a re-run with the same outputs leaves the notebook's bytes alone.
             "", f"The outputs below are those of its last run ({markup.plain(result.status)}, "
             f"torch {markup.plain(result.torch)}): run the cells to make your own."]
    if entry.is_notebook:
        lines += ["", "All that the run printed is under the last code cell that ran."]
    return "\n".join(lines)


def _file_name(name: str) -> str:
    """A file name in the intro's Markdown: a code span when it is plain, else escaped HTML code
    (a backtick, `<` or a newline in a name must not end the span or open an element)."""
    return f"`{name}`" if re.fullmatch(r"[A-Za-z0-9_./-]+", name) else markup.code(name)


def _setup_cell(root: Path, entry, result: Result, config: SiteConfig) -> dict | None:
    """A first cell that puts the files the solution read beside it, when they are missing.

    Only what `publish.publishable` allows is fetched or carried; every other file is named,
    as a string literal like every name in the cell, with why it is not there.
    """
    folder = (root / entry.solution).parent
    data = [rel for rel in result.deps if rel != entry.solution]
    header = ["# Run outside the journal (on Colab, say), the solution finds what it reads",
              "# beside it, as it does in the repository."]
    imports, lines = ["import os"], [""]
    if not entry.is_notebook:  # a script finds its files through __file__, which Jupyter lacks
        lines += ["if \"__file__\" not in globals():",
                  f"    __file__ = os.path.abspath({Path(entry.solution).name!r})"]
    if not data and entry.is_notebook:
        return None
    places = {rel: os.path.relpath(root / rel, folder).replace(os.sep, "/") for rel in data}
    verdicts = publish.publishable(root, data, None if config.github else MAX_CARRIED)
    carried = {}
    for rel in data if not config.github else ():
        try:
            carried[rel] = publish.read_published(root, rel) if verdicts[rel] is None else None
        except OSError:
            verdicts[rel] = publish.NOT_REGULAR
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
    return _code("\n".join([*header, *imports, *lines]).replace("\n\n\n", "\n\n"), [], None)


def _notebook_cells(root: Path, entry, result: Result, text: str, log: dict | None) -> list[dict]:
    """A notebook solution's own cells, each with the figures it made in the run."""
    try:
        cells = cells_of(text)
    except ValueError:
        return [_code(text, [log] if log else [], None)]
    ran = {cell["index"]: cell for cell in result.cells}
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
        out.append(_code(cell["source"], outputs, cell["number"] if record else None))
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


def _code(text: str, outputs: list[dict], count: int | None) -> dict:
    return {"cell_type": "code", "execution_count": count if outputs else None, "metadata": {},
            "outputs": outputs, "source": _lines(text)}


def _stream(text: str) -> dict | None:
    return {"output_type": "stream", "name": "stdout", "text": _lines(text)} if text else None


def _image(root: Path, result: Result, name: str) -> dict:
    data = (day_dir(root, result.day) / name).read_bytes()
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(data).decode(),
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
