"""Visible checks for lesson 1, "Why matrices beat loops".

Each `check_*` runs the student's function on the lesson's stored cases (helpers.checks.visible) and
compares with `ANSWERS`, the same comparison the grader makes outside the kernel. Nothing here
computes a right answer.
"""
from __future__ import annotations

from numpy import ndarray as _ndarray

from helpers.checks.answers import Array
from helpers.checks.core import CheckFailed
from helpers.checks.visible import checker

MODULE = "matrix_vs_loop"


class SquaredDistances(Array):
    """An (N, M) array of squared distances: close to the right one, and never negative."""

    def check(self, got, want, what, mistakes=()):
        super().check(got, want, what, mistakes)
        negative = int((got < 0).sum()) if type(got) is _ndarray else 0
        if negative:
            raise CheckFailed(what, f"has {negative} negative entries (the smallest is {float(got.min()):.2g}).",
                              "A squared distance is never negative. |a|² + |b|² − 2 a·b is a difference of "
                              "rounded numbers: where a = b it can come out just below 0. Clip it: "
                              "np.maximum(result, 0).")


SOFTMAX_NOT_FINITE = ("exp of a large score overflows (e^1000 ≈ 10^434; the largest float64 is about 1.8e308), "
                      "and a row whose scores all lie far below the number you subtracted underflows to 0/0. "
                      "Subtract each row's own maximum before exp, Z.max(axis=1, keepdims=True), not one maximum "
                      "for the whole matrix and not the mean: softmax(z − c) = softmax(z) for any c.")
LOG_SOFTMAX_NOT_FINITE = ("np.log of a probability that underflowed to 0 gives log(0) = -inf: a score 800 below "
                          "its row's maximum has probability e^−800, below the smallest float64. Do not take the "
                          "log of a softmax; take the log of the formula, (z_i − m) − log Σ_j exp(z_j − m), which "
                          "is finite for finite scores. And exp(1000) overflows to inf: subtract each row's own "
                          "maximum m before exp.")

ANSWERS = {
    "window_matrix": Array(),
    "score_windows": Array(),
    "cosine_similarity_matrix": Array(finite_hint="A zero vector (a row of zeros) has length 0, and dividing by "
                                                  "0 gives NaN. Guard the division, e.g. divide by "
                                                  "np.maximum(norm, 1e-12), so a zero row gets similarity 0."),
    "softmax_rows": Array(finite_hint=SOFTMAX_NOT_FINITE),
    "log_softmax_rows": Array(finite_hint=LOG_SOFTMAX_NOT_FINITE),
    "pairwise_sq_distances_two_loops": SquaredDistances(),
    "pairwise_sq_distances_one_loop": SquaredDistances(),
    "pairwise_sq_distances_broadcast": SquaredDistances(),
    "pairwise_sq_distances": SquaredDistances(),
}


check_window_matrix = checker(MODULE, "window_matrix")
check_score_windows = checker(MODULE, "score_windows")
check_cosine_similarity_matrix = checker(MODULE, "cosine_similarity_matrix")
check_softmax_rows = checker(MODULE, "softmax_rows")
check_log_softmax_rows = checker(MODULE, "log_softmax_rows")
check_pairwise_sq_distances_two_loops = checker(MODULE, "pairwise_sq_distances_two_loops")
check_pairwise_sq_distances_one_loop = checker(MODULE, "pairwise_sq_distances_one_loop")
check_pairwise_sq_distances_broadcast = checker(MODULE, "pairwise_sq_distances_broadcast")
check_pairwise_sq_distances = checker(MODULE, "pairwise_sq_distances")
