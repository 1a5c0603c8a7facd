"""A run changes nothing it was not given, and its result belongs to the code that ran.

One journal holds a day for each way a solution (or a learner saving mid-run) has reached
past its scratch folder: `./data` replaced by a link to the journal root or to a dataset
folder elsewhere; a large data file, linked into the run rather than copied, truncated,
chmod-ed, touched and mapped shared by torch; the solution itself, and a CSV it read, saved
again while the run went on. It is built once; the tests read what is left on disk (the
journal, .git, the outside folder), what was stored, and the exact lines the run and the
build said. Then the download cache's rule is checked on its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from tests.helpers import make_journal, write
from torchleet_journal.build import serve
from torchleet_journal.build.pipeline import Events, Options, build
from torchleet_journal.model.results import CHANGED, recorded_deps
from torchleet_journal.run.workdir import COPY_LIMIT, DATA, keep_downloads

BIG = b"\x01" * (COPY_LIMIT + 1)  # over the copy limit: linked into the run, not copied
ROOT_LINK, OUTSIDE_LINK, CHANGES_BIG, SAVED_AGAIN, CSV_SAVED, SHARED_MAP, SQLITE = range(1, 8)
JOURNAL = 'os.path.dirname(os.path.dirname(os.path.abspath(__file__)))'
LINKS_DATA = '''
import os
import shutil

shutil.rmtree("data", ignore_errors=True)
os.symlink({target}, "data")
os.makedirs("data/fetched", exist_ok=True)  # torchvision would download into it
print("linked", sorted(os.listdir("data"))[:3])
'''
# Every way to change a file in place without opening it for writing, each on the linked file.
CHANGES = '''
import os

fd = os.open("big.bin", os.O_RDONLY)
try:
    os.fchmod(fd, 0o600)  # through a descriptor: no copy can stand in, so it is refused
except PermissionError as error:
    print("refused:", error)
os.close(fd)
os.chmod("big.bin", 0o600)
os.utime("big.bin", (0, 0))
os.truncate("big.bin", 3)
print("the run's own copy:", os.path.islink("big.bin"), os.path.getsize("big.bin"),
      oct(os.stat("big.bin").st_mode & 0o777))
'''
SHARED = '''
import torch

mapped = torch.from_file("big.bin", shared=True, size=16, dtype=torch.uint8)
mapped.fill_(7)  # a shared map writes back to the file
storage = torch.UntypedStorage.from_file("big.bin", True, 16)
print("mapped", mapped[:2].tolist(), storage[0])
'''
WRITES_SQLITE = '''
import os
import sqlite3

print("linked", os.path.islink("big.db"))
with sqlite3.connect("big.db") as db:  # SQLite writes its file natively, in place
    db.execute("DELETE FROM blobs")
print("linked", os.path.islink("big.db"))
'''
SAVES_ITSELF = '''
import time

MARK = "# saved " + "again"  # in the file only once the learner saved it
source = open(__file__).read()
print("ran", "second" if MARK in source else "first")
if MARK not in source:  # the learner saves while it runs
    time.sleep(0.05)
    with open(__file__, "a") as handle:
        handle.write(MARK + "\\n")
'''
SAVES_CSV = '''
import os

rows = open("table.csv").read().split()
print("rows", len(rows))
learner = os.path.join(os.path.dirname(os.path.abspath(__file__)), "table.csv")
if len(rows) == 2:  # the learner saves the CSV while the run uses it
    with open(learner, "a") as handle:
        handle.write("5,6\\n")
'''


class Said(Events):
    def __init__(self):
        self.warnings: list[str] = []

    def warning(self, text: str) -> None:
        self.warnings.append(text)


def files_of(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file under `folder` (links not followed) with its bytes, mode and mtime."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        info = path.stat()
        found[path.relative_to(folder).as_posix()] = (path.read_bytes(), info.st_mode,
                                                     info.st_mtime_ns)
    return found


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    base = tmp_path_factory.mktemp("runs")
    dataset = base / "datasets/mnist"
    write(dataset / "train.bin", "digits")
    solutions = {ROOT_LINK: LINKS_DATA.format(target=JOURNAL),
                 OUTSIDE_LINK: LINKS_DATA.format(target=repr(str(dataset))),
                 CHANGES_BIG: CHANGES, SAVED_AGAIN: SAVES_ITSELF, CSV_SAVED: SAVES_CSV,
                 SHARED_MAP: SHARED, SQLITE: WRITES_SQLITE}
    root = make_journal(base, solutions, extra_files={"solutions/table.csv": "1,2\n3,4\n"})
    (root / "solutions/big.bin").write_bytes(BIG)
    with sqlite3.connect(root / "solutions/big.db") as db:
        db.execute("CREATE TABLE blobs (data BLOB)")
        db.execute("INSERT INTO blobs VALUES (?)", (BIG,))
    db.close()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    before = {"journal": files_of(root), "dataset": files_of(dataset)}
    said = Said()
    report = build(root, Options(site=False, jobs=2), said)
    return root, dataset, before, said, {day.entry.day: day for day in report.days}


def log(root: Path, day: int) -> str:
    return (root / f"results/day-{day:02d}/output.log").read_text()


def test_every_day_passed(ran):
    _, _, _, _, days = ran
    assert {n: d.result.status for n, d in days.items()} == {n: "passed" for n in days}


def test_data_linked_to_the_journal_moves_nothing_of_it(ran):
    root, _, before, _, _ = ran
    now = files_of(root)
    saved = ("solutions/day04.py", "solutions/table.csv")  # by the learner, in days 4 and 5
    for rel, state in before["journal"].items():  # .git, entries, solutions: all where they were
        if rel not in saved and rel != "README.md":  # the build writes the README's table
            assert now.get(rel) == state, rel
    assert not (root / ".journal/downloads/data/.git").exists()
    assert (root / "solutions/data").exists() is False


def test_data_linked_to_a_dataset_elsewhere_leaves_it_as_it_was(ran):
    _, dataset, before, _, _ = ran
    assert files_of(dataset) == before["dataset"]
    assert sorted(os.listdir(dataset)) == ["fetched", "train.bin"]  # what the run made there


@pytest.mark.parametrize("day", [ROOT_LINK, OUTSIDE_LINK])
def test_the_run_says_its_data_link_was_left_alone(ran, day):
    root, dataset, _, _, _ = ran
    lines = [line for line in log(root, day).splitlines() if line.startswith("[journal]")]
    assert len(lines) == 1
    assert lines[0].startswith("[journal] ./data is a link to '")
    assert lines[0].endswith("': nothing the run put in ./data was kept, and the folder it "
                             "links to was left as it is")


def test_a_linked_file_is_never_changed_in_place(ran):
    root, _, before, _, _ = ran
    assert files_of(root)["solutions/big.bin"] == before["journal"]["solutions/big.bin"]
    assert stat.S_IMODE((root / "solutions/big.bin").stat().st_mode) == \
        stat.S_IMODE(before["journal"]["solutions/big.bin"][1])


def test_changes_through_a_path_go_to_a_private_copy_through_a_descriptor_are_refused(ran):
    root, _, _, _, _ = ran
    assert log(root, CHANGES_BIG).splitlines() == [
        "refused: os.chmod on 'big.bin': a file linked from the learner's folder, which a run "
        "may read but not change",
        "the run's own copy: False 3 0o600"]


def test_sqlite_writes_to_a_private_copy(ran):
    root, _, before, _, _ = ran
    assert log(root, SQLITE).splitlines() == ["linked True", "linked False"]
    assert files_of(root)["solutions/big.db"] == before["journal"]["solutions/big.db"]


def test_torch_shared_maps_write_to_a_private_copy(ran):
    root, _, _, _, _ = ran
    assert log(root, SHARED_MAP).splitlines() == ["mapped [7, 7] 7"]


def test_a_solution_saved_mid_run_is_recorded_as_the_bytes_that_ran(ran):
    root, _, before, said, days = ran
    ran_bytes = before["journal"]["solutions/day04.py"][0]
    stored = json.loads((root / "results/day-04/result.json").read_text())
    assert stored["deps"]["solutions/day04.py"] == hashlib.sha256(ran_bytes).hexdigest()
    assert "solutions/day04.py: changed while day 4 ran; its page shows the run of the version " \
           "before, and the next build runs it again" in said.warnings
    assert days[SAVED_AGAIN].stale
    assert "Out of date" in (root / "docs/days/day-04.md").read_text()


def test_a_csv_saved_mid_run_makes_the_day_out_of_date(ran):
    root, _, _, said, days = ran
    stored = json.loads((root / "results/day-05/result.json").read_text())
    assert stored["deps"]["solutions/table.csv"] == CHANGED
    assert "solutions/table.csv: changed while day 5 ran; its page shows the run of the " \
           "version before, and the next build runs it again" in said.warnings
    assert days[CSV_SAVED].stale


def test_serve_runs_a_day_again_when_a_file_it_read_changed_mid_run(ran):
    root, _, _, _, _ = ran

    class Server:  # mkdocs serve, as _watch sees it: up for one poll
        polls = 0

        def poll(self):
            self.polls += 1
            return None if self.polls <= 1 else 0

    deps, changed = recorded_deps(root)
    assert changed == {"solutions/table.csv"}
    seen = serve._after_build(root, serve.snapshot(root, deps), deps, changed)
    rebuilds = []
    serve._watch(root, Server(), seen, deps, rebuild=lambda: rebuilds.append(1) or 0)
    assert rebuilds == [1]


def test_the_next_build_runs_exactly_the_days_that_changed_mid_run(ran):
    root, _, _, _, _ = ran
    again = build(root, Options(site=False, only=None), Said())
    assert sorted(d.entry.day for d in again.days if d.ran and d.entry.day in
                  (SAVED_AGAIN, CSV_SAVED)) == [SAVED_AGAIN, CSV_SAVED]
    assert "ran second" in log(root, SAVED_AGAIN)
    third = build(root, Options(site=False), Said())
    assert not [d.entry.day for d in third.days if d.ran and d.entry.day in
                (SAVED_AGAIN, CSV_SAVED)]


# --- the download cache's rule, alone ---------------------------------------------------------


@pytest.fixture
def scratch(tmp_path):
    work, source, downloads = tmp_path / "work", tmp_path / "solutions", tmp_path / "downloads"
    for folder in (work, source, downloads):
        folder.mkdir()
    return work, source, downloads


def test_a_data_folder_linked_elsewhere_is_neither_walked_nor_emptied(scratch, tmp_path, capsys):
    work, source, downloads = scratch
    write(tmp_path / "mine/a.csv", "kept")
    os.symlink(tmp_path / "mine", work / DATA)
    keep_downloads(work, source, downloads)
    assert (tmp_path / "mine/a.csv").read_text() == "kept"
    assert os.listdir(downloads / DATA) == []
    assert capsys.readouterr().err == (
        f"[journal] ./data is a link to {str(tmp_path / 'mine')!r}: nothing the run put in "
        "./data was kept, and the folder it links to was left as it is\n")


def test_the_learners_own_linked_data_folder_is_theirs_and_said_nothing_of(scratch, tmp_path,
                                                                          capsys):
    work, source, downloads = scratch
    write(tmp_path / "datasets/a.bin", "theirs")
    os.symlink(tmp_path / "datasets", source / DATA)
    os.symlink(tmp_path / "datasets", work / DATA)  # as the mirror links it
    write(work / DATA / "new.bin", "the run's")
    keep_downloads(work, source, downloads)
    assert sorted(os.listdir(tmp_path / "datasets")) == ["a.bin", "new.bin"]
    assert capsys.readouterr().err == ""


def test_a_cache_folder_that_is_a_link_receives_nothing(scratch, tmp_path, capsys):
    work, source, downloads = scratch
    write(work / DATA / "new.bin", "fetched")
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", downloads / DATA)
    keep_downloads(work, source, downloads)
    assert os.listdir(tmp_path / "elsewhere") == []
    assert (work / DATA / "new.bin").read_text() == "fetched"
    assert capsys.readouterr().err.startswith("[journal] .journal/downloads/data is a link to ")


def test_inside_a_real_data_folder_downloads_move_and_links_stay(scratch, tmp_path):
    work, source, downloads = scratch
    write(work / DATA / "mnist/train.bin", "digits")
    write(tmp_path / "theirs/x.bin", "theirs")
    os.symlink(tmp_path / "theirs", work / DATA / "linked")
    keep_downloads(work, source, downloads)
    assert (downloads / DATA / "mnist/train.bin").read_text() == "digits"
    assert os.path.islink(work / DATA / "linked") and not (downloads / DATA / "linked").exists()
    assert (tmp_path / "theirs/x.bin").read_text() == "theirs"
