"""Hidden tests of lesson 4, "word2vec from scratch" (see helpers.grading.spec).

The references are written plainly, one index, one pair or one example at a time, with the log-sigmoid
of math; they share no code with the solutions or with helpers.word2vec. The cases cover, for every
exercise, the classes of input wrong answers get wrong: index arrays of any rank and of several integer
dtypes, N = 1, D = 1, k = 1 and V = 1; repeated indices (a word several times in one batch, a negative
equal to its context); scores whose log-probabilities lie below −745; zero vectors, duplicated vectors
and similarities that are mostly negative; a row of ±inf that only arithmetic can spoil; and, for the
sampler, seeds repeated and varied, positives that clash often, and vocabularies of 2 to 2,000 words.
"""
from __future__ import annotations

import math

import numpy as np

from helpers.checks.core import CheckFailed
from helpers.checks.word2vec import ANSWERS
from helpers.grading.spec import Case, Exercise, Mistake


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _log_sigmoid(x: float) -> float:
    """log σ(x) for one number, without overflow or log(0)."""
    return -math.log1p(math.exp(-x)) if x >= 0 else x - math.log1p(math.exp(x))


def _dot(u, v) -> float:
    return sum(float(a) * float(b) for a, b in zip(u, v))


def _np_sigmoid(s):
    """σ as students write it (the mistakes' answers use it)."""
    return 1.0 / (1.0 + np.exp(-s))


def _softplus(s):
    return np.maximum(s, 0) + np.log1p(np.exp(-np.abs(s)))


def _scatter_assigned(V, D, idx, rows):
    """A (V, D) gradient scattered with NumPy's fancy assignment: a repeated row keeps one write."""
    dW = np.zeros((V, D))
    dW[np.asarray(idx).reshape(-1)] = np.asarray(rows, dtype=float).reshape(-1, D)
    return dW


LOST_REPEATS = ("Some rows appear more than once in the indices, and your gradient keeps only one of their "
                "contributions: `dW[idx] = g` and `dW[idx] += g` write a repeated row once (only one of the writes "
                "survives, and NumPy does not promise which), so gradient is silently lost. Accumulate with "
                "np.add.at(dW, idx, g).")


# --- the embedding layer -------------------------------------------------------------------------------

def forward_reference(W, idx):
    idx = np.asarray(idx)
    out = np.zeros(idx.shape + W.shape[1:], dtype=W.dtype)
    for position in np.ndindex(*idx.shape):
        out[position] = W[int(idx[position])]
    return out


def _with_infinite_row(W, row):
    W = W.copy()
    W[row, ::2] = np.inf
    W[row, 1::2] = -np.inf
    return W


def forward_cases(rng):
    for V, D, shape in [(1, 1, (1,)), (1, 4, (3,)), (9, 1, (5,)), (7, 5, (1,)), (50, 8, (7, 4)), (9, 2, (2, 3, 5)),
                        (6, 3, (2, 1, 3, 1)), (5, 3, (1, 1))]:
        yield Case(f"V={V}, D={D}, idx of shape {shape}", (rng.normal(size=(V, D)), rng.integers(0, V, size=shape)))
    yield Case("a single index as a 0-d array", (rng.normal(size=(6, 3)), np.array(4)))
    yield Case("every index the same word", (rng.normal(size=(5, 4)), np.full((3, 2), 2)))
    for dtype in (np.int32, np.uint8, np.int16):
        yield Case(f"idx of dtype {np.dtype(dtype).name}", (rng.normal(size=(8, 3)),
                                                            rng.integers(0, 8, size=(4, 2)).astype(dtype)))
    yield Case("W of dtype float32", (rng.normal(size=(6, 4)).astype(np.float32), rng.integers(0, 6, size=5)))
    yield Case("a row of ±inf that is looked up (a lookup copies rows, no arithmetic)",
               (_with_infinite_row(rng.normal(size=(6, 3)), 2), np.array([[2, 0], [5, 2]])))


def forward_visible(rng):
    yield Case("idx of shape (4,), W with a row of ±inf (word 6, never looked up)",
               (_with_infinite_row(rng.normal(size=(7, 5)), 6), np.array([2, 4, 2, 0])))
    yield Case("idx of shape (2, 3)", (rng.normal(size=(7, 5)), np.array([[1, 6, 1], [3, 0, 4]])))


FORWARD_MISTAKES = (
    Mistake("forward_columns", "You picked columns (W[:, idx]): each word's vector is a row of W, so pick rows: "
            "W[idx].", lambda W, idx: W[:, idx]),
    Mistake("forward_flattened", "Keep the index's shape: a (B, C) array of indices gives (B, C, D) vectors. W[idx] "
            "does that.", lambda W, idx: W[np.asarray(idx).reshape(-1)]),
    Mistake("forward_one_hot", "Your rows were computed by multiplying one-hot vectors with W: every other row is "
            "multiplied by 0, and 0 × inf is NaN, so one row of ±inf spoils every vector. The multiplication also "
            "costs N·V·D operations and an (N, V) one-hot matrix: for V = 100,000 words that is most of the work for "
            "nothing. Select the rows directly: W[idx].",
            lambda W, idx: np.eye(len(W))[idx] @ W),
)


def backward_reference(grad_out, idx, V):
    idx = np.asarray(idx)
    D = grad_out.shape[-1]
    dW = np.zeros((V, D))
    for position in np.ndindex(*idx.shape):
        word = int(idx[position])
        for d in range(D):
            dW[word, d] += float(grad_out[position + (d,)])
    return dW


def backward_cases(rng):
    for V, D, shape in [(1, 1, (1,)), (1, 3, (4,)), (3, 1, (10,)), (3, 2, (10,)), (6, 4, (5, 3)), (30, 5, (2,)),
                        (7, 2, (2, 3, 4)), (5, 3, (3, 1, 2, 1))]:
        yield Case(f"V={V}, D={D}, idx of shape {shape}",
                   (rng.normal(size=shape + (D,)), rng.integers(0, V, size=shape), V))
    yield Case("every index the same word", (rng.normal(size=(6, 3)), np.full(6, 2), 5))
    yield Case("the last words of the vocabulary never looked up", (rng.normal(size=(4, 2)), np.array([0, 1, 1, 0]), 9))
    yield Case("an upstream gradient of zeros", (np.zeros((4, 3)), np.array([1, 1, 3, 0]), 4))
    for dtype in (np.int32, np.uint8, np.int16):
        yield Case(f"idx of dtype {np.dtype(dtype).name}, with repeats",
                   (rng.normal(size=(6, 2, 3)), rng.integers(0, 5, size=(6, 2)).astype(dtype), 5))


