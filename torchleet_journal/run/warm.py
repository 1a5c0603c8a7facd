"""Imported once by the runner's fork server: pays torch's start-up so no child has to.

Importing torch, matplotlib and tensorboard costs seconds per process, and the first optimizer
step lazily imports hundreds more modules. The fork server imports this module, does a tiny
training step on one thread (so no thread pool exists at fork time), and each child forked
from it starts with all of that already in memory. Before that, it reads the thread count torch
chooses on this machine, which every run gets back unless its entry asks for another.
"""

from __future__ import annotations

import io
import os
import tempfile

os.environ["MPLBACKEND"] = "Agg"

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot  # noqa: E402,F401
import torch  # noqa: E402

# What `python FILE` and a Jupyter kernel use here: read before the warm-up sets one thread.
MACHINE_THREADS = torch.get_num_threads()
import torch.utils.tensorboard  # noqa: E402,F401
from tensorboard.backend.event_processing import event_accumulator  # noqa: E402,F401

from torchleet_journal.base.processes import serve_as_reaper  # noqa: E402
from torchleet_journal.run.seed import INITIAL_SEED  # noqa: E402,F401  (read before the warm-up draws)


def _warm_up() -> None:
    torch.set_num_threads(1)
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    lstm = torch.nn.LSTM(1, 2, batch_first=True)
    for optimizer in (torch.optim.SGD(model.parameters(), lr=0.01),
                      torch.optim.Adam(model.parameters(), lr=0.01)):
        loss = torch.nn.functional.mse_loss(model(torch.ones(3, 2)), torch.zeros(3, 1))
        loss = loss + lstm(torch.ones(1, 2, 1))[0].sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    figure = matplotlib.pyplot.figure()
    figure.add_subplot(projection="3d")  # mplot3d's import is slow too
    axes = figure.add_subplot()
    axes.plot([0, 1], [1, 0], label="warm")
    axes.set_xlabel("step")
    axes.legend()
    # The first PNG a process draws loads fonts and caches glyphs: a quarter of a second.
    figure.savefig(io.BytesIO(), format="png")
    matplotlib.pyplot.close(figure)
    _read_an_event_file()


def _read_an_event_file() -> None:
    """Write and read back one scalar, so the event writer and reader are warm too."""
    with tempfile.TemporaryDirectory() as folder:
        writer = torch.utils.tensorboard.SummaryWriter(folder)
        writer.add_scalar("warm", 1.0, 0)
        writer.close()
        reader = event_accumulator.EventAccumulator(folder, size_guidance={"scalars": 0})
        reader.Reload()


_warm_up()
serve_as_reaper()  # what a run starts dies with it, whatever session it moved to

from torchleet_journal.run import capture  # noqa: E402,F401  (the children's entry point, imported once here)
