"""`serve`: build, serve with live reload, and build again on every change."""

from __future__ import annotations

from pathlib import Path

from torchleet_journal.base.errors import (
    InputError,
)
from torchleet_journal.base.lock import Busy, journal_lock
from torchleet_journal.build.pipeline import Options
from torchleet_journal.commands.args import build_options
from torchleet_journal.commands.build import build_once
from torchleet_journal.commands.say import cannot_write, refused


def cmd_serve(args) -> int:
    from torchleet_journal.build.serve import serve

    root = args.root.resolve()
    return serve(root, build_options(args), args.dev_addr, lambda options: _serve_build(root, options))


def _serve_build(root: Path, options: Options) -> int:
    """One locked build while serving: a mistake in the input is shown, and serving goes on."""
    try:
        with journal_lock(root):
            return build_once(root, options)
    except (InputError, Busy) as error:
        return refused(error)
    except OSError as error:
        return cannot_write(error)
