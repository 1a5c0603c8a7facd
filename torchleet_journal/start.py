"""Where `build.py`, `python -m torchleet_journal` and the `torchleet-journal` command start.

The packages the build needs are looked for before any is imported (requirements_check), so a
journal built before `pip install -r requirements.txt` ends in one line and exit status 2, not
in a traceback from deep inside the build.
"""

from __future__ import annotations

import sys

from torchleet_journal.base.errors import EXIT_INVALID
from torchleet_journal.base.requirements_check import missing, missing_line


def main(argv: list[str] | None = None) -> int:
    lacking = missing()
    if lacking:
        print(missing_line(lacking), file=sys.stderr)
        return EXIT_INVALID
    from torchleet_journal.cli import main as cli

    return cli(argv)
