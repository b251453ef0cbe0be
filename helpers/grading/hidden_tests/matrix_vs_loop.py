"""Hidden tests of lesson 1, "Why matrices beat loops" (see helpers.grading.spec).

The references are written plainly, one entry at a time with Python's `math`; the cases cover, for
every exercise, the classes of input wrong answers get wrong: degenerate shapes (one word, one row, one
class, one number per vector, a window wider than the sentence), a padding vector that is not zero,
extreme scores (rows near ±1000, spreads past 1400, log-probabilities below −745), zero vectors,
parallel and duplicate rows, distances that are exactly 0, integer and float32 inputs.
"""
from __future__ import annotations

import math

import numpy as np

from helpers.grading.spec import Case, Exercise, LoopCount, Mistake

# --- window_matrix ---------------------------------------------------------------------------------------


def window_reference(sentence, E, w):
    T, D = len(sentence), E.shape[1]
    X = np.zeros((T, (2 * w + 1) * D))
    for t in range(T):
        for k, position in enumerate(range(t - w, t + w + 1)):
            word = int(sentence[position]) if 0 <= position < T else 0     # the padding word beyond the ends
            for d in range(D):
                X[t, k * D + d] = E[word, d]
    return X


def window_cases(rng):
    def draw(T, V, D, w, dtype=np.int64):
        return rng.integers(1, V, size=T).astype(dtype), rng.normal(size=(V, D)), w

    for T, V, D, w in [(5, 12, 4, 1), (9, 30, 7, 3), (40, 100, 16, 2)]:
        yield Case(f"T={T}, D={D}, w={w}", draw(T, V, D, w))
    yield Case("one word (T=1), w=2", draw(1, 5, 4, 2))
    yield Case("a sentence shorter than a window (T=2, w=3)", draw(2, 6, 3, 3))
    yield Case("w=0: each window is its word alone", draw(6, 10, 3, 0))
    yield Case("one word, w=0", draw(1, 5, 2, 0))
    yield Case("one number per word vector (D=1)", draw(7, 9, 1, 2))
    yield Case("a wide window (w=4)", draw(12, 20, 2, 4))
    yield Case("repeated words", (np.array([3, 3, 5, 3, 5, 5]), rng.normal(size=(8, 3)), 1))
    yield Case("a sentence of dtype int32", draw(8, 15, 3, 2, np.int32))
    sentence, E, w = draw(6, 10, 3, 1)
    yield Case("float32 word vectors", (sentence, E.astype(np.float32), w))


def window_visible(rng):
    for sentence, w in [([4, 7, 1, 9, 2, 5], 1), ([3, 8, 6, 2, 9], 2), ([5, 1, 8, 8, 2, 7, 3], 3)]:
        yield Case(f"T={len(sentence)}, w={w}, a padding vector E[0] that is not zero",
                   (np.array(sentence), rng.normal(size=(10, 3)), w))


def _padded_windows(sentence, E, w, *, left=None):
    """Windows of the sentence padded with `left` padding words before it and 2w − left after: (T, 2w+1, D)."""
    left = w if left is None else left
    padded = np.concatenate([np.zeros(left, dtype=int), sentence, np.zeros(2 * w - left, dtype=int)])
    return E[padded[np.arange(len(sentence))[:, None] + np.arange(2 * w + 1)]]


def _zero_padded(sentence, E, w):
    E = np.array(E, dtype=float)
    E[0] = 0.0
    return _padded_windows(sentence, E, w).reshape(len(sentence), -1)


def _without_padding(sentence, E, w):
    T = len(sentence) - 2 * w
    return E[sentence[np.arange(T)[:, None] + np.arange(2 * w + 1)]].reshape(T, -1)


def _wrapped(sentence, E, w):
    T = len(sentence)
    return E[sentence[(np.arange(T)[:, None] + np.arange(-w, w + 1)) % T]].reshape(T, -1)


def _without_centre(sentence, E, w):
    return _padded_windows(sentence, E, w)[:, [k for k in range(2 * w + 1) if k != w]].reshape(len(sentence), -1)


# --- score_windows ----------------------------------------------------------------------------------------

