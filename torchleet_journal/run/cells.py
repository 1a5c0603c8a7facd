"""Running a notebook solution inside the child: its code cells, in order, as Jupyter would.

The code cells run in order in one `__main__` namespace, as a plain Python script would, with
the figures each cell leaves open saved right after it. IPython lines keep their meaning where
plain Python can give it (`torchleet_journal.model.ipython`); the rest are skipped with a note
in the output. Reading a notebook is `torchleet_journal.model.notebook`.
"""

from __future__ import annotations

import ast
import linecache
import os
import sys
import types
from typing import TYPE_CHECKING

from torchleet_journal.model import ipython
from torchleet_journal.model.notebook import CELL_FILE, cells_of
from torchleet_journal.model.source import decode

if TYPE_CHECKING:  # the child's own types; capture imports this module when a notebook runs
    from torchleet_journal.model.results import Result
    from torchleet_journal.run.capture import FigureSaver, Job


def run_notebook(job: Job, figures: FigureSaver, result: Result, fail, exited,
                 source: bytes) -> None:
    """Run the notebook's code cells in order, recording every cell and the figures it made.

    `fail` and `exited` are the child's own handlers (capture's), passed in: capture runs this
    on the notebook's `source`, the bytes it read once.
    """
    try:
        cells = cells_of(decode(source, notebook=True))
    except ValueError as error:
        fail(result, job, error, where="reading the notebook: ")
        return
    main = types.ModuleType("__main__")
    main.__file__ = str(job.solution)
    saved_main = sys.modules.get("__main__")
    sys.modules["__main__"] = main  # so pickle and dataclasses find what the cells define
    try:
        for cell in cells:
            record = {"index": cell["index"], "kind": cell["kind"], "source": cell["source"],
                      "figures": []}
            result.cells.append(record)
            if cell["kind"] == "markdown":
                continue
            before = len(figures.saved)
            try:
                _run_cell(job, cell, main.__dict__)
            except SystemExit as stop:  # sys.exit() ends a notebook run as it ends a script
                exited(stop, result, job)
                return
            except BaseException as error:  # a failing cell is content: the day fails
                fail(result, job, error, where=f"cell {cell['number']}: ")
                return
            finally:
                figures.save_open()
                record["figures"] = figures.saved[before:]  # plt.show() inside the cell too
    finally:
        sys.modules["__main__"] = saved_main


def _run_cell(job: Job, cell: dict, namespace: dict) -> None:
    """Run one code cell as Jupyter would: IPython lines translated, the value of a final
    bare expression shown, under the cell's `%%magic` if it has one."""
    plain = ipython.translate(cell["source"])
    for note in plain.notes:
        print(f"[journal] cell {cell['number']}: {note}")
    if plain.uses_shim:
        namespace[ipython.SHIM] = ipython
    # Tracebacks and their source lines name the cell: "solutions/x.ipynb, cell 2", line 3,
    # and show the learner's own line: the translation keeps every line where it was.
    filename = CELL_FILE.format(solution=os.path.relpath(job.solution, job.root),
                                number=cell["number"])
    lines = cell["source"].splitlines(True)
    linecache.cache[filename] = (len(cell["source"]), None, lines, filename)
    tree = ast.parse(plain.code, filename)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    code = compile(tree, filename, "exec")
    value = compile(ast.Expression(last.value), filename, "eval") if last else None

    def body():
        exec(code, namespace)
        return eval(value, namespace) if value else None

    quiet = cell["source"].rstrip().endswith(";")

    def show(result) -> None:
        if result is not None and not quiet:
            print(repr(result))

    ipython.run_cell(plain, body, show, namespace)