def backward_visible(rng):
    V, D = 8, 3
    yield Case("idx [6, 1, 3], V = 8", (rng.normal(size=(3, D)), np.array([6, 1, 3]), V))
    yield Case("idx [2, 5, 2, 0, 2]: word 2 three times", (rng.normal(size=(5, D)), np.array([2, 5, 2, 0, 2]), V))
    yield Case("idx [[1, 4], [4, 4]] of shape (2, 2)", (rng.normal(size=(2, 2, D)), np.array([[1, 4], [4, 4]]), V))


BACKWARD_MISTAKES = (
    Mistake("backward_lost_repeats", LOST_REPEATS,
            lambda g, idx, V: _scatter_assigned(V, g.shape[-1], idx, g)),
    Mistake("backward_not_scattered", "dW has one row per word of the vocabulary, shape (V, D), like W itself: row i "
            "is the sum of the gradients of every lookup of word i.", lambda g, idx, V: g.reshape(-1, g.shape[-1])),
    Mistake("backward_vocabulary_from_indices", "dW has V rows, one per word of the vocabulary, even for words the "
            "batch never looked up (their gradient is 0): make it np.zeros((V, D)) with the V you are given.",
            lambda g, idx, V: backward_reference(g, idx, int(np.max(idx)) + 1)),
)


# --- the negative sampler --------------------------------------------------------------------------------

def sample_reference(counts, positives, k, seeds):
    """The distribution every right answer follows (the answers themselves are random): the noise distribution
    count**0.75 / Σ count**0.75, each row without its own positive."""
    weights = [float(c) ** 0.75 for c in counts]
    total = sum(weights)
    return {"p": np.array([w / total for w in weights]), "exclude": "own",
            "positives": np.asarray(positives).astype(np.int64), "k": int(k), "seeds": list(seeds)}


def _distribution(weights, exclude="own"):
    return lambda counts, positives, k, seeds: {"p": np.asarray(weights(np.asarray(counts, dtype=float)), dtype=float)
                                                / np.sum(weights(np.asarray(counts, dtype=float))), "exclude": exclude}


SAMPLE_MISTAKES = (
    Mistake("sample_without_power", "You forgot the 0.75: you sampled in proportion to the counts themselves. Raise "
            "the counts to the power 0.75 before normalising, so rare words are drawn a little more often.",
            _distribution(lambda c: c)),
    Mistake("sample_uniform", "This is a uniform sampler: every word is equally likely. Draw words with probability "
            "proportional to count**0.75 (rng.choice(V, ..., p=...)).", _distribution(np.ones_like)),
    Mistake("sample_excludes_every_positive", "Your rows leave out every positive of the batch; a row must leave out "
            "only its own positive (another row's positive is a fine negative for it). Redraw only the negatives "
            "equal to their own row's positive.", _distribution(lambda c: c ** 0.75, exclude="all")),
)


ZIPF = np.array([5000, 1200, 700, 300, 90, 40, 12, 3, 1, 1])


def _sample_case(label, counts, positives, k, seeds):
    return Case(label, (counts, positives, k, seeds), kind="draws")


def sample_cases(rng):
    V = len(ZIPF)
    yield _sample_case("every positive the most frequent word", ZIPF, np.zeros(5000, dtype=np.int64), 4, (11, 11, 12))
    yield _sample_case("every positive a middle word (word 3)", ZIPF, np.full(5000, 3), 4, (13, 13, 14))
    yield _sample_case("every positive the rarest word (the last index)", ZIPF, np.full(3000, V - 1), 4, (15, 15, 16))
    p = ZIPF ** 0.75 / (ZIPF ** 0.75).sum()
    yield _sample_case("positives drawn from the noise distribution (many clashes)", ZIPF,
                       rng.choice(V, size=6000, p=p), 5, (17, 17, 18))
    yield _sample_case("positives from three words only", ZIPF, rng.choice([1, 2, 5], size=4000), 5, (19, 20))
    yield _sample_case("k larger than the vocabulary (negatives repeat)", np.array([40, 25, 9, 3]),
                       rng.integers(0, 4, size=1500), 7, (21, 21, 22))
    yield _sample_case("one positive, one negative (B = 1, k = 1)", ZIPF, np.array([0]), 1, (23, 23, 24))
    yield _sample_case("two words: the only negative is the other word", np.array([30, 10]),
                       rng.integers(0, 2, size=50), 3, (25, 25, 26))
    yield _sample_case("words with count 0 are never drawn", np.array([50, 0, 20, 0, 5, 9]),
                       rng.choice([0, 2, 4, 5], size=3000), 4, (27, 27, 28))
    yield _sample_case("counts as floats, positives of dtype int32", ZIPF.astype(float) + 0.5,
                       rng.integers(0, V, size=4000).astype(np.int32), 5, (29, 29, 30))
    yield _sample_case("counts of dtype int32, positives of dtype uint8", ZIPF.astype(np.int32),
                       rng.integers(0, V, size=4000).astype(np.uint8), 5, (31, 32))
    zipf = (20000 / np.arange(1, 2001)).astype(np.int64) + 1
    yield _sample_case("a vocabulary of 2,000 words with Zipf counts", zipf, rng.integers(0, 50, size=3000), 5,
                       (33, 33, 34))


VISIBLE_COUNTS = np.array([900, 400, 150, 60, 25, 10, 4, 1])


def sample_visible(rng):
    yield _sample_case("every positive is word 0, the most frequent (4,000 rows, k = 5)", VISIBLE_COUNTS,
                       np.zeros(4000, dtype=np.int64), 5, (2, 2, 3))
    yield _sample_case("positives that differ from row to row (3,000 rows, k = 5)", VISIBLE_COUNTS,
                       rng.choice([1, 2, 3, 5], size=3000), 5, (4, 4, 5))


