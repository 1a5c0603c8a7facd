"""Benchmark the build against Jupyter on a corpus of learners' notebooks, both in one run.

Each notebook of the corpus (below: eleven short days as a learner writes them, and one
training loop of LONG_SECONDS whose printed losses depend on the thread count) runs
(a) in Jupyter: nbclient with a fresh `python3` kernel each (Restart & Run All), one after
    another, in a copy of the notebooks' folder;
(b) under `build.py`, cold (no results/, no .journal/), with its default --jobs, site included.
It prints each day's time both ways (Jupyter's includes starting its kernel and importing
torch, as a learner waits for them; the build's is the day's run), the whole corpus both ways,
and whether each day printed the same numbers (every decimal number in its output, timing
lines such as `%time`'s left out).

Targets: every day's numbers equal; no day slower than 1.1x its Jupyter time; the whole
corpus <= 0.4x Jupyter's one-after-another time.

Usage: python bench/bench_jupyter.py [--long-seconds S]   (needs nbclient and ipykernel)
Works in temporary folders, so the repository is left as it was.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import copy_journal, machine, timed  # noqa: E402

LONG_SECONDS = 75  # the long day's training loop alone, on every thread torch uses here
LONG_DAY = "day12_mlp_regression"
PROBE_EPOCHS = 20  # epochs the calibration times
# Decimal numbers a day prints; lines that print a duration are not the learner's numbers.
NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")
TIMING = re.compile(r"CPU times|Wall time|per loop|slowest run took|^\[journal\]|\d+ rounds? in ")

CORPUS: dict[str, list[str]] = {
    "day01_linear_regression": [
        "%matplotlib inline\nimport torch\nimport torch.nn as nn\nimport matplotlib.pyplot as plt",
        "torch.manual_seed(42)\nX = torch.rand(100, 1) * 10\ny = 2 * X + 3 + torch.randn(100, 1)",
        "model = nn.Linear(1, 1)\ncriterion = nn.MSELoss()\n"
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.01)\n"
        "for epoch in range(1000):\n    loss = criterion(model(X), y)\n    optimizer.zero_grad()\n"
        "    loss.backward()\n    optimizer.step()\n    if (epoch + 1) % 100 == 0:\n"
        "        print(f'Epoch [{epoch + 1}/1000], Loss: {loss.item():.4f}')",
        "print(f'Learned weight: {model.weight.item():.4f}, bias: {model.bias.item():.4f}')",
        "plt.scatter(X, y, s=8)\nplt.plot(X, model(X).detach(), color='red')\nplt.title('fit')\n"
        "plt.show()",
    ],
    "day02_csv_dataset": [
        "import numpy as np\nimport torch\nfrom torch.utils.data import Dataset, DataLoader, "
        "random_split",
        "class HousingDataset(Dataset):\n    def __init__(self, path):\n"
        "        table = np.loadtxt(path, delimiter=',', skiprows=1, dtype=np.float32)\n"
        "        self.X = torch.from_numpy(table[:, :2])\n"
        "        self.y = torch.from_numpy(table[:, 2:])\n"
        "    def __len__(self):\n        return len(self.X)\n"
        "    def __getitem__(self, i):\n        return self.X[i], self.y[i]",
        "torch.manual_seed(0)\ndata = HousingDataset('housing.csv')\n"
        "train, test = random_split(data, [160, 40])\n"
        "loader = DataLoader(train, batch_size=16, shuffle=True)\nlen(train), len(test)",
        "model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))\n"
        "optimizer = torch.optim.Adam(model.parameters(), lr=0.01)\n"
        "for epoch in range(60):\n    for xb, yb in loader:\n"
        "        loss = torch.nn.functional.mse_loss(model(xb), yb)\n"
        "        optimizer.zero_grad()\n        loss.backward()\n        optimizer.step()\n"
        "    if epoch % 10 == 0:\n        print(f'epoch {epoch} loss {loss.item():.5f}')",
        "X_test = torch.stack([x for x, _ in test])\ny_test = torch.stack([y for _, y in test])\n"
        "print(f'test mse {torch.nn.functional.mse_loss(model(X_test), y_test).item():.5f}')",
    ],
    "day03_custom_activation": [
        "import torch\nimport torch.nn as nn",
        "class TanhPlusX(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.alpha = nn.Parameter(torch.tensor(0.5))\n"
        "    def forward(self, x):\n        return torch.tanh(x) + self.alpha * x",
        "torch.manual_seed(1)\nX = torch.linspace(-3, 3, 200).unsqueeze(1)\ny = torch.sin(X) + 0.3 * X\n"
        "model = nn.Sequential(nn.Linear(1, 32), TanhPlusX(), nn.Linear(32, 1))\n"
        "optimizer = torch.optim.Adam(model.parameters(), lr=0.01)",
        "for step in range(800):\n    loss = nn.functional.mse_loss(model(X), y)\n"
        "    optimizer.zero_grad()\n    loss.backward()\n    optimizer.step()\n"
        "    if step % 200 == 0:\n        print(f'step {step}: loss {loss.item():.6f}')\n"
        "print(f'alpha = {model[1].alpha.item():.6f}')",
    ],
    "day04_huber_loss": [
        "import torch\nimport torch.nn as nn",
        "def huber(pred, target, delta=1.0):\n    error = pred - target\n"
        "    small = error.abs() <= delta\n"
        "    return torch.where(small, 0.5 * error ** 2, delta * (error.abs() - 0.5 * delta)).mean()",
        "torch.manual_seed(3)\na, b = torch.randn(50), torch.randn(50) * 3\n"
        "print(f'mine {huber(a, b).item():.6f} torch {nn.HuberLoss()(a, b).item():.6f}')",
        "X = torch.randn(300, 3)\ny = X @ torch.tensor([1.5, -2.0, 0.5]) + 0.2 * torch.randn(300)\n"
        "y[::25] += 15  # outliers\nmodel = nn.Linear(3, 1)\n"
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.05)",
        "%%time\nfor epoch in range(400):\n    loss = huber(model(X).squeeze(1), y)\n"
        "    optimizer.zero_grad()\n    loss.backward()\n    optimizer.step()\n"
        "print(f'final huber loss {loss.item():.6f}')",
        "%time weights = model.weight.detach().clone()\nprint(weights)",
    ],
    "day05_deep_network": [
        "%matplotlib inline\nimport math\nimport torch\nimport torch.nn as nn\n"
        "import matplotlib.pyplot as plt",
        "torch.manual_seed(5)\nn = 400\nt = torch.linspace(0, 4 * math.pi, n)\n"
        "X = torch.stack([t * torch.cos(t), t * torch.sin(t)], 1) / 10\n"
        "X = torch.cat([X, -X])\ny = torch.cat([torch.zeros(n), torch.ones(n)]).long()",
        "model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),\n"
        "                      nn.Linear(64, 2))\n"
        "optimizer = torch.optim.Adam(model.parameters(), lr=0.01)\nlosses = []\n"
        "for epoch in range(500):\n    loss = nn.functional.cross_entropy(model(X), y)\n"
        "    optimizer.zero_grad()\n    loss.backward()\n    optimizer.step()\n"
        "    losses.append(loss.item())\n"
        "accuracy = (model(X).argmax(1) == y).float().mean().item()\n"
        "print(f'loss {losses[-1]:.5f} accuracy {accuracy:.4f}')",
        "plt.plot(losses)\nplt.yscale('log')\nplt.title('training loss')\nplt.show()\n"
        "plt.scatter(X[:, 0], X[:, 1], c=model(X).argmax(1), s=4)\nplt.title('predicted')\nplt.show()",
    ],
    "day06_tensorboard": [
        "import torch\nfrom torch.utils.tensorboard import SummaryWriter",
        "torch.manual_seed(6)\nX = torch.randn(256, 4)\ny = (X.sum(1, keepdim=True) > 0).float()\n"
        "model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))\n"
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.5)\nwriter = SummaryWriter()",
        "for step in range(300):\n"
        "    loss = torch.nn.functional.binary_cross_entropy_with_logits(model(X), y)\n"
        "    optimizer.zero_grad()\n    loss.backward()\n    optimizer.step()\n"
        "    writer.add_scalar('Loss/train', loss.item(), step)\nwriter.close()\n"
        "print(f'final loss {loss.item():.6f}')",
    ],
    "day07_save_load": [
        "import torch\nimport torch.nn as nn",
        "torch.manual_seed(7)\nmodel = nn.Sequential(nn.Linear(5, 10), nn.ReLU(), nn.Linear(10, 2))\n"
        "X, y = torch.randn(64, 5), torch.randn(64, 2)\n"
        "optimizer = torch.optim.Adam(model.parameters(), lr=0.01)\n"
        "for _ in range(200):\n    loss = nn.functional.mse_loss(model(X), y)\n"
        "    optimizer.zero_grad()\n    loss.backward()\n    optimizer.step()\n"
        "print(f'trained loss {loss.item():.6f}')",
        "torch.save(model.state_dict(), 'model.pth')\n"
        "for name, value in model.state_dict().items():\n    print(name, tuple(value.shape))",
        "restored = nn.Sequential(nn.Linear(5, 10), nn.ReLU(), nn.Linear(10, 2))\n"
        "restored.load_state_dict(torch.load('model.pth'))\n"
        "print(f'max difference {(restored(X) - model(X)).abs().max().item():.6f}')",
    ],
    "day08_lstm": [
        "import torch\nimport torch.nn as nn",
        "torch.manual_seed(8)\nt = torch.linspace(0, 20, 400)\nwave = torch.sin(t)\n"
        "seq = 20\nX = torch.stack([wave[i:i + seq] for i in range(len(wave) - seq)]).unsqueeze(-1)\n"
        "y = wave[seq:].unsqueeze(-1)\nX.shape, y.shape",
        "class Forecaster(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.lstm = nn.LSTM(1, 32, batch_first=True)\n        self.head = nn.Linear(32, 1)\n"
        "    def forward(self, x):\n        out, _ = self.lstm(x)\n"
        "        return self.head(out[:, -1])",
        "model = Forecaster()\noptimizer = torch.optim.Adam(model.parameters(), lr=0.01)\n"
        "for epoch in range(120):\n    loss = nn.functional.mse_loss(model(X), y)\n"
        "    optimizer.zero_grad()\n    loss.backward()\n    optimizer.step()\n"
        "    if epoch % 20 == 0:\n        print(f'epoch {epoch:3d} loss {loss.item():.8f}')",
    ],
    "day09_cnn": [
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F",
        "torch.manual_seed(9)\nimages = torch.randn(512, 1, 16, 16)\n"
        "labels = (images[:, :, :8].mean((1, 2, 3)) > images[:, :, 8:].mean((1, 2, 3))).long()",
        "class SmallCNN(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)\n"
        "        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)\n        self.fc = nn.Linear(16 * 4 * 4, 2)\n"
        "    def forward(self, x):\n        x = F.max_pool2d(F.relu(self.conv1(x)), 2)\n"
        "        x = F.max_pool2d(F.relu(self.conv2(x)), 2)\n        return self.fc(x.flatten(1))",
        "model = SmallCNN()\noptimizer = torch.optim.Adam(model.parameters(), lr=0.005)\n"
        "for epoch in range(8):\n    for i in range(0, 512, 64):\n"
        "        loss = F.cross_entropy(model(images[i:i + 64]), labels[i:i + 64])\n"
        "        optimizer.zero_grad()\n        loss.backward()\n        optimizer.step()\n"
        "    accuracy = (model(images).argmax(1) == labels).float().mean().item()\n"
        "    print(f'epoch {epoch} loss {loss.item():.5f} accuracy {accuracy:.4f}')",
    ],
    "day10_autograd": [
        "import torch",
        "x = torch.tensor([2.0, 3.0], requires_grad=True)\ny = (x ** 3).sum() + x.prod()\ny.backward()\n"
        "x.grad",
        "torch.zeros?",
        "%timeit -n 100 -r 3 torch.randn(64, 64) @ torch.randn(64, 64)",
        "def numeric_grad(f, x, h=1e-3):\n"
        "    return torch.stack([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in torch.eye(len(x))])\n"
        "g = numeric_grad(lambda v: (v ** 3).sum() + v.prod(), x.detach())\n"
        "print(f'numeric {g[0].item():.3f} {g[1].item():.3f}')",
    ],
    "day11_char_rnn": [
        "import torch\nimport torch.nn as nn",
        "text = 'hello pytorch journal ' * 20\nchars = sorted(set(text))\n"
        "index = {c: i for i, c in enumerate(chars)}\n"
        "data = torch.tensor([index[c] for c in text])\nlen(chars)",
        "torch.manual_seed(11)\nembed = nn.Embedding(len(chars), 16)\n"
        "rnn = nn.GRU(16, 64, batch_first=True)\nhead = nn.Linear(64, len(chars))\n"
        "params = [*embed.parameters(), *rnn.parameters(), *head.parameters()]\n"
        "optimizer = torch.optim.Adam(params, lr=0.01)",
        "for step in range(150):\n    start = (step * 7) % (len(data) - 33)\n"
        "    chunk = data[start:start + 33].unsqueeze(0)\n"
        "    out, _ = rnn(embed(chunk[:, :-1]))\n"
        "    loss = nn.functional.cross_entropy(head(out).squeeze(0), chunk[0, 1:])\n"
        "    optimizer.zero_grad()\n    loss.backward()\n    optimizer.step()\n"
        "    if step % 30 == 0:\n        print(f'step {step} loss {loss.item():.5f}')",
    ],
    LONG_DAY: [
        "import torch\nimport torch.nn as nn\nEPOCHS = {epochs}",
        "torch.manual_seed(0)\nX = torch.randn(8192, 256)\n"
        "Y = torch.tanh(X @ torch.randn(256, 64)) + 0.1 * torch.randn(8192, 64)\n"
        "model = nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),\n"
        "                      nn.Linear(512, 64))\n"
        "optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)",
        "for epoch in range(EPOCHS):\n    order = torch.randperm(8192)\n"
        "    for i in range(0, 8192, 1024):\n        batch = order[i:i + 1024]\n"
        "        loss = nn.functional.mse_loss(model(X[batch]), Y[batch])\n"
        "        optimizer.zero_grad()\n        loss.backward()\n        optimizer.step()\n"
        "    if epoch % 10 == 0 or epoch == EPOCHS - 1:\n"
        "        print(f'epoch {epoch:4d} loss {loss.item():.10f}')",
    ],
}


def housing_csv() -> str:
    """The CSV day 2 reads from beside its notebook: 200 rows, made once, fixed."""
    import random

    rows = ["rooms,age,price"]
    generator = random.Random(2)
    for _ in range(200):
        rooms, age = generator.randint(1, 6), generator.randint(0, 80)
        rows.append(f"{rooms},{age},{50 * rooms - 0.4 * age + generator.gauss(0, 10):.2f}")
    return "\n".join(rows) + "\n"


def notebook_text(cells: list[str], epochs: int) -> str:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    made = new_notebook(cells=[new_markdown_cell("# A day of TorchLeet")] + [
        new_code_cell(source.replace("{epochs}", str(epochs))) for source in cells])
    made.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                   "language": "python"}
    return nbformat.writes(made)


def calibrate() -> int:
    """Epochs of the long day that take about LONG_SECONDS alone on this machine."""
    imports, *rest = (cell.replace("{epochs}", str(PROBE_EPOCHS)) for cell in CORPUS[LONG_DAY])
    # Timed from after the imports: the build pays them once, in its fork server.
    probe = f"{imports}\nimport time\nstarted = time.perf_counter()\n" + "\n".join(rest) + \
        "\nprint(f'{EPOCHS} rounds in {time.perf_counter() - started:.3f}')"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    seconds = float(done.stdout.split(" rounds in ")[1].split()[0])
    return max(10, int(LONG_SECONDS * PROBE_EPOCHS / seconds))


def lay_out(folder: Path, epochs: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, cells in CORPUS.items():
        (folder / f"{name}.ipynb").write_text(notebook_text(cells, epochs), encoding="utf-8")
    (folder / "housing.csv").write_text(housing_csv(), encoding="utf-8")


def jupyter(folder: Path) -> dict[str, tuple[float, str]]:
    """Each notebook in a fresh kernel, one after another: (seconds, what it printed)."""
    import nbformat
    from nbclient import NotebookClient

    runs = {}
    for name in CORPUS:
        notebook = nbformat.read(folder / f"{name}.ipynb", as_version=4)
        started = time.perf_counter()
        NotebookClient(notebook, timeout=1200, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
        runs[name] = (time.perf_counter() - started, _printed(notebook))
        print(f"  jupyter {name:<26} {runs[name][0]:6.1f} s", flush=True)
    return runs


def _printed(notebook) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                parts.append(output.text)
            elif output.output_type == "execute_result":
                parts.append(output.data.get("text/plain", "") + "\n")
    return "".join(parts)


def journal(base: Path, notebooks: Path) -> tuple[float, Path]:
    """The corpus as a journal's days, built cold with the default --jobs, site included."""
    root = copy_journal(base)
    for folder in ("entries", "results", "solutions"):
        shutil.rmtree(root / folder)
    shutil.copytree(notebooks, root / "solutions")
    (root / "entries").mkdir()
    for day, name in enumerate(CORPUS, start=1):
        (root / "entries" / f"day-{day:02d}.yaml").write_text(
            f"day: {day}\ndate: 2025-01-{day:02d}\ntask: {name}\nsolution: solutions/{name}.ipynb\n",
            encoding="utf-8")
    seconds, _ = timed([sys.executable, "build.py"], root)
    return seconds, root


