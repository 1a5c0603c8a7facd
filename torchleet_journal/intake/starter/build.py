#!/usr/bin/env python3
"""Build the journal: run each day's solution, render docs/, build site/. See README.md."""

import sys

try:  # the engine: installed from the lock (or, in its own repository, the folder beside this)
    from torchleet_journal.cli import main
except ImportError as missing:
    print(f"build.py:6: the engine torchleet-journal, or a package it needs, is not installed "
          f"({missing}); run `pip install -r requirements.txt` in this journal's virtualenv",
          file=sys.stderr)
    sys.exit(2)

if __name__ == "__main__":
    sys.exit(main())
