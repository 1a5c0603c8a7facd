#!/usr/bin/env python3
"""Build the journal: run each day's solution, render docs/, build site/. See README.md."""

import sys

from journal.errors import EXIT_INVALID
from journal.requirements_check import missing, missing_line

if __name__ == "__main__":
    # Before importing the build, which needs them: one line, not a traceback, without them.
    if missing():
        print(missing_line(missing()), file=sys.stderr)
        sys.exit(EXIT_INVALID)
    from journal.cli import main

    sys.exit(main())
