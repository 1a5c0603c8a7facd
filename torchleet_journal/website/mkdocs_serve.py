"""`mkdocs serve`, at the root of the address it serves on, whatever `site_url` says.

Given a `site_url` with a path (`https://ada.github.io/my-journal/`, as GitHub Pages needs
for the feed's links), `mkdocs serve` serves under that path only, and
`http://127.0.0.1:8000/days/day-01/` answers 404. Run as a script by `torchleet_journal/build/serve.py` (it
imports mkdocs, never the journal), it is `mkdocs serve` with `site_url` emptied for serving.
"""

import functools
import sys

import mkdocs.commands.serve
from mkdocs.__main__ import cli

# load_config's keyword arguments override the file's settings.
mkdocs.commands.serve.load_config = functools.partial(mkdocs.commands.serve.load_config,
                                                      site_url="")

if __name__ == "__main__":
    sys.exit(cli(["serve", *sys.argv[1:]], prog_name="mkdocs"))
