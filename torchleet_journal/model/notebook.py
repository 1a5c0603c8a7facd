"""Notebooks as data: a .ipynb's cells, its JSON (bounded), its lines, its text without outputs.

Running a notebook's cells inside the child is `torchleet_journal.run.cells`.
"""

from __future__ import annotations

import json

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
