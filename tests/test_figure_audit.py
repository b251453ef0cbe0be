"""The figure audit names what a figure lacks, and passes a figure that has it."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from tests.figure_audit import figure_problems, readable_in_greyscale


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _labelled_line_plot():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    ax.set(title="falls", xlabel="x", ylabel="y")
    return fig, ax


def test_a_titled_labelled_figure_passes():
    fig, _ = _labelled_line_plot()
    assert figure_problems(fig) == []


@pytest.mark.parametrize("missing", ["title", "xlabel", "ylabel"])
def test_a_missing_title_or_axis_label_is_named(missing):
    fig, ax = _labelled_line_plot()
    ax.set(**{missing: ""})
    expected = {"title": "has no title", "xlabel": "has no x label", "ylabel": "has no y label"}[missing]
    assert [p for p in figure_problems(fig) if expected in p], figure_problems(fig)
    assert len(figure_problems(fig)) == 1


def test_a_suptitle_titles_every_panel():
    fig, axes = plt.subplots(1, 2)
    for ax in axes:
        ax.plot([0, 1])
        ax.set(xlabel="x", ylabel="y")
    assert len(figure_problems(fig)) == 2
    fig.suptitle("two panels")
    assert figure_problems(fig) == []


def test_a_column_sharing_x_needs_the_label_only_once():
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True)
    for ax in (top, bottom):
        ax.plot([0, 1])
        ax.set(title="t", ylabel="y")
    bottom.set_xlabel("x")
    assert figure_problems(fig) == []


def test_a_diagram_without_axes_needs_a_title_but_no_labels():
    fig, ax = plt.subplots()
    ax.text(0.5, 0.5, "a box")
    ax.axis("off")
    assert figure_problems(fig) == ["panel 1 of 1 ('untitled') has no title"]
    ax.set_title("a diagram")
    assert figure_problems(fig) == []


def test_a_diverging_colour_map_is_named_and_its_colour_bar_is_not_a_panel():
    fig, ax = plt.subplots()
    image = ax.imshow(np.eye(3), cmap="RdBu_r")
    fig.colorbar(image, ax=ax)
    ax.set(title="identity", xlabel="j", ylabel="i")
    assert figure_problems(fig) == ["panel 1 of 1 ('identity') uses the colour map 'RdBu_r', unreadable in grey "
                                    "scale (use viridis or cividis)"]
    image.set_cmap("cividis")
    assert figure_problems(fig) == []


@pytest.mark.parametrize("name, readable", [("viridis", True), ("cividis", True), ("magma", True), ("Greys", True),
                                            ("RdBu_r", False), ("coolwarm", False), ("jet", False),
                                            ("twilight", False)])
def test_greyscale_readable_maps_have_monotone_lightness(name, readable):
    assert readable_in_greyscale(matplotlib.colormaps[name]) is readable
