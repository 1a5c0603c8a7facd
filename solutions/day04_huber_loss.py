"""Day 4: a hand-written Huber loss, checked against nn.HuberLoss, used to fit a line."""

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.tensorboard import SummaryWriter

SEED = 42
N_SAMPLES = 100
DELTA = 1.0  # errors beyond this are penalised linearly, not quadratically
EPOCHS = 1000
LR = 0.01
PRINT_EVERY = 100  # console only; TensorBoard gets every epoch


class HuberLoss(nn.Module):
    """ mean of 0.5 e^2 for |e| <= delta, delta (|e| - 0.5 delta) beyond """

    def __init__(self, delta=1.0):
        super().__init__()
        self.delta = delta

    def forward(self, pred, target):
        err = (pred - target).abs()
        quadratic = 0.5 * err**2
        linear = self.delta * (err - 0.5 * self.delta)
        return torch.where(err <= self.delta, quadratic, linear).mean()


class LinearRegressionModel(nn.Module):
    """ y = w * x + b """

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x):
        return self.linear(x)


def make_data(n):
    X = torch.rand(n, 1) * 10
    y = 2 * X + 3 + torch.randn(n, 1)
    return X, y


def check_against_pytorch(delta):
    """ compare with nn.HuberLoss on errors spread well past delta on both sides """
    pred = torch.randn(1000, 1) * 3
    target = torch.randn(1000, 1) * 3
    ours = HuberLoss(delta)(pred, target).item()
    theirs = nn.HuberLoss(delta=delta)(pred, target).item()
    print(f"Huber check on random input: ours {ours:.6f}, nn.HuberLoss {theirs:.6f}")
    assert abs(ours - theirs) < 1e-6, f"custom Huber {ours} differs from nn.HuberLoss {theirs}"


def plot_results(X, y, model, losses):
    xs = torch.linspace(0, 10, 50).unsqueeze(1)
    with torch.no_grad():
        ys = model(xs)
    fig, (ax_fit, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
    ax_fit.scatter(X, y, s=12, alpha=0.7, label="data")
    ax_fit.plot(xs, ys, color="C1", label="fitted line (Huber)")
    ax_fit.plot(xs, 2 * xs + 3, "k--", linewidth=1, label="true line y = 2x + 3")
    ax_fit.set_title("Fit")
    ax_fit.set_xlabel("x")
    ax_fit.set_ylabel("y")
    ax_fit.legend()
    ax_loss.plot(range(1, len(losses) + 1), losses)
    ax_loss.set_title("Training loss")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel(f"Huber loss (delta = {DELTA:g})")
    fig.suptitle("Day 4: custom Huber loss")
    fig.tight_layout()


def main():
    torch.manual_seed(SEED)
    # the tensors are tiny: a second thread only adds sync overhead, and on a busy machine
    # its spin-waits can make a run many times slower
    torch.set_num_threads(1)
    X, y = make_data(N_SAMPLES)

    model = LinearRegressionModel()
    criterion = HuberLoss(DELTA)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    writer = SummaryWriter()

    losses = []
    for epoch in range(EPOCHS):
        loss = criterion(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        losses.append(loss.item())
        writer.add_scalar("Loss/train", loss.item(), epoch)
        if (epoch + 1) % PRINT_EVERY == 0:
            print(f"Epoch [{epoch + 1}/{EPOCHS}], Loss: {loss.item():.4f}")
    writer.close()

    w, b = model.linear.weight.item(), model.linear.bias.item()
    final_loss = losses[-1]
    print(f"Learned weight: {w:.4f}, learned bias: {b:.4f} (true 2, 3)")
    print(f"Final Huber loss: {final_loss:.4f}")

    # after the training run, so the check's random draws do not shift the data or the init
    check_against_pytorch(DELTA)

    # Huber's gradient is capped at delta, so the bias climbs slowly and stops short of 3
    assert abs(final_loss - 0.355) < 0.1 * 0.355, f"final loss {final_loss:.4f} is not near 0.355"
    assert abs(w - 2.071) < 0.05, f"weight {w:.4f} is not near 2.071"
    assert abs(b - 2.465) < 0.05, f"bias {b:.4f} is not near 2.465"

    plot_results(X, y, model, losses)
    plt.show()


if __name__ == "__main__":
    main()
