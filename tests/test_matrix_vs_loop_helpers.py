"""Lesson 1's shared code: the three timed methods agree, the measurements and pictures are sound."""
import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from helpers import plotting, timing, widgets


def test_the_three_methods_compute_the_same_product():
    rng = np.random.default_rng(7)
    X, W = rng.normal(size=(9, 5)), rng.normal(size=(5, 4))
    for method in timing.METHODS.values():
        args = (X.tolist(), W.tolist()) if method is timing.python_loops else (X, W)
        np.testing.assert_allclose(np.array(method(*args)), X @ W, rtol=1e-12)


def test_gflops_counts_a_multiply_and_an_add_per_term():
    assert timing.gflops(N=10, K=20, H=30, seconds=1e-3) == pytest.approx(2 * 10 * 20 * 30 / 1e-3 / 1e9)


def test_time_methods_skips_the_python_loop_above_its_limit():
    times = timing.time_methods(N=32, K=8, H=4, python_max_n=16)
    assert times["Python triple loop"] is None
    assert times["one matrix product"] > 0 and times["NumPy loop over rows"] > 0


def test_grading_times_each_call_once(monkeypatch):
    calls = []
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    timing.seconds_per_call(lambda: calls.append(1))
    assert calls == [1]


def test_plot_timings_draws_both_panels_and_the_peak():
    times = {"slow": [1e-2, 4e-2], "fast": [1e-5, None]}
    fig = plotting.plot_timings([10, 40], times, flops_per_n=100.0, peak_gflops=50.0)
    left, right = fig.axes
    assert [line.get_label() for line in left.lines] == ["slow", "fast"]
    assert len(left.lines[1].get_xdata()) == 1, "an unmeasured size must not be plotted"
    assert any(line.get_label().startswith("measured peak 50") for line in right.lines)


def test_show_broadcast_draws_every_cell_of_operands_and_result():
    fig = plotting.show_broadcast(np.zeros((4, 1)), np.zeros((1, 3)))
    assert len(fig.axes[0].patches) == 3 * 4 * 3


def test_show_broadcast_names_the_shapes_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"a has shape \(4, 3\) and b has shape \(2,\)"):
        plotting.show_broadcast(np.zeros((4, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="at most 2 dimensions"):
        plotting.show_broadcast(np.zeros((2, 2, 2)), np.zeros(2))


def test_timing_explorer_retimes_at_the_chosen_size_when_the_button_is_pressed(monkeypatch):
    asked = []

    def fake_time_methods(N, K, H, python_max_n):
        asked.append((N, K, H))
        return {"Python triple loop": None, "NumPy loop over rows": 2e-3, "one matrix product": 1e-4}

    monkeypatch.setattr(widgets, "time_methods", fake_time_methods)
    explorer = widgets.timing_explorer(K=8, H=4)
    slider, button, _ = explorer.children
    assert button.description == "Time it" and 256 in slider.options
    assert asked == [], "a manual interact must not time anything before the button is pressed"
    slider.value = 16
    button.click()
    assert asked == [(16, 8, 4)]