def score_reference(X, W, b, u):
    (N, K), H = X.shape, W.shape[1]
    s = np.zeros(N)
    for n in range(N):
        for h in range(H):
            z = float(b[h]) + sum(float(X[n, k]) * float(W[k, h]) for k in range(K))
            s[n] += float(u[h]) * math.tanh(z)
    return s


def score_cases(rng):
    def draw(N, K, H, scale=1.0):
        return (rng.normal(size=(N, K)), rng.normal(scale=scale, size=(K, H)), rng.normal(size=H),
                rng.normal(size=H))

    for N, K, H in [(1, 3, 1), (1, 5, 9), (50, 40, 12), (100, 25, 30)]:
        yield Case(f"N={N}, K={K}, H={H}", draw(N, K, H))
    yield Case("one hidden unit (H=1)", draw(6, 4, 1))
    yield Case("one input per window (K=1)", draw(6, 1, 4))
    yield Case("pre-activations up to ±1000 (tanh saturates)", draw(8, 5, 3, scale=300.0))
    X, W, b, u = draw(5, 4, 3)
    yield Case("integer windows", (rng.integers(-3, 4, size=(5, 4)), W, b, u))
    yield Case("a bias of zeros", (X, W, np.zeros(3), u))


def score_visible(rng):
    N, K, H = 7, 6, 4
    yield Case(f"N={N}, K={K}, H={H}", (rng.normal(size=(N, K)), rng.normal(size=(K, H)), rng.normal(size=H),
                                        rng.normal(size=H)))


# --- cosine_similarity_matrix ----------------------------------------------------------------------------

def cosine_reference(A):
    N = len(A)
    norms = [math.sqrt(sum(float(v) ** 2 for v in row)) for row in A]
    S = np.zeros((N, N))
    for i in range(N):
        for j in range(N):
            if norms[i] > 0 and norms[j] > 0:                    # a zero row has no direction: similarity 0
                S[i, j] = sum(float(a) * float(b) for a, b in zip(A[i], A[j])) / (norms[i] * norms[j])
    return S


def cosine_cases(rng):
    def rows(N, D):
        return rng.normal(size=(N, D)) * rng.uniform(0.1, 10, size=(N, 1))

    for N, D in [(1, 1), (2, 6), (30, 4), (40, 50)]:
        yield Case(f"N={N}, D={D}", (rows(N, D),))
    A = rows(6, 4)
    A[[1, 4]] = 0.0
    yield Case("two zero rows", (A,))
    yield Case("every row zero", (np.zeros((3, 4)),))
    yield Case("one row, the zero vector", (np.zeros((1, 3)),))
    A = rows(5, 1)
    A[2] = 0.0
    yield Case("one number per row (D=1), one of them zero", (A,))
    yield Case("rows of lengths from 1e-3 to 1e3", (rng.normal(size=(5, 3)) * 10.0 ** np.arange(-3, 2)[:, None],))
    a, b = rng.normal(size=4), rng.normal(size=4)
    yield Case("parallel and opposite rows (cosines exactly ±1)", (np.stack([a, 3 * a, -2 * a, b, b]),))
    yield Case("integer vectors", (rng.integers(-3, 4, size=(6, 3)),))


def cosine_visible(rng):
    A = rng.normal(size=(5, 3)) * np.array([[1.0], [3.0], [0.5], [2.0], [1.0]])
    A[3] = 0.0
    yield Case("5 rows of different lengths, row 3 a zero vector", (A,))


def _unit_rows(A):
    norms = np.sqrt((np.asarray(A, dtype=float) ** 2).sum(axis=1, keepdims=True))
    return A / np.where(norms > 0, norms, 1.0)


# --- softmax_rows and log_softmax_rows ---------------------------------------------------------------------

def softmax_reference(Z):
    P = np.zeros(np.shape(Z))
    for n, row in enumerate(np.asarray(Z, dtype=float)):
        top = max(row)
        weights = [math.exp(v - top) for v in row]
        P[n] = [weight / sum(weights) for weight in weights]
    return P


def log_softmax_reference(Z):
    out = np.zeros(np.shape(Z))
    for n, row in enumerate(np.asarray(Z, dtype=float)):
        top = max(row)
        log_sum = math.log(sum(math.exp(v - top) for v in row))
        out[n] = [v - top - log_sum for v in row]
    return out


