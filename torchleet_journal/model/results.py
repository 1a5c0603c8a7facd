"""The results store: what each day's last run produced, kept in `results/day-NN/`.

`result.json` is the commit point. The files it names (figures, charts, the log) keep the
names the run gave them (`figure-01.png`), so a re-run that draws the same bytes touches no
file and one that draws other bytes shows in git as a modified file, not a delete and an add.
Each file is replaced in one rename, then `result.json`, and only then are files it no longer
names removed: a build killed at any moment leaves every file `result.json` names in place
(a figure may already be the new run's). The last good run is kept inside a failed one's
record, its files in `last-good/`, where the failed run's own cannot overwrite them.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from torchleet_journal.base.files import write_if_changed
from torchleet_journal.model.entries import day_slug

RESULTS_DIR = "results"
PASSED, FAILED, TIMED_OUT, NOT_RUN = "passed", "failed", "timed out", "not run here"
STATUSES = (PASSED, FAILED, TIMED_OUT, NOT_RUN)
# A stored file's name: no folder, no hidden file, nothing a URL or Markdown would read twice.
FILE_NAME = re.compile(r"^(?:last-good/)?[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")


class BadResult(ValueError):
    """A result.json that is not what this build writes (hand-edited, foreign, or hostile)."""
CHANGED = "changed while the run read it"  # a file's hash in the record: the run is out of date
LAST_GOOD = "last-good"  # a day's folder for the files of its last passing run
RAN_ON = ("where", "device", "torch")  # what an ingested run may say of where it ran


@dataclass
class Result:
    """What one run of one day's solution produced."""

    day: int
    status: str
    reason: str = ""  # one line saying what went wrong, empty when it passed
    exit_code: int | None = None
    signal: str | None = None
    wall_time: float = 0.0
    peak_memory_mb: float | None = None
    figures: list[str] = field(default_factory=list)  # file names in the day's folder
    # figure file name -> the titles it had when shown (None: run before titles were kept)
    captions: dict[str, list[str]] | None = None
    charts: dict[str, str] = field(default_factory=dict)  # scalar tag -> chart file name
    scalars: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    log: str | None = None  # the full output's file name
    log_head: str = ""
    log_tail: str = ""
    log_lines: int = 0
    traceback: str = ""
    cells: list[dict[str, Any]] = field(default_factory=list)  # notebook cells, in order
    key: str = ""
    deps: dict[str, str] = field(default_factory=dict)  # project file -> sha256 at run time
    # The packages the solution's own code imports -> the version it ran with (run_key.py)
    packages: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)  # the entry's run settings it ran with
    missing: str = ""  # the module a ModuleNotFoundError named: the day runs again once it imports
    ran_at: str = ""
    python: str = ""  # its minor version, as the run key holds it
    torch: str = ""  # the build it ran with (`2.13.0+cpu`); the run key holds its release
    platform: str = ""  # the OS and architecture it ran on (`Linux x86_64`), for the page
    last_good: dict[str, Any] | None = None  # an earlier passed Result, as a dict
    # Where a run brought back by `build.py ingest` ran ({"where": "Colab", "device": "Tesla
    # T4", "torch": "2.5.1+cu121"}, each when known); None for the build's own runs.
    ran_on: dict[str, str] | None = None

    @property
    def ok(self) -> bool:
        return self.status == PASSED

    def cell_figures(self) -> list[str]:
        """The figures a notebook's cells showed, in cell order."""
        return [name for cell in self.cells for name in cell.get("figures", [])]

    def files(self) -> list[str]:
        names = list(self.figures) + list(self.charts.values())
        names += [self.log] if self.log else []
        names += self.cell_figures()
        if self.last_good:
            names += Result.from_dict(self.last_good).files()
        return names

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Result":
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})


def day_dir(root: Path, day: int) -> Path:
    """The one place that decides where a day's stored results live."""
    return root / RESULTS_DIR / day_slug(day)


def first_image(result: Result | None) -> str | None:
    """The picture that stands for a day: its first figure, else its first metric chart."""
    if result is None:
        return None
    figures = list(result.figures) + result.cell_figures()
    return (figures or list(result.charts.values()) or [None])[0]


def load_result(root: Path, day: int) -> Result | None:
    """The day's stored result, or None when there is none or it cannot be trusted."""
    return read_result(root, day)[0]


