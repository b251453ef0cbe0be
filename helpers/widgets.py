"""Interactive controls for the notebooks (ipywidgets)."""
from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt

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
        ax.set(xscale="log", xlabel="seconds per call (log scale)",
               title=f"N = {N} windows of {K} inputs → {H} outputs")
        ax.margins(x=0.6)
        if len(names) < len(times):
            ax.text(0.99, 0.02, "Python triple loop skipped above N = 1024", transform=ax.transAxes,
                    ha="right", fontsize=8)
        fig.tight_layout()
        plt.show()

    slider = widgets.SelectionSlider(options=sizes, value=256, description="N windows")
    return widgets.interactive(retime, {"manual": True, "manual_name": "Time it"}, N=slider)
