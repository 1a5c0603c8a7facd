"""Day 7: save a trained model, load it back, and check it predicts exactly the same."""

import os
import pickle

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.tensorboard import SummaryWriter

SEED = 42
N_SAMPLES = 100
EPOCHS = 100  # short on purpose: the point is the round trip, not the fit
LR = 0.01
PRINT_EVERY = 10  # console only; TensorBoard gets every epoch
# relative paths: the files land in the working folder, never next to the script
WEIGHTS_PATH = "model.pth"
FULL_MODEL_PATH = "model_full.pth"
TEST_X = [0.5, 1.0, 1.5]  # true values 3.5, 5.0, 6.5


class SimpleModel(nn.Module):
    """ y = w * x + b """

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(1, 1)

    def forward(self, x):
        return self.fc(x)


def make_data(n):
    X = torch.rand(n, 1)
    y = 3 * X + 2 + 0.1 * torch.randn(n, 1)
    return X, y


def predict(model, xs):
    model.eval()
    with torch.no_grad():
        return model(torch.tensor(xs).unsqueeze(1)).squeeze(1)


def plot_results(losses, trained_preds, loaded_preds):
    fig, (ax_loss, ax_pred) = plt.subplots(1, 2, figsize=(11, 4))
    ax_loss.plot(range(len(losses)), losses)
    ax_loss.set_title("Training loss")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("MSE")
    ax_pred.plot(TEST_X, [3 * x + 2 for x in TEST_X], "k--", label="true y = 3x + 2")
    ax_pred.plot(TEST_X, trained_preds, "o", markersize=10, label="trained model")
    ax_pred.plot(TEST_X, loaded_preds, "x", markersize=10, color="C3", label=f"reloaded from {WEIGHTS_PATH}")
    ax_pred.set_title("Predictions before and after the round trip")
    ax_pred.set_xlabel("x")
    ax_pred.set_ylabel("y")
    ax_pred.legend()
    fig.suptitle("Day 7: save and load a model")
    fig.tight_layout()


def main():
    torch.manual_seed(SEED)
    # the tensors are tiny: a second thread only adds sync overhead, and on a busy machine
    # its spin-waits can make a run many times slower
    torch.set_num_threads(1)
    # model before data, as in the problem: the seed's order decides both the init and the data
    model = SimpleModel()
    X, y = make_data(N_SAMPLES)

    criterion = nn.MSELoss()
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

    # The recommended way: save only the tensors, rebuild the class in code, load into it
    torch.save(model.state_dict(), WEIGHTS_PATH)
    loaded = SimpleModel()
    loaded.load_state_dict(torch.load(WEIGHTS_PATH))  # weights_only=True by default: tensors only
    loaded.eval()

    trained_preds = predict(model, TEST_X)
    loaded_preds = predict(loaded, TEST_X)
    print(f"Saved state_dict to {WEIGHTS_PATH}: keys {list(model.state_dict())}")
    print(f"Predictions of the trained model:  {[round(p, 4) for p in trained_preds.tolist()]}")
    print(f"Predictions of the reloaded model: {[round(p, 4) for p in loaded_preds.tolist()]}")
    print(f"True values:                       {[3 * x + 2 for x in TEST_X]}")
    assert torch.equal(trained_preds, loaded_preds), "the reloaded model predicts differently"
    for got, want in zip(trained_preds.tolist(), [3.36, 4.28, 5.20]):
        assert abs(got - want) < 0.05, f"prediction {got:.4f} is not near {want}"

    # The other way pickles the whole object, which stores a reference to the class
    # (here __main__.SimpleModel), not its code: loading needs that class importable under
    # the same name, and unpickling can run arbitrary code, so torch.load refuses it by
    # default and it must be opted into with weights_only=False for files you trust.
    torch.save(model, FULL_MODEL_PATH)
    try:
        torch.load(FULL_MODEL_PATH)
        raise AssertionError("torch.load should refuse a pickled module by default")
    except pickle.UnpicklingError:
        print(f"torch.load({FULL_MODEL_PATH!r}) with the default weights_only=True refuses the pickled class")
    full = torch.load(FULL_MODEL_PATH, weights_only=False)
    full_preds = predict(full, TEST_X)
    assert torch.equal(trained_preds, full_preds), "the fully pickled model predicts differently"
    print(f"Full-model save: {type(full).__module__}.{type(full).__name__} object, "
          f"{os.path.getsize(FULL_MODEL_PATH)} bytes; state_dict save: {os.path.getsize(WEIGHTS_PATH)} bytes")
    print("Both reload to identical predictions; the state_dict needs the class in your code, "
          "the full save needs it at the same import path")

    plot_results(losses, trained_preds, loaded_preds)
    plt.show()


if __name__ == "__main__":
    main()
