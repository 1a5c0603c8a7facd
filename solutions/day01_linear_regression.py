"""Day 1: fit y = 2x + 3 + noise with a single nn.Linear and plain SGD."""

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.tensorboard import SummaryWriter

SEED = 42
N_SAMPLES = 100
EPOCHS = 1000
LR = 0.01  # larger steps diverge: x goes up to 10, so the gradient on w is large
PRINT_EVERY = 100  # console only; TensorBoard gets every epoch
TEST_X = [4.0, 7.0]  # two unseen inputs; the true line gives 11 and 17


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


def plot_fit(X, y, model):
    xs = torch.linspace(0, 10, 50).unsqueeze(1)
    with torch.no_grad():
        ys = model(xs)
    plt.figure()
    plt.scatter(X, y, s=12, alpha=0.7, label="data")
    plt.plot(xs, ys, color="C1", label="fitted line")
    plt.plot(xs, 2 * xs + 3, "k--", linewidth=1, label="true line y = 2x + 3")
    plt.title("Day 1: linear regression fit")
    plt.xlabel("x")
    plt.ylabel("y")
    plt.legend()


def main():
    torch.manual_seed(SEED)
    # the tensors are tiny: a second thread only adds sync overhead, and on a busy machine
    # its spin-waits can make a run many times slower
    torch.set_num_threads(1)
    # data before the model: the seed's order decides both the noise and the init
    X, y = make_data(N_SAMPLES)

    model = LinearRegressionModel()
    criterion = nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
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

    w, b = model.linear.weight.item(), model.linear.bias.item()
    final_loss = loss.item()
    with torch.no_grad():
        preds = model(torch.tensor(TEST_X).unsqueeze(1)).squeeze(1).tolist()
    print(f"Learned weight: {w:.4f}, learned bias: {b:.4f} (true 2, 3)")
    print(f"Final loss: {final_loss:.4f}")
    for x, p in zip(TEST_X, preds):
        print(f"Prediction for x = {x:g}: {p:.4f} (true {2 * x + 3:g})")

    # 1000 epochs of lr 0.01 do not quite reach the least-squares line: b is still climbing
    assert abs(w - 1.958) < 0.05, f"weight {w:.4f} is not near 1.958"
    assert abs(b - 3.204) < 0.05, f"bias {b:.4f} is not near 3.204"
    assert abs(final_loss - 0.663) < 0.1 * 0.663, f"final loss {final_loss:.4f} is not near 0.663"
    assert abs(preds[0] - 11.04) < 0.1 and abs(preds[1] - 16.91) < 0.1, f"predictions {preds} off"

    plot_fit(X, y, model)
    plt.show()


if __name__ == "__main__":
    main()
