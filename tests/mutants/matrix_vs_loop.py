"""Typical wrong answers to lesson 1 (01_matrix_vs_loop)."""
import functools
import itertools
import textwrap
import zlib

import numpy as np

from tests.mutants import Mutant
from tests.notebooks import run_source

NOTEBOOK = "01_matrix_vs_loop/matrix_vs_loop.ipynb"


# window_matrix(sentence, E, w) -> (T, (2w+1)·D)

def window_matrix_without_padding(sentence, E, w):
    T = len(sentence) - 2 * w
    return E[sentence[np.arange(T)[:, None] + np.arange(2 * w + 1)]].reshape(T, -1)


def window_matrix_interleaved(sentence, E, w):
    positions = np.arange(len(sentence))[:, None] + np.arange(2 * w + 1)
    return E[np.pad(sentence, w)[positions]].transpose(0, 2, 1).reshape(len(sentence), -1)


def window_matrix_not_centred(sentence, E, w):
    positions = np.arange(len(sentence))[:, None] + np.arange(2 * w + 1)
    return E[np.pad(sentence, (0, 2 * w))[positions]].reshape(len(sentence), -1)


def window_matrix_wraps_around(sentence, E, w):
    positions = np.arange(len(sentence))[:, None] + np.arange(-w, w + 1)
    return E[sentence[positions % len(sentence)]].reshape(len(sentence), -1)


def window_matrix_zero_vector_padding(sentence, E, w):
    padded = np.pad(E[sentence], ((w, w), (0, 0)))                      # zero vectors beyond the ends
    positions = np.arange(len(sentence))[:, None] + np.arange(2 * w + 1)
    return padded[positions].reshape(len(sentence), -1)


def window_matrix_with_loop(sentence, E, w):
    padded = np.pad(sentence, w)
    return np.stack([E[padded[t:t + 2 * w + 1]].ravel() for t in range(len(sentence))])


# score_windows(X, W, b, u) -> (N,)

def score_windows_without_bias(X, W, b, u):
    return np.tanh(X @ W) @ u


def score_windows_without_tanh(X, W, b, u):
    return (X @ W + b) @ u


def score_windows_bias_after_tanh(X, W, b, u):
    return (np.tanh(X @ W) + b) @ u


def score_windows_tanh_on_the_score_too(X, W, b, u):
    return np.tanh(np.tanh(X @ W + b) @ u)


def score_windows_tanh_on_the_score_only(X, W, b, u):
    return np.tanh((X @ W + b) @ u)


def score_windows_column(X, W, b, u):
    return np.tanh(X @ W + b) @ u[:, None]


def score_windows_row_loop(X, W, b, u):
    return np.array([np.tanh(x @ W + b) @ u for x in X])


# cosine_similarity_matrix(A) -> (N, N)

def cosine_dot_products(A):
    return A @ A.T


def cosine_column_norms(A):
    unit = A / np.maximum(np.linalg.norm(A, axis=0, keepdims=True), 1e-12)
    return unit @ unit.T


def cosine_one_side(A):
    return (A / np.maximum(np.linalg.norm(A, axis=1, keepdims=True), 1e-12)) @ A.T


def cosine_nan_for_zero_vector(A):
    unit = A / np.linalg.norm(A, axis=1, keepdims=True)
    return unit @ unit.T


def cosine_double_loop(A):
    unit = A / np.maximum(np.linalg.norm(A, axis=1, keepdims=True), 1e-12)
    out = np.empty((len(A), len(A)))
    for i in range(len(A)):
        out[i] = unit @ unit[i]
    return out


# softmax_rows(Z) -> (N, C)

def softmax_unstable(Z):
    return np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)


def softmax_global_max(Z):
    exps = np.exp(Z - Z.max())
    return exps / exps.sum(axis=1, keepdims=True)


def softmax_over_columns(Z):
    exps = np.exp(Z - Z.max(axis=0, keepdims=True))
    return exps / exps.sum(axis=0, keepdims=True)


def softmax_sum_without_keepdims(Z):
    exps = np.exp(Z - Z.max(axis=1, keepdims=True))
    return exps / exps.sum(axis=1)


def softmax_not_normalised(Z):
    return np.exp(Z - Z.max(axis=1, keepdims=True))


