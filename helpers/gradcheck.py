"""Numerical derivatives by central differences, to check hand-written gradients.

Central differences, (f(x + h) − f(x − h)) / 2h, have error O(h²) where forward differences have
O(h): with h = 1e-6 that is about 1e-12 against 1e-6 (before rounding error, which grows like 1/h).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_jacobian(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """J[i, j] = ∂f_i/∂x_j of f at x, with f's output and x both flattened: shape (f(x).size, x.size)."""
    x = np.array(x, dtype=np.float64)
    flat = x.reshape(-1)
    columns = []
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + h
        up = np.array(f(x), dtype=np.float64).reshape(-1)
        flat[j] = old - h
        down = np.array(f(x), dtype=np.float64).reshape(-1)
        flat[j] = old
        columns.append((up - down) / (2 * h))
    return np.stack(columns, axis=1)


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """∂f/∂x of a scalar function f at x, with x's shape."""
    return numerical_jacobian(f, x, h).reshape(np.shape(x))


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """The largest entry-by-entry relative difference, max_i |a_i − b_i| / (|a_i| + |b_i|).

    A denominator below 1e-12 counts as 1e-12, so entries that are both zero agree. Taken entry by entry,
    it does not depend on the gradient's overall size; but an entry far smaller than the others carries
    the same absolute rounding error, so it can raise the maximum. For a correct gradient checked in
    float64 with central differences it is typically 1e-7 or less; 1e-3 or more almost always means a bug.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = np.maximum(np.abs(a) + np.abs(b), 1e-12)
    return float(np.max(np.abs(a - b) / scale)) if a.size else 0.0
