#!/usr/bin/env python3
"""Build the journal: run each day's solution, render docs/, build site/. See README.md."""

import sys

from torchleet_journal.cli import main

if __name__ == "__main__":
    sys.exit(main())
