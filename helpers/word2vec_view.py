"""Pictures and widgets for lesson 4: loss curves, the noise distribution, a PCA map, neighbour and
analogy explorers. matplotlib and ipywidgets only."""
from __future__ import annotations

from typing import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.transforms import Bbox

from helpers.unwritten import message, unwritten_exercise


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


MARKERS = "os^Dv<>p"  # one shape per group, so the groups differ in grey too

# Where a label may go relative to its point, in points, nearest first: (dx, dy, horizontal alignment).
LABEL_SPOTS = [(5, 3, "left"), (-5, 3, "right"), (5, -11, "left"), (-5, -11, "right"), (0, 7, "center"),
               (0, -16, "center"), (12, 10, "left"), (-12, 10, "right"), (12, -19, "left"), (-12, -19, "right"),
               (0, 17, "center"), (0, -27, "center")]


def place_labels(ax: plt.Axes, xy: np.ndarray, labels: list[str], fontsize: float = 9) -> None:
    """Label each point of xy: (N, 2) with the first spot of LABEL_SPOTS where the label overlaps no
    label placed before it, no point and not the legend (or, if every spot collides, the spot with the
    least overlap)."""
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    points = [Bbox.from_bounds(x - 3, y - 3, 6, 6) for x, y in ax.transData.transform(xy)]
    legend = ax.get_legend()
    taken: list[Bbox] = [legend.get_window_extent(renderer)] if legend else []
    for n in np.argsort(-xy[:, 1]):                      # top to bottom
        best = None
        for dx, dy, ha in LABEL_SPOTS:
            text = ax.annotate(labels[n], xy[n], xytext=(dx, dy), textcoords="offset points", ha=ha,
                               fontsize=fontsize)
            box = text.get_window_extent(renderer).padded(1)
            clash = sum(_overlap(box, other) for other in taken + points)
            if best is None or clash < best[0]:
                if best is not None:
                    best[1].remove()
                best = (clash, text, box)
            else:
                text.remove()
            if clash == 0:
                break
        taken.append(best[2])


def _overlap(a: Bbox, b: Bbox) -> float:
    """Area shared by two boxes (display units)."""
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(width, 0) * max(height, 0)


def pca_map(vectors: np.ndarray, index: dict[str, int], groups: dict[str, list[str]]) -> plt.Figure:
    """A 2-D PCA map of chosen words (unit vectors), one colour and marker per group; unknown words are
    skipped. Labels are placed where they do not cover each other."""
    chosen = [(g, w) for g, ws in groups.items() for w in ws if w in index]
    X = vectors[[index[w] for _, w in chosen]]
    xy = pca_2d(X / np.linalg.norm(X, axis=1, keepdims=True))
    fig, ax = plt.subplots(figsize=(8.5, 6.5))
    for n, group in enumerate(groups):
        rows = [i for i, (g, _) in enumerate(chosen) if g == group]
        ax.scatter(xy[rows, 0], xy[rows, 1], color=f"C{n}", marker=MARKERS[n % len(MARKERS)], s=36, label=group)
    ax.margins(0.15)
    ax.set(title="Word vectors projected on their two main directions (PCA)", xticks=[], yticks=[],
           xlabel="first principal direction", ylabel="second principal direction")
    ax.legend(loc="best")
    fig.tight_layout()
    place_labels(ax, xy, [w for _, w in chosen])
    return fig


def plot_corpus_curve(curve: dict) -> plt.Figure:
    """WordSim-353 ρ (mean ± sd over seeds) of each method against the corpus size, from
    helpers.word_eval.load_comparison()["curve"]."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for (name, label), marker in zip([("lesson loop", "skip-gram (your loop, correct functions)"),
                                      ("PPMI + SVD", "PPMI + SVD (counting)")], "os"):
        means = [point["mean"] for point in curve[name]]
        sds = [point["sd"] for point in curve[name]]
        ax.errorbar(curve["tokens"], means, yerr=sds, marker=marker, capsize=3, label=label)
    ax.set(xscale="log", xlabel="tokens of text (log scale)", ylabel="WordSim-353 Spearman ρ",
           title=f"More text: counting vs predicting ({curve['wordsim_pairs']} pairs every size knows)")
    ax.set_xticks(curve["tokens"], [f"{t / 1000:.0f}k" for t in curve["tokens"]])
    ax.minorticks_off()
    ax.legend()
    fig.tight_layout()
    return fig


def not_ready(error: NotImplementedError) -> str:
    """The one line a widget shows when what it calls is not ready: an exercise not written yet (named), or
    the error's own message (such as vectors not trained yet)."""
    name = unwritten_exercise(error.__traceback__)
    return message(name) if name else f"✗ {error}"


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
            except NotImplementedError as error:
                print(not_ready(error))
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
            except NotImplementedError as error:
                print(not_ready(error))
                return
            print(f"{a} is to {b} as {c} is to: {', '.join(answers)}")

    for box in boxes:
        box.observe(show, "value")
    show()
    return widgets.VBox([widgets.HBox(boxes), out])
