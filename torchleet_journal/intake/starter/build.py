#!/usr/bin/env python3
"""Build the journal: run each day's solution, render docs/, build site/. See README.md."""

import sys

if __name__ == "__main__":
    try:  # the engine: installed from the lock (in its own repository, the folder beside this)
        from torchleet_journal.start import main
    except ImportError as missing:
        print(f"build.py:8: the engine torchleet-journal is not installed ({missing}); run `pip "
              "install -r requirements.txt` in this journal's virtual environment", file=sys.stderr)
        sys.exit(2)
    sys.exit(main())
