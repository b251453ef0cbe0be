"""Figures the notebooks share, drawn with matplotlib only."""
from __future__ import annotations

from itertools import cycle

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle


LINE_STYLES = ["o-", "s--", "^-.", "D:", "v-"]  # marker and dash tell the lines apart without colour


def plot_timings(sizes: list[int], times: dict[str, list[float | None]], flops_per_n: float,
                 peak_gflops: float) -> plt.Figure:
    """Left: seconds per call against N (log-log). Right: achieved GFLOP/s against the peak.

    times: method name -> seconds per call at each size (None where not measured).
    flops_per_n: floating-point operations per window (2·K·H).
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for (name, secs), style in zip(times.items(), cycle(LINE_STYLES)):
        pts = [(n, s) for n, s in zip(sizes, secs, strict=True) if s is not None]
        n, s = np.array(pts).T
        left.loglog(n, s, style, label=name)
        right.semilogx(n, flops_per_n * n / s / 1e9, style, label=name)
    right.axhline(peak_gflops, color="k", ls="--", label=f"measured peak {peak_gflops:.0f} GFLOP/s")
    left.set(xlabel="N (windows)", ylabel="seconds per call", title="Time to score N windows")
    right.set(xlabel="N (windows)", ylabel="GFLOP/s", yscale="log", title="Work done per second")
    left.legend()
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_time_and_memory(sizes: list[int], seconds: dict[str, list[float | None]],
                         memory: dict[str, list[int | None]], size_label: str = "N") -> plt.Figure:
    """Left: seconds per call against size; right: the most memory one call held. Both log-log.

    seconds, memory: function name -> value at each size (None where not measured), in seconds and bytes.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for (name, secs), style in zip(seconds.items(), cycle(LINE_STYLES)):
        for ax, values, scale in [(left, secs, 1.0), (right, memory[name], 1e-6)]:
            pts = [(n, v * scale) for n, v in zip(sizes, values, strict=True) if v is not None]
            if pts:
                ax.loglog(*np.array(pts).T, style, label=name)
    left.set(xlabel=size_label, ylabel="seconds per call", title="Time of one call")
    right.set(xlabel=size_label, ylabel="MB (peak during one call)", title="Memory one call needs")
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _grid(ax: plt.Axes, values: np.ndarray, x0: float, label: str, stretched_from: tuple | None = None) -> None:
    """Draw a 2-D array as boxes at column offset x0; cells copied by broadcasting are pale."""
    rows, cols = values.shape
    for i in range(rows):
        for j in range(cols):
            copied = stretched_from is not None and (i >= stretched_from[0] or j >= stretched_from[1])
            ax.add_patch(Rectangle((x0 + j, -i - 1), 1, 1, facecolor="#dde7f5" if copied else "#7aa6e0",
                                   edgecolor="k", alpha=0.5 if copied else 1.0))
            ax.text(x0 + j + 0.5, -i - 0.5, f"{values[i, j]:g}", ha="center", va="center", fontsize=9)
    ax.text(x0 + cols / 2, 0.4, label, ha="center", fontsize=10)


def show_broadcast(a: np.ndarray, b: np.ndarray) -> plt.Figure:
    """Picture of `a + b` for 2-D-able arrays: each operand stretched to the result's shape.

    Pale boxes are copies NumPy makes virtually (no memory is used for them).
    """
    if a.ndim > 2 or b.ndim > 2:
        raise ValueError(f"show_broadcast draws arrays of at most 2 dimensions; got a: {a.shape}, b: {b.shape}")
    try:
        result = a + b
    except ValueError:
        raise ValueError(f"show_broadcast: a has shape {a.shape} and b has shape {b.shape}, which do not "
                         "broadcast: lined up from the right, each pair of sizes must be equal or 1") from None
    a2, b2 = np.atleast_2d(a), np.atleast_2d(b)
    shape = result.shape if result.ndim == 2 else (1, result.shape[0])
    fig, ax = plt.subplots(figsize=(1.0 + 0.55 * (3 * shape[1] + 6), 0.9 + 0.55 * shape[0]))
    x = 0.0
    for arr, name in ((a2, f"a {a.shape}"), (b2, f"b {b.shape}")):
        _grid(ax, np.broadcast_to(arr, shape), x, f"{name} → {shape}", stretched_from=arr.shape)
        x += shape[1] + 1.5
        ax.text(x - 0.75, -shape[0] / 2, "+" if x < 2 * (shape[1] + 1.5) else "=", ha="center",
                va="center", fontsize=16)
    _grid(ax, result.reshape(shape), x, f"a + b {result.shape}")
    ax.set_xlim(-0.5, x + shape[1] + 0.5)
    ax.set_ylim(-shape[0] - 0.5, 1.0)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"a {a.shape} + b {b.shape}: pale boxes are copies NumPy never stores", fontsize=10)
    return fig


def draw_heatmap(ax: plt.Axes, values: np.ndarray, title: str) -> None:
    """One matrix as a heatmap on `ax`: rows are outputs, columns inputs.

    cividis, symmetric about 0: negative dark blue, 0 the middle grey, positive yellow; darker is always
    smaller, so the picture also reads in grey scale.
    """
    values = np.atleast_2d(values)
    top = float(np.abs(values).max()) or 1.0
    image = ax.imshow(values, cmap="cividis", vmin=-top, vmax=top, interpolation="nearest")
    ax.set_title(f"{title}\n{values.shape[0]}×{values.shape[1]}", fontsize=10)
    ax.set_xlabel("input j")
    ax.set_ylabel("output i")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)


def plot_jacobians(matrices: dict[str, np.ndarray]) -> plt.Figure:
    """Several matrices (title → 2-D array) as heatmaps side by side, each panel as wide as its columns."""
    widths = [max(np.atleast_2d(m).shape[1], 4) for m in matrices.values()]
    fig, axes = plt.subplots(1, len(matrices), figsize=(2.5 + 0.16 * sum(widths) + 1.2 * len(widths), 3.6),
                             gridspec_kw={"width_ratios": widths}, squeeze=False)
    for ax, (title, values) in zip(axes[0], matrices.items()):
        draw_heatmap(ax, values, title)
    fig.tight_layout()
    return fig


def plot_loss_curve(train: list[float], test: list[float] | None = None) -> plt.Figure:
    """Mean loss after each epoch on the training windows (and on the test windows, if given)."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    epochs = np.arange(1, len(train) + 1)
    ax.plot(epochs, train, "o-", ms=3, label="training windows")
    if test is not None:
        ax.plot(epochs, test, "s--", ms=3, label="test windows")
    ax.set(xlabel="epoch", ylabel="mean logistic loss", yscale="log", title="Training with SGD")
    ax.legend()
    fig.tight_layout()
    return fig
