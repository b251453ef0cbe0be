"""Interactive controls for the notebooks (ipywidgets)."""
from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

from helpers import plotting
from helpers.activations import sigmoid
from helpers.timing import time_methods


def timing_explorer(K: int = 250, H: int = 20) -> widgets.Widget:
    """Pick N (number of windows), press the button, and see the three methods re-timed at that N."""
    sizes = [2 ** p for p in range(4, 15)]

    def retime(N: int) -> None:
        times = time_methods(N, K, H, python_max_n=1024)
        names = [name for name, t in times.items() if t is not None]
        secs = [times[name] for name in names]
        fig, ax = plt.subplots(figsize=(7, 2.6))
        bars = ax.barh(names, secs, color=["#d95f02", "#7570b3", "#1b9e77"][-len(names):])
        ax.bar_label(bars, labels=[f"{s * 1e3:.3g} ms  ({s / min(secs):.0f}×)" for s in secs], padding=3)
        ax.set(xscale="log", xlabel="seconds per call (log scale)", ylabel="method",
               title=f"N = {N} windows of {K} inputs → {H} outputs")
        ax.margins(x=0.6)
        if len(names) < len(times):
            ax.text(0.99, 0.02, "Python triple loop skipped above N = 1024", transform=ax.transAxes,
                    ha="right", fontsize=8)
        fig.tight_layout()
        plt.show()

    slider = widgets.SelectionSlider(options=sizes, value=256, description="N windows")
    return widgets.interactive(retime, {"manual": True, "manual_name": "Time it"}, N=slider)


# The activations lesson 2's widget offers: name -> (f, f'), both elementwise functions of z.
ACTIVATIONS = {
    "sigmoid": (sigmoid, lambda z: sigmoid(z) * (1 - sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "ReLU": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
}


def activation_explorer(x: np.ndarray, W: np.ndarray, b: np.ndarray, u: np.ndarray) -> widgets.Widget:
    """Switch the hidden activation f of s = uᵀ f(Wx + b) and see f'(z), ∂h/∂z and ∂s/∂W change.

    x: (m,) one window; W: (n, m); b, u: (n,).
    """
    z = W @ x + b
    grid = np.linspace(-5, 5, 201)

    def show(activation: str) -> None:
        f, derivative = ACTIVATIONS[activation]
        slope = derivative(z)
        delta = u * slope
        fig, (curve, jac, grad) = plt.subplots(
            1, 3, figsize=(14, 3.6), gridspec_kw={"width_ratios": [1.2, 1, 0.6 + len(x) / len(z) / 2]})
        curve.plot(grid, f(grid), label="f(z)")
        curve.plot(grid, derivative(grid), label="f'(z)")
        curve.plot(z, slope, "ko", ms=4, label="f'(z) at this window's z")
        curve.set(xlabel="z", ylabel="value", ylim=(-1.1, 2.0), title=f"{activation} and its derivative")
        curve.legend(fontsize=8)
        plotting.draw_heatmap(jac, np.diag(slope), "∂h/∂z = diag f'(z)")
        plotting.draw_heatmap(grad, np.outer(delta, x), "∂s/∂W = δ xᵀ")
        fig.tight_layout()
        plt.show()
        print(f"f'(z) ranges over [{slope.min():.3f}, {slope.max():.3f}]; {int((slope == 0).sum())} of {len(z)} "
              f"hidden units pass no gradient; |∂s/∂W| = {np.linalg.norm(np.outer(delta, x)):.3f}")

    buttons = widgets.ToggleButtons(options=list(ACTIVATIONS), value="sigmoid", description="activation")
    return widgets.interactive(show, activation=buttons)
