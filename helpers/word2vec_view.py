"""Pictures and widgets for lesson 4: loss curves, the noise distribution, a PCA map, neighbour and
analogy explorers. matplotlib and ipywidgets only."""
from __future__ import annotations

from typing import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np


def plot_losses(curves: dict[str, list[float]], window: int = 20) -> plt.Figure:
    """Loss per pair against mini-batch number, smoothed by a moving average of `window` batches."""
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for name, losses in curves.items():
        y = np.asarray(losses, dtype=float)
        w = max(1, min(window, len(y) // 5))
        smooth = np.convolve(y, np.ones(w) / w, mode="valid")
        ax.plot(np.arange(len(smooth)) + w - 1, smooth, label=name)
    ax.set(xlabel="mini-batch", ylabel="loss per (centre, context) pair", title="Training loss")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_noise_distribution(counts: np.ndarray, words: list[str], top: int = 12, power: float = 0.75) -> plt.Figure:
    """Probability of the `top` most frequent words and of the rarest, under counts**1 and counts**power."""
    counts = np.asarray(counts, dtype=float)
    p1, p75 = counts / counts.sum(), counts ** power / (counts ** power).sum()
    shown = np.r_[np.arange(top), np.arange(len(counts) - 4, len(counts))]
    labels = [words[i] for i in shown[:top]] + ["…"] + [words[i] for i in shown[top:]]
    x = np.r_[np.arange(top), np.arange(top + 1, top + 5)]
    fig, ax = plt.subplots(figsize=(9, 3.2))
    ax.bar(x - 0.2, p1[shown], width=0.4, label="count / total")
    ax.bar(x + 0.2, p75[shown], width=0.4, label=f"count^{power} / Σ count^{power}")
    ax.set_xticks(np.r_[x[:top], top, x[top:]], labels, rotation=45, ha="right")
    ax.set(yscale="log", xlabel=f"word (the {top} most frequent, then the rarest)", ylabel="probability of being drawn",
           title="Negative-sampling distribution")
    ax.legend()
    fig.tight_layout()
    return fig


def pca_2d(X: np.ndarray) -> np.ndarray:
    """The rows of X projected on their first two principal components. X: (N, D). Returns (N, 2)."""
    centred = X - X.mean(axis=0)
    _, _, Vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ Vt[:2].T


def pca_map(vectors: np.ndarray, index: dict[str, int], groups: dict[str, list[str]]) -> plt.Figure:
    """A 2-D PCA map of chosen words (unit vectors), one colour per group; unknown words are skipped."""
    chosen = [(g, w) for g, ws in groups.items() for w in ws if w in index]
    X = vectors[[index[w] for _, w in chosen]]
    xy = pca_2d(X / np.linalg.norm(X, axis=1, keepdims=True))
    fig, ax = plt.subplots(figsize=(7.5, 6))
    for n, group in enumerate(groups):
        rows = [i for i, (g, _) in enumerate(chosen) if g == group]
        ax.scatter(xy[rows, 0], xy[rows, 1], color=f"C{n}", label=group)
        for i in rows:
            ax.annotate(chosen[i][1], xy[i], fontsize=9, xytext=(3, 3), textcoords="offset points")
    ax.set(title="Word vectors projected on their two main directions (PCA)", xticks=[], yticks=[],
           xlabel="first principal direction", ylabel="second principal direction")
    ax.legend()
    fig.tight_layout()
    return fig


def neighbour_explorer(neighbours: Callable[[str, int], list[tuple[str, float]]]) -> widgets.Widget:
    """Type a word, see its nearest neighbours. `neighbours(word, k)` returns (word, cosine) pairs."""
    box = widgets.Text(value="music", description="word", continuous_update=False)
    k = widgets.IntSlider(value=10, min=3, max=20, description="k")
    out = widgets.Output()

    def show(_=None) -> None:
        out.clear_output()
        with out:
            word = box.value.strip().lower()
            try:
                found = neighbours(word, k.value)
            except KeyError:
                print(f"'{word}' is not in the vocabulary (too rare in the corpus or misspelt).")
                return
            for other, sim in found:
                print(f"{sim:6.3f}  {'█' * int(max(sim, 0) * 30)} {other}")

    box.observe(show, "value")
    k.observe(show, "value")
    show()
    return widgets.VBox([widgets.HBox([box, k]), out])


def analogy_explorer(analogy: Callable[[str, str, str, int], list[str]]) -> widgets.Widget:
    """Three words a, b, c: see the best answers to "a is to b as c is to ?" (b − a + c)."""
    boxes = [widgets.Text(value=v, description=d, continuous_update=False, layout=widgets.Layout(width="200px"))
             for v, d in (("france", "a"), ("paris", "b"), ("germany", "c"))]
    out = widgets.Output()

    def show(_=None) -> None:
        out.clear_output()
        with out:
            a, b, c = (box.value.strip().lower() for box in boxes)
            try:
                answers = analogy(a, b, c, 5)
            except KeyError as missing:
                print(f"{missing} is not in the vocabulary.")
                return
            print(f"{a} is to {b} as {c} is to: {', '.join(answers)}")

    for box in boxes:
        box.observe(show, "value")
    show()
    return widgets.VBox([widgets.HBox(boxes), out])
