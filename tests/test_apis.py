"""The PyTorch API index: names found by reading the code, chips on day pages, the apis/ page."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pytest

from tests.helpers import REPO, copy_journal
from torchleet_journal.model import apis
from torchleet_journal.torch_api import LIST

KNOWN = apis.known_names()


def found(source: str, notebook: bool = False) -> list[str]:
    return apis.apis_in(textwrap.dedent(source), KNOWN, notebook)


# --- the analysis --------------------------------------------------------------------------


def test_aliases_resolve_to_the_documented_names():
    assert found("""
        import torch.nn as nn
        import torch.nn.functional as F
        from torch import optim
        from torch.utils.data import DataLoader as Loader
        import torch.optim.lr_scheduler

        class Net(nn.Module):
            def forward(self, x):
                return F.relu(self.lstm(x))

        model = nn.LSTM(3, 4)
        opt = optim.SGD(model.parameters(), lr=0.1)
        Loader([])
        torch.optim.lr_scheduler.StepLR(opt, 1)
    """) == ["torch.nn.LSTM", "torch.nn.Module", "torch.nn.functional.relu",
             "torch.optim.SGD", "torch.optim.lr_scheduler.StepLR",
             "torch.utils.data.DataLoader"]


def test_star_imports_bring_in_their_namespace():
    assert found("""
        from torch.nn import *
        from torch.optim import *
        net = Sequential(Linear(2, 2), ReLU())
        Adam(net.parameters())
        undefined_thing()
    """) == ["torch.nn.Linear", "torch.nn.ReLU", "torch.nn.Sequential", "torch.optim.Adam"]


def test_look_alikes_are_not_listed():
    assert found("""
        import torch
        x = torch.randn(3).sum()          # a method on a result: only torch.randn
        torch.nn.LSTMM(3, 4)              # a typo
        torch.float32                     # a dtype, not a class or function
        def f(torch):                     # a parameter that happens to be called torch
            return torch.nn.GRU(1, 1)
    """) == ["torch.randn"]
    assert found("""
        torch = Something()               # a local variable, no import of torch
        torch.nn.LSTM(3, 4)
        import torchvision
        torchvision.models.resnet18()
    """) == []


def test_a_function_import_and_a_fallback_binding():
    assert found("""
        try:
            import torch
        except ImportError:
            torch = None                  # the import still wins
        def train():
            from torch import nn
            return nn.GRU(1, 1), torch.zeros(1)
        def other(nn):
            return nn.Linear(1, 1)        # nn is this function's parameter here
    """) == ["torch.nn.GRU", "torch.zeros"]


def notebook(*cells: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "source": c, "metadata": {},
                                  "outputs": []} for c in cells] +
                      [{"cell_type": "markdown", "source": "torch.nn.Conv2d in prose"}],
                      "nbformat": 4, "nbformat_minor": 5, "metadata": {}})


def test_notebook_cells_share_imports_and_skip_magics_and_broken_cells():
    source = notebook("%matplotlib inline\n!pip install torch\nimport torch.nn as nn",
                      "%%bash\necho torch.nn.LSTM",
                      "model = nn.LSTM(1, 2)\n%time model(x)",
                      "def broken(:\n    torch.tanh")
    assert found(source, notebook=True) == ["torch.nn.LSTM"]


def test_docs_urls():
    assert apis.docs_url("torch.nn.LSTM") == \
        "https://pytorch.org/docs/stable/generated/torch.nn.LSTM.html"
    assert apis.docs_url("torch.utils.data.DataLoader") == \
        "https://pytorch.org/docs/stable/data.html#torch.utils.data.DataLoader"


def test_the_api_list_is_the_installed_torchs():
    """torchleet_journal/model/torch_api.txt is what `python -m torchleet_journal.torch_api` makes from this torch."""
    from importlib.metadata import version

    header = LIST.read_text(encoding="utf-8").splitlines()[0]
    if version("torch") not in header:
        pytest.skip(f"the list was made with another torch ({header}); regenerate it with "
                    "python -m torchleet_journal.torch_api")
    done = subprocess.run([sys.executable, "-m", "torchleet_journal.torch_api", "--check"], cwd=REPO,
                          capture_output=True, text=True)
    assert done.returncode == 0, "torchleet_journal/model/torch_api.txt is stale: python -m torchleet_journal.torch_api"
    assert {"torch.nn.LSTM", "torch.optim.SGD", "torch.utils.data.DataLoader"} <= KNOWN


# --- the seed journal's pages --------------------------------------------------------------


def test_day_8_links_torch_nn_lstm_to_its_docs(seed):
    html = (seed.root / "site/days/day-08.html").read_text()
    chip = re.search(r'<span class="jl-api"><a href="([^"]+)">torch\.nn\.LSTM</a></span>', html)
    assert chip and chip.group(1) == "https://pytorch.org/docs/stable/generated/torch.nn.LSTM.html"
    assert '<span class="jl-api"><a href="https://pytorch.org/docs/stable/generated/torch.nn.' \
           'functional.mse_loss.html">' in html


def api_row(html: str, name: str) -> str:
    row = re.search(rf"<tr>\s*<td[^>]*><a href=\"[^\"]+\">{re.escape(name)}</a></td>(.*?)</tr>",
                    html, re.S)
    assert row, f"{name} is not on the apis page"
    return row.group(1)


def test_apis_page_lists_each_api_with_its_days(seed):
    html = (seed.root / "site/apis.html").read_text()
    lstm = api_row(html, "torch.nn.LSTM")
    assert re.findall(r'href="days/day-(\d+)\.html"', lstm) == ["08", "08"]  # days, first used
    sgd = api_row(html, "torch.optim.SGD")
    days = re.findall(r'href="days/day-(\d+)\.html">(\d+)<', sgd)
    assert [d for d, _ in days] == ["01", "02", "03", "04", "06", "07"]
    assert "Day 1</a> · 2025-01-24" in sgd
    loader = api_row(html, "torch.utils.data.DataLoader")
    assert re.findall(r'href="days/day-(\d+)\.html"', loader) == ["02", "02"]
    counts = dict(re.findall(r"<td[^>]*><code>([\w.&#;]+)</code></td>\s*<td[^>]*>(\d+)</td>", html))
    assert counts["torch.optim"] == "2"  # SGD and Adam
    assert 'href="apis.html"' in (seed.root / "site/index.html").read_text()  # in the navigation


def test_a_cached_build_reads_apis_from_the_cache_and_imports_no_torch(seed, tmp_path):
    root = copy_journal(seed.root, tmp_path, site=False)
    cache = json.loads((root / ".journal/apis.json").read_text())
    assert len(cache) == 8
    script = textwrap.dedent(f"""
        import json, sys
        from pathlib import Path
        import torchleet_journal.model.apis
        from torchleet_journal.build.pipeline import Options, build
        torchleet_journal.model.apis.apis_in = None  # a cached day must not be parsed again
        report = build(Path({str(root)!r}), Options(site=False))
        heavy = [m for m in ("torch", "matplotlib", "tensorboard") if m in sys.modules]
        print(json.dumps([[d.entry.day for d in report.days if d.ran], heavy]))
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1]) == [[], []]