VISIBLE_SAMPLE_LABELS = {case.label for case in sample_visible(np.random.default_rng(0))}


def sample_judge(cases, answers, what) -> None:
    """Judge each case's answer by the properties of `NegativeSamples`, against the reference's distribution."""
    answer = ANSWERS["sample_negatives"]
    for case, got in zip(cases, answers):
        want = sample_reference(*case.args)
        mistakes = [(m.says, m.answer(*case.args)) for m in SAMPLE_MISTAKES]
        try:
            answer.check(got, want, what, mistakes)
        except CheckFailed as failure:
            where = "the visible check's case" if case.label in VISIBLE_SAMPLE_LABELS else "the grader's case"
            raise CheckFailed(failure.what, failure.problem,
                              (failure.hint + "\n" if failure.hint else "") + f"({where}: {case.label})") from None


# --- the logistic loss -------------------------------------------------------------------------------------

def bce_reference(s, y):
    s, y = np.asarray(s), np.asarray(y)
    loss, grad = np.zeros(s.shape), np.zeros(s.shape)
    for i in np.ndindex(*s.shape):
        score, label = float(s[i]), float(y[i])
        loss[i] = -(label * _log_sigmoid(score) + (1 - label) * _log_sigmoid(-score))
        grad[i] = _sigmoid(score) - label
    return loss, grad


def _labels(rng, shape):
    return rng.integers(0, 2, size=shape).astype(float)


def bce_cases(rng):
    for shape, scale in [((1,), 1.0), ((7,), 1.0), ((3, 4), 5.0), ((2, 2, 2), 30.0), ((2, 1, 3, 1), 3.0)]:
        yield Case(f"scores of shape {shape}, scale {scale}", (rng.normal(scale=scale, size=shape), _labels(rng, shape)))
    yield Case("scores exactly 0", (np.zeros(4), np.array([0.0, 1.0, 1.0, 0.0])))
    yield Case("scores ±710 to ±800: exp overflows", (np.array([710.0, -710.0, 750.0, -750.0, 800.0, -800.0]),
                                                       np.array([0.0, 1.0, 1.0, 0.0, 0.0, 1.0])))
    yield Case("log-probabilities below −745 (s = ∓746, ∓1000 with the other label)",
               (np.array([-746.0, 746.0, -1000.0, 1000.0, -730.0, 730.0]), np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0])))
    yield Case("very large scores (±1e6, ±1e300)", (np.array([1e6, -1e6, 1e300, -1e300]), np.array([0.0, 1.0, 1.0, 0.0])))
    yield Case("integer scores", (rng.integers(-6, 7, size=(3, 3)), _labels(rng, (3, 3))))
    yield Case("integer labels", (rng.normal(scale=3.0, size=8), rng.integers(0, 2, size=8)))
    yield Case("scores of dtype float32", (rng.normal(scale=4.0, size=(4, 3)).astype(np.float32), _labels(rng, (4, 3))))
    yield Case("a batch of skip-gram scores (B, 1 + k)", (rng.normal(scale=2.0, size=(6, 6)),
                                                         np.tile([1.0, 0, 0, 0, 0, 0], (6, 1))))


def bce_visible(rng):
    yield Case("six scores from −3 to 4", (np.array([-3.0, -0.5, 0.0, 0.7, 2.5, 4.0]),
                                           np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])))
    yield Case("scores 800, −800 and 50: exp(800) overflows", (np.array([800.0, -800.0, 50.0]), np.array([0.0, 1.0, 1.0])))


def _stable_bce(s, y):
    s, y = np.asarray(s, dtype=float), np.asarray(y, dtype=float)
    return _softplus(s) - s * y, _np_sigmoid(s) - y


BCE_MISTAKES = (
    Mistake("bce_negative_loss", "The loss must be positive: it is −log of a probability. Check the signs of both "
            "terms.", lambda s, y: (-_stable_bce(s, y)[0], _stable_bce(s, y)[1])),
    Mistake("bce_gradient_sign", "The gradient has the wrong sign: ∂loss/∂s = σ(s) − y (the loss falls as s moves "
            "toward the label).", lambda s, y: (_stable_bce(s, y)[0], -_stable_bce(s, y)[1])),
    Mistake("bce_extra_sigmoid_factor", "There is an extra factor σ(s)(1 − σ(s)): the log in the cross-entropy "
            "cancels the sigmoid's derivative, leaving ∂loss/∂s = σ(s) − y.",
            lambda s, y: (_stable_bce(s, y)[0], _stable_bce(s, y)[1] * _np_sigmoid(s) * (1 - _np_sigmoid(s)))),
    Mistake("bce_gradient_without_label", "The label is missing: ∂loss/∂s = σ(s) − y.",
            lambda s, y: (_stable_bce(s, y)[0], _np_sigmoid(np.asarray(s, dtype=float)))),
)


# --- the gradients of one pair ------------------------------------------------------------------------------

def pair_reference(v, u_o, U_neg):
    k, D = U_neg.shape
    s_o = _dot(v, u_o)
    loss = -_log_sigmoid(s_o)
    grad_v = [(_sigmoid(s_o) - 1.0) * float(u_o[d]) for d in range(D)]
    grad_u_o = [(_sigmoid(s_o) - 1.0) * float(v[d]) for d in range(D)]
    grad_U = []
    for j in range(k):
        s_j = _dot(v, U_neg[j])
        loss -= _log_sigmoid(-s_j)
        for d in range(D):
            grad_v[d] += _sigmoid(s_j) * float(U_neg[j, d])
        grad_U.append([_sigmoid(s_j) * float(v[d]) for d in range(D)])
    return loss, np.array(grad_v), np.array(grad_u_o), np.array(grad_U).reshape(k, D)


def _pair_draw(rng, D, k, scale=1.0):
    return rng.normal(scale=scale, size=D), rng.normal(scale=scale, size=D), rng.normal(scale=scale, size=(k, D))


