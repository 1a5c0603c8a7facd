"""Before anything is imported: are the packages the build itself needs installed?

`build.py` runs this first, with nothing but Python's own modules loaded, so a journal cloned
and built before `pip install -r requirements.txt` ends in one line and exit status 2, not in
a `ModuleNotFoundError` traceback from deep inside the build. Finding a module imports nothing.
"""

from __future__ import annotations

import importlib.util

# What the build's own code imports at its start (the module each distribution provides).
NEEDED = {"yaml": "PyYAML", "jinja2": "Jinja2", "markdown": "Markdown", "mkdocs": "mkdocs",
          "material": "mkdocs-material", "pymdownx": "pymdown-extensions"}


def missing() -> list[str]:
    """The distributions of NEEDED whose module cannot be found, in NEEDED's order."""
    return [dist for module, dist in NEEDED.items() if not _found(module)]


def _found(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def missing_line(dists: list[str]) -> str:
    """The one line that says what is missing and what to run."""
    names = ", ".join(dists)
    return (f"build.py: {names} {'is' if len(dists) == 1 else 'are'} not installed in this "
            "Python; run `pip install -r requirements.txt` (in the journal's virtual "
            "environment), then build again")
