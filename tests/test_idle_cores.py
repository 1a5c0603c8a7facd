"""When fewer runs remain than cores, the runs still going are offered the idle cores."""

from __future__ import annotations

import json
import os

import pytest

from journal.pipeline import Options, build
from tests.helpers import entry_yaml, make_journal

# Waits (up to 30 s) for the runner's offer, then says how many threads torch ended up with.
WAITS_FOR_MORE = '''
import time
import torch
{pin}
deadline = time.monotonic() + {wait}
while torch.get_num_threads() < 2 and time.monotonic() < deadline:
    time.sleep(0.05)
print("threads", torch.get_num_threads())
'''
SHORT = "print('short day')\n"

pytestmark = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores to share")


def threads_printed(root, day: int) -> int:
    result = json.loads((root / f"results/day-{day:02d}/result.json").read_text())
    line = next(line for line in result["log_head"].splitlines() if line.startswith("threads"))
    return int(line.split()[1])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    files = {"solutions/day03.py": SHORT,
             "entries/day-03.yaml": entry_yaml(3, "solutions/day03.py")}
    root = make_journal(tmp_path_factory.mktemp("idle"), days={
        1: WAITS_FOR_MORE.format(pin="", wait=30),
        2: WAITS_FOR_MORE.format(pin="torch.set_num_threads(1)", wait=3)}, extra_files=files)
    report = build(root, Options(jobs=2, site=False))
    assert not report.failures
    return root


def test_a_run_left_alone_is_given_the_idle_core(built):
    assert threads_printed(built, 1) == 2


def test_a_solution_that_sets_its_own_thread_count_keeps_it(built):
    assert threads_printed(built, 2) == 1