def softmax_whole_matrix_sum(Z):
    exps = np.exp(Z - Z.max(axis=1, keepdims=True))
    return exps / exps.sum()


def softmax_max_without_keepdims(Z):
    exps = np.exp(Z - Z.max(axis=1))
    return exps / exps.sum(axis=1, keepdims=True)


def softmax_in_place(Z):
    Z -= Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    return Z / Z.sum(axis=1, keepdims=True)


def softmax_row_loop(Z):
    out = np.empty_like(Z)
    for i, row in enumerate(Z):
        exps = np.exp(row - row.max())
        out[i] = exps / exps.sum()
    return out


# log_softmax_rows(Z) -> (N, C)

def log_softmax_of_softmax(Z):
    exps = np.exp(Z - Z.max(axis=1, keepdims=True))
    return np.log(exps / exps.sum(axis=1, keepdims=True))


def log_softmax_unstable(Z):
    return Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))


def log_softmax_max_only_inside(Z):
    return Z - np.log(np.exp(Z - Z.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True))


def log_softmax_sum_without_keepdims(Z):
    shifted = Z - Z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1))


def log_softmax_without_log_sum(Z):
    return Z - Z.max(axis=1, keepdims=True)


def log_softmax_row_loop(Z):
    out = np.empty_like(Z)
    for i, row in enumerate(Z):
        shifted = row - row.max()
        out[i] = shifted - np.log(np.exp(shifted).sum())
    return out


# pairwise_sq_distances_two_loops(A, B) -> (N, M)

def two_loops_square_of_sum(A, B):
    out = np.zeros((len(A), len(B)))
    for i in range(len(A)):
        for j in range(len(B)):
            out[i, j] = np.sum(A[i] - B[j]) ** 2
    return out


def two_loops_distances(A, B):
    out = np.zeros((len(A), len(B)))
    for i in range(len(A)):
        for j in range(len(B)):
            out[i, j] = np.sqrt(np.sum((A[i] - B[j]) ** 2))
    return out


def two_loops_absolute_differences(A, B):
    out = np.zeros((len(A), len(B)))
    for i in range(len(A)):
        for j in range(len(B)):
            out[i, j] = np.sum(np.abs(A[i] - B[j]))
    return out


def two_loops_transposed(A, B):
    out = np.zeros((len(B), len(A)))
    for j in range(len(B)):
        for i in range(len(A)):
            out[j, i] = np.sum((A[i] - B[j]) ** 2)
    return out


def two_loops_without_loops(A, B):
    return ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=2)


# pairwise_sq_distances_one_loop(A, B) -> (N, M)

def one_loop_square_of_sum(A, B):
    out = np.zeros((len(A), len(B)))
    for i in range(len(A)):
        out[i] = (A[i] - B).sum(axis=1) ** 2
    return out


def one_loop_distances(A, B):
    out = np.zeros((len(A), len(B)))
    for i in range(len(A)):
        out[i] = np.sqrt(((A[i] - B) ** 2).sum(axis=1))
    return out


def one_loop_over_B_transposed(A, B):
    out = np.zeros((len(B), len(A)))
    for j in range(len(B)):
        out[j] = ((A - B[j]) ** 2).sum(axis=1)
    return out


def one_loop_with_two_loops(A, B):
    out = np.zeros((len(A), len(B)))
    for i in range(len(A)):
        for j in range(len(B)):
            out[i, j] = np.sum((A[i] - B[j]) ** 2)
    return out


def one_loop_without_loops(A, B):
    return ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=2)


# pairwise_sq_distances_broadcast(A, B) -> (N, M)

def broadcast_summed_over_B(A, B):
    return ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=1)


def broadcast_axes_swapped(A, B):
    return ((A[None, :, :] - B[:, None, :]) ** 2).sum(axis=2)


def broadcast_not_summed(A, B):
    return (A[:, None, :] - B[None, :, :]) ** 2


