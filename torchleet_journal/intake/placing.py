"""Placing an import: each day's solution and data files, then checking it all and writing
it at once (a staging folder moved into place), or nothing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from torchleet_journal.base.errors import InputError, Mistake
from torchleet_journal.base.files import read_regular
from torchleet_journal.base.layout import STATE
from torchleet_journal.intake.scaffold import entry_text, skeleton, solution_name
from torchleet_journal.intake.table import (
    CHECKPOINTS,
    MAX_FOLDER_BYTES,
    MAX_FOLDER_FILES,
    MAX_TABLE_BYTES,
    SKIP_DIRS,
    SKIP_NAMES,
    Day,
    Plan,
    capped,
)
from torchleet_journal.model.apis import imported_modules, string_literals
from torchleet_journal.model.catalog import Catalog
from torchleet_journal.model.entries import SOLUTION_SUFFIXES, day_slug, mistakes_in

# --- placing the files ---------------------------------------------------------------------


def place_files(root: Path, days: list[Day], folder: Path, plan: Plan) -> None:
    """Name each day's solution as `new` would, and find the data files it reads."""
    notebooks = sum(1 for d in days if d.source and d.source.suffix == ".ipynb")
    scripts = sum(1 for d in days if d.source and d.source.suffix == ".py")
    default = ".ipynb" if notebooks > scripts else ".py"
    for day in days:
        suffix = day.source.suffix if day.source else default
        day.solution = solution_name(day.day, day.task, suffix)
        if day.source:
            day.data = _data_files(day.source, folder, plan)
        else:
            plan.notes.append(f"day {day.day}: no notebook or script of it was found; "
                              f"{day.solution} is a skeleton that runs until you put your "
                              f"solution there (or add solution: to entries/{day_slug(day.day)}"
                              ".yaml naming yours)")


def _data_files(source: Path, folder: Path, plan: Plan) -> dict[str, Path]:
    """The files beside a solution that its code names (`"ep2_data.csv"`, `"data/x.csv"`) and
    the modules beside it that it imports, where they go under solutions/: the same place
    relative to it, so it finds them there as it did in the learner's folder."""
    try:
        text = read_regular(source, MAX_TABLE_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return {}
    notebook = source.suffix == ".ipynb"
    found = {}
    for literal in string_literals(text, notebook):
        if "://" in literal or literal.startswith(("/", "~")) or "\x00" in literal:
            continue
        rel = os.path.normpath(literal)
        path = source.parent / rel
        if rel.startswith("..") and path.is_file():
            plan.notes.append(f"{source.name} reads {literal}, outside its folder: copy it into "
                              "solutions/ and change the path in the code")
        if rel.startswith("..") or rel == ".":
            continue
        if path.is_dir() and not path.is_symlink():
            if "/" in literal.strip("/") or literal.startswith("./"):  # label="data" is no path
                found.update(_data_folder(source, rel, folder, plan))
        elif _is_data(path, folder):
            found["solutions/" + Path(rel).as_posix()] = path
    for name in sorted(imported_modules(text, notebook)):
        path = source.parent / f"{name}.py"
        if name.isidentifier() and _file_inside(path, folder) and path != source:
            found[f"solutions/{name}.py"] = path
    return found


def _data_folder(source: Path, rel: str, folder: Path, plan: Plan) -> dict[str, Path]:
    """The files of a folder the code names (`ImageFolder("data/train")`), if it is small;
    a large one (a dataset torchvision downloaded) is left for the build to fetch again."""
    files = {}
    for base, dirs, names in os.walk(source.parent / rel):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        for name in names:
            path = Path(base, name)
            if _is_data(path, folder):
                files["solutions/" + path.relative_to(source.parent).as_posix()] = path
        if len(files) > MAX_FOLDER_FILES:
            break
    size = sum(path.stat().st_size for path in files.values())
    if len(files) > MAX_FOLDER_FILES or size > MAX_FOLDER_BYTES:
        what = (f"over {MAX_FOLDER_FILES} files" if len(files) > MAX_FOLDER_FILES else
                f"{size / (1 << 20):.0f} MiB")
        plan.notes.append(f"{source.name} reads the folder {rel}, too large to copy ({what}; "
                          f"the most copied is {MAX_FOLDER_BYTES >> 20} MiB in "
                          f"{MAX_FOLDER_FILES} files): copy what it needs into solutions/ "
                          "yourself, or let the run download it")
        return {}
    return files


def _file_inside(path: Path, folder: Path) -> bool:
    """Whether the import may copy `path`: a regular file, no link, inside the source folder
    (the copy lands in solutions/, which is committed: nothing from elsewhere may ride in)."""
    try:
        return path.is_file() and not path.is_symlink() and path.resolve().is_relative_to(folder)
    except (OSError, ValueError):
        return False


def _is_data(path: Path, folder: Path) -> bool:
    if not _file_inside(path, folder):
        return False
    parts = set(path.relative_to(folder).parts)
    return not (parts & SKIP_DIRS or path.name in SKIP_NAMES or path.suffix in CHECKPOINTS
                or path.suffix in SOLUTION_SUFFIXES or path.name.startswith("events.out."))


# --- checking and writing, all or nothing --------------------------------------------------


def check_and_write(root: Path, days: list[Day], display: str, catalog: Catalog,
                     dry_run: bool) -> None:
    files = _files(days, display)
    files = {rel: content for rel, content in files.items()  # data already there, same bytes
             if not (isinstance(content, Path) and rel in _data_rels(days)
                     and _same(root / rel, content))}
    _refuse_existing(root, files)
    parent = None if dry_run else root / STATE
    if parent is not None:
        parent.mkdir(exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix="import-", dir=parent))
    try:
        for rel, content in files.items():
            target = stage / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                shutil.copyfile(content, target)
            else:
                target.write_text(content, encoding="utf-8")
        mistakes = []
        for day in days:  # the build's own check, each entry with its solution in place
            rel = f"entries/{day_slug(day.day)}.yaml"
            for mistake in mistakes_in(stage, rel, files[rel], catalog):
                mistakes.append(Mistake(display, day.line, f"day {day.day}: {mistake.message}"))
        if mistakes:
            raise InputError(capped(mistakes))
        if not dry_run:
            _refuse_existing(root, files)  # nothing appeared meanwhile
            _move_all(stage, root, list(files))
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _data_rels(days: list[Day]) -> set[str]:
    return {rel for day in days for rel in day.data}