def pair_cases(rng):
    for D, k, scale in [(1, 1, 1.0), (2, 1, 1.0), (1, 3, 2.0), (5, 4, 0.6), (8, 6, 1.5), (20, 15, 0.4)]:
        yield Case(f"D={D}, k={k}", _pair_draw(rng, D, k, scale))
    v, u_o, U = _pair_draw(rng, 6, 5)
    U[3] = U[1]
    yield Case("a negative drawn twice", (v, u_o, U))
    v, u_o, U = _pair_draw(rng, 4, 3)
    U[2] = u_o
    yield Case("a negative equal to the true context", (v, u_o, U))
    yield Case("v = 0: every score 0", (np.zeros(4), rng.normal(size=4), rng.normal(size=(3, 4))))
    v, u_o, U = _pair_draw(rng, 3, 3)
    yield Case("u_o = 0 and one negative 0", (v, np.zeros(3), np.concatenate([U[:2], np.zeros((1, 3))])))
    v = rng.normal(size=5)
    v *= 4.0 / np.linalg.norm(v)
    yield Case("scores near ±16 (σ near 0 and 1)", (v, -v, np.stack([v, -v, v / 2])))
    yield Case("integer vectors", (rng.integers(-2, 3, size=4), rng.integers(-2, 3, size=4),
                                   rng.integers(-2, 3, size=(3, 4))))


def pair_visible(rng):
    yield Case("D = 3, k = 2", _pair_draw(rng, 3, 2))
    v, u_o, U = _pair_draw(rng, 4, 3, 0.7)
    U[2] = U[0]
    yield Case("D = 4, k = 3, a negative drawn twice", (v, u_o, U))


def _pair_answer(v, u_o, U_neg, *, positive=1.0, negative=0.0, inner=1.0, one_minus=False, swap=False,
                 centre_negatives=True):
    """The loss and gradients of one pair from a derivation with one slip (the mistakes' answers)."""
    s_o, s_n = v @ u_o, U_neg @ v
    loss = float(-np.log(_np_sigmoid(s_o)) - np.log(_np_sigmoid(-s_n)).sum())
    g_o = _np_sigmoid(s_o) - positive
    g_n = inner * ((1 - _np_sigmoid(s_n)) if one_minus else (_np_sigmoid(s_n) - negative))
    grad_v = g_o * u_o + (g_n @ U_neg if centre_negatives else 0.0)
    if swap:
        return loss, grad_v, g_o * u_o, g_n[:, None] * U_neg
    return loss, grad_v, g_o * v, g_n[:, None] * v


def _pair_loss(v, u_o, U_neg, *, negatives=True, negatives_yes=False, sign=1.0):
    s_o, s_n = v @ u_o, U_neg @ v
    terms = -np.log(_np_sigmoid(s_n if negatives_yes else -s_n)).sum() if negatives else 0.0
    return sign * float(-np.log(_np_sigmoid(s_o)) + terms)


def _pair_with_loss(**options):
    return lambda v, u_o, U: (_pair_loss(v, u_o, U, **options), *pair_reference(v, u_o, U)[1:])


PAIR_MISTAKES = (
    Mistake("pair_positive_as_negative", "The true context is treated like a negative: for it ∂ℓ/∂s_o = σ(s_o) − 1 "
            "(negative, so a step against the gradient raises v·u_o), not σ(s_o).",
            lambda v, u, U: _pair_answer(v, u, U, positive=0.0)),
    Mistake("pair_negatives_labelled_one", "The negatives are treated as true contexts: the derivative of "
            "−log σ(−s_j) is +σ(s_j), not σ(s_j) − 1. A step against the gradient must push v·u_neg down.",
            lambda v, u, U: _pair_answer(v, u, U, negative=1.0)),
    Mistake("pair_inner_minus_lost", "The minus inside σ(−s_j) is lost in the chain rule: d/ds [−log σ(−s)] = "
            "(1 − σ(−s))·(+1) = σ(s). Your negatives' gradients have the opposite sign.",
            lambda v, u, U: _pair_answer(v, u, U, inner=-1.0)),
    Mistake("pair_one_minus_sigma", "For a negative you used 1 − σ(s_j) = σ(−s_j); the derivative of −log σ(−s_j) "
            "with respect to s_j is σ(s_j).", lambda v, u, U: _pair_answer(v, u, U, one_minus=True)),
    Mistake("pair_swapped_vectors", "The chain rule's last factor is the other vector: ∂(v·u)/∂v = u and ∂(v·u)/∂u "
            "= v. The gradient for u_o and the negatives is a multiple of v, the centre's vector.",
            lambda v, u, U: _pair_answer(v, u, U, swap=True)),
    Mistake("pair_centre_misses_negatives", "grad_v is missing the negatives' part: v is in every score, so it also "
            "gets Σ_j σ(s_j)·u_neg_j.", lambda v, u, U: _pair_answer(v, u, U, centre_negatives=False)),
    Mistake("pair_negatives_summed", "Each negative gets its own gradient row, σ(s_j)·v: shape (k, D), one row per "
            "row of U_neg.", lambda v, u, U: (*pair_reference(v, u, U)[:3], pair_reference(v, u, U)[3].sum(axis=0))),
    Mistake("pair_loss_without_minus", "The loss must be positive: it is −log of probabilities. Put a minus in front "
            "of each log.", _pair_with_loss(sign=-1.0)),
    Mistake("pair_loss_negatives_as_yes", "The negatives' terms are −log σ(−v·u_neg) (the probability of answering "
            "\"no\"), not −log σ(v·u_neg).", _pair_with_loss(negatives_yes=True)),
    Mistake("pair_loss_without_negatives", "The loss is missing the negatives' terms −Σ_j log σ(−v·u_neg_j).",
            _pair_with_loss(negatives=False)),
)


# --- skip-gram and CBOW with negative sampling -----------------------------------------------------------------

def sgns_reference(W_in, W_out, centres, contexts, negatives):
    V, D = W_in.shape
    loss, dW_in, dW_out = 0.0, np.zeros((V, D)), np.zeros((V, D))
    for c, o, row in zip(centres, contexts, negatives):
        c = int(c)
        targets = [(int(o), 1.0)] + [(int(n), 0.0) for n in row]
        for word, label in targets:
            s = _dot(W_in[c], W_out[word])
            loss -= _log_sigmoid(s) if label else _log_sigmoid(-s)
            g = _sigmoid(s) - label
            for d in range(D):
                dW_in[c, d] += g * float(W_out[word, d])
                dW_out[word, d] += g * float(W_in[c, d])
    return loss, dW_in, dW_out