def broadcast_distances(A, B):
    return np.sqrt(((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=2))


def broadcast_with_comprehension(A, B):
    return np.array([((a - B) ** 2).sum(axis=1) for a in A])


# pairwise_sq_distances(A, B) -> (N, M)

def sq_distances_without_factor_two(A, B):
    return (A ** 2).sum(1)[:, None] + (B ** 2).sum(1)[None, :] - A @ B.T


def sq_distances_plus_cross_term(A, B):
    return (A ** 2).sum(1)[:, None] + (B ** 2).sum(1)[None, :] + 2 * A @ B.T


def sq_distances_square_rooted(A, B):
    return np.sqrt(((A[:, None, :] - B[None, :, :]) ** 2).sum(-1))


def sq_distances_transposed(A, B):
    return ((B[:, None, :] - A[None, :, :]) ** 2).sum(-1)


def sq_distances_with_map(A, B):
    return np.array(list(map(lambda a: ((a - B) ** 2).sum(1), A)))


MUTANTS = {
    "window_matrix": [
        Mutant(window_matrix_without_padding, says="Pad the sentence"),
        Mutant(window_matrix_interleaved, says="interleaved"),
        Mutant(window_matrix_not_centred, says="instead of being centred"),
        Mutant(window_matrix_wraps_around, says="wrap around"),
        Mutant(window_matrix_zero_vector_padding, says="You padded with zero vectors"),
        Mutant(window_matrix_with_loop, says="uses a list comprehension"),
    ],
    "score_windows": [
        Mutant(score_windows_without_bias, says="bias b is missing"),
        Mutant(score_windows_without_tanh, says="tanh is missing"),
        Mutant(score_windows_bias_after_tanh, says="added after the tanh"),
        Mutant(score_windows_tanh_on_the_score_too, says="tanh is applied to the score as well"),
        Mutant(score_windows_tanh_on_the_score_only, says="tanh is applied to the score instead"),
        Mutant(score_windows_column, says="not a column (N, 1)"),
        Mutant(score_windows_row_loop, says="uses a list comprehension"),
    ],
    "cosine_similarity_matrix": [
        Mutant(cosine_dot_products, says="plain dot products"),
        Mutant(cosine_column_norms, says="normalised each column"),
        Mutant(cosine_one_side, says="Only one side is normalised"),
        Mutant(cosine_nan_for_zero_vector, says="zero vector"),
        Mutant(cosine_double_loop, says="uses a `for` loop"),
    ],
    "softmax_rows": [
        Mutant(softmax_unstable, says="overflows"),
        Mutant(softmax_global_max, says="each row's own maximum"),
        Mutant(softmax_over_columns, says="columns sum to 1"),
        Mutant(softmax_sum_without_keepdims, says="keepdims=True"),
        Mutant(softmax_not_normalised, says="rows do not sum to 1"),
        Mutant(softmax_whole_matrix_sum, says="rows do not sum to 1: you divided by the sum of the whole matrix"),
        Mutant(softmax_max_without_keepdims, says="maximum was subtracted without keepdims"),
        Mutant(softmax_in_place, says="changed its input `Z` in place"),
        Mutant(softmax_row_loop, says="uses a `for` loop"),
    ],
    "log_softmax_rows": [
        Mutant(log_softmax_of_softmax, says="log(0) = -inf"),
        Mutant(log_softmax_unstable, says="exp(1000) overflows"),
        Mutant(log_softmax_max_only_inside, says="subtracted inside the exponential but not outside"),
        Mutant(log_softmax_sum_without_keepdims, says="Row i got row j's log-sum"),
        Mutant(log_softmax_without_log_sum, says="Exponentials of a row must sum to 1"),
        Mutant(log_softmax_row_loop, says="uses a `for` loop"),
    ],
    "pairwise_sq_distances_two_loops": [
        Mutant(two_loops_square_of_sum, says="square first, then sum"),
        Mutant(two_loops_distances, says="drop the square root"),
        Mutant(two_loops_absolute_differences, says="absolute differences"),
        Mutant(two_loops_transposed, says="transposed"),
        Mutant(two_loops_without_loops, says="fewer than two loops"),
    ],
    "pairwise_sq_distances_one_loop": [
        Mutant(one_loop_square_of_sum, says="square first, then sum"),
        Mutant(one_loop_distances, says="drop the square root"),
        Mutant(one_loop_over_B_transposed, says="transposed"),
        Mutant(one_loop_with_two_loops, says="has 2 loops; this version asks for exactly one"),
        Mutant(one_loop_without_loops, says="has 0 loops; this version asks for exactly one"),
    ],
    "pairwise_sq_distances_broadcast": [
        Mutant(broadcast_summed_over_B, says="summed over the wrong axis"),
        Mutant(broadcast_axes_swapped, says="new axis in the middle"),
        Mutant(broadcast_not_summed, says="the squared differences themselves"),
        Mutant(broadcast_distances, says="drop the square root"),
        Mutant(broadcast_with_comprehension, says="uses a list comprehension"),
    ],
    "pairwise_sq_distances": [
        Mutant(sq_distances_without_factor_two, says="needs a factor 2"),
        Mutant(sq_distances_plus_cross_term, says="wrong sign"),
        Mutant(sq_distances_square_rooted, says="drop the square root"),
        Mutant(sq_distances_transposed, says="transposed"),
        Mutant(sq_distances_with_map, says="`map`"),
    ],
}


# Loops the loop rule must see though they hide: in a helper the exercise calls, in recursion, in `map`,
# `functools.reduce` and `itertools`. Defined as a notebook cell defines them, so the rule can follow helpers.

def _cell(source: str) -> dict:
    """The functions of `source`, run as a notebook cell runs (its code readable through linecache)."""
    namespace = {"np": np, "functools": functools, "itertools": itertools}
    run_source(textwrap.dedent(source), namespace, f"<mutant cell {zlib.crc32(source.encode())}>")
    return namespace


_DISGUISED = _cell('''
def windows_of(padded, T, w):
    return np.array([padded[t:t + 2 * w + 1] for t in range(T)])

def window_matrix_loop_in_a_helper(sentence, E, w):
    return E[windows_of(np.pad(sentence, w), len(sentence), w)].reshape(len(sentence), -1)

def score_windows_recursive(X, W, b, u):
    if len(X) == 0:
        return np.zeros(0)
    return np.concatenate([[np.tanh(X[0] @ W + b) @ u], score_windows_recursive(X[1:], W, b, u)])

def cosine_with_map(A):
    unit = A / np.maximum(np.sqrt((A ** 2).sum(axis=1, keepdims=True)), 1e-12)
    return np.array(list(map(lambda row: unit @ row, unit)))

def softmax_max_by_reduce(Z):
    exps = np.exp(Z - functools.reduce(np.maximum, Z.T)[:, None])
    return exps / exps.sum(axis=1, keepdims=True)

def log_softmax_with_starmap(Z):
    rows = itertools.starmap(lambda row, top: row - top - np.log(np.exp(row - top).sum()), zip(Z, Z.max(axis=1)))
    return np.array(list(rows))

def row_of_distances(a, B):
    return np.array([np.sum((a - b) ** 2) for b in B])

def one_loop_inner_loop_in_a_helper(A, B):
    out = np.zeros((len(A), len(B)))
    for i in range(len(A)):
        out[i] = row_of_distances(A[i], B)
    return out

def sq_distances_row_by_recursion(A, B):
    if len(A) == 1:
        return np.maximum((A ** 2).sum(1)[:, None] + (B ** 2).sum(1)[None, :] - 2 * A @ B.T, 0.0)
    return np.concatenate([sq_distances_row_by_recursion(A[:1], B), sq_distances_row_by_recursion(A[1:], B)])
''')


# Classes of mistake only the hidden tests are meant to catch: degenerate shapes, extreme values, integer inputs.

def window_matrix_squeezed(sentence, E, w):
    positions = np.arange(len(sentence))[:, None] + np.arange(2 * w + 1)
    return E[np.pad(sentence, w)[positions]].reshape(len(sentence), -1).squeeze()    # one word: a 1-D row


def score_windows_squeezed(X, W, b, u):
    return (np.tanh(X @ W + b) @ u[:, None]).squeeze()                             # one window: a 0-d array


def score_windows_tanh_from_exp(X, W, b, u):
    e = np.exp(2 * (X @ W + b))
    return ((e - 1) / (e + 1)) @ u                                                 # inf / inf above z ≈ 355


def cosine_squeezed(A):
    unit = A / np.maximum(np.linalg.norm(A, axis=1, keepdims=True), 1e-12)
    return np.squeeze(unit @ unit.T)


def cosine_in_the_inputs_dtype(A):
    unit = np.zeros_like(A)                                                        # integer A: integer unit rows
    unit[:] = A / np.maximum(np.linalg.norm(A, axis=1, keepdims=True), 1e-12)
    return unit @ unit.T


def softmax_shifted_by_the_mean(Z):
    exps = np.exp(Z - Z.mean(axis=1, keepdims=True))                               # a spread of 1400 overflows
    return exps / exps.sum(axis=1, keepdims=True)


def softmax_shifted_only_when_large(Z):
    shifted = Z - Z.max(axis=1, keepdims=True) if Z.max() > 500 else Z             # rows near −1000 underflow
    return np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)


