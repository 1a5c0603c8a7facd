"""Bringing an existing log: `build.py import TABLE.md` turns a hand-kept progress table into
entries, with the learner's notebooks and scripts matched to their days.

Four stages, each a function: read the table into rows (`read_table`), turn each row into a
day (`_days`), match the files beside it to days (`match_files`), date the days (`_date_days`);
then the plan is checked (`placing`) by the build's own validator in a staging folder and moved into place
all at once, or not at all. Nothing in the source folder is moved or changed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from torchleet_journal.base.errors import InputError
from torchleet_journal.intake.dating import _date_days
from torchleet_journal.intake.matching import _candidates, _list, _rel, match_files
from torchleet_journal.intake.placing import _check_and_write, _place
from torchleet_journal.intake.table import Plan, _days, _read, read_table
from torchleet_journal.model.catalog import load_catalog


def import_log(root: Path, table: Path, solutions: Path | None = None,
               start: dt.date | None = None, dry_run: bool = False,
               today: dt.date | None = None) -> Plan:
    """Import the progress table at `table` into the journal at `root`; with `dry_run`, only
    say what would be done. Raises InputError (nothing written) for any mistake."""
    display = str(table)
    catalog = load_catalog()
    text = _read(table, display)
    header, rows = read_table(text, display)
    days, skipped = _days(header, rows, display, catalog)
    folder = (solutions or table.parent).resolve()
    if not folder.is_dir():
        raise InputError.one(str(solutions), 1, "--solutions must be a folder, got none there; "
                             "check the path")
    plan = Plan(days)
    if skipped:
        plan.notes.append(f"rows with only a day number were left out: day {_list(set(skipped))}")
    match_files(days, _candidates(folder, root), folder, plan, catalog)
    _date_days(days, table, header, start, today or dt.date.today())
    _place(root, days, folder, plan)
    helpers = {_rel(path, folder) for day in days for path in day.data.values()}
    plan.unmatched = [u for u in plan.unmatched if u.split(": ", 1)[0] not in helpers]
    _check_and_write(root, days, display, catalog, dry_run)
    plan.written = not dry_run
    return plan