def _sgns_draw(rng, V, D, B, k, scale=0.5):
    return (rng.normal(scale=scale, size=(V, D)), rng.normal(scale=scale, size=(V, D)), rng.integers(0, V, size=B),
            rng.integers(0, V, size=B), rng.integers(0, V, size=(B, k)))


def sgns_cases(rng):
    for V, D, B, k in [(5, 3, 1, 1), (6, 1, 4, 2), (1, 3, 3, 2), (4, 2, 9, 3), (30, 5, 12, 5), (50, 8, 64, 5)]:
        yield Case(f"V={V}, D={D}, B={B}, k={k}", _sgns_draw(rng, V, D, B, k))
    W_in, W_out, _, _, _ = _sgns_draw(rng, 20, 4, 1, 1)
    order = rng.permutation(20)
    yield Case("every index distinct", (W_in, W_out, order[:4], order[4:8], order[8:20].reshape(4, 3)))
    W_in, W_out, _, contexts, negatives = _sgns_draw(rng, 8, 3, 6, 3)
    yield Case("the same centre in every pair", (W_in, W_out, np.full(6, 5), contexts, negatives))
    negatives = negatives.copy()
    negatives[:, 0] = contexts
    negatives[:, 2] = negatives[:, 1]
    yield Case("a negative equal to its context, and a negative twice in one row",
               (W_in, W_out, rng.integers(0, 8, size=6), contexts, negatives))
    W_in, W_out, centres, _, negatives = _sgns_draw(rng, 8, 3, 6, 2)
    yield Case("each centre its own context", (W_in, W_out, centres, centres.copy(), negatives))
    W_in, _, centres, contexts, negatives = _sgns_draw(rng, 10, 4, 8, 3)
    yield Case("W_out all zeros (how word2vec starts)", (W_in, np.zeros((10, 4)), centres, contexts, negatives))
    W_in, W_out, centres, contexts, negatives = _sgns_draw(rng, 12, 4, 10, 4)
    yield Case("integer indices of dtypes int32, uint8 and int16",
               (W_in, W_out, centres.astype(np.int32), contexts.astype(np.uint8), negatives.astype(np.int16)))
    yield Case("scores up to about ±50 (σ rounds to 0 or 1)", _sgns_draw(rng, 10, 4, 8, 4, scale=3.5))


def sgns_visible(rng):
    V, D, B, k = 12, 3, 3, 2
    W_in, W_out = rng.normal(scale=0.5, size=(V, D)), rng.normal(scale=0.5, size=(V, D))
    centres = rng.permutation(V)[:B]
    targets = rng.permutation(V)[:B * (1 + k)].reshape(B, 1 + k)
    yield Case("3 pairs, every index distinct", (W_in, W_out, centres, targets[:, 0].copy(), targets[:, 1:].copy()))
    W_in, W_out = rng.normal(scale=0.5, size=(5, D)), rng.normal(scale=0.5, size=(5, D))
    yield Case("5 pairs over 5 words: words repeat", (W_in, W_out, np.array([1, 3, 1, 0, 1]), np.array([2, 2, 4, 1, 0]),
                                                       np.array([[4, 0], [2, 4], [0, 2], [4, 4], [3, 3]])))


def _sgns_answer(W_in, W_out, centres, contexts, negatives, *, negative_label=0.0, centre_negatives=True,
                 lost=False, loss_scale=1.0, loss_negatives=True):
    """Skip-gram's loss and gradients with one slip (the mistakes' answers)."""
    V, D = W_in.shape
    v = W_in[centres]
    targets = np.concatenate([np.asarray(contexts)[:, None], negatives], axis=1)
    U = W_out[targets]
    s = np.einsum("bd,bjd->bj", v, U)
    y = np.full(s.shape, negative_label)
    y[:, 0] = 1.0
    loss = (_softplus(s) - s * y)[:, :None if loss_negatives else 1].sum() * loss_scale
    g = _np_sigmoid(s) - y
    to_v = np.einsum("bj,bjd->bd", g if centre_negatives else g[:, :1], U if centre_negatives else U[:, :1])
    to_u = g[:, :, None] * v[:, None, :]
    if lost:
        return float(loss), _scatter_assigned(V, D, centres, to_v), _scatter_assigned(V, D, targets, to_u)
    dW_in, dW_out = np.zeros((V, D)), np.zeros((V, D))
    np.add.at(dW_in, np.asarray(centres), to_v)
    np.add.at(dW_out, targets, to_u)
    return float(loss), dW_in, dW_out


def _sgns_with(**options):
    return lambda *args: _sgns_answer(*args, **options)


NEGATIVES_LABELLED_ONE = ("The negatives are treated as true contexts (label 1): their term must push their score "
                          "down, −log σ(−v·u_neg), so their gradient is σ(s)·v, not (σ(s) − 1)·v.")

SGNS_MISTAKES = (
    Mistake("sgns_lost_repeats", LOST_REPEATS, _sgns_with(lost=True)),
    Mistake("sgns_negatives_labelled_one", NEGATIVES_LABELLED_ONE, _sgns_with(negative_label=1.0)),
    Mistake("sgns_mean_loss", "You averaged over the batch; return the sum over the pairs (the trainer scales by the "
            "learning rate).", lambda *a: _sgns_answer(*a, loss_scale=1 / len(a[2]))),
    Mistake("sgns_centre_misses_negatives", "dW_in is missing the negatives' part: the centre vector v also gets "
            "Σ σ(v·u_neg)·u_neg from its negatives.", _sgns_with(centre_negatives=False)),
    Mistake("sgns_loss_without_negatives", "The loss is missing the negatives' terms −Σ log σ(−v·u_neg).",
            _sgns_with(loss_negatives=False)),
)


def cbow_reference(W_in, W_out, contexts, centres, negatives):
    V, D = W_in.shape
    loss, dW_in, dW_out = 0.0, np.zeros((V, D)), np.zeros((V, D))
    for window, c, row in zip(contexts, centres, negatives):
        C = len(window)
        h = [sum(float(W_in[int(w), d]) for w in window) / C for d in range(D)]
        dh = [0.0] * D
        for word, label in [(int(c), 1.0)] + [(int(n), 0.0) for n in row]:
            s = _dot(h, W_out[word])
            loss -= _log_sigmoid(s) if label else _log_sigmoid(-s)
            g = _sigmoid(s) - label
            for d in range(D):
                dh[d] += g * float(W_out[word, d])
                dW_out[word, d] += g * h[d]
        for w in window:
            for d in range(D):
                dW_in[int(w), d] += dh[d] / C
    return loss, dW_in, dW_out


