"""Day 2: read a CSV through a custom Dataset, batch it with a DataLoader, fit a line."""

import csv
from pathlib import Path

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, random_split
from torch.utils.tensorboard import SummaryWriter

SEED = 42
CSV_PATH = Path(__file__).resolve().parent / "data" / "day02.csv"  # shipped next to the script
TRAIN_FRACTION = 0.8  # 80 rows to fit, 20 held out to check the line generalises
BATCH_SIZE = 32  # 80 rows -> batches of 32, 32, 16
EPOCHS = 1000
LR = 0.01
PRINT_EVERY = 100  # console only; TensorBoard gets every epoch


class CSVDataset(Dataset):
    """ (x, y) rows of a two-column CSV, as float32 tensors of shape (1,) """

    def __init__(self, path):
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        self.X = torch.tensor([float(r["X"]) for r in rows], dtype=torch.float32).reshape(-1, 1)
        self.y = torch.tensor([float(r["y"]) for r in rows], dtype=torch.float32).reshape(-1, 1)

    def __len__(self):
        return len(self.X)

    def __getitem__(self, idx):
        return self.X[idx], self.y[idx]


class LinearRegressionModel(nn.Module):
    """ y = w * x + b """

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x):
        return self.linear(x)


def evaluate(model, loader, criterion):
    """ mean loss over every row the loader yields """
    total, count = 0.0, 0
    with torch.no_grad():
        for xb, yb in loader:
            total += criterion(model(xb), yb).item() * len(xb)
            count += len(xb)
    return total / count


def plot_fit(dataset, train_set, test_set, model, epoch_losses):
    train_idx, test_idx = list(train_set.indices), list(test_set.indices)
    xs = torch.linspace(0, 10, 50).unsqueeze(1)
    with torch.no_grad():
        ys = model(xs)
    fig, (ax_fit, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
    ax_fit.scatter(dataset.X[train_idx], dataset.y[train_idx], s=12, alpha=0.7, label="train rows")
    ax_fit.scatter(dataset.X[test_idx], dataset.y[test_idx], s=18, marker="x", label="test rows")
    ax_fit.plot(xs, ys, color="C2", label="fitted line")
    ax_fit.set_title("Fit on the CSV data")
    ax_fit.set_xlabel("x")
    ax_fit.set_ylabel("y")
    ax_fit.legend()
    ax_loss.plot(range(1, len(epoch_losses) + 1), epoch_losses)
    ax_loss.set_yscale("log")
    ax_loss.set_title("Epoch-mean training loss")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("MSE (log scale)")
    fig.suptitle("Day 2: custom Dataset and DataLoader")
    fig.tight_layout()


def main():
    torch.manual_seed(SEED)
    # the tensors are tiny: a second thread only adds sync overhead, and on a busy machine
    # its spin-waits can make a run many times slower
    torch.set_num_threads(1)
    # one generator drives both the split and the shuffling, so reruns see the same batches
    generator = torch.Generator().manual_seed(SEED)

    dataset = CSVDataset(CSV_PATH)
    n_train = int(TRAIN_FRACTION * len(dataset))
    train_set, test_set = random_split(dataset, [n_train, len(dataset) - n_train], generator=generator)
    train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True, generator=generator)
    test_loader = DataLoader(test_set, batch_size=BATCH_SIZE)
    print(f"Loaded {len(dataset)} rows from {CSV_PATH.name}: {len(train_set)} train, {len(test_set)} test")

    model = LinearRegressionModel()
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    writer = SummaryWriter()

    epoch_losses = []
    for epoch in range(EPOCHS):
        total, count = 0.0, 0
        for xb, yb in train_loader:
            loss = criterion(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
            count += len(xb)
        # the last batch is half size, so a single batch's loss jumps around: log the mean
        epoch_loss = total / count
        epoch_losses.append(epoch_loss)
        writer.add_scalar("Loss/train", epoch_loss, epoch)
        if (epoch + 1) % PRINT_EVERY == 0:
            print(f"Epoch [{epoch + 1}/{EPOCHS}], mean loss: {epoch_loss:.4f}")
    writer.close()

    w, b = model.linear.weight.item(), model.linear.bias.item()
    test_loss = evaluate(model, test_loader, criterion)
    print(f"Learned weight: {w:.4f}, learned bias: {b:.4f} (true 2, 3)")
    print(f"Final train loss (epoch mean): {epoch_losses[-1]:.4f}, test loss: {test_loss:.4f}")

    assert abs(w - 1.92) < 0.05, f"weight {w:.4f} is not near 1.91-1.93"
    assert abs(b - 3.21) < 0.05, f"bias {b:.4f} is not near 3.19-3.23"
    # noise variance is 1, so a good line scores about 1 on unseen rows
    assert test_loss < 1.5, f"test loss {test_loss:.4f}: the line does not generalise"

    plot_fit(dataset, train_set, test_set, model, epoch_losses)
    plt.show()


if __name__ == "__main__":
    main()
