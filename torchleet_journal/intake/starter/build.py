#!/usr/bin/env python3
"""Build the journal: run each day's solution, render docs/, build site/. See README.md."""

import sys

try:  # the engine: installed from the lock (or, in its own repository, the folder beside this)
    from torchleet_journal.cli import main
except ImportError as missing:
    sys.exit(f"build.py:6: the engine torchleet-journal is not installed ({missing}); "
             "run `pip install -r requirements.txt` in this journal's virtualenv")

if __name__ == "__main__":
    sys.exit(main())