def _cbow_draw(rng, V, D, B, C, k, scale=0.5):
    return (rng.normal(scale=scale, size=(V, D)), rng.normal(scale=scale, size=(V, D)), rng.integers(0, V, size=(B, C)),
            rng.integers(0, V, size=B), rng.integers(0, V, size=(B, k)))


def cbow_cases(rng):
    for V, D, B, C, k in [(5, 3, 1, 1, 1), (6, 2, 4, 1, 2), (6, 1, 3, 4, 2), (3, 3, 2, 2, 1), (5, 2, 6, 4, 2),
                          (25, 4, 10, 6, 5), (40, 6, 32, 8, 5)]:
        yield Case(f"V={V}, D={D}, B={B}, C={C}, k={k}", _cbow_draw(rng, V, D, B, C, k))
    W_in, W_out, contexts, centres, negatives = _cbow_draw(rng, 9, 3, 4, 4, 2)
    contexts[:, 1] = contexts[:, 0]
    contexts[2] = 7
    yield Case("a context word repeated within its window", (W_in, W_out, contexts, centres, negatives))
    contexts, negatives = contexts.copy(), negatives.copy()
    contexts[:, 3] = centres
    negatives[:, 1] = centres
    yield Case("the centre among its own context words and negatives", (W_in, W_out, contexts, centres, negatives))
    W_in, _, contexts, centres, negatives = _cbow_draw(rng, 10, 4, 6, 4, 3)
    yield Case("W_out all zeros (how word2vec starts)", (W_in, np.zeros((10, 4)), contexts, centres, negatives))
    W_in, W_out, contexts, centres, negatives = _cbow_draw(rng, 12, 4, 6, 4, 3)
    yield Case("integer indices of dtypes int32, uint8 and int16",
               (W_in, W_out, contexts.astype(np.int32), centres.astype(np.uint8), negatives.astype(np.int16)))
    yield Case("scores up to about ±50 (σ rounds to 0 or 1)", _cbow_draw(rng, 10, 4, 6, 2, 4, scale=4.0))


def cbow_visible(rng):
    V, D, C = 14, 3, 4
    W_in, W_out = rng.normal(scale=0.5, size=(V, D)), rng.normal(scale=0.5, size=(V, D))
    yield Case("2 examples, C = 4, every index distinct", (W_in, W_out, rng.permutation(V)[:8].reshape(2, C),
                                                            np.array([8, 9]), np.array([[10, 11], [12, 13]])))
    yield Case("2 examples, C = 4, words repeat", (W_in, W_out, np.array([[1, 2, 1, 3], [2, 2, 0, 4]]), np.array([5, 1]),
                                                    np.array([[0, 5], [3, 3]])))


def _cbow_answer(W_in, W_out, contexts, centres, negatives, *, mean=True, share=True, lost=False, loss_scale=1.0):
    """CBOW's loss and gradients with one slip (the mistakes' answers)."""
    (V, D), C = W_in.shape, contexts.shape[1]
    h = W_in[contexts].mean(axis=1) if mean else W_in[contexts].sum(axis=1)
    targets = np.concatenate([np.asarray(centres)[:, None], negatives], axis=1)
    U = W_out[targets]
    s = np.einsum("bd,bjd->bj", h, U)
    y = np.zeros_like(s)
    y[:, 0] = 1.0
    g = _np_sigmoid(s) - y
    dh = np.einsum("bj,bjd->bd", g, U)
    back = np.repeat((dh / C if mean and share else dh)[:, None, :], C, axis=1)
    dW_out = np.zeros((V, D))
    np.add.at(dW_out, targets, g[:, :, None] * h[:, None, :])
    if lost:
        dW_in = _scatter_assigned(V, D, contexts, back)
    else:
        dW_in = np.zeros((V, D))
        np.add.at(dW_in, contexts, back)
    return float((_softplus(s) - s * y).sum() * loss_scale), dW_in, dW_out


def _cbow_one_by_one(W_in, W_out, contexts, centres, negatives):
    B, C = contexts.shape
    return _cbow_answer(W_in, W_out, contexts.reshape(-1, 1), np.repeat(centres, C), np.repeat(negatives, C, axis=0))


CBOW_SUMMED = ("h is the sum of the context vectors; CBOW averages them: h = mean of W_in[contexts] over the C context "
               "words (divide by C, and pass 1/C of dL/dh back to each).")

CBOW_MISTAKES = (
    Mistake("cbow_sums_contexts", CBOW_SUMMED, lambda *a: _cbow_answer(*a, mean=False)),
    Mistake("cbow_contexts_one_by_one", "Each context word made its own prediction, as in skip-gram. In CBOW all the "
            "context words train together: average their vectors into one h, then make one prediction of the "
            "centre.", _cbow_one_by_one),
    Mistake("cbow_full_gradient_to_each_context", "Each context word must receive 1/C of dL/dh (h is their mean), "
            "not all of it.", lambda *a: _cbow_answer(*a, share=False)),
    Mistake("cbow_lost_repeats", LOST_REPEATS, lambda *a: _cbow_answer(*a, lost=True)),
    Mistake("cbow_mean_loss", "You averaged over the batch; return the sum over the examples.",
            lambda *a: _cbow_answer(*a, loss_scale=1 / len(a[3]))),
)


# --- nearest neighbours and analogies -------------------------------------------------------------------------

def _norm(row) -> float:
    return math.sqrt(sum(float(x) ** 2 for x in row))


def _cosine(u, v) -> float:
    """Cosine similarity; a vector of zeros has cosine 0 with every vector."""
    nu, nv = _norm(u), _norm(v)
    return _dot(u, v) / (nu * nv) if nu > 0 and nv > 0 else 0.0


