"""Timing code on this machine, with the standard library's `timeit` (time) and `tracemalloc` (memory).

Lesson 1 times three ways to score windows (a pure-Python triple loop over lists, a NumPy loop over
rows, one matrix product) and then the student's own functions. Timings are shown to students and
written by benchmarks; no test ever asserts a duration.
While nbgrader executes a notebook to validate or grade it (it sets NBGRADER_EXECUTION), each call is
timed once, so grading a class does not spend minutes re-measuring what is never graded.
"""
from __future__ import annotations

import os
import timeit
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

# Calls are timed in batches this short (one call each, if a call takes longer): other programs on a busy
# machine slow many batches down, rarely all of them.
BATCH_SECONDS = 5e-5


def python_loops(X: list[list[float]], W: list[list[float]]) -> list[list[float]]:
    """X W with three nested Python loops over lists. X: N×K lists, W: K×H lists."""
    K, H = len(W), len(W[0])
    out = []
    for x in X:
        row = [0.0] * H
        for k in range(K):
            xk, wk = x[k], W[k]
            for h in range(H):
                row[h] += xk * wk[h]
        out.append(row)
    return out


def row_loop(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    """X W one row at a time: `[x @ W for x in X]`. X: (N, K), W: (K, H)."""
    return np.array([x @ W for x in X])


def one_matmul(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    """X W as one matrix product. X: (N, K), W: (K, H)."""
    return X @ W


METHODS: dict[str, Callable] = {
    "Python triple loop": python_loops,
    "NumPy loop over rows": row_loop,
    "one matrix product": one_matmul,
}


def grading() -> bool:
    """Whether nbgrader is executing the notebook: slow demos then do less (never something different)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def seconds_per_call(fn: Callable, *args, repeat: int = 3) -> float:
    """Best time of one call `fn(*args)`, in seconds, from the quickest of many short batches.

    timeit's autorange finds how many calls fill ~0.2 s; `repeat` times that many calls are then run in
    batches of about 50 µs (one call each if a call takes longer), and the quickest batch counts.
    Other programs on the machine slow many batches down, some of them a lot; the quickest batch is the
    least disturbed, the closest to what the code itself costs.
    """
    timer = timeit.Timer(lambda: fn(*args))
    if grading():
        return timer.timeit(number=1)
    number, total = timer.autorange()
    batch = max(1, round(BATCH_SECONDS * number / total))
    batches = max(repeat, round(repeat * number / batch))
    return min(timer.repeat(repeat=batches, number=batch)) / batch


def peak_bytes(fn: Callable, *args) -> int:
    """The most memory one call `fn(*args)` held at once, in bytes, as `tracemalloc` counts it.

    NumPy reports its arrays' data to tracemalloc, so this includes every temporary array and the result.
    """
    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    tracemalloc.reset_peak()
    start, _ = tracemalloc.get_traced_memory()
    try:
        fn(*args)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not already:
            tracemalloc.stop()
    return max(peak - start, 0)


def time_methods(N: int, K: int = 250, H: int = 20, seed: int = 0,
                 python_max_n: int = 256) -> dict[str, float | None]:
    """Seconds per call of each method for N windows of K inputs and H outputs.

    The pure-Python loop is skipped (None) above `python_max_n`: it would take too long.
    """
    rng = np.random.default_rng(seed)
    X, W = rng.normal(size=(N, K)), rng.normal(size=(K, H))
    times: dict[str, float | None] = {}
    for name, fn in METHODS.items():
        if fn is python_loops:
            times[name] = seconds_per_call(fn, X.tolist(), W.tolist()) if N <= python_max_n else None
        else:
            times[name] = seconds_per_call(fn, X, W)
    return times


def measured_call(fn: Callable, *args) -> tuple[Any, float, int]:
    """(result, seconds, peak bytes) of one call `fn(*args)`: for calls too slow to time repeatedly."""
    result = []
    start = timeit.default_timer()
    peak = peak_bytes(lambda: result.append(fn(*args)))
    return result[0], timeit.default_timer() - start, peak


def gflops(N: int, K: int, H: int, seconds: float) -> float:
    """Achieved GFLOP/s of an (N, K) × (K, H) product: 2·N·K·H floating-point operations."""
    return 2.0 * N * K * H / seconds / 1e9


def matmul_peak_gflops(n: int = 1024) -> float:
    """This machine's GFLOP/s on a large square float64 matrix product, the best of several calls.

    That is the practical ceiling; but a busy machine can hold even the best of several back, so a lesson
    that plots other rates takes the larger of this and the best rate it plots.
    """
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(n, n)), rng.normal(size=(n, n))
    return gflops(n, n, n, seconds_per_call(np.matmul, A, B))


def format_ratio(ratio: float) -> str:
    """A "times slower" factor to two significant digits (timings carry no more): '0.43×', '8.1×', '1,200×'."""
    return f"{float(f'{ratio:.2g}'):,.0f}×" if ratio >= 10 else f"{ratio:.2g}×"


def format_seconds(seconds: float) -> str:
    """A duration to two significant digits in the unit that suits it: '4.1 µs', '350 ms', '1.2 s'."""
    for unit, scale in (("µs", 1e-6), ("ms", 1e-3)):
        value = float(f"{seconds / scale:.2g}")
        if value < 1000:
            return f"{value:g} {unit}"
    return f"{float(f'{seconds:.2g}'):g} s"


def format_bytes(size: float) -> str:
    """An amount of memory to two significant digits in the unit that suits it: '950 B', '3.7 KB', '210 MB'."""
    for unit in ("B", "KB", "MB"):
        value = float(f"{size:.2g}")
        if value < 1000:
            return f"{value:g} {unit}"
        size /= 1000
    return f"{float(f'{size:.2g}'):g} GB"


def table(sizes: Sequence[int], columns: dict[str, list], format_cell: Callable[[float], str],
          size_label: str = "N") -> str:
    """A text table: one row per size, one column per name; None (not measured) shows as "-"."""
    width = max(12, *(len(name) + 2 for name in columns))
    lines = [f"{size_label:>6}" + "".join(f"{name:>{width}}" for name in columns)]
    for i, size in enumerate(sizes):
        cells = ("-" if values[i] is None else format_cell(values[i]) for values in columns.values())
        lines.append(f"{size:>6}" + "".join(f"{cell:>{width}}" for cell in cells))
    return "\n".join(lines)


def ratio_table(sizes: Sequence[int], seconds: dict[str, list[float | None]], base: str,
                size_label: str = "N") -> str:
    """Each method's time as a multiple of `base`'s time at the same size, as a `table`.

    seconds: method name -> seconds per call at each size, None where not measured.
    """
    ratios = {name: [None if t is None else t / seconds[base][i] for i, t in enumerate(secs)]
              for name, secs in seconds.items()}
    return table(sizes, ratios, format_ratio, size_label)
