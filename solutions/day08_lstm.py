"""Day 8: next-step prediction on a sine wave, with an LSTM from scratch and with nn.LSTM."""

import math

import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.tensorboard import SummaryWriter

SEED = 42
SEQ_LEN = 10  # steps the model sees before predicting the next one
N_POINTS = 100  # samples of the sine, giving N_POINTS - SEQ_LEN windows
TRAIN_SPAN = 4 * math.pi  # two periods to learn from
TEST_SPAN = 5 * math.pi  # half a period more, so the test reaches phases past the training range
HIDDEN = 50
EPOCHS = 500
LR = 0.01
PRINT_EVERY = 50  # console only; TensorBoard gets every epoch


class ScratchLSTM(nn.Module):
    """ one LSTM layer, unrolled by hand over the sequence """

    def __init__(self, input_size, hidden_size):
        super().__init__()
        self.hidden_size = hidden_size
        # one fused matmul yields all four gates from [x_t, h_{t-1}]: same maths, 4x fewer calls
        self.gates = nn.Linear(input_size + hidden_size, 4 * hidden_size)

    def forward(self, x):
        batch, steps, _ = x.shape
        h = x.new_zeros(batch, self.hidden_size)
        c = x.new_zeros(batch, self.hidden_size)
        outputs = []
        for t in range(steps):
            z = self.gates(torch.cat([x[:, t], h], dim=1))
            zi, zf, zg, zo = z.chunk(4, dim=1)
            i = torch.sigmoid(zi)  # input gate: how much of the candidate to write
            f = torch.sigmoid(zf)  # forget gate: how much of the old cell to keep
            g = torch.tanh(zg)  # cell candidate
            o = torch.sigmoid(zo)  # output gate: how much of the cell to expose as h
            c = f * c + i * g
            h = o * torch.tanh(c)
            outputs.append(h)
        return torch.stack(outputs, dim=1), (h, c)


class ScratchLSTMModel(nn.Module):
    """ ScratchLSTM, then a linear read-out of the last hidden state """

    def __init__(self, hidden_size):
        super().__init__()
        self.lstm = ScratchLSTM(1, hidden_size)
        self.fc = nn.Linear(hidden_size, 1)

    def forward(self, x):
        outputs, _ = self.lstm(x)
        return self.fc(outputs[:, -1])


class BuiltinLSTMModel(nn.Module):
    """ nn.LSTM, then a linear read-out of the last hidden state """

    def __init__(self, hidden_size):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, 1)

    def forward(self, x):
        outputs, _ = self.lstm(x)
        return self.fc(outputs[:, -1])


def sine_windows(span, n_points, seq_len):
    """ windows (n - seq_len, seq_len, 1) of sin over [0, span], each with the next value as target """
    wave = torch.sin(torch.linspace(0, span, n_points)).unsqueeze(1)
    X = torch.stack([wave[i:i + seq_len] for i in range(n_points - seq_len)])
    y = wave[seq_len:]
    return X, y


def train(model, X, y, writer, tag):
    criterion = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    for epoch in range(EPOCHS):
        loss = criterion(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        writer.add_scalar(tag, loss.item(), epoch)
        if (epoch + 1) % PRINT_EVERY == 0:
            print(f"  Epoch [{epoch + 1}/{EPOCHS}], Loss: {loss.item():.6f}")
    return loss.item()


def plot_predictions(y_test, pred_scratch, pred_builtin, mse_scratch, mse_builtin):
    steps = range(SEQ_LEN, SEQ_LEN + len(y_test))
    plt.figure(figsize=(9, 4))
    plt.plot(steps, y_test, "k", linewidth=2, label="ground truth sin(t)")
    plt.plot(steps, pred_scratch, "--", label=f"from-scratch LSTM (MSE {mse_scratch:.4f})")
    plt.plot(steps, pred_builtin, ":", linewidth=2, label=f"nn.LSTM (MSE {mse_builtin:.4f})")
    plt.title("Day 8: next-step predictions on the test sine, t in [0, 5π]")
    plt.xlabel("step (index into the 100 test samples)")
    plt.ylabel("sin(t)")
    plt.legend()
    plt.tight_layout()


def main():
    torch.manual_seed(SEED)
    # the tensors are tiny: a second thread only adds sync overhead, and on a busy machine
    # its spin-waits can make a run many times slower
    torch.set_num_threads(1)
    X, y = sine_windows(TRAIN_SPAN, N_POINTS, SEQ_LEN)
    X_test, y_test = sine_windows(TEST_SPAN, N_POINTS, SEQ_LEN)
    print(f"Train windows {tuple(X.shape)} -> targets {tuple(y.shape)}; test windows {tuple(X_test.shape)}")

    writer = SummaryWriter()
    scratch = ScratchLSTMModel(HIDDEN)
    builtin = BuiltinLSTMModel(HIDDEN)

    print("From-scratch LSTM:")
    loss_scratch = train(scratch, X, y, writer, "Loss/lstm_scratch")
    print("Built-in nn.LSTM:")
    loss_builtin = train(builtin, X, y, writer, "Loss/lstm_builtin")
    writer.close()

    with torch.no_grad():
        pred_scratch = scratch(X_test)
        pred_builtin = builtin(X_test)
    mse_scratch = nn.functional.mse_loss(pred_scratch, y_test).item()
    mse_builtin = nn.functional.mse_loss(pred_builtin, y_test).item()
    print(f"Final train loss: from scratch {loss_scratch:.6f}, built-in {loss_builtin:.6f}")
    print(f"Test MSE against the true sine: from scratch {mse_scratch:.4f}, built-in {mse_builtin:.4f}")
    print(f"Last 5 test predictions, from scratch: {[round(v, 3) for v in pred_scratch[-5:, 0].tolist()]}")
    print(f"Last 5 test predictions, built-in:     {[round(v, 3) for v in pred_builtin[-5:, 0].tolist()]}")
    print(f"Last 5 true values:                    {[round(v, 3) for v in y_test[-5:, 0].tolist()]}")

    # an untrained model scores about 0.5; the scratch bound allows the ~0.01 of a slower-learning variant
    assert mse_builtin < 0.005, f"built-in LSTM test MSE {mse_builtin:.4f} is not near 0.001"
    assert mse_scratch < 0.03, f"from-scratch LSTM test MSE {mse_scratch:.4f} is not near 0.01"

    plot_predictions(y_test, pred_scratch, pred_builtin, mse_scratch, mse_builtin)
    plt.show()


if __name__ == "__main__":
    main()