def score_rows_cases(rng, *, log: bool = False):
    """Scores for softmax_rows and log_softmax_rows, by class."""
    def scores(N, C, scale=1.0, shift=0.0):
        return rng.normal(scale=scale, size=(N, C)) + shift

    yield Case("one score (N=1, C=1)", (scores(1, 1),))
    yield Case("one example (N=1)", (scores(1, 5, 3.0),))
    yield Case("one class (C=1)", (scores(4, 1, 3.0),))
    yield Case("7 examples, 7 classes", (scores(7, 7, 5.0),))
    yield Case("300 classes", (scores(20, 300, 50.0),))
    yield Case("two classes, scores spread over ±800", (scores(3, 2, 800.0),))
    yield Case("scores near +1000", (scores(4, 5, 3.0, 1000.0),))
    yield Case("every score very negative (near −1000)", (scores(4, 5, 3.0, -1000.0),))
    yield Case("rows far apart (one near 0, one near −1000, one near +1000)",
               (np.array([[1.0, 2.0, 0.5], [-1000.0, -1001.0, -999.0], [1000.0, 998.0, 1001.0]]),))
    yield Case("a row whose spread exceeds 1400", (np.array([[1450.0, 0.0, 0.0], [0.0, -1500.0, 2.0]]),))
    yield Case("a spread of 400 in every row", (scores(6, 4, 400.0),))
    yield Case("ties: every score of a row equal", (np.array([[2.0, 2.0, 2.0], [-7.0, -7.0, -7.0]]),))
    yield Case("integer scores", (rng.integers(-5, 6, size=(3, 4)),))
    yield Case("integer scores near 1000", (np.array([[1000, 1001, 1002], [-1000, -998, -999]]),))
    if log:     # (float32 log-probabilities near 0 carry an absolute error of float32's ε times the scores)
        yield Case("log-probabilities below −745", (np.array([[0.0, -800.0, 5.0], [3.0, 2.0, -1000.0]]),))
    else:
        yield Case("float32 scores", (scores(3, 4, 3.0).astype(np.float32),))


def softmax_visible(rng):
    yield Case("4 examples, 4 classes", (rng.normal(scale=3.0, size=(4, 4)),))
    yield Case("scores near 1000", (np.array([[1000.0, 1001.0, 1002.0]]),))
    yield Case("rows far apart (one near 1000, one near −1000)",
               (np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -999.0, -998.0]]),))


def log_softmax_visible(rng):
    yield Case("4 examples, 4 classes", (rng.normal(scale=3.0, size=(4, 4)),))
    yield Case("a score 800 below the row's maximum (log p < −745)", (np.array([[0.0, -800.0, 5.0]]),))
    yield Case("scores near 1000", (np.array([[1000.0, 1001.0, 1002.0]]),))
    yield Case("rows far apart (one near 0, one near −1000)",
               (np.array([[1.0, 2.0, 0.5], [-1000.0, -1001.0, -999.0]]),))


def _exps(Z, shift):
    return np.exp(np.asarray(Z, dtype=float) - shift)


def _row_max(Z):
    return np.max(Z, axis=1, keepdims=True)


def _log_sum(Z):
    return np.log(_exps(Z, _row_max(Z)).sum(axis=1, keepdims=True))


def _softmax(Z):
    e = _exps(Z, _row_max(Z))
    return e / e.sum(axis=1, keepdims=True)


# --- the four pairwise distances -------------------------------------------------------------------------

def distances_reference(A, B):
    N, M = len(A), len(B)
    out = np.zeros((N, M))
    for i in range(N):
        for j in range(M):
            out[i, j] = sum((float(a) - float(b)) ** 2 for a, b in zip(A[i], B[j]))
    return out


def _equal_rows(rng, N, D, scale=10.0):
    """A, and B holding A's rows in another order: N distances exactly 0, which the matrix route's rounding
    can push just below 0."""
    A = rng.normal(scale=scale, size=(N, D))
    return A, A[rng.permutation(N)]


