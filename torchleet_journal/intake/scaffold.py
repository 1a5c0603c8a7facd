"""Starting a day: `build.py new` writes the next entry and a solution skeleton that already runs.

The skeleton trains a tiny model, logs a scalar, plots and checks its result, so the next
`build.py` shows the new day at once with a figure and a metric. Nothing existing is ever
overwritten: either both files are created or neither is.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import yaml

from torchleet_journal.base.dates import BOUNDS, out_of_bounds, parse_date
from torchleet_journal.base.errors import InputError, Mistake, shown
from torchleet_journal.base.files import write_atomic
from torchleet_journal.model.catalog import Catalog, Problem, load_catalog
from torchleet_journal.model.entries import ENTRY_NAME, day_slug, load_entries, mistakes_in
from torchleet_journal.pages.journey import next_problems

# Words a task often starts with that say nothing about the day; left out of file names.
FILLER = {"a", "an", "and", "the", "of", "on", "in", "to", "for", "from", "with", "using",
          "your", "own", "implement", "write", "build", "create", "make"}
SLUG_WORDS = 4
SLUG_CHARS = 40  # a file name stays far below the file system's 255 bytes

# What an entry holds besides its header, each under a comment saying what goes there; `new`
# leaves each list empty with an example commented out, `import` fills them from the table.
SECTIONS = (
    ("tags", "# A few words to find this day by, e.g. [cnn, vision].", " []"),
    ("gaps", '# What you did not know or got stuck on, one "- ..." line each.',
     "\n  # - how padding changes the output size of nn.Conv2d"),
    ("learnings", "# What you understand now that you did not before; `code` and $math$ render "
     "on the site.", "\n  # - nn.CrossEntropyLoss takes raw logits: no softmax before it"),
    ("resources", "# Links that helped, each a title and a url.",
     "\n  # - title: nn.Conv2d\n  #   url: https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html"),
)

# The skeleton's parts, shared by the script and the notebook so both teach the same shape.
INTRO = """\
A starting point from `build.py new`: it fits a line, so the journal shows this day at once
with a plot and a metric. Replace the model and data with your solution; keep the fixed seed,
the SummaryWriter scalars, the plot and the checks at the end."""

IMPORTS = """\
import matplotlib.pyplot as plt
import torch
import torch.nn as nn
from torch.utils.tensorboard import SummaryWriter

SEED = 0
N_SAMPLES = 64
STEPS = 200
LR = 0.5  # inputs lie in [0, 1], so plain SGD at this rate converges well within STEPS"""

HELPERS = """\
def make_data(n):
    x = torch.rand(n, 1)
    y = 2 * x + 1 + 0.05 * torch.randn(n, 1)
    return x, y


def plot_fit(x, y, model):
    xs = torch.linspace(0, 1, 50).unsqueeze(1)
    with torch.no_grad():
        ys = model(xs)
    plt.figure()
    plt.scatter(x, y, s=12, alpha=0.7, label="data")
    plt.plot(xs, ys, color="C1", label="model")
    plt.title("Day {day}: model fit")
    plt.xlabel("x")
    plt.ylabel("y")
    plt.legend()"""

TRAIN = """\
torch.manual_seed(SEED)
x, y = make_data(N_SAMPLES)
model = nn.Linear(1, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=LR)
writer = SummaryWriter()  # the journal charts every scalar logged here

for step in range(STEPS):
    loss = nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    writer.add_scalar("Loss/train", loss.item(), step)
writer.close()
print(f"Final loss: {{loss.item():.4f}}")"""

CHECKS = ('# A run passes when these hold: state what your solution must achieve.\n'
          'assert loss.item() < 0.01, f"final loss {{loss.item():.4f}} is not below 0.01"')

PLOT = """\
plot_fit(x, y, model)
plt.show()"""


def _indented(code: str) -> str:
    return "\n".join("    " + line if line else line for line in code.splitlines())


SOLUTION = (f'"""Day {{day}}: {{task}}.\n\n{INTRO}\n"""\n\n{IMPORTS}\n\n\n{HELPERS}\n\n\n'
            f"def main():\n{_indented(TRAIN)}\n\n{_indented(CHECKS)}\n\n{_indented(PLOT)}\n\n\n"
            'if __name__ == "__main__":\n    main()\n')

# The notebook: one cell per part, its training loop at the top level as notebooks have it.
NOTEBOOK_CELLS = (("markdown", "# Day {day}: {task}\n\n" + INTRO), ("code", IMPORTS),
                  ("code", HELPERS), ("code", TRAIN), ("code", CHECKS), ("code", PLOT))


