"""What the child captures from a solution that is careless in the ways learners are."""

from __future__ import annotations

import pytest

from tests.helpers import make_journal
from torchleet_journal.build.pipeline import Options, build

NEVER_CLOSED = ("from torch.utils.tensorboard import SummaryWriter\n"
                "writer = SummaryWriter()\n"
                "for step in range(1000):\n"
                "    writer.add_scalar('loss', 1.0 / (step + 1), step)\n"
                "import sys\n"
                "sys.kept = writer  # alive to the end, as in a notebook's namespace\n"
                "print('done, writer left open')\n")
SUBCLASSED = ("from torch.utils.tensorboard import SummaryWriter\n"
              "class Logger(SummaryWriter):\n"
              "    def __init__(self):\n"
              "        super().__init__(log_dir='runs/mine')\n"
              "logger = Logger()\n"
              "for step in range(4):\n"
              "    logger.add_scalar('accuracy', step / 4, step)\n"
              "import sys\n"
              "sys.kept = logger\n")


def test_scalars_of_writers_never_closed_are_captured_all_points(tmp_path):
    root = make_journal(tmp_path, days={1: NEVER_CLOSED, 2: SUBCLASSED})
    report = build(root, Options(site=False))
    first, second = (day.result for day in report.days)
    assert first.scalars["loss"]["steps"] == list(range(1000))
    assert first.scalars["loss"]["values"][:3] == pytest.approx([1.0, 0.5, 1 / 3])
    assert second.scalars["accuracy"]["steps"] == [0, 1, 2, 3]


def test_exit_functions_the_solution_registers_run_as_under_plain_python(tmp_path):
    source = ("import atexit\n"
              "atexit.register(print, 'saved at exit')\n"
              "print('training done')\n")
    root = make_journal(tmp_path, days={1: source})
    result = build(root, Options(site=False)).days[0].result
    assert result.log_head == "training done\nsaved at exit\n"
