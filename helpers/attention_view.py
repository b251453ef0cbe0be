"""Pictures and a widget for lesson 6: attention heatmaps, masks, and the softmax saturation plot."""
from __future__ import annotations

from typing import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from helpers.attention import softmax


def saturation_curves(dims: Sequence[int], rng: np.random.Generator, keys: int = 16,
                      samples: int = 500) -> dict[str, np.ndarray]:
    """For random q, k ~ N(0, I_d): the mean largest softmax weight and the mean size of the softmax's
    Jacobian, with the scores q·k left as they are ("raw") and divided by √d ("scaled").

    Returns arrays of shape (len(dims),) under "max_raw", "max_scaled", "jac_raw", "jac_scaled".
    """
    out: dict[str, list[float]] = {k: [] for k in ("max_raw", "max_scaled", "jac_raw", "jac_scaled")}
    for d in dims:
        q = rng.normal(size=(samples, 1, d))
        k = rng.normal(size=(samples, keys, d))
        raw = (q * k).sum(axis=-1)                                    # (samples, keys), variance d
        for name, scores in (("raw", raw), ("scaled", raw / np.sqrt(d))):
            p = softmax(scores)
            jac = p[:, :, None] * (np.eye(keys) - p[:, None, :])      # diag(p) - p pᵀ per sample
            out[f"max_{name}"].append(float(p.max(axis=-1).mean()))
            out[f"jac_{name}"].append(float(np.sqrt((jac ** 2).sum(axis=(1, 2))).mean()))
    return {k: np.array(v) for k, v in out.items()}


def saturation_plot(dims: Sequence[int], curves: dict[str, np.ndarray], keys: int = 16) -> plt.Figure:
    """Left: the largest weight of a softmax over `keys` scores; right: the size of its Jacobian; both
    against d, with raw and √d-scaled scores (curves from `saturation_curves`)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
    for name, style in (("raw", "o-"), ("scaled", "s-")):
        label = "scores q·k" if name == "raw" else "scores q·k / √d"
        left.semilogx(dims, curves[f"max_{name}"], style, base=2, label=label)
        right.semilogx(dims, curves[f"jac_{name}"], style, base=2, label=label)
    left.axhline(1 / keys, color="gray", ls=":", label=f"uniform (1/{keys})")
    left.set(xlabel="d (length of q and k)", ylabel="mean largest weight", ylim=(0, 1.05),
             title="How peaked the softmax is")
    right.set(xlabel="d (length of q and k)", ylabel="mean ‖Jacobian‖ (Frobenius)",
              title="How much gradient gets through it")
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def heatmaps(P: np.ndarray, labels: Sequence[str], title: str = "", key_labels: Sequence[str] | None = None
             ) -> plt.Figure:
    """One heatmap per head. P: (h, Tq, Tk) attention weights; rows are queries, columns are keys."""
    h = P.shape[0]
    key_labels = labels if key_labels is None else key_labels
    fig, axes = plt.subplots(1, h, figsize=(3.2 * h + 0.8, 3.4), squeeze=False)
    for i, ax in enumerate(axes[0]):
        image = ax.imshow(P[i], cmap="viridis", vmin=0, vmax=1)
        ax.set_xticks(range(len(key_labels)), key_labels, fontsize=8)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.set(xlabel="key (attended to)", ylabel="query",
               title=title if h == 1 else f"head {i}")
    fig.colorbar(image, ax=list(axes[0]), shrink=0.8, label="weight")
    if title and h > 1:
        fig.suptitle(title)
    return fig


def show_mask(mask: np.ndarray, labels: Sequence[str], title: str) -> plt.Figure:
    """A boolean (Tq, Tk) mask as a grid: dark = may attend (True), light = blocked (False)."""
    fig, ax = plt.subplots(figsize=(3.6, 3.4))
    ax.imshow(mask, cmap="Greys", vmin=-0.3, vmax=1.2)
    ax.set_xticks(range(mask.shape[1]), labels, fontsize=8, rotation=90)
    ax.set_yticks(range(mask.shape[0]), labels, fontsize=8)
    ax.set(xlabel="key", ylabel="query", title=title)
    fig.tight_layout()
    return fig


def attention_explorer(P: np.ndarray, labels: Sequence[str]) -> widgets.Widget:
    """Pick a head and a query token; see that query's weights over the sequence. P: (h, T, T)."""
    def draw(head: int, query: int) -> None:
        fig, ax = plt.subplots(figsize=(7, 2.6))
        colours = ["#1b9e77" if j == query else "#7570b3" for j in range(len(labels))]
        bars = ax.bar(range(len(labels)), P[head, query], color=colours)
        ax.bar_label(bars, labels=[f"{w:.2f}" for w in P[head, query]], fontsize=8)
        ax.set_xticks(range(len(labels)), [f"{j}:{t}" for j, t in enumerate(labels)], fontsize=8)
        ax.set(ylim=(0, 1.1), xlabel="key (position: token)", ylabel="weight",
               title=f"head {head}: where query {query} ('{labels[query]}') looks")
        fig.tight_layout()
        plt.show()

    head = widgets.Dropdown(options=list(range(P.shape[0])), value=0, description="head")
    query = widgets.Dropdown(options=[(f"{j}: {t}", j) for j, t in enumerate(labels)], value=0,
                             description="query token")
    return widgets.interactive(draw, head=head, query=query)
