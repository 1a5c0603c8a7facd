"""Day 5: a small two-layer network fits y = x1 + 2 x2 + noise."""

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.tensorboard import SummaryWriter

SEED = 42
N_SAMPLES = 100
HIDDEN = 10  # enough ReLU pieces to approximate a plane over [0, 10]^2
EPOCHS = 1000
LR = 0.01  # Adam: the step size is per parameter, so no tuning for the input scale
PRINT_EVERY = 100  # console only; TensorBoard gets every epoch
TEST_POINTS = [[4.0, 3.0], [7.0, 8.0]]  # true values 10 and 23
GRID_STEPS = 25  # resolution of the plotted prediction surface


def make_data(n):
    X = torch.rand(n, 2) * 10
    y = (X[:, 0] + 2 * X[:, 1] + torch.randn(n)).unsqueeze(1)
    return X, y


def make_model():
    return nn.Sequential(nn.Linear(2, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 1))


def plot_surface(X, y, model):
    axis = torch.linspace(0, 10, GRID_STEPS)
    g1, g2 = torch.meshgrid(axis, axis, indexing="ij")
    with torch.no_grad():
        surface = model(torch.stack([g1.flatten(), g2.flatten()], dim=1)).reshape(g1.shape)
    fig = plt.figure(figsize=(8, 6))
    ax = fig.add_subplot(projection="3d")
    ax.plot_surface(g1.numpy(), g2.numpy(), surface.numpy(), cmap="viridis", alpha=0.5,
                    label="model prediction")
    ax.scatter(X[:, 0], X[:, 1], y[:, 0], color="C3", s=12, label="data")
    ax.set_title("Day 5: data and the network's prediction surface")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_zlabel("y")
    ax.legend()


def main():
    torch.manual_seed(SEED)
    # the tensors are tiny: a second thread only adds sync overhead, and on a busy machine
    # its spin-waits can make a run many times slower
    torch.set_num_threads(1)
    X, y = make_data(N_SAMPLES)

    model = make_model()
    criterion = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    writer = SummaryWriter()

    for epoch in range(EPOCHS):
        loss = criterion(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        writer.add_scalar("Loss/train", loss.item(), epoch)
        if (epoch + 1) % PRINT_EVERY == 0:
            print(f"Epoch [{epoch + 1}/{EPOCHS}], Loss: {loss.item():.4f}")
    writer.close()

    final_loss = loss.item()
    with torch.no_grad():
        preds = model(torch.tensor(TEST_POINTS)).squeeze(1).tolist()
    print(f"Final loss: {final_loss:.4f} (noise variance is 1)")
    for (x1, x2), p in zip(TEST_POINTS, preds):
        print(f"Prediction for [{x1:g}, {x2:g}]: {p:.4f} (true {x1 + 2 * x2:g})")

    assert abs(final_loss - 0.72) < 0.1 * 0.72, f"final loss {final_loss:.4f} is not near 0.72"
    assert abs(preds[0] - 9.9) < 0.3, f"prediction {preds[0]:.4f} for [4, 3] is not near 9.9"
    assert abs(preds[1] - 23.1) < 0.3, f"prediction {preds[1]:.4f} for [7, 8] is not near 23.1"

    plot_surface(X, y, model)
    plt.show()


if __name__ == "__main__":
    main()