def _files(days: list[Day], display: str) -> dict[str, str | Path]:
    """Every file the import writes, journal path -> its text or the learner's file to copy."""
    files = {}
    for day in days:
        for rel, path in day.data.items():
            if rel in files and files[rel] != path and not _same(files[rel], path):
                raise InputError.one(display, day.line, f"day {day.day} reads {rel[10:]} beside "
                                     f"it, and another day reads a different file of that name "
                                     f"({files[rel]}); rename one and the code that reads it")
            files[rel] = path
        files[day.solution] = day.source or skeleton(day.day, day.task,
                                                     day.solution.endswith(".ipynb"))
        header = {"day": day.day, "date": day.date, "task": day.task}
        header.update({k: v for k, v in (("difficulty", day.difficulty),
                                          ("problem", day.problem)) if v})
        text = entry_text(header, day.solution, {"gaps": day.gaps, "learnings": day.learnings,
                                                 "resources": day.resources})
        if day.dated_by.startswith("today"):
            text = text.replace(f"\ndate: {day.date}\n", f"\ndate: {day.date}  # today's date: "
                                "the import found no history for this day; check it\n", 1)
        files[f"entries/{day_slug(day.day)}.yaml"] = text
    return files


def _refuse_existing(root: Path, files: dict[str, str | Path]) -> None:
    """Never over a file that is there, entry, solution or data: exit 2 naming each one."""
    taken = [rel for rel in files if (root / rel).exists() or (root / rel).is_symlink()]
    mistakes = [Mistake(rel, 1, "already exists, and `build.py import` never overwrites a file; "
                        "remove or rename it, or import into another journal (nothing was "
                        "written)") for rel in sorted(taken, key=lambda r: (r[0] != "e", r))]
    if mistakes:
        raise InputError(capped(mistakes))


def _same(a: Path, b: Path) -> bool:
    try:
        return a.is_file() and a.stat().st_size == b.stat().st_size and \
            a.read_bytes() == b.read_bytes()
    except OSError:
        return False


def _move_all(stage: Path, root: Path, rels: list[str]) -> None:
    """Move every staged file into the journal, or, if one fails, take back those moved."""
    moved = []
    order = sorted(rels, key=lambda rel: rel.startswith("entries/"))  # entries last
    try:
        for rel in order:
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(stage / rel, target)  # fails, never overwrites, if the name is taken
            moved.append(target)
    except BaseException:
        for target in moved:
            target.unlink(missing_ok=True)
        raise