def read_result(root: Path, day: int) -> tuple[Result | None, str | None]:
    """The day's stored result and, when one is there but unusable, why (one line).

    Committed results may come from someone else's clone: every field is checked, and every
    file named must be a regular file inside the day's folder (no link, no ../).
    """
    folder = day_dir(root, day)
    try:
        return read_record(folder / "result.json", day), None
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError, RecursionError) as error:
        return None, f"{RESULTS_DIR}/{day_slug(day)}/result.json: cannot be read ({error})"
    except (ValueError, BadResult) as error:
        return None, f"{RESULTS_DIR}/{day_slug(day)}/result.json: {error}"


def read_record(path: Path, day: int) -> Result:
    """A result.json as a Result, every field checked against what this build writes.

    The one reader of a run's record: the stored ones in results/ and the one a run's child
    process leaves for the parent (a solution could have overwritten it). Each file named must
    be a regular file beside it. Raises BadResult, or OSError/ValueError when it is unreadable.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    _check_result(data, day, path.parent)
    return Result.from_dict(data)


def _check_result(data, day: int, folder: Path, nested: bool = False) -> None:
    if not isinstance(data, dict):
        raise BadResult(f"must be an object of fields, got {type(data).__name__}")
    _want(data.get("day") == day, "day", f"{day}")
    _want(data.get("status") in STATUSES, "status", "one of " + ", ".join(STATUSES))
    for name in ("reason", "traceback", "log_head", "log_tail", "key", "ran_at", "python", "torch",
                 "platform"):
        _want(isinstance(data.get(name, ""), str), name, "text")
    _want(data.get("exit_code") is None or _is_int(data["exit_code"]), "exit_code",
          "a whole number")
    _want(_is_int(data.get("log_lines", 0)) and data.get("log_lines", 0) >= 0, "log_lines",
          "a whole number of 0 or more")
    for name in ("wall_time", "peak_memory_mb"):
        value = data.get(name, 0.0)
        _want(value is None or _is_number(value) and math.isfinite(value) and value >= 0, name,
              "a number of 0 or more")
    _want(data.get("signal") is None or isinstance(data.get("signal"), str), "signal", "text")
    _want(_is_str_map(data.get("packages", {})), "packages", "distribution -> version")
    settings = data.get("settings", {})
    _want(isinstance(settings, dict) and all(v is None or isinstance(v, str) or _is_int(v)
                                             for v in settings.values()), "settings",
          "name -> text or whole number")
    missing = data.get("missing", "")
    # A name `status` looks up: a top-level module's, as the run records it, never a dotted
    # one (finding `antigravity.x` imports antigravity) and never a path.
    _want(isinstance(missing, str) and (missing == "" or missing.isidentifier() and
                                        len(missing) <= 200), "missing",
          "the name of a top-level module")
    deps = data.get("deps", {})
    # Checking freshness hashes each file named: /proc/kcore or ../../secret must not be one.
    _want(_is_str_map(deps) and all(_project_path(rel) for rel in deps), "deps",
          "project file -> hash, each path relative and inside the journal")
    captions = data.get("captions")
    _want(captions is None or isinstance(captions, dict) and all(
        isinstance(titles, list) and all(isinstance(t, str) for t in titles)
        for titles in captions.values()), "captions", "figure -> list of titles")
    _check_scalars(data.get("scalars", {}))
    ran_on = data.get("ran_on")
    _want(ran_on is None or _is_str_map(ran_on) and set(ran_on) <= set(RAN_ON) and all(
        len(v) <= 200 for v in ran_on.values()), "ran_on", "where, device and torch, as text")
    _check_files(data, folder)
    last_good = data.get("last_good")
    if last_good is not None:
        _want(not nested, "last_good", "absent inside last_good")
        _check_result(last_good, day, folder, nested=True)


def _check_scalars(scalars) -> None:
    _want(isinstance(scalars, dict), "scalars", "tag -> series")
    for tag, series in scalars.items():
        ok = isinstance(series, dict) and all(
            isinstance(series.get(k), list) and series[k] and all(_is_number(v) for v in series[k])
            for k in ("steps", "values")) and len(series["steps"]) == len(series["values"])
        _want(ok, f"scalars[{tag[:40]!r}]", "steps and values, equal lists of numbers")


def _check_files(data: dict, folder: Path) -> None:
    names = list(data.get("figures", [])) if isinstance(data.get("figures", []), list) else None
    _want(names is not None, "figures", "a list of file names")
    charts = data.get("charts", {})
    _want(_is_str_map(charts), "charts", "tag -> file name")
    names += list(charts.values())
    names += [data["log"]] if data.get("log") is not None else []
    cells = data.get("cells", [])
    _want(isinstance(cells, list) and all(isinstance(c, dict) for c in cells), "cells",
          "a list of cells")
    for cell in cells:
        _want(_is_int(cell.get("index")), "cells index", "a whole number")
        _want(isinstance(cell.get("figures", []), list), "cells figures", "a list of file names")
        names += cell.get("figures", [])
    for name in names:
        _want(isinstance(name, str) and FILE_NAME.match(name) is not None, "file name",
              f"a plain file name, got {str(name)[:60]!r}")
        _want(_regular_file(folder, name), "file", f"a regular file beside it, got {name!r}")


def _project_path(rel: str) -> bool:
    """A path as the build records what a run read: relative, normalised, inside the root."""
    return bool(rel) and not os.path.isabs(rel) and os.path.normpath(rel) == rel and (
        rel != ".." and not rel.startswith("../"))


def recorded_deps(root: Path) -> tuple[set[str], set[str]]:
    """Every journal file a stored run recorded reading (what `serve` watches), and those a run
    saw change while it read them (its day is out of date)."""
    deps: set[str] = set()
    changed: set[str] = set()
    for folder in sorted((root / RESULTS_DIR).glob("day-*")):
        number = folder.name.removeprefix("day-")
        result = load_result(root, int(number)) if number.isdigit() else None
        for rel, digest in (result.deps if result else {}).items():
            deps.add(rel)
            if digest == CHANGED:
                changed.add(rel)
    return deps, changed


def _regular_file(folder: Path, name: str) -> bool:
    """A real file in a real folder, no link on the way: a link could publish /proc/self/environ."""
    path = folder / name
    try:
        if path.parent != folder and not stat.S_ISDIR(os.lstat(path.parent).st_mode):
            return False
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _want(ok: bool, field: str, expected: str) -> None:
    if not ok:
        raise BadResult(f"{field!r} must be {expected}; the day runs again")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_str_map(value) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def store_result(root: Path, result: Result, produced: dict[str, Path]) -> Result:
    """Store `result`, whose files are still at the paths in `produced` (name -> path).

    Returns the result as stored.
    """
    folder = day_dir(root, result.day)
    folder.mkdir(parents=True, exist_ok=True)
    previous = load_result(root, result.day)
    if not result.ok and previous is not None:
        result.last_good = _keep_last_good(folder, previous)
    for name, src in produced.items():
        write_if_changed(folder / name, src.read_bytes(), durable=True)
    # Key order is kept, not sorted: the scalars' order is the order they were first logged,
    # which decides a day's headline metric. Runs write them in the same order every time.
    write_if_changed(folder / "result.json", json.dumps(result.to_dict(), indent=1) + "\n",
                     durable=True)
    _remove_unnamed(folder, result)
    return result


def _keep_last_good(folder: Path, previous: Result) -> dict[str, Any] | None:
    """The last passing run's record, its files copied into `last-good/` if it was `previous`."""
    if not previous.ok:
        return previous.last_good
    kept = {}
    for name in previous.files():
        if (folder / name).is_file():
            kept[name] = f"{LAST_GOOD}/{name}"
            write_if_changed(folder / kept[name], (folder / name).read_bytes(), durable=True)
    return _renamed(previous, kept).to_dict()


