"""Visible checks for lesson 1, "Why matrices beat loops".

Each `check_*` runs the student's function on small seeded inputs, compares it with a plain
loop-based reference written here, and names the mistake when the answer is wrong.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers.checks.core import call_student, expect_array, expect_close, expect_finite, passed
from helpers.checks.loops import expect_no_loops


def _windows(sentence: np.ndarray, E: np.ndarray, w: int, left: int | None = None) -> np.ndarray:
    """Reference window matrix, one window at a time. Index 0 of `E` is the padding word.

    `left` padding words go before the sentence (w, so windows are centred) and 2w − left after.
    """
    left = w if left is None else left
    padded = [0] * left + list(sentence) + [0] * (2 * w - left)
    return np.array([np.concatenate([E[i] for i in padded[t:t + 2 * w + 1]])
                     for t in range(len(sentence))])


def check_window_matrix(window_matrix: Callable) -> None:
    what = "`window_matrix(sentence, E, w)`"
    E = np.random.default_rng(0).normal(size=(10, 3))
    for sentence, w in [(np.array([4, 7, 1, 9, 2, 5]), 1), (np.array([3, 8, 6, 2, 9]), 2)]:
        T, D = len(sentence), E.shape[1]
        out = call_student(window_matrix, sentence, E, w)
        expect_array(out, (T, (2 * w + 1) * D), what, shape_hints={
            (T - 2 * w, (2 * w + 1) * D):
                f"That is one row per *full* window (T − 2w = {T - 2 * w}). Pad the sentence with w "
                "padding words (index 0) at each end so every word, even the first, gets a window.",
            (T, 2 * w + 1, D): "Each window must be one flat row: reshape (T, 2w+1, D) to (T, (2w+1)·D).",
        })
        want = _windows(sentence, E, w)
        cut = T, 2 * w + 1, D
        expect_close(out, want, what, mistakes=[
            ("The word vectors are interleaved: you flattened a (T, D, 2w+1) array. Flatten (T, 2w+1, D), "
             "so each row is word 1's vector, then word 2's, and so on.",
             want.reshape(cut).transpose(0, 2, 1).reshape(T, -1)),
            ("Each window starts at word t instead of being centred on it: row t must hold words "
             "t−w … t+w.",
             _windows(sentence, E, w, left=0)),
            ("At the sentence edges your windows wrap around to the other end (a negative index counts "
             "from the end in NumPy). Pad with index 0 instead.",
             E[sentence[(np.arange(T)[:, None] + np.arange(-w, w + 1)) % T]].reshape(T, -1)),
        ])
    expect_no_loops(window_matrix)
    passed(what)


def check_score_windows(score_windows: Callable) -> None:
    what = "`score_windows(X, W, b, u)`"
    rng = np.random.default_rng(1)
    N, K, H = 7, 6, 4
    X, W, b, u = rng.normal(size=(N, K)), rng.normal(size=(K, H)), rng.normal(size=H), rng.normal(size=H)
    out = call_student(score_windows, X, W, b, u)
    expect_array(out, (N,), what, shape_hints={
        (N, 1): "One score per window is a vector of shape (N,), not a column (N, 1).",
    })
    expect_close(out, np.array([np.tanh(x @ W + b) @ u for x in X]), what, mistakes=[
        ("The bias b is missing: z = X W + b.", np.tanh(X @ W) @ u),
        ("The tanh is missing: h = tanh(X W + b) before the scores s = h u.", (X @ W + b) @ u),
        ("The bias is added after the tanh; it belongs inside: tanh(X W + b).", (np.tanh(X @ W) + b) @ u),
    ])
    expect_no_loops(score_windows)
    passed(what)


def check_cosine_similarity_matrix(cosine_similarity_matrix: Callable) -> None:
    what = "`cosine_similarity_matrix(A)`"
    A = np.random.default_rng(2).normal(size=(5, 3)) * np.array([[1.0], [3.0], [0.5], [2.0], [1.0]])
    A[3] = 0.0  # a zero vector: it has no direction, so its cosine with anything is defined as 0
    out = call_student(cosine_similarity_matrix, A)
    expect_array(out, (5, 5), what, shape_hints={(3, 3): "Compare rows (words), not columns: the result is (N, N)."})
    expect_finite(out, what, "Row 3 of the input is a zero vector: dividing by its norm 0 gives NaN. "
                             "Guard the division, e.g. divide by np.maximum(norm, 1e-12), so it gets similarity 0.")
    norms = np.sqrt((A ** 2).sum(axis=1))
    safe = np.where(norms > 0, norms, 1.0)
    want = np.array([[A[i] @ A[j] / (safe[i] * safe[j]) for j in range(5)] for i in range(5)])
    col_norms = np.sqrt((A ** 2).sum(axis=0))
    expect_close(out, want, what, mistakes=[
        ("These are plain dot products: divide by the norms so each vector's similarity with itself is 1.",
         A @ A.T),
        ("You normalised each column (axis=0); each row is a word vector, so normalise rows (axis=1).",
         (A / col_norms) @ (A / col_norms).T),
        ("Only one side is normalised, so the result is not symmetric: normalise both A and Aᵀ.",
         (A / safe[:, None]) @ A.T),
        ("Only one side is normalised, so the result is not symmetric: normalise both A and Aᵀ.",
         A @ (A / safe[:, None]).T),
    ])
    expect_no_loops(cosine_similarity_matrix)
    passed(what)


def check_softmax_rows(softmax_rows: Callable) -> None:
    what = "`softmax_rows(Z)`"
    Z = np.random.default_rng(3).normal(scale=3.0, size=(4, 4))
    out = call_student(softmax_rows, Z)
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    expect_close(out, e / e.sum(axis=1, keepdims=True), what, mistakes=[
        ("Your columns sum to 1, not your rows: reduce over axis=1 (each row is one example).",
         np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True)),
        ("Row i was divided by the sum of row j: a sum over axis=1 has shape (N,), which broadcasts along "
         "the wrong axis. Keep it as a column with keepdims=True.",
         e / e.sum(axis=1)),
    ])
    big = np.array([[1000.0, 1001.0, 1002.0]])
    out = call_student(softmax_rows, big)
    expect_array(out, big.shape, what)
    expect_finite(out, what, "exp(1000) overflows: the largest float64 is about 1.8e308 and e^1000 ≈ 2e434. "
                             "Subtract each row's maximum before exp; softmax(z − c) = softmax(z) for any c.")
    far_apart = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -999.0, -998.0]])
    out = call_student(softmax_rows, far_apart)
    expect_array(out, far_apart.shape, what)
    expect_finite(out, what, "The second row underflowed to 0/0: you subtracted one maximum for the whole "
                             "matrix. Subtract each row's own maximum: Z.max(axis=1, keepdims=True).")
    e = np.exp(far_apart - far_apart.max(axis=1, keepdims=True))
    expect_close(out, e / e.sum(axis=1, keepdims=True), what)
    expect_no_loops(softmax_rows)
    passed(what)


def check_pairwise_sq_distances(pairwise_sq_distances: Callable) -> None:
    what = "`pairwise_sq_distances(A, B)`"
    rng = np.random.default_rng(4)
    A, B = rng.normal(size=(4, 3)), rng.normal(size=(6, 3))
    out = call_student(pairwise_sq_distances, A, B)
    expect_array(out, (4, 6), what)
    aa, bb, ab = (A ** 2).sum(1)[:, None], (B ** 2).sum(1)[None, :], A @ B.T
    want = np.array([[((a - b) ** 2).sum() for b in B] for a in A])
    expect_close(out, want, what, mistakes=[
        ("The cross term needs a factor 2: |a − b|² = |a|² + |b|² − 2 a·b.", aa + bb - ab),
        ("The cross term has the wrong sign: |a − b|² = |a|² + |b|² − 2 a·b.", aa + bb + 2 * ab),
        ("These are distances, not squared distances: drop the square root.", np.sqrt(want)),
    ])
    expect_no_loops(pairwise_sq_distances)
    passed(what)