def _tolerance(E) -> float:
    """How close two similarities may be and still count as a tie: float32 vectors rank only to ~7 digits."""
    return 1e-6 if np.asarray(E).dtype == np.float32 else 1e-9


def nearest_reference(E, i, k):
    scores = [-math.inf if j == i else _cosine(E[i], E[j]) for j in range(len(E))]
    return {"scores": np.array(scores), "k": int(k), "tolerance": _tolerance(E)}


def analogy_reference(E, a, b, c, k=1):
    units = [np.asarray(row, dtype=float) / _norm(row) if _norm(row) > 0 else np.zeros(len(row)) for row in E]
    target = units[b] - units[a] + units[c]
    scores = [-math.inf if j in (a, b, c) else _cosine(units[j], target) for j in range(len(E))]
    return {"scores": np.array(scores), "k": int(k), "tolerance": _tolerance(E)}


def _varied(rng, V, D, low=0.2, high=3.0):
    """Random vectors of lengths from `low` to `high`."""
    return rng.normal(size=(V, D)) * rng.uniform(low, high, size=(V, 1))


def _away_from(rng, V, D, i):
    """Vectors most of which point away from row i (their cosines with it are negative)."""
    E = _varied(rng, V, D, 0.3, 2.0)
    E[np.arange(V) != i] -= 1.5 * E[i] / np.linalg.norm(E[i]) * np.abs(E[np.arange(V) != i]).mean()
    return E


def nearest_cases(rng):
    for V, D, k in [(2, 3, 1), (20, 3, 5), (50, 8, 1), (6, 2, 5), (9, 1, 4), (5, 5, 4), (200, 16, 10)]:
        yield Case(f"V={V}, D={D}, k={k}", (_varied(rng, V, D), int(rng.integers(V)), k))
    E = _away_from(rng, 12, 4, 5)
    yield Case("most similarities negative, k = V − 1", (E, 5, 11))
    E = _away_from(rng, 12, 4, 7)
    E[3] = 0.0
    yield Case("a vector of zeros among mostly negative similarities", (E, 7, 11))
    E = _varied(rng, 10, 3)
    E[6] = 0.0
    yield Case("word i is a vector of zeros (every similarity 0)", (E, 6, 4))
    E = _varied(rng, 14, 4)
    E[2], E[5] = E[9], 2.5 * E[9]
    yield Case("a duplicate of word i and a longer copy of it, at lower indices", (E, 9, 5))
    E = _varied(rng, 15, 3)
    E[[4, 8, 11]] = E[1]
    yield Case("duplicated rows (ties)", (E, 0, 6))
    yield Case("integer vectors", (rng.integers(-3, 4, size=(12, 3)), 4, 5))
    yield Case("vectors of dtype float32", (_varied(rng, 30, 6).astype(np.float32), 11, 6))
    yield Case("i given as a NumPy integer", (_varied(rng, 10, 4), np.int64(3), 3))
    yield Case("400 words, k = V − 1: every other word, in order", (_varied(rng, 400, 6), 17, 399))


def nearest_visible(rng):
    E = _varied(rng, 12, 4)
    E[[1, 7, 9]] *= 0.25                          # some vectors shorter than 1
    yield Case("12 words, vectors of lengths 0.05 to 3", (E, 3, 4))
    E = _away_from(rng, 10, 3, 6)
    E[2] = 0.6 * E[6]
    E[6] *= 0.6
    E[4] = 0.0
    yield Case("a copy of word 6 at index 2, a vector of zeros, most similarities negative; k = V − 1", (E, 6, 9))
    yield Case("300 words, k = V − 1: every other word, in order", (_varied(rng, 300, 3), 0, 299))


def _unit(E):
    return E / np.linalg.norm(E, axis=1, keepdims=True)


def _unit_guarded(E):
    return E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)


def _top(scores, k, leave_out, *, excluded=-np.inf, drop=0):
    scores = np.array(scores, dtype=float)
    scores[list(leave_out)] = excluded
    return np.argsort(-scores)[drop:drop + k]


ZERO_VECTOR = ("A vector of zeros has length 0, and dividing by it gives NaN (which sorts last). Count its cosine "
               "with every word as 0: divide by np.maximum(length, 1e-12), or another small floor.")
LEFT_AT_ZERO = ("The words to leave out got a similarity of 0, not −inf: when other similarities are negative, they "
                "still rank above those. Set them to −inf.")

NEAREST_MISTAKES = (
    Mistake("nearest_dot_product", "This ranks by dot product. Cosine similarity divides by both lengths, so a long "
            "vector does not win just for being long: normalise the rows first.",
            lambda E, i, k: _top(E @ E[i], k, [i])),
    Mistake("nearest_includes_itself", "Word i itself is in the list (its cosine with itself is 1). Leave it out: set "
            "its similarity to −inf before sorting.", lambda E, i, k: np.argsort(-(_unit_guarded(E) @ _unit_guarded(E)[i]))[:k]),
    Mistake("nearest_ascending", "These are the least similar words: np.argsort sorts ascending. Sort by −similarity "
            "(or reverse the order).", lambda E, i, k: _top(-(_unit_guarded(E) @ _unit_guarded(E)[i]), k, [i])),
    Mistake("nearest_euclidean", "This ranks by Euclidean distance, which depends on the vectors' lengths. Use cosine "
            "similarity.", lambda E, i, k: _top(-((E - E[i]) ** 2).sum(axis=1), k, [i])),
    Mistake("nearest_left_at_zero", LEFT_AT_ZERO,
            lambda E, i, k: _top(_unit_guarded(E) @ _unit_guarded(E)[i], k, [i], excluded=0.0)),
    Mistake("nearest_assumes_itself_first", "You dropped the first result, assuming it is word i itself. It is not "
            "always: a duplicate of its vector ties with it, and a vector of zeros has cosine 0 even with itself. "
            "Set its similarity to −inf instead.",
            lambda E, i, k: np.argsort(-(_unit_guarded(E) @ _unit_guarded(E)[i]))[1:k + 1]),
    Mistake("nearest_zero_vector_nan", ZERO_VECTOR, lambda E, i, k: _top(_unit(E) @ _unit(E)[i], k, [i])),
)


