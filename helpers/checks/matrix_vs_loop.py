"""Visible checks for lesson 1, "Why matrices beat loops".

Each `check_*` runs the student's function on small seeded inputs, compares it with a plain
loop-based reference written here, and names the mistake when the answer is wrong.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from helpers.checks.core import CheckFailed, call_student, expect_array, expect_close, expect_finite, passed
from helpers.checks.loops import expect_no_loops, find_loops


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
        zero_pad = E.copy()
        zero_pad[0] = 0.0
        expect_close(out, want, what, mistakes=[
            ("You padded with zero vectors. The padding word is word 0 of the vocabulary: pad the sentence's "
             "indices with 0 and look the vectors up in E, so that E[0] stands beyond the ends. In the lesson's "
             "toy vocabulary E[0] happens to be zero; here, as for any learned padding vector, it is not.",
             _windows(sentence, zero_pad, w)),
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
        ("The tanh is applied to the score as well. Only the hidden layer has one, h = tanh(X W + b); the "
         "score s = h u is a plain weighted sum.", np.tanh(np.tanh(X @ W + b) @ u)),
        ("The tanh is applied to the score instead of the hidden layer: first h = tanh(X W + b), then the "
         "score s = h u, with no tanh.", np.tanh((X @ W + b) @ u)),
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
    row_max = np.exp(Z - Z.max(axis=1))            # (N,) broadcast as a row: entry (i, j) loses row j's maximum
    expect_close(out, e / e.sum(axis=1, keepdims=True), what, mistakes=[
        ("Your rows do not sum to 1: these are the exponentials, not yet divided by each row's sum.", e),
        ("Your rows do not sum to 1: these are the exponentials, not yet divided by each row's sum.", np.exp(Z)),
        ("Your rows do not sum to 1: you divided by the sum of the whole matrix. Divide each row by its own "
         "sum: axis=1, keepdims=True.", e / e.sum()),
        ("The maximum was subtracted without keepdims: Z.max(axis=1) has shape (N,), which broadcasts as a "
         "row, so entry (i, j) lost row j's maximum instead of row i's. Keep it a column (N, 1) with "
         "keepdims=True.", row_max / row_max.sum(axis=1, keepdims=True)),
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


def check_log_softmax_rows(log_softmax_rows: Callable) -> None:
    what = "`log_softmax_rows(Z)`"
    Z = np.random.default_rng(5).normal(scale=3.0, size=(4, 4))
    out = call_student(log_softmax_rows, Z)
    m = Z.max(axis=1, keepdims=True)
    e = np.exp(Z - m)
    log_sum = np.log(e.sum(axis=1, keepdims=True))                       # (N, 1)
    want = Z - m - log_sum
    row_m = Z - Z.max(axis=1)                                           # the maximum broadcast as a row
    expect_close(out, want, what, mistakes=[
        ("These are the probabilities themselves: take their logarithm, log softmax(z)_i = (z_i − m) − "
         "log Σ_j exp(z_j − m).", np.exp(want)),
        ("The row maximum m is subtracted inside the exponential but not outside it: "
         "log softmax(z)_i = (z_i − m) − log Σ_j exp(z_j − m).", Z - log_sum),
        ("Exponentials of a row must sum to 1, and yours do not: after subtracting the maximum, subtract "
         "log Σ_j exp(z_j − m) too.", Z - m),
        ("The logarithm of the sum is missing: subtract log Σ_j exp(z_j − m), not the sum itself.",
         Z - m - e.sum(axis=1, keepdims=True)),
        ("Your columns, not your rows, are log-probabilities: each row is one example, so reduce over axis=1.",
         Z - Z.max(axis=0) - np.log(np.exp(Z - Z.max(axis=0)).sum(axis=0))),
        ("Row i got row j's log-sum: the sum over axis=1 has shape (N,), which broadcasts as a row. Keep it "
         "a column (N, 1) with keepdims=True.", Z - m - log_sum.ravel()),
        ("The maximum was subtracted without keepdims: Z.max(axis=1) has shape (N,), which broadcasts as a "
         "row, so entry (i, j) lost row j's maximum. Keep it a column (N, 1) with keepdims=True.",
         row_m - np.log(np.exp(row_m).sum(axis=1, keepdims=True))),
    ])
    for Z, hint in [
        (np.array([[0.0, -800.0, 5.0]]),
         "A probability underflowed: exp(−800) is 0 in float64, and log(0) = -inf. Do not take the log of a "
         "softmax; take the log of the formula: (z_i − m) − log Σ_j exp(z_j − m) is finite for finite scores."),
        (np.array([[1000.0, 1001.0, 1002.0]]),
         "exp(1000) overflows to inf. Subtract each row's maximum m before exp: log Σ_j exp(z_j) = "
         "m + log Σ_j exp(z_j − m)."),
    ]:
        out = call_student(log_softmax_rows, Z)
        expect_array(out, Z.shape, what)
        expect_finite(out, what, hint)
        m = Z.max(axis=1, keepdims=True)
        expect_close(out, Z - m - np.log(np.exp(Z - m).sum(axis=1, keepdims=True)), what)
    expect_no_loops(log_softmax_rows)
    passed(what)


def _distance_mistakes(A: np.ndarray, B: np.ndarray, want: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The named wrong answers every version of the pairwise distances can give."""
    diffs = A[:, None, :] - B[None, :, :]                                 # (N, M, D)
    return [
        ("Each entry is the square of the summed differences, (Σ_d (a_d − b_d))². It must be the sum of the "
         "squared differences, Σ_d (a_d − b_d)²: square first, then sum.", diffs.sum(axis=2) ** 2),
        ("These are distances, not squared distances: drop the square root.", np.sqrt(want)),
        ("These are sums of absolute differences |a_d − b_d|; square the differences instead.",
         np.abs(diffs).sum(axis=2)),
    ]