def _renamed(result: Result, names: dict[str, str]) -> Result:
    def pick(name):
        return names.get(name, name)
    result.figures = [pick(n) for n in result.figures]
    result.charts = {tag: pick(n) for tag, n in result.charts.items()}
    result.log = pick(result.log) if result.log else None
    for cell in result.cells:
        cell["figures"] = [pick(n) for n in cell.get("figures", [])]
    if result.captions is not None:
        result.captions = {pick(n): titles for n, titles in result.captions.items()}
    return result


def _remove_unnamed(folder: Path, result: Result) -> None:
    keep = set(result.files()) | {"result.json"}
    # os.walk never enters a linked folder: a link is removed itself, never what it points to.
    for top, dirs, files in os.walk(folder, topdown=False):
        links = [d for d in dirs if os.path.islink(os.path.join(top, d))]
        for name in files + links:
            path = Path(top, name)
            rel = path.relative_to(folder).as_posix()
            # The day's notebook is made from this result at render time (torchleet_journal/pages/export.py,
            # which also removes an old one): left alone here, a re-run does not churn it.
            if rel not in keep and not (top == str(folder) and name.endswith(".ipynb")
                                        and not path.is_symlink()):
                path.unlink()
        for name in set(dirs) - set(links):
            path = Path(top, name)
            if not any(path.iterdir()):
                path.rmdir()  # a folder left empty, like last-good/ once a day passes again