def analogy_cases(rng):
    for V, D, k in [(4, 3, 1), (15, 3, 2), (40, 6, 4), (8, 2, 1), (9, 1, 3), (200, 16, 10)]:
        a, b, c = (int(x) for x in rng.permutation(V)[:3])
        yield Case(f"V={V}, D={D}, k={k}", (_varied(rng, V, D), a, b, c, k))
    E = _varied(rng, 10, 4)
    yield Case("k = V − 3: every word but the question's", (E, 7, 2, 4, 7))
    E = _varied(rng, 11, 3)
    E[0] = E[5] + 0.05 * E[8]
    E[8] = E[5] + 0.1 * rng.normal(size=3)
    yield Case("a close to b and c", (E, 0, 5, 8, 4))
    E = _away_from(rng, 12, 4, 1)
    yield Case("most similarities negative, k = V − 3", (E, 1, 3, 6, 9))
    E = _varied(rng, 12, 4)
    E[[2, 9]] = 0.0
    yield Case("vectors of zeros among the candidates", (E, 0, 4, 7, 9))
    E = _varied(rng, 10, 3)
    E[1] = 0.0
    yield Case("a question word that is a vector of zeros", (E, 1, 5, 6, 3))
    E = _varied(rng, 12, 3)
    E[3], E[10] = E[7], E[4]
    yield Case("duplicates of question words among the candidates", (E, 4, 7, 0, 5))
    yield Case("integer vectors", (rng.integers(-3, 4, size=(12, 3)), 0, 1, 2, 4))
    yield Case("vectors of dtype float32", (_varied(rng, 30, 6).astype(np.float32), 3, 9, 14, 5))
    yield Case("a, b, c given as NumPy integers", (_varied(rng, 10, 4), np.int64(2), np.int64(5), np.int64(8), 2))
    yield Case("400 words, k = V − 3: every other word, in order", (_varied(rng, 400, 6), 5, 50, 100, 397))


def analogy_visible(rng):
    E = _varied(rng, 12, 4)
    E[[1, 6, 10]] *= 0.25
    yield Case("12 words, a = 0, b = 1, c = 2, k = 3", (E, 0, 1, 2, 3))
    yield Case("12 words, a = 4, b = 7, c = 9, k = 2", (E, 4, 7, 9, 2))
    E = _varied(rng, 10, 3)
    E[3] = E[6] + 0.2 * E[8]
    E[5] = 0.0
    yield Case("k = V − 3, a close to b and c, a vector of zeros", (E, 3, 6, 8, 7))


def _analogy_scores(E, a, b, c, *, units=True, backwards=False, dot=False, guard=True):
    """Every word's score against the analogy's target, computed with one slip (the mistakes' answers)."""
    unit = _unit_guarded(E) if guard else _unit(E)
    base = unit if units else E
    target = base[a] - base[b] + base[c] if backwards else base[b] - base[a] + base[c]
    return (E if dot else unit) @ target


ANALOGY_MISTAKES = (
    Mistake("analogy_keeps_question_words", "One of the question words a, b, c is in your answer: they are usually "
            "closest to b − a + c. Leave them out (set their similarity to −inf).",
            lambda E, a, b, c, k=1: np.argsort(-_analogy_scores(E, a, b, c))[:k]),
    Mistake("analogy_wrong_direction", "You computed a − b + c. \"a is to b as c is to ?\" is answered by b − a + c "
            "(king − man + woman: man is to king as woman is to queen).",
            lambda E, a, b, c, k=1: _top(_analogy_scores(E, a, b, c, backwards=True), k, [a, b, c])),
    Mistake("analogy_raw_vectors", "Use unit vectors: normalise the rows of E before forming b − a + c, so every word "
            "counts equally whatever its length.",
            lambda E, a, b, c, k=1: _top(_analogy_scores(E, a, b, c, units=False), k, [a, b, c])),
    Mistake("analogy_dot_product", "Rank by cosine similarity to b − a + c, not by dot product.",
            lambda E, a, b, c, k=1: _top(_analogy_scores(E, a, b, c, dot=True), k, [a, b, c])),
    Mistake("analogy_left_at_zero", LEFT_AT_ZERO,
            lambda E, a, b, c, k=1: _top(_analogy_scores(E, a, b, c), k, [a, b, c], excluded=0.0)),
    Mistake("analogy_assumes_question_first", "You dropped the first three results, assuming they are a, b and c. "
            "They are not always the closest: set their similarities to −inf instead.",
            lambda E, a, b, c, k=1: np.argsort(-_analogy_scores(E, a, b, c))[3:k + 3]),
    Mistake("analogy_zero_vector_nan", ZERO_VECTOR,
            lambda E, a, b, c, k=1: _top(_analogy_scores(E, a, b, c, guard=False), k, [a, b, c])),
)


EXERCISES = [
    Exercise("embedding_forward", forward_reference, forward_cases, forward_visible, mistakes=FORWARD_MISTAKES,
             vectorized=True, seed=400),
    Exercise("embedding_backward", backward_reference, backward_cases, backward_visible, mistakes=BACKWARD_MISTAKES,
             vectorized=True, seed=410),
    Exercise("sample_negatives", sample_reference, sample_cases, sample_visible, mistakes=SAMPLE_MISTAKES,
             judge=sample_judge, seed=420, call="sample_negatives(counts, positives, k, rng)"),
    Exercise("bce_with_logits", bce_reference, bce_cases, bce_visible, mistakes=BCE_MISTAKES, vectorized=True,
             seed=430),
    Exercise("sgns_pair_gradients", pair_reference, pair_cases, pair_visible, mistakes=PAIR_MISTAKES, seed=440),
    Exercise("sgns_loss_and_grads", sgns_reference, sgns_cases, sgns_visible, mistakes=SGNS_MISTAKES,
             vectorized=True, seed=450),
    Exercise("cbow_loss_and_grads", cbow_reference, cbow_cases, cbow_visible, mistakes=CBOW_MISTAKES,
             vectorized=True, seed=460),
    Exercise("nearest_neighbours", nearest_reference, nearest_cases, nearest_visible, mistakes=NEAREST_MISTAKES,
             vectorized=True, seed=470),
    Exercise("analogy", analogy_reference, analogy_cases, analogy_visible, mistakes=ANALOGY_MISTAKES,
             vectorized=True, seed=480),
]