def built_day(root: Path, day: int) -> tuple[float, str]:
    folder = root / "results" / f"day-{day:02d}"
    record = json.loads((folder / "result.json").read_text(encoding="utf-8"))
    if record["status"] != "passed":
        sys.exit(f"benchmark step failed: day {day} {record['status']}: {record['reason']}")
    return record["wall_time"], (folder / record["log"]).read_text(encoding="utf-8")


def numbers(text: str) -> list[str]:
    return [n for line in text.splitlines() if not TIMING.search(line)
            for n in NUMBER.findall(line)]


def main() -> None:
    global LONG_SECONDS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--long-seconds", type=float, default=LONG_SECONDS,
                        help="how long the long day's loop takes alone (default %(default)s)")
    LONG_SECONDS = parser.parse_args().long_seconds
    print(f"machine: {machine()}", flush=True)
    epochs = calibrate()
    with tempfile.TemporaryDirectory(prefix="journal-jupyter-") as tmp:
        notebooks = Path(tmp) / "notebooks"
        lay_out(notebooks, epochs)
        print(f"load average before Jupyter: {load()}", flush=True)
        in_jupyter = jupyter(Path(shutil.copytree(notebooks, Path(tmp) / "jupyter")))
        print(f"load average before build.py: {load()}", flush=True)
        whole, root = journal(Path(tmp) / "journal", notebooks)
        print(f"load average after build.py: {load()}", flush=True)
        report(in_jupyter, whole, root, epochs)


