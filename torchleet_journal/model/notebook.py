"""Notebooks as solutions: read a .ipynb's cells, and run its code cells inside the child.

The code cells run in order in one `__main__` namespace, as a plain Python script would, with
the figures each cell leaves open saved right after it. IPython lines keep their meaning where
plain Python can give it (`torchleet_journal.model.ipython`); the rest are skipped with a note in the output.
"""

from __future__ import annotations

import ast
import json
import linecache
import os
import sys
import types
from typing import TYPE_CHECKING

from torchleet_journal.model import ipython
from torchleet_journal.model.source import decode

if TYPE_CHECKING:  # the child imports capture anyway; the renderer must not need it
    from torchleet_journal.model.results import Result
    from torchleet_journal.run.capture import FigureSaver, Job

CELL_FILE = "{solution}, cell {number}"  # how tracebacks name a cell: "solutions/x.ipynb, cell 2"


def cells_of(text: str) -> list[dict]:
    """The notebook's Markdown and code cells in order, or ValueError if it is no notebook.

    Each is {index, kind, source, number}: `number` counts code cells from 1, as the page
    titles them and as failures name them.
    """
    notebook = notebook_json(text)
    cells, number = [], 0
    for index, cell in enumerate(notebook["cells"]):
        kind = cell.get("cell_type") if isinstance(cell, dict) else None
        if kind not in ("code", "markdown"):
            continue  # raw cells are not run and not shown
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(line, str) for line in source):
            source = "".join(source)
        elif not isinstance(source, str):  # a corrupt or hand-made file: say so, do not crash
            raise ValueError(f"not a Jupyter notebook: cell {index + 1}'s source must be text "
                             f"or a list of lines, got {type(source).__name__}")
        number += kind == "code"
        cells.append({"index": index, "kind": kind, "source": source,
                      "number": number if kind == "code" else None})
    return cells


def notebook_json(text: str) -> dict:
    """The notebook's JSON, or ValueError if it is none or deeper or larger than Python reads."""
    try:
        notebook = json.loads(text)
    except (RecursionError, MemoryError):  # a notebook is never nested that deeply
        raise ValueError("not a Jupyter notebook: its JSON is nested too deeply") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise ValueError("not a Jupyter notebook: no list of 'cells' at the top level")
    return notebook


def cell_lines(solution: str, text: str) -> dict[str, list[str]]:
    """Each code cell's source lines by the file name tracebacks give it ({} if no notebook).

    The parent reads a stopped run's stack from outside, where no cell is in `linecache`.
    """
    try:
        cells = cells_of(text)
    except ValueError:
        return {}
    return {CELL_FILE.format(solution=solution, number=cell["number"]): cell["source"].splitlines()
            for cell in cells if cell["kind"] == "code"}


def without_outputs(text: str) -> str:
    """The notebook with its stored outputs cleared, as the site publishes it for download.

    Outputs were made on the learner's machine: they hold its paths and colour codes, and the
    page shows the build's own run instead. Text that is no notebook is returned as it is.
    """
    try:
        notebook = notebook_json(text)
    except ValueError:
        return text
    for cell in notebook["cells"]:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


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
