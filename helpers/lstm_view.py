"""Lesson 5's pictures: how far gradients travel back in time, accuracy against T over seeds, gates over
time, an RNN while it trains, and a language model's loss and perplexity.

The gradient-norm functions take the student's step functions as arguments, so the figures show
what the student's own code computes:

    rnn_step(x, h_prev, Wx, Wh, b) -> h
    rnn_step_backward(dh, x, h_prev, h, Wx, Wh) -> (dx, dh_prev, dWx, dWh, db)
    lstm_step(x, h_prev, c_prev, W, b) -> (h, c)
    lstm_step_backward(dh, dc, x, h_prev, c_prev, W, b) -> (dx, dh_prev, dc_prev, dW, db)
"""
from __future__ import annotations

from typing import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

from helpers.lstm import GATES


def orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random n × n orthogonal matrix: every singular value (and |eigenvalue|) is 1."""
    q, r = np.linalg.qr(rng.normal(size=(n, n)))
    return q * np.sign(np.diag(r))


def rnn_gradient_norms(rnn_step: Callable, rnn_step_backward: Callable, rho: float, T: int,
                       H: int = 32, D: int = 8, N: int = 16, input_scale: float = 0.01,
                       seed: int = 0) -> np.ndarray:
    """‖∂L/∂h_t‖ (mean over N sequences) for L = h_T · u, at distances T − t = 0 … T−1: shape (T,).

    W_h = rho × a random orthogonal matrix, so all its singular values equal rho. The inputs enter
    through W_x with entries of size `input_scale`: small, so the states start in tanh's near-linear
    range (larger inputs push tanh' below 1 sooner).
    """
    rng = np.random.default_rng(seed)
    Wx, Wh, b = rng.normal(scale=input_scale, size=(D, H)), rho * orthogonal(H, rng), np.zeros(H)
    xs = rng.normal(size=(T, N, D))
    hs = [np.zeros((N, H))]
    for t in range(T):
        hs.append(rnn_step(xs[t], hs[-1], Wx, Wh, b))
    dh = np.tile(rng.normal(size=H) / np.sqrt(H), (N, 1))
    norms = []
    for t in range(T, 0, -1):
        norms.append(np.linalg.norm(dh, axis=1).mean())
        dh = rnn_step_backward(dh, xs[t - 1], hs[t - 1], hs[t], Wx, Wh)[1]
    return np.array(norms)


def lstm_gradient_norms(lstm_step: Callable, lstm_step_backward: Callable, forget_bias: float,
                        T: int, H: int = 32, D: int = 8, N: int = 16, seed: int = 0) -> np.ndarray:
    """‖∂L/∂h_t‖ (mean over N sequences) for L = h_T · u in an LSTM, distances 0 … T−1: shape (T,).

    Weights are drawn like PyTorch's default (uniform in ±1/√H); the forget gate's bias is `forget_bias`.
    """
    rng = np.random.default_rng(seed)
    W = rng.uniform(-1, 1, size=(D + H, 4 * H)) / np.sqrt(H)
    b = np.zeros(4 * H)
    b[:H] = forget_bias
    xs = rng.normal(size=(T, N, D))
    hs, cs = [np.zeros((N, H))], [np.zeros((N, H))]
    for t in range(T):
        h, c = lstm_step(xs[t], hs[-1], cs[-1], W, b)
        hs.append(h)
        cs.append(c)
    dh, dc = np.tile(rng.normal(size=H) / np.sqrt(H), (N, 1)), np.zeros((N, H))
    norms = []
    for t in range(T, 0, -1):
        norms.append(np.linalg.norm(dh, axis=1).mean())
        _, dh, dc, _, _ = lstm_step_backward(dh, dc, xs[t - 1], hs[t - 1], cs[t - 1], W, b)
    return np.array(norms)


def plot_gradient_norms(norms: dict[str, np.ndarray], ax: plt.Axes | None = None) -> plt.Axes:
    """One line per label: ‖∂L/∂h_t‖ against the distance T − t, log scale."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    for label, values in norms.items():
        ax.semilogy(np.arange(len(values)), np.maximum(values, 1e-300), label=label)
    ax.set(xlabel="distance T − t (steps back in time)", ylabel="‖∂L/∂h_t‖ (log scale)",
           title="How much gradient reaches step t")
    ax.legend(fontsize=8)
    return ax


def gradient_explorer(rnn_step: Callable, rnn_step_backward: Callable, lstm_step: Callable,
                      lstm_step_backward: Callable) -> widgets.Widget:
    """Sliders for W_h's spectral radius, the sequence length and the LSTM's forget-gate bias."""

    def redraw(rho: float, T: int, forget_bias: float) -> None:
        norms = {
            f"RNN, radius {rho:.2f}": rnn_gradient_norms(rnn_step, rnn_step_backward, rho, T),
            f"LSTM, forget bias {forget_bias:+.1f}": lstm_gradient_norms(lstm_step, lstm_step_backward,
                                                                          forget_bias, T),
        }
        plot_gradient_norms(norms)
        plt.show()

    style = {"description_width": "initial"}
    return widgets.interactive(
        redraw,
        rho=widgets.FloatSlider(value=1.0, min=0.5, max=1.5, step=0.05, style=style,
                                description="spectral radius of W_h", continuous_update=False),
        T=widgets.IntSlider(value=50, min=5, max=200, step=5, style=style, description="sequence length T",
                            continuous_update=False),
        forget_bias=widgets.FloatSlider(value=1.0, min=-3.0, max=6.0, step=0.5, style=style,
                                        description="LSTM forget-gate bias", continuous_update=False),
    )


def plot_accuracy(lengths: list[int], accuracy: dict[str, np.ndarray], chance: float) -> plt.Axes:
    """Test accuracy against the sequence length T: one marker per training run, a line through the medians.

    accuracy: {label: (len(lengths), runs) array}; each label gets its own marker, offset a little
    sideways so that runs with equal accuracy stay visible.
    """
    _, ax = plt.subplots(figsize=(7, 4))
    positions = np.arange(len(lengths))
    for k, (label, values) in enumerate(accuracy.items()):
        values = np.asarray(values)
        runs = values.shape[1]
        offset = (k - (len(accuracy) - 1) / 2) * 0.18 + np.linspace(-0.05, 0.05, runs)
        marker = "os^D"[k % 4]
        line, = ax.plot(positions, np.median(values, axis=1), marker=marker, ls="-" if k % 2 == 0 else "--",
                        label=f"{label}: median of {runs} runs")
        ax.scatter((positions[:, None] + offset).ravel(), values.ravel(), marker=marker, s=18,
                   facecolors="none", edgecolors=line.get_color(), alpha=0.8, label=f"{label}: each run")
    ax.axhline(chance, color="k", ls=":", label="guessing")
    ax.set_xticks(positions, [str(T) for T in lengths])
    ax.set(xlabel="sequence length T", ylabel="test accuracy", ylim=(0, 1.05),
           title="Recall the first symbol after T steps")
    ax.legend(fontsize=8, loc="lower left")
    return ax


def plot_learning_window(updates: np.ndarray, loss: np.ndarray, radius: np.ndarray,
                         influence: dict[str, np.ndarray]) -> plt.Figure:
    """Three panels over an RNN's training: the loss of every update (N,), then, measured after each of
    `updates`, the spectral radius of W_h and each influence curve {label: values} on a log scale."""
    fig, (top, middle, bottom) = plt.subplots(3, 1, figsize=(7, 7), sharex=True)
    top.plot(np.arange(1, len(loss) + 1), loss)
    top.set(ylabel="training loss", title="The RNN of section 8 while it trains")
    middle.plot(updates, radius, marker=".")
    middle.axhline(1.0, color="k", ls=":", label="the edge of section 4")
    middle.set(ylabel="spectral radius", title="The largest |eigenvalue| of W_h")
    middle.legend(fontsize=8)
    for k, (label, values) in enumerate(influence.items()):
        bottom.semilogy(updates, np.maximum(values, 1e-300), marker=".", ls="-" if k == 0 else "--", label=label)
    bottom.set(xlabel="update", ylabel="‖∂ score / ∂x_t‖ (log scale)",
               title="How much the first and the last input can change the answer")
    bottom.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_language_model(histories: dict[str, dict], baselines: dict[str, float], smooth: int = 25) -> plt.Figure:
    """Training loss (running mean over `smooth` updates) and held-out perplexity against the update.

    histories: {label: the dict returned by helpers.language_model.train}; baselines: {label: perplexity},
    drawn as dotted horizontal lines on the perplexity panel.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    styles = ["-", "--", "-.", ":"]
    for k, (label, history) in enumerate(histories.items()):
        loss = np.asarray(history["loss"])
        window = min(smooth, len(loss))
        running = np.convolve(loss, np.ones(window) / window, mode="valid")
        left.plot(np.arange(window, len(loss) + 1), running, ls=styles[k % 4], label=label)
        right.plot(history["valid_steps"], np.exp(history["valid_loss"]), ls=styles[k % 4], marker="o",
                   markersize=3, label=label)
    for k, (label, value) in enumerate(baselines.items()):
        right.axhline(value, color="k", ls=":", lw=1)
        right.annotate(f"{label}: {value:.1f}", (0, value), xytext=(4, 3), textcoords="offset points",
                       fontsize=8)
    left.set(xlabel="update", ylabel="cross-entropy (nats per character)",
             title=f"Training loss (running mean over {smooth} updates)")
    right.set(xlabel="update", ylabel="perplexity (log scale)", yscale="log", title="Held-out perplexity")
    right.set_yticks([4, 5, 6, 8, 10, 15, 20, 30], ["4", "5", "6", "8", "10", "15", "20", "30"])
    right.yaxis.set_minor_formatter(NullFormatter())
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_gates(gates: dict[str, np.ndarray], cells: np.ndarray, tokens: list[str],
               cells_title: str = "cell state c") -> plt.Figure:
    """Heatmaps over time for one sequence: each gate (T, H), then `cells` (T, H) titled `cells_title`.

    tokens: the T input symbols, used as x tick labels.
    """
    panels = [(f"gate {name}", gates[name], "viridis", 0.0, 1.0) for name in GATES if name != "g"]
    limit = float(np.abs(cells).max()) or 1.0
    panels += [("candidate g", gates["g"], "cividis", -1.0, 1.0), (cells_title, cells, "cividis", -limit, limit)]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 1.7 * len(panels)), sharex=True)
    for ax, (title, values, cmap, low, high) in zip(axes, panels):
        image = ax.imshow(values.T, aspect="auto", cmap=cmap, vmin=low, vmax=high, interpolation="nearest")
        ax.set_ylabel("unit")
        ax.set_title(title, fontsize=10, loc="left")
        fig.colorbar(image, ax=ax, pad=0.01)
    axes[-1].set_xticks(range(len(tokens)), tokens, fontsize=7)
    axes[-1].set_xlabel("time step (input symbol)")
    fig.tight_layout()
    return fig


def plot_influence(influence: dict[str, np.ndarray]) -> plt.Axes:
    """One line per label: how strongly the input at step t moves the answer, ‖∂s_y/∂x_t‖, against t."""
    _, ax = plt.subplots(figsize=(7, 4))
    for label, values in influence.items():
        ax.semilogy(np.arange(1, len(values) + 1), np.maximum(values, 1e-300), label=label)
    ax.set(xlabel="time step t (the message is at t = 1)", ylabel="‖∂ score / ∂x_t‖ (log scale)",
           title="How much each input can still change the answer")
    ax.legend(fontsize=8)
    return ax
