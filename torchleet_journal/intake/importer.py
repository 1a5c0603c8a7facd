"""Bringing an existing log: `build.py import TABLE.md` turns a hand-kept progress table into
entries, with the learner's notebooks and scripts matched to their days.

Four stages, each a module of intake/: read the table into rows and each row into a day
(`table.read_table`, `table.rows_to_days`), match the files beside it to days
(`matching.match_files`), date the days (`dating.date_days`); then the plan is checked by the
build's own validator in a staging folder and moved into place all at once, or not at all
(`placing`). Nothing in the source folder is moved or changed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from torchleet_journal.base.errors import InputError
from torchleet_journal.intake.dating import date_days
from torchleet_journal.intake.day_log import read_day_log
from torchleet_journal.intake.matching import candidate_files, match_files, numbers_text, rel_in
from torchleet_journal.intake.placing import check_and_write, place_files
from torchleet_journal.intake.table import (
    HEADER,
    Header,
    Plan,
    header_name,
    read_table,
    read_table_file,
    recorded_date,
    rows_to_days,
)
from torchleet_journal.model.catalog import load_catalog


def import_log(root: Path, table: Path, solutions: Path | None = None,
               start: dt.date | None = None, dry_run: bool = False,
               today: dt.date | None = None) -> Plan:
    """Import the progress table at `table` into the journal at `root`; with `dry_run`, only
    say what would be done. Raises InputError (nothing written) for any mistake."""
    display = str(table)
    catalog = load_catalog(root).following()
    text = read_table_file(table, display)
    # A log of day headings (#100DaysOfCode) is read into rows with this table's column names.
    days_log = read_day_log(text, display, lambda label: HEADER.get(header_name(label)),
                            recorded_date, today)
    header, rows = (Header(*days_log[0]), days_log[1]) if days_log else read_table(text, display)
    days, skipped = rows_to_days(header, rows, display, catalog)
    folder = (solutions or table.parent).resolve()
    if not folder.is_dir():
        raise InputError.one(str(solutions), 1, "--solutions must be a folder, got none there; "
                             "check the path")
    plan = Plan(days)
    if skipped:
        plan.notes.append(f"rows with only a day number were left out: day {numbers_text(set(skipped))}")
    match_files(days, candidate_files(folder, root), folder, plan, catalog)
    date_days(days, table, header, start, today or dt.date.today())
    place_files(root, days, folder, plan)
    helpers = {rel_in(path, folder) for day in days for path in day.data.values()}
    plan.unmatched = [u for u in plan.unmatched if u.split(": ", 1)[0] not in helpers]
    check_and_write(root, days, display, catalog, dry_run)
    plan.written = not dry_run
    return plan