def load() -> str:
    """The machine's load averages (1, 5, 15 min): on a shared machine, say what else ran."""
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def report(in_jupyter: dict[str, tuple[float, str]], whole: float, root: Path, epochs: int) -> None:
    print(f"{'day':<30} {'jupyter':>8} {'build':>7} {'ratio':>6}  numbers")
    worst, equal = 0.0, True
    for day, name in enumerate(CORPUS, start=1):
        j_time, j_text = in_jupyter[name]
        b_time, b_text = built_day(root, day)
        same = numbers(j_text) == numbers(b_text)
        equal &= same and bool(numbers(j_text))
        worst = max(worst, b_time / j_time)
        print(f"{name:<30} {j_time:7.1f}s {b_time:6.1f}s {b_time / j_time:6.2f}  "
              f"{'equal' if same else 'DIFFERENT'} ({len(numbers(j_text))})")
    total = sum(t for t, _ in in_jupyter.values())
    long_build = built_day(root, list(CORPUS).index(LONG_DAY) + 1)[0]
    print(f"every day's printed numbers equal: {'yes' if equal else 'NO'} (target: yes)")
    print(f"slowest day against its Jupyter time: {worst:.2f}x (target <= 1.1x)")
    print(f"whole corpus: build.py {whole:.1f} s, Jupyter one after another {total:.1f} s, "
          f"{whole / total:.2f}x (target <= 0.4x)")
    print(f"what bounds it: the long day ({epochs} epochs) runs {long_build:.1f} s of the "
          f"build's {whole:.1f} s; the rest ({whole - long_build:.1f} s) is starting the fork "
          f"server, the days not overlapped with it, rendering and the site")


if __name__ == "__main__":
    main()
