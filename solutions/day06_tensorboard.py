"""Day 6: log a linear regression's training loss to TensorBoard."""

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.tensorboard import SummaryWriter

SEED = 42
N_SAMPLES = 100
EPOCHS = 100  # deliberately short: the logged curve shows the fit is not finished
LR = 0.01
PRINT_EVERY = 10  # console only; TensorBoard gets every epoch


class LinearRegressionModel(nn.Module):
    """ y = w * x + b """

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x):
        return self.linear(x)


def make_data(n):
    X = torch.rand(n, 1) * 10
    y = 3 * X + 5 + torch.randn(n, 1)
    return X, y


def plot_results(X, y, model, losses):
    xs = torch.linspace(0, 10, 50).unsqueeze(1)
    with torch.no_grad():
        ys = model(xs)
    fig, (ax_loss, ax_fit) = plt.subplots(1, 2, figsize=(11, 4))
    ax_loss.plot(range(len(losses)), losses)
    ax_loss.set_yscale("log")
    ax_loss.set_title('"Loss/train" as logged to TensorBoard')
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("MSE (log scale)")
    ax_fit.scatter(X, y, s=12, alpha=0.7, label="data")
    ax_fit.plot(xs, ys, color="C1", label=f"fit after {EPOCHS} epochs")
    ax_fit.plot(xs, 3 * xs + 5, "k--", linewidth=1, label="true line y = 3x + 5")
    ax_fit.set_title("Fit")
    ax_fit.set_xlabel("x")
    ax_fit.set_ylabel("y")
    ax_fit.legend()
    fig.suptitle("Day 6: training visualised with TensorBoard")
    fig.tight_layout()


def main():
    torch.manual_seed(SEED)
    # the tensors are tiny: a second thread only adds sync overhead, and on a busy machine
    # its spin-waits can make a run many times slower
    torch.set_num_threads(1)
    X, y = make_data(N_SAMPLES)

    model = LinearRegressionModel()
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    # no log_dir: events go to ./runs/<date>_<host>/, where `tensorboard --logdir=runs` looks
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
    print("Wrote TensorBoard events under ./runs (view with: tensorboard --logdir=runs)")

    w, b = model.linear.weight.item(), model.linear.bias.item()
    final_loss = losses[-1]
    print(f"Learned weight: {w:.4f}, learned bias: {b:.4f} (true 3, 5)")
    print(f"Final loss: {final_loss:.4f}")
    # the slope is found fast, but the bias gets a small gradient and is still far from 5
    print(f"The model underfits after {EPOCHS} epochs: the bias is {5 - b:.1f} short of 5 and "
          f"the loss {final_loss:.2f} is well above the noise variance of 1")

    assert abs(final_loss - 3.0) < 0.1 * 3.0, f"final loss {final_loss:.4f} is not near 3.0"
    assert abs(w - 3.4) < 0.05, f"weight {w:.4f} is not near 3.4"
    assert abs(b - 2.2) < 0.1, f"bias {b:.4f} is not near 2.2"
    assert losses[-1] < losses[0] / 10, "the loss barely fell: training is not working"

    plot_results(X, y, model, losses)
    plt.show()


if __name__ == "__main__":
    main()
