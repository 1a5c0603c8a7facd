"""How build.py runs MkDocs: the environment, and the switch that tells the hook to stand aside.

A leaf module (it imports nothing of the journal): `torchleet_journal/mkdocs_plugin.py`, loaded by MkDocs
itself, reads the switch; `torchleet_journal/website/site.py` and `torchleet_journal/build/serve.py` set it.
"""

import os

# Set for the MkDocs that build.py runs: docs/ is rendered already, so the hook stands aside.
RENDERED_BY_BUILD = "JOURNAL_DOCS_RENDERED"


def mkdocs_env() -> dict[str, str]:
    """The environment for the MkDocs build.py runs (quiet about MkDocs 2, hook aside)."""
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1", RENDERED_BY_BUILD: "1"}
