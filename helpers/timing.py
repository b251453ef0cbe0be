"""Timing the three ways to score windows, with the standard library's `timeit`.

The three ways: a pure-Python triple loop over lists, a NumPy loop over rows, one matrix product.
Timings are shown to students and written by benchmarks; no test ever asserts a duration.
While nbgrader executes a notebook to validate or grade it (it sets NBGRADER_EXECUTION), each call is
timed once, so grading a class does not spend minutes re-measuring what is never graded.
"""
from __future__ import annotations

import os
import timeit
from collections.abc import Callable

import numpy as np


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


def seconds_per_call(fn: Callable, *args, repeat: int = 3) -> float:
    """Best time of one call: timeit's autorange picks how many calls fill ~0.2 s."""
    timer = timeit.Timer(lambda: fn(*args))
    if os.environ.get("NBGRADER_EXECUTION"):
        return timer.timeit(number=1)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number


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


def gflops(N: int, K: int, H: int, seconds: float) -> float:
    """Achieved GFLOP/s of an (N, K) × (K, H) product: 2·N·K·H floating-point operations."""
    return 2.0 * N * K * H / seconds / 1e9


def matmul_peak_gflops(n: int = 1024) -> float:
    """This machine's GFLOP/s on a large square float64 matrix product: the practical ceiling."""
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(n, n)), rng.normal(size=(n, n))
    return gflops(n, n, n, seconds_per_call(np.matmul, A, B))