def distance_cases(rng):
    for N, M, D in [(1, 1, 1), (1, 7, 3), (9, 2, 5), (12, 15, 16), (30, 20, 8)]:
        yield Case(f"N={N}, M={M}, D={D}", (rng.normal(size=(N, D)), rng.normal(size=(M, D))))
    yield Case("one number per point (D=1)", (rng.normal(size=(6, 1)), rng.normal(size=(4, 1))))
    yield Case("one point in B (M=1)", (rng.normal(size=(5, 3)), rng.normal(size=(1, 3))))
    yield Case("B's rows are A's (distances exactly 0)", _equal_rows(rng, 40, 16))
    A = rng.normal(size=(6, 4))
    yield Case("some rows of B equal to rows of A", (A, np.concatenate([A[[4, 1]], rng.normal(size=(3, 4))])))
    yield Case("points near (100, ..., 100), one apart", (100 + rng.normal(size=(5, 8)), 100 + rng.normal(size=(4, 8))))
    yield Case("a zero vector among the points", (np.concatenate([np.zeros((1, 3)), rng.normal(size=(3, 3))]),
                                                   rng.normal(size=(2, 3))))


def distance_visible(rng, *, coinciding: bool = False):
    yield Case("A: (4, 3), B: (6, 3)", (rng.normal(size=(4, 3)), rng.normal(size=(6, 3))))
    if coinciding:      # for the matrix route, whose rounding can go below 0 where a = b
        yield Case("B's rows are A's in another order (distances exactly 0)", _equal_rows(rng, 16, 16))


def _differences(A, B):
    return np.asarray(A, dtype=float)[:, None, :] - np.asarray(B, dtype=float)[None, :, :]      # (N, M, D)


def _sq_lengths(A):
    return (np.asarray(A, dtype=float) ** 2).sum(axis=1)


def _distance_mistakes(transposed: str, prefix: str = "") -> tuple[Mistake, ...]:
    """The mistakes every version of the pairwise distances can make; `transposed` explains an (M, N) result."""
    return (
        Mistake(f"{prefix}square_of_sum", "Each entry is the square of the summed differences, (Σ_d (a_d − b_d))². "
                "It must be the sum of the squared differences, Σ_d (a_d − b_d)²: square first, then sum.",
                lambda A, B: _differences(A, B).sum(axis=2) ** 2),
        Mistake(f"{prefix}distances", "These are distances, not squared distances: drop the square root.",
                lambda A, B: np.sqrt(distances_reference(A, B))),
        Mistake(f"{prefix}absolute_differences", "These are sums of absolute differences |a_d − b_d|; square the "
                "differences instead.", lambda A, B: np.abs(_differences(A, B)).sum(axis=2)),
        Mistake(f"{prefix}transposed", transposed, lambda A, B: distances_reference(A, B).T),
    )


_LOOPS_TRANSPOSED = ("It looks transposed: the result has one row per row of A and one column per row of B, "
                     "(N, M); entry (i, j) compares A[i] with B[j].")


def _matrix_route(A, B, *, factor=2.0, sign=-1.0, lengths=(True, True)):
    a, b = _sq_lengths(A)[:, None], _sq_lengths(B)[None, :]
    return (a if lengths[0] else 0.0) + (b if lengths[1] else 0.0) + sign * factor * (np.asarray(A, dtype=float) @
                                                                                     np.asarray(B, dtype=float).T)


# --- the lesson's exercises ------------------------------------------------------------------------------