def softmax_in_the_inputs_dtype(Z):
    out = np.zeros_like(Z)                                                         # integer Z: probabilities → 0
    exps = np.exp(Z - Z.max(axis=1, keepdims=True))
    out[:] = exps / exps.sum(axis=1, keepdims=True)
    return out


def softmax_squeezed(Z):
    exps = np.exp(Z - Z.max(axis=1, keepdims=True))
    return np.squeeze(exps / exps.sum(axis=1, keepdims=True))


def log_softmax_shifted_by_the_mean(Z):
    shifted = Z - Z.mean(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def log_softmax_shifted_only_when_large(Z):
    shifted = Z - Z.max(axis=1, keepdims=True) if Z.max() > 500 else Z
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def log_softmax_of_softmax_plus_epsilon(Z):
    exps = np.exp(Z - Z.max(axis=1, keepdims=True))
    return np.log(exps / exps.sum(axis=1, keepdims=True) + 1e-12)


def two_loops_squeezed(A, B):
    out = np.zeros((len(A), len(B)))
    for i in range(len(A)):
        for j in range(len(B)):
            out[i, j] = np.sum((A[i] - B[j]) ** 2)
    return out.squeeze()                                                           # one point in B: (N,)


def broadcast_squeezed(A, B):
    return np.squeeze(((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=2))


def sq_distances_not_clipped(A, B):
    return (A ** 2).sum(1)[:, None] + (B ** 2).sum(1)[None, :] - 2 * A @ B.T          # −1e-13 where a = b


def sq_distances_squeezed(A, B):
    return np.maximum(((A ** 2).sum(1)[:, None] + (B ** 2).sum(1)[None, :] - 2 * A @ B.T).squeeze(), 0.0)


MORE = {
    "window_matrix": [Mutant(_DISGUISED["window_matrix_loop_in_a_helper"], says="in `windows_of`, which it calls"),
                      Mutant(window_matrix_squeezed, visible=False)],
    "score_windows": [Mutant(_DISGUISED["score_windows_recursive"], says="recursion"),
                      Mutant(score_windows_squeezed, visible=False),
                      Mutant(score_windows_tanh_from_exp, visible=False)],
    "cosine_similarity_matrix": [Mutant(_DISGUISED["cosine_with_map"], says="`map`"),
                                 Mutant(cosine_squeezed, visible=False),
                                 Mutant(cosine_in_the_inputs_dtype, visible=False)],
    "softmax_rows": [Mutant(_DISGUISED["softmax_max_by_reduce"], says="`reduce`"),
                     Mutant(softmax_shifted_by_the_mean, visible=False),
                     Mutant(softmax_shifted_only_when_large, visible=False),
                     Mutant(softmax_in_the_inputs_dtype, visible=False),
                     Mutant(softmax_squeezed, says="extra or missing axis of length 1")],
    "log_softmax_rows": [Mutant(_DISGUISED["log_softmax_with_starmap"], says="itertools.starmap"),
                         Mutant(log_softmax_of_softmax_plus_epsilon, says="Adding a small ε before the log"),
                         Mutant(log_softmax_shifted_only_when_large, says="log(0) = -inf"),
                         Mutant(log_softmax_shifted_by_the_mean, visible=False)],
    "pairwise_sq_distances_two_loops": [Mutant(two_loops_squeezed, visible=False)],
    "pairwise_sq_distances_one_loop": [Mutant(_DISGUISED["one_loop_inner_loop_in_a_helper"],
                                              says="has 2 loops; this version asks for exactly one")],
    "pairwise_sq_distances_broadcast": [Mutant(broadcast_squeezed, visible=False)],
    "pairwise_sq_distances": [Mutant(sq_distances_not_clipped, says="A squared distance is never negative"),
                              Mutant(_DISGUISED["sq_distances_row_by_recursion"], says="recursion"),
                              Mutant(sq_distances_squeezed, visible=False)],
}
for exercise, extra in MORE.items():
    MUTANTS[exercise] += extra