def _distance_case(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A (4, 3), B (6, 3) and their squared distances, computed one pair at a time."""
    rng = np.random.default_rng(seed)
    A, B = rng.normal(size=(4, 3)), rng.normal(size=(6, 3))
    return A, B, np.array([[((a - b) ** 2).sum() for b in B] for a in A])


def check_pairwise_sq_distances_two_loops(pairwise_sq_distances_two_loops: Callable) -> None:
    what = "`pairwise_sq_distances_two_loops(A, B)`"
    A, B, want = _distance_case(6)
    out = call_student(pairwise_sq_distances_two_loops, A, B)
    expect_array(out, want.shape, what)
    expect_close(out, want, what, mistakes=_distance_mistakes(A, B, want))
    if len(find_loops(pairwise_sq_distances_two_loops)) < 2:
        raise CheckFailed(what, "has fewer than two loops.",
                          "This version is the slow baseline the others are timed against in section 6: write "
                          "it with two `for` loops, one over the rows of A and, inside it, one over the rows of B.")
    passed(what)


def check_pairwise_sq_distances_one_loop(pairwise_sq_distances_one_loop: Callable) -> None:
    what = "`pairwise_sq_distances_one_loop(A, B)`"
    A, B, want = _distance_case(7)
    out = call_student(pairwise_sq_distances_one_loop, A, B)
    expect_array(out, want.shape, what)
    expect_close(out, want, what, mistakes=_distance_mistakes(A, B, want))
    loops = len(find_loops(pairwise_sq_distances_one_loop))
    if loops != 1:
        raise CheckFailed(what, f"has {loops} loops; this version asks for exactly one.",
                          "Loop over the rows of A only. For one row a, `a - B` broadcasts to the (M, D) "
                          "differences with every row of B: squared and summed along axis 1 they are a whole "
                          "row of the result.")
    passed(what)


def check_pairwise_sq_distances_broadcast(pairwise_sq_distances_broadcast: Callable) -> None:
    what = "`pairwise_sq_distances_broadcast(A, B)`"
    A, B, want = _distance_case(8)
    (N, D), M = A.shape, len(B)
    out = call_student(pairwise_sq_distances_broadcast, A, B)
    expect_array(out, want.shape, what, shape_hints={
        (N, M, D): "These are the squared differences themselves: sum them over the last axis (the D numbers "
                   "of each pair) to get one number per pair.",
        (N, D): "You summed over the wrong axis: the (N, M, D) differences must be summed over the last axis "
                "(axis=2, the D numbers of each pair), not over the rows of B.",
        (M, D): "You summed over the wrong axis: the (N, M, D) differences must be summed over the last axis "
                "(axis=2, the D numbers of each pair), not over the rows of A.",
        (M, N): "It looks transposed: give A the new axis in the middle, A[:, None, :] of shape (N, 1, D), "
                "so that row i of the result belongs to row i of A.",
    })
    expect_close(out, want, what, mistakes=_distance_mistakes(A, B, want))
    expect_no_loops(pairwise_sq_distances_broadcast)
    passed(what)