EXERCISES = [
    Exercise("window_matrix", window_reference, window_cases, window_visible, seed=100, vectorized=True, mistakes=(
        Mistake("window_zero_vector_padding", "You padded with zero vectors. The padding word is word 0 of the "
                "vocabulary: pad the sentence's indices with 0 and look the vectors up in E, so that E[0] stands "
                "beyond the ends. In the lesson's toy vocabulary E[0] happens to be zero; here, as for any learned "
                "padding vector, it is not.", _zero_padded),
        Mistake("window_interleaved", "The word vectors are interleaved: you flattened a (T, D, 2w+1) array. "
                "Flatten (T, 2w+1, D), so each row is word 1's vector, then word 2's, and so on.",
                lambda s, E, w: _padded_windows(s, E, w).transpose(0, 2, 1).reshape(len(s), -1)),
        Mistake("window_not_centred", "Each window starts at word t instead of being centred on it: row t must "
                "hold words t−w … t+w.", lambda s, E, w: _padded_windows(s, E, w, left=0).reshape(len(s), -1)),
        Mistake("window_wraps_around", "At the sentence edges your windows wrap around to the other end (a "
                "negative index counts from the end in NumPy). Pad with index 0 instead.", _wrapped),
        Mistake("window_without_padding", "That is one row per *full* window (T − 2w of them). Pad the sentence "
                "with w padding words (index 0) at each end so every word, even the first, gets a window.",
                _without_padding),
        Mistake("window_not_flattened", "Each window must be one flat row: reshape (T, 2w+1, D) to "
                "(T, (2w+1)·D).", lambda s, E, w: _padded_windows(s, E, w)),
        Mistake("window_without_centre", "A window has 2w + 1 words: w on each side and the centre word itself.",
                _without_centre),
    )),
    Exercise("score_windows", score_reference, score_cases, score_visible, seed=200, vectorized=True, mistakes=(
        Mistake("score_without_bias", "The bias b is missing: z = X W + b.", lambda X, W, b, u: np.tanh(X @ W) @ u),
        Mistake("score_without_tanh", "The tanh is missing: h = tanh(X W + b) before the scores s = h u.",
                lambda X, W, b, u: (X @ W + b) @ u),
        Mistake("score_bias_after_tanh", "The bias is added after the tanh; it belongs inside: tanh(X W + b).",
                lambda X, W, b, u: (np.tanh(X @ W) + b) @ u),
        Mistake("score_tanh_on_the_score_too", "The tanh is applied to the score as well. Only the hidden layer "
                "has one, h = tanh(X W + b); the score s = h u is a plain weighted sum.",
                lambda X, W, b, u: np.tanh(np.tanh(X @ W + b) @ u)),
        Mistake("score_tanh_on_the_score_only", "The tanh is applied to the score instead of the hidden layer: "
                "first h = tanh(X W + b), then the score s = h u, with no tanh.",
                lambda X, W, b, u: np.tanh((X @ W + b) @ u)),
        Mistake("score_column", "One score per window is a vector of shape (N,), not a column (N, 1).",
                lambda X, W, b, u: np.tanh(X @ W + b) @ u[:, None]),
        Mistake("score_sigmoid", "The hidden layer uses tanh, not the sigmoid: h = tanh(X W + b).",
                lambda X, W, b, u: (1 / (1 + np.exp(-(X @ W + b)))) @ u),
    )),
    Exercise("cosine_similarity_matrix", cosine_reference, cosine_cases, cosine_visible, seed=300, vectorized=True,
             mistakes=(
        Mistake("cosine_dot_products", "These are plain dot products: divide by the norms so each vector's "
                "similarity with itself is 1.", lambda A: A @ A.T),
        Mistake("cosine_column_norms", "You normalised each column (axis=0); each row is a word vector, so "
                "normalise rows (axis=1).", lambda A: _unit_rows(A.T).T @ _unit_rows(A.T)),
        Mistake("cosine_one_side_left", "Only one side is normalised, so the result is not symmetric: normalise "
                "both A and Aᵀ.", lambda A: _unit_rows(A) @ A.T),
        Mistake("cosine_one_side_right", "Only one side is normalised, so the result is not symmetric: normalise "
                "both A and Aᵀ.", lambda A: A @ _unit_rows(A).T),
        Mistake("cosine_squared_norms", "You divided by the squared lengths ‖a‖²: a row's length is the square "
                "root of the sum of its squares.",
                lambda A: (A / np.where(_sq_lengths(A) > 0, _sq_lengths(A), 1.0)[:, None]) @
                          (A / np.where(_sq_lengths(A) > 0, _sq_lengths(A), 1.0)[:, None]).T),
        Mistake("cosine_distance", "That is the cosine distance 1 − cos; return the similarity itself.",
                lambda A: 1 - cosine_reference(A)),
        Mistake("cosine_zero_row_self_similar", "A zero row has no direction: its similarity with everything, "
                "itself included, is 0, not 1.", lambda A: cosine_reference(A) + np.diag(_sq_lengths(A) == 0)),
    )),
    Exercise("softmax_rows", softmax_reference, score_rows_cases, softmax_visible, seed=400, vectorized=True,
             mistakes=(
        Mistake("softmax_not_normalised", "Your rows do not sum to 1: these are the exponentials, not yet divided "
                "by each row's sum.", lambda Z: _exps(Z, _row_max(Z))),
        Mistake("softmax_not_normalised_unshifted", "Your rows do not sum to 1: these are the exponentials, not "
                "yet divided by each row's sum.", lambda Z: _exps(Z, 0.0)),
        Mistake("softmax_whole_matrix_sum", "Your rows do not sum to 1: you divided by the sum of the whole "
                "matrix. Divide each row by its own sum: axis=1, keepdims=True.",
                lambda Z: _exps(Z, _row_max(Z)) / _exps(Z, _row_max(Z)).sum()),
        Mistake("softmax_max_without_keepdims", "The maximum was subtracted without keepdims: Z.max(axis=1) has "
                "shape (N,), which broadcasts as a row, so entry (i, j) lost row j's maximum instead of row i's. "
                "Keep it a column (N, 1) with keepdims=True.",
                lambda Z: _exps(Z, np.max(Z, axis=1)) / _exps(Z, np.max(Z, axis=1)).sum(axis=1, keepdims=True)),
        Mistake("softmax_over_columns", "Your columns sum to 1, not your rows: reduce over axis=1 (each row is "
                "one example).", lambda Z: _softmax(np.asarray(Z).T).T),
        Mistake("softmax_sum_without_keepdims", "Row i was divided by the sum of row j: a sum over axis=1 has "
                "shape (N,), which broadcasts along the wrong axis. Keep it as a column with keepdims=True.",
                lambda Z: _exps(Z, _row_max(Z)) / _exps(Z, _row_max(Z)).sum(axis=1)),
    )),
    Exercise("log_softmax_rows", log_softmax_reference, lambda rng: score_rows_cases(rng, log=True),
             log_softmax_visible, seed=500, vectorized=True, mistakes=(
        Mistake("log_softmax_probabilities", "These are the probabilities themselves: take their logarithm, "
                "log softmax(z)_i = (z_i − m) − log Σ_j exp(z_j − m).", _softmax),
        Mistake("log_softmax_max_only_inside", "The row maximum m is subtracted inside the exponential but not "
                "outside it: log softmax(z)_i = (z_i − m) − log Σ_j exp(z_j − m).", lambda Z: Z - _log_sum(Z)),
        Mistake("log_softmax_without_log_sum", "Exponentials of a row must sum to 1, and yours do not: after "
                "subtracting the maximum, subtract log Σ_j exp(z_j − m) too.", lambda Z: Z - _row_max(Z)),
        Mistake("log_softmax_sum_not_logged", "The logarithm of the sum is missing: subtract log Σ_j exp(z_j − m), "
                "not the sum itself.", lambda Z: Z - _row_max(Z) - _exps(Z, _row_max(Z)).sum(axis=1, keepdims=True)),
        Mistake("log_softmax_over_columns", "Your columns, not your rows, are log-probabilities: each row is one "
                "example, so reduce over axis=1.", lambda Z: log_softmax_reference(np.asarray(Z).T).T),
        Mistake("log_softmax_sum_without_keepdims", "Row i got row j's log-sum: the sum over axis=1 has shape (N,), "
                "which broadcasts as a row. Keep it a column (N, 1) with keepdims=True.",
                lambda Z: Z - _row_max(Z) - _log_sum(Z).ravel()),
        Mistake("log_softmax_max_without_keepdims", "The maximum was subtracted without keepdims: Z.max(axis=1) "
                "has shape (N,), which broadcasts as a row, so entry (i, j) lost row j's maximum. Keep it a column "
                "(N, 1) with keepdims=True.",
                lambda Z: (Z - np.max(Z, axis=1)) - np.log(_exps(Z, np.max(Z, axis=1)).sum(axis=1, keepdims=True))),
        *(Mistake(f"log_softmax_of_softmax_plus_{eps:g}", "Adding a small ε before the log hides the underflow but "
                  "changes the answer: log(p + ε) never goes below log ε, while a log-probability can be −800. Take "
                  "the log of the formula instead: (z_i − m) − log Σ_j exp(z_j − m).",
                  lambda Z, eps=eps: np.log(_softmax(Z) + eps)) for eps in (1e-8, 1e-9, 1e-10, 1e-12, 1e-15)),
    )),
    Exercise("pairwise_sq_distances_two_loops", distances_reference, distance_cases, distance_visible, seed=600,
             loops=LoopCount(2, hint="This version is the slow baseline the others are timed against in section 6: "
                                     "write it with two `for` loops, one over the rows of A and, inside it, one over "
                                     "the rows of B."),
             mistakes=_distance_mistakes(_LOOPS_TRANSPOSED)),
    Exercise("pairwise_sq_distances_one_loop", distances_reference, distance_cases, distance_visible, seed=700,
             loops=LoopCount(1, 1, hint="Loop over the rows of A only. For one row a, `a - B` broadcasts to the "
                                        "(M, D) differences with every row of B: squared and summed along axis 1 "
                                        "they are a whole row of the result."),
             mistakes=_distance_mistakes(_LOOPS_TRANSPOSED)),
    Exercise("pairwise_sq_distances_broadcast", distances_reference, distance_cases, distance_visible, seed=800,
             vectorized=True, mistakes=_distance_mistakes(
                 "It looks transposed: give A the new axis in the middle, A[:, None, :] of shape (N, 1, D), so that "
                 "row i of the result belongs to row i of A.") + (
        Mistake("broadcast_not_summed", "These are the squared differences themselves: sum them over the last axis "
                "(the D numbers of each pair) to get one number per pair.", lambda A, B: _differences(A, B) ** 2),
        Mistake("broadcast_summed_over_B", "You summed over the wrong axis: the (N, M, D) differences must be "
                "summed over the last axis (axis=2, the D numbers of each pair), not over the rows of B.",
                lambda A, B: (_differences(A, B) ** 2).sum(axis=1)),
        Mistake("broadcast_summed_over_A", "You summed over the wrong axis: the (N, M, D) differences must be "
                "summed over the last axis (axis=2, the D numbers of each pair), not over the rows of A.",
                lambda A, B: (_differences(A, B) ** 2).sum(axis=0)),
    )),
    Exercise("pairwise_sq_distances", distances_reference, distance_cases,
             lambda rng: distance_visible(rng, coinciding=True), seed=900,
             vectorized=True, mistakes=(
        Mistake("matrix_without_factor_two", "The cross term needs a factor 2: |a − b|² = |a|² + |b|² − 2 a·b.",
                lambda A, B: _matrix_route(A, B, factor=1.0)),
        Mistake("matrix_wrong_sign", "The cross term has the wrong sign: |a − b|² = |a|² + |b|² − 2 a·b.",
                lambda A, B: _matrix_route(A, B, sign=1.0)),
        Mistake("matrix_missing_length_of_b", "A squared length is missing: |a − b|² = |a|² + |b|² − 2 a·b needs "
                "both |a|² (a column, one per row of A) and |b|² (a row, one per row of B).",
                lambda A, B: _matrix_route(A, B, lengths=(True, False))),
        Mistake("matrix_missing_length_of_a", "A squared length is missing: |a − b|² = |a|² + |b|² − 2 a·b needs "
                "both |a|² (a column, one per row of A) and |b|² (a row, one per row of B).",
                lambda A, B: _matrix_route(A, B, lengths=(False, True))),
        Mistake("matrix_lengths_swapped", "The squared lengths are lined up the wrong way round: |a_i|² must be a "
                "column (N, 1) and |b_j|² a row (1, M), so that entry (i, j) gets |a_i|² + |b_j|².",
                lambda A, B: _sq_lengths(B)[:, None] + _sq_lengths(A)[None, :] - 2 * (A @ B.T)),
    ) + _distance_mistakes("It looks transposed: the dot products of every row of A with every row of B are "
                           "A Bᵀ, (N, M); |a|² is a column (N, 1) and |b|² a row (1, M).", prefix="matrix_")),
]
