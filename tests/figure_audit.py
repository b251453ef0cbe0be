"""Accessibility rules for matplotlib figures: a title, labelled axes, colour maps readable in grey scale.

`figure_problems(fig)` says in words what a figure lacks. `record_figures(path)`, run inside a notebook's
kernel, applies the rules to every figure as Jupyter draws it and appends one JSON line per figure to `path`.

The rules, for every Axes that shows something (data, or text as in a diagram), colour bars excepted:
* a title: its own, or the figure's suptitle;
* if its axes are drawn: an x and a y label, its own or that of an Axes it shares the axis with
  (a column of panels labels only the bottom one);
* every colour map it uses has a lightness that only rises (or only falls) over a wide range, so a
  grey print or a reader who cannot tell hues apart still reads the order of the values. Diverging
  maps such as RdBu (dark at both ends) fail: in grey, -1 and +1 look the same.
"""
from __future__ import annotations

import json

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import Colormap
from matplotlib.figure import Figure

MIN_LIGHTNESS_RANGE = 50.0  # CIELAB L* units (0 black, 100 white) between the two ends of a colour map


def lightness(cmap: Colormap, samples: int = 256) -> np.ndarray:
    """CIELAB lightness L* of `samples` colours along the map, from its low end to its high end."""
    rgb = np.asarray(cmap(np.linspace(0, 1, samples)))[:, :3]
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    luminance = linear @ np.array([0.2126, 0.7152, 0.0722])
    f = np.where(luminance > (6 / 29) ** 3, np.cbrt(luminance), luminance / (3 * (6 / 29) ** 2) + 4 / 29)
    return 116 * f - 16


def readable_in_greyscale(cmap: Colormap) -> bool:
    """Whether the map keeps the order of its values in grey: lightness strictly monotone over a wide range."""
    steps = np.diff(lightness(cmap))
    return bool((np.all(steps > 0) or np.all(steps < 0)) and abs(steps.sum()) >= MIN_LIGHTNESS_RANGE)


def _title(ax: Axes) -> str:
    return " ".join(t for t in (ax.get_title(loc) for loc in ("left", "center", "right")) if t)


def _labelled(ax: Axes, axis: str) -> bool:
    """Whether the x or y `axis` of `ax`, or of an Axes sharing it, carries a label."""
    shared = ax.get_shared_x_axes() if axis == "x" else ax.get_shared_y_axes()
    return any(getattr(other, f"get_{axis}label")() for other in shared.get_siblings(ax))


def _unreadable_colour_maps(ax: Axes) -> set[str]:
    """Names of the colour maps colouring the data of `ax` that fail in grey (RGB images and plain colours use none)."""
    mapped = [a for a in (*ax.images, *ax.collections) if a.get_array() is not None and a.get_array().ndim <= 2]
    return {a.get_cmap().name for a in mapped if not readable_in_greyscale(a.get_cmap())}


def figure_problems(fig: Figure) -> list[str]:
    """What the figure lacks, one sentence per problem; empty if it follows every rule."""
    colour_bars = {id(m.colorbar.ax) for ax in fig.axes for m in (*ax.images, *ax.collections)
                   if getattr(m, "colorbar", None) is not None}
    panels = [ax for ax in fig.axes if ax.get_visible() and id(ax) not in colour_bars and (ax.has_data() or ax.texts)]
    problems = []
    for number, ax in enumerate(panels, start=1):
        name = f"panel {number} of {len(panels)} ({_title(ax) or 'untitled'!r})"
        if not (_title(ax) or fig.get_suptitle()):
            problems.append(f"{name} has no title")
        if ax.axison:
            problems += [f"{name} has no {axis} label" for axis in ("x", "y")
                         if getattr(ax, f"{axis}axis").get_visible() and not _labelled(ax, axis)]
        problems += [f"{name} uses the colour map {cmap!r}, unreadable in grey scale (use viridis or cividis)"
                     for cmap in sorted(_unreadable_colour_maps(ax))]
    return problems


def record_figures(path: str) -> None:
    """In a kernel: check each figure as Jupyter displays it; append {cell, titles, problems} to `path`.

    `cell` is the first line of the cell that drew the figure. The check wraps the PNG printer that
    IPython's display formatter holds for Figures (its public `lookup_by_type` and `for_type`); `%matplotlib
    inline` installs its printer when a cell runs it, so the wrapper is put back before every cell.
    """
    from IPython import get_ipython

    shell = get_ipython()
    png = shell.display_formatter.formatters["image/png"]
    running = {"cell": ""}

    def checked(fig: Figure, *args, **kwargs):
        titles = [fig.get_suptitle()] + [_title(ax) for ax in fig.axes]
        record = {"cell": running["cell"], "titles": [t for t in titles if t], "problems": figure_problems(fig)}
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return checked.printer(fig, *args, **kwargs)

    def before_cell(info) -> None:
        running["cell"] = info.raw_cell.split("\n")[0]
        printer = png.lookup_by_type(Figure) if Figure in png else None
        if printer is not None and printer is not checked:
            checked.printer = printer
            png.for_type(Figure, checked)

    shell.events.register("pre_run_cell", before_cell)