def notebook_text(day: int, task: str) -> str:
    """The skeleton as a Jupyter notebook (nbformat 4.5), written as Jupyter writes one."""
    cells = []
    for number, (kind, template) in enumerate(NOTEBOOK_CELLS, 1):
        source = template.format(day=day, task=task).splitlines(True)
        cell = {"cell_type": kind, "id": f"cell-{number}", "metadata": {}, "source": source}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                               "name": "python3"}, "language_info": {"name": "python"}}
    notebook = {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def new_day(root: Path, task: str | None, problem: str | None, date: str | None,
            notebook: bool = False) -> tuple[Path, Path]:
    """Write the next day's entry and solution skeleton (a notebook if asked) under `root`.

    With no task, the day is the problem's (`problem`, else the next one on the path of the
    sets the journal follows) and takes its title. Returns both paths.
    """
    day = next_day(root)
    entry_rel = f"entries/{day_slug(day)}.yaml"
    catalog = load_catalog(root)
    if task is None:
        problem = problem or _next_problem(root, catalog, entry_rel).id
        task = catalog.problems[_problem(catalog, problem, entry_rel)["problem"]].title
    task = " ".join(task.split())
    if not task:
        raise InputError.one(entry_rel, 3, "the task is empty; say what the day is about, e.g. "
                             "`python build.py new \"Implement a CNN on CIFAR-10\"`")
    solution_rel = solution_name(day, task, ".ipynb" if notebook else ".py")
    header = {"day": day, "date": _date(date, entry_rel), "task": task}
    if problem is not None:
        header.update(_problem(catalog, problem, entry_rel))
    entry = entry_text(header, solution_rel)
    files = {root / solution_rel: skeleton(day, task, notebook), root / entry_rel: entry}
    _refuse_existing(root, files)
    _write_all(files)
    # The build's own check, with the solution in place: `new` never leaves an entry that the
    # next build would refuse (a javascript: link in the task, a date out of range, ...).
    mistakes = mistakes_in(root, entry_rel, entry, catalog)
    if mistakes:
        for path in files:
            path.unlink(missing_ok=True)
        raise InputError(mistakes)
    return root / entry_rel, root / solution_rel


def next_day(root: Path) -> int:
    """One more than the highest day among entries/day-NN.yaml, or 1 in a new journal."""
    folder = root / "entries"
    days = [int(m.group(1)) for p in folder.glob("day-*.yaml") if (m := ENTRY_NAME.match(p.name))]
    return max(days, default=0) + 1


def slug(task: str) -> str:
    """A file-name part from the task's first telling words: "Implement a CNN" -> "cnn"."""
    words = [w for w in re.findall(r"[a-z0-9]+", task.lower()) if w not in FILLER]
    return "_".join(words[:SLUG_WORDS])[:SLUG_CHARS].rstrip("_") or "solution"


def solution_name(day: int, task: str, suffix: str) -> str:
    """Where a day's solution lives: solutions/day09_cnn_cifar_10.py (`new` and `import`)."""
    return f"solutions/day{day:02d}_{slug(task)}{suffix}"


def skeleton(day: int, task: str, notebook: bool) -> str:
    """The solution skeleton that runs, as a script or as a notebook."""
    return notebook_text(day, task) if notebook else SOLUTION.format(day=day,
                                                                     task=_docstring_safe(task))


def entry_text(header: dict, solution_rel: str, notes: dict | None = None) -> str:
    """The entry's YAML: the header, then each of tags, gaps, learnings and resources under a
    comment saying what goes there (from `notes` when given, else an example commented out)."""
    parts = [_yaml(header)]
    for key, comment, example in SECTIONS:
        value = (notes or {}).get(key)
        parts += [comment, _yaml({key: value}) if value else f"{key}:{example}"]
    parts.append(f"solution: {solution_rel}")
    return "\n".join(parts) + "\n"


def _yaml(fields: dict) -> str:
    # libyaml's emitter when PyYAML has it: ten times the pure-Python one, for a big import
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(fields, Dumper=dumper, sort_keys=False, allow_unicode=True,
                     width=1 << 16).rstrip("\n")


def _date(text: str | None, entry_rel: str) -> dt.date:
    if text is None:
        return dt.date.today()
    date = parse_date(text)  # the one parser of dates from outside, bounded as entries are
    if date is None:
        kind = f"a date {BOUNDS}" if out_of_bounds(text) else "a real date"
        raise InputError.one(entry_rel, 2, f"--date must be {kind} written YYYY-MM-DD, got "
                             f"{shown(text)}; e.g. --date {dt.date.today().isoformat()}")
    return date


def _next_problem(root: Path, catalog: Catalog, entry_rel: str) -> Problem:
    """The first problem with no day yet on the path of the first followed set that has one."""
    entries = load_entries(root, catalog) if (root / "entries").is_dir() else []  # a first day
    upcoming = next_problems(entries, catalog)
    if upcoming:
        return upcoming[0]
    raise InputError.one(entry_rel, 3, f"every problem of {', '.join(catalog.followed)} already "
                         "has a day; say what the next one is about, e.g. `python build.py new "
                         "\"Implement a CNN on CIFAR-10\"`")


def _problem(catalog: Catalog, problem_id: str, entry_rel: str) -> dict[str, str]:
    if problem_id not in catalog.problems:
        hint = catalog.suggest(problem_id)
        raise InputError.one(entry_rel, 5, f"--problem {shown(problem_id)} is not an id of any "
                             f"problem set's catalog; {hint}")
    found = catalog.problems[problem_id]
    return {"difficulty": found.difficulty, "problem": found.id}


def _docstring_safe(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').rstrip(".")


def _refuse_existing(root: Path, files: dict[Path, str]) -> None:
    existing = [path for path in files if path.exists()]
    if existing:
        raise InputError([Mistake(path.relative_to(root).as_posix(), 1, "already exists, and "
                                  "`build.py new` never overwrites a file; rename or remove it, "
                                  "or give the day another task") for path in existing])


def _write_all(files: dict[Path, str]) -> None:
    """Write every file or, if one fails, remove those already written and re-raise."""
    written = []
    try:
        for path, text in files.items():
            write_atomic(path, text)
            written.append(path)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
