"""`python -m torchleet_journal`: the same commands as a journal's `build.py`."""

import sys

from torchleet_journal.start import main

sys.exit(main())
