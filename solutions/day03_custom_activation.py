"""Day 3: a custom activation, tanh(z) + z, after a linear layer."""

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.tensorboard import SummaryWriter

SEED = 42
N_SAMPLES = 100
EPOCHS = 1000
LR = 0.01
PRINT_EVERY = 100  # console only; TensorBoard gets every epoch


class TanhPlusIdentity(nn.Module):
    """ f(z) = tanh(z) + z: a smooth bump on top of the identity, with nothing to learn """

    def forward(self, z):
        return torch.tanh(z) + z


class CustomActivationModel(nn.Module):
    """ y = f(w * x + b) """

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)
        self.activation = TanhPlusIdentity()

    def forward(self, x):
        return self.activation(self.linear(x))


def make_data(n):
    X = torch.rand(n, 1) * 10
    y = 2 * X + 3 + torch.randn(n, 1)
    return X, y


def plot_fit(X, y, model):
    # start below 0 so the curve shows the tanh bend, which sits where w*x + b crosses 0
    xs = torch.linspace(-3, 10, 200).unsqueeze(1)
    with torch.no_grad():
        ys = model(xs)
        zs = model.linear(xs)
    plt.figure()
    plt.scatter(X, y, s=12, alpha=0.7, label="data")
    plt.plot(xs, ys, color="C1", label="model output tanh(wx + b) + (wx + b)")
    plt.plot(xs, zs, "k:", linewidth=1, label="linear part wx + b alone")
    plt.title("Day 3: custom activation tanh(z) + z")
    plt.xlabel("x")
    plt.ylabel("y")
    plt.legend()


def main():
    torch.manual_seed(SEED)
    # the tensors are tiny: a second thread only adds sync overhead, and on a busy machine
    # its spin-waits can make a run many times slower
    torch.set_num_threads(1)
    X, y = make_data(N_SAMPLES)

    model = CustomActivationModel()
    names = [name for name, _ in model.named_parameters()]
    print(f"Parameters: {names} (the activation adds none)")
    assert len(list(model.parameters())) == 2, f"expected exactly 2 parameters, got {names}"
    assert names == ["linear.weight", "linear.bias"], f"parameters should be the linear layer's, got {names}"

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
    print(f"Learned weight: {w:.4f}, learned bias: {b:.4f}")
    print(f"Final loss: {final_loss:.4f}")
    # for x > 0 the pre-activation is large, tanh is ~1, so the layer only needs b ~ 3 - 1
    print(f"Effective intercept b + tanh(b) = {b + torch.tanh(torch.tensor(b)).item():.4f} (true 3)")

    assert abs(w - 1.956) < 0.05, f"weight {w:.4f} is not near 1.956"
    assert abs(b - 2.218) < 0.05, f"bias {b:.4f} is not near 2.218"
    assert abs(final_loss - 0.663) < 0.1 * 0.663, f"final loss {final_loss:.4f} is not near 0.663"

    plot_fit(X, y, model)
    plt.show()


if __name__ == "__main__":
    main()
