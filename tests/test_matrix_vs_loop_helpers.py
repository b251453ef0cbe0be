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


def test_ratios_sizes_and_durations_are_printed_to_two_significant_digits():
    assert [timing.format_ratio(r) for r in [0.0432, 8.14, 9.96, 123.4, 1234]] == \
        ["0.043×", "8.1×", "10×", "120×", "1,200×"]
    assert [timing.format_bytes(b) for b in [950, 999.6, 3712, 2.1e8, 6.4e10]] == \
        ["950 B", "1 KB", "3.7 KB", "210 MB", "64 GB"]
    assert [timing.format_seconds(s) for s in [4.1e-6, 999e-6, 0.35, 12.3]] == ["4.1 µs", "1 ms", "350 ms", "12 s"]


def test_ratio_table_divides_by_the_base_measured_at_the_same_size_and_marks_what_was_not_measured():
    lines = timing.ratio_table([16, 64], {"slow": [1e-3, None], "base": [1e-5, 2e-5]}, base="base").splitlines()
    assert lines[0].split() == ["N", "slow", "base"]
    assert lines[1].split() == ["16", "100×", "1×"] and lines[2].split() == ["64", "-", "1×"]


def test_peak_bytes_counts_the_arrays_a_call_makes_and_nothing_before_it():
    before = np.ones(1_000_000)
    used = timing.peak_bytes(lambda: np.ones(2_000_000).sum())
    assert 16_000_000 <= used < 16_100_000
    assert timing.peak_bytes(lambda: before.sum()) < 10_000


def test_measured_call_returns_the_result_with_its_time_and_memory():
    result, seconds, used = timing.measured_call(np.ones, 1000)
    assert result.shape == (1000,) and seconds > 0 and used >= 8000


def test_seconds_per_call_keeps_the_quickest_of_many_batches():
    calls = []
    assert timing.seconds_per_call(lambda: calls.append(1)) > 0
    assert len(calls) > 1000, "a cheap call is timed in many batches, not a few long ones"


def test_grading_is_told_by_nbgrader_execution(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert not timing.grading()
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    assert timing.grading()


def test_plot_time_and_memory_draws_each_function_where_it_was_measured():
    fig = plotting.plot_time_and_memory([16, 32], {"a": [1e-3, None], "b": [1e-4, 2e-4]},
                                        {"a": [100, None], "b": [10, 20]})
    left, right = fig.axes
    assert [line.get_label() for line in left.lines] == ["a", "b"]
    assert len(left.lines[0].get_xdata()) == 1 and np.allclose(right.lines[1].get_ydata(), [1e-5, 2e-5])
    assert {line.get_linestyle() for line in left.lines} == {"-", "--"}, "lines differ without colour"
    plotting.plt.close(fig)
