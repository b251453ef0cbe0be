"""Hidden tests of lesson 6, "Self-attention: queries, keys, values, masks and heads" (see helpers.grading.spec).

The references are written plainly: one query at a time, one allowed key at a time, each row's scores
shifted by their own maximum before `math.exp`; a blocked key is simply left out of its query's sum,
and a query left with no key gets weights and an output of 0 (the lesson's rule). The cases cover, for
every exercise, the classes of input wrong answers get wrong: no leading axis, one, two and four
(where the docstring allows any number), T = 1, d_k = 1, Tq ≠ Tk, one head and heads of one feature;
masks of shape (T, T), (B, 1, Tk), (B, 1, T, T) and (B, 1, 1, T) that broadcast, rows with every key
blocked and a mask that blocks everything; scores near +1000, rows whose scores are all very
negative, spreads beyond 1400 and rows far apart; integer inputs; an upstream gradient of zeros; odd
d and T = 1 for the positional encoding.
"""
from __future__ import annotations

import math

import numpy as np

from helpers.grading.spec import Case, Exercise, Mistake

FIRST, LATER = "first", "later changed"     # the two calls of the procedure "later_changed"
CONVENTION = ("In this course a mask is True where a query MAY attend to a key (True = keep): a convention, "
              "shared by PyTorch's scaled_dot_product_attention and reversed in its nn.MultiheadAttention.")


def _dot(u, v) -> float:
    return sum(float(a) * float(b) for a, b in zip(u, v))


# --- the causal mask ---------------------------------------------------------------------------------------

def causal_mask_reference(T):
    mask = np.zeros((T, T), dtype=bool)
    for i in range(T):
        for j in range(i + 1):
            mask[i, j] = True
    return mask


def causal_mask_cases(rng):
    for T in (1, 2, 3, 7, 40, 200):
        yield Case(f"T={T}", (T,))


def causal_mask_visible(rng):
    yield Case("T=5", (5,))
    yield Case("T=1", (1,))


# --- scaled dot-product attention ---------------------------------------------------------------------------

def _attend_plain(Q, K, V, mask):
    """Attention over any leading axes, one query and one key at a time."""
    Q, K, V = (np.asarray(a, dtype=float) for a in (Q, K, V))
    *lead, Tq, d = Q.shape
    Tk, dv = V.shape[-2:]
    allowed = np.ones((*lead, Tq, Tk), dtype=bool) if mask is None else np.broadcast_to(mask, (*lead, Tq, Tk))
    out, weights = np.zeros((*lead, Tq, dv)), np.zeros((*lead, Tq, Tk))
    for index in np.ndindex(*lead):
        q, k, v = Q[index], K[index], V[index]
        for i in range(Tq):
            keys = [j for j in range(Tk) if allowed[index + (i, j)]]
            if not keys:
                continue                                          # nothing to attend to: weights and output 0
            scores = {j: _dot(q[i], k[j]) / math.sqrt(d) for j in keys}
            top = max(scores.values())
            total = sum(math.exp(s - top) for s in scores.values())
            for j in keys:
                weight = math.exp(scores[j] - top) / total
                weights[index + (i, j)] = weight
                for m in range(dv):
                    out[index + (i, m)] += weight * float(v[j, m])
    return out, weights


def _with_later_changed(attend):
    """`attend(Q, K, V, mask)` as a case calls it: once, or, for the procedure "later_changed", twice."""
    def answer(Q, K, V, mask=None, K_later=None, V_later=None):
        if K_later is None:
            return attend(Q, K, V, mask)
        return {FIRST: attend(Q, K, V, mask), LATER: attend(Q, K_later, V_later, mask)}
    return answer


attention_reference = _with_later_changed(_attend_plain)


def _queries_for(rng, scores, K):
    """Queries Q with Q Kᵀ / √d = scores, for keys K of full row rank (Tk ≤ d)."""
    d = K.shape[-1]
    return math.sqrt(d) * scores @ np.linalg.pinv(np.swapaxes(K, -1, -2))


def _qkv(rng, lead, Tq, Tk, d, dv, scale=1.0):
    return (rng.normal(scale=scale, size=(*lead, Tq, d)), rng.normal(size=(*lead, Tk, d)),
            rng.normal(size=(*lead, Tk, dv)))


def _causal(T):
    return np.tril(np.ones((T, T), dtype=bool))


def _random_mask(rng, shape, *, empty_rows=1, full_rows=0):
    """A random boolean mask of shape (..., Tq, Tk) with some rows fully blocked and some fully open."""
    mask = rng.random(shape) < 0.5
    rows = mask.reshape(-1, shape[-1])
    picked = rng.permutation(len(rows))
    rows[picked[:empty_rows]] = False
    rows[picked[empty_rows:empty_rows + full_rows]] = True
    return rows.reshape(shape)


def _later_changed(rng, Q, K, V, mask, cut):
    """The arguments of the procedure "later_changed": keys and values from position `cut` on changed."""
    K_later, V_later = K.copy(), V.copy()
    K_later[..., cut:, :] += 5 * rng.normal(size=K_later[..., cut:, :].shape)
    V_later[..., cut:, :] += 5 * rng.normal(size=V_later[..., cut:, :].shape)
    return Q, K, V, mask, K_later, V_later


def attention_cases(rng):
    yield Case("no leading axis: Q (Tq, d_k)", _qkv(rng, (), 4, 6, 3, 2))
    yield Case("one leading axis, Tq ≠ Tk, d_v ≠ d_k", _qkv(rng, (3,), 5, 7, 4, 2))
    yield Case("two leading axes (B, h)", _qkv(rng, (2, 3), 4, 5, 3, 2))
    yield Case("four leading axes", _qkv(rng, (2, 1, 2, 3), 3, 4, 2, 3))
    yield Case("T = 1: one query, one key", _qkv(rng, (2,), 1, 1, 3, 2))
    yield Case("d_k = 1 and d_v = 1", _qkv(rng, (2,), 4, 5, 1, 1))
    yield Case("one query, nine keys", _qkv(rng, (1,), 1, 9, 4, 3))
    yield Case("mask=None given explicitly", (*_qkv(rng, (2,), 3, 3, 2, 2), None))

    Q, K, V = _qkv(rng, (3,), 6, 6, 4, 3)
    yield Case("a causal (T, T) mask, broadcast over the batch", (Q, K, V, _causal(6)))
    Q, K, V = _qkv(rng, (3,), 5, 7, 4, 2)
    padding = (np.arange(7) < np.array([7, 4, 1])[:, None])[:, None, :]
    yield Case("a padding mask of shape (B, 1, Tk)", (Q, K, V, padding))
    Q, K, V = _qkv(rng, (2, 3), 5, 5, 2, 2)
    mask = _causal(5) & (np.arange(5) < np.array([5, 3])[:, None])[:, None, None, :]
    yield Case("a (B, 1, T, T) mask, broadcast over the heads", (Q, K, V, mask))
    Q, K, V = _qkv(rng, (2, 2), 4, 4, 3, 2)
    yield Case("a (B, 1, 1, T) padding mask, broadcast over heads and queries",
               (Q, K, V, (np.arange(4) < np.array([2, 4])[:, None])[:, None, None, :]))
    Q, K, V = _qkv(rng, (2,), 6, 5, 3, 4)
    yield Case("rows with every key blocked, rows with none blocked",
               (Q, K, V, _random_mask(rng, (2, 6, 5), empty_rows=3, full_rows=2)))
    yield Case("a mask that blocks every key", (*_qkv(rng, (2,), 3, 4, 2, 2), np.zeros((2, 3, 4), dtype=bool)))
    yield Case("a mask that blocks nothing", (*_qkv(rng, (2,), 3, 4, 2, 2), np.ones((3, 4), dtype=bool)))
    keep = np.array([[True] * 6, [False, False, True, True, True, True]])
    Q, K, V = _qkv(rng, (2,), 6, 6, 4, 4)
    yield Case("a left-padded sentence under a causal mask", (Q, K, V, _causal(6) & keep[:, None, :]))

    K, V = rng.normal(size=(2, 5, 6)), rng.normal(size=(2, 5, 3))
    yield Case("scores near +1000", (_queries_for(rng, 1000 + rng.normal(scale=3, size=(2, 4, 5)), K), K, V))
    yield Case("every score very negative (about −3000)",
               (_queries_for(rng, -3000 + rng.normal(scale=3, size=(2, 4, 5)), K), K, V))
    spread = rng.normal(size=(2, 3, 5))
    spread[0, 0, 2], spread[1, 2, 0], spread[0, 1, 4] = 1500.0, -1450.0, 800.0
    yield Case("rows whose spread exceeds 1400", (_queries_for(rng, spread, K), K, V))
    apart = rng.normal(size=(2, 3, 5))
    apart[:, 1] -= 1000.0
    apart[1, 2] += 900.0
    yield Case("rows far apart (near 0, near −1000, near +900)", (_queries_for(rng, apart, K), K, V))
    masked = -2000 + rng.normal(scale=5, size=(2, 4, 5))
    yield Case("very negative scores under a causal mask",
               (_queries_for(rng, masked, K), K, V, np.tril(np.ones((4, 5), dtype=bool))))

    yield Case("integer Q, K and V", (rng.integers(-2, 3, size=(2, 4, 3)), rng.integers(-2, 3, size=(2, 5, 3)),
                                      rng.integers(-2, 3, size=(2, 5, 2)), rng.random((4, 5)) < 0.7))
    Q, K, V = _qkv(rng, (2, 2), 7, 7, 3, 2)
    yield Case("a causal mask: later keys and values changed, two leading axes",
               _later_changed(rng, Q, K, V, _causal(7), 2), kind="later_changed")


def attention_visible(rng):
    Q, K, V = rng.normal(size=(2, 5, 8)), rng.normal(size=(2, 7, 8)), rng.normal(size=(2, 7, 3))
    yield Case("no mask, Tq=5, Tk=7, d_k=8", (Q, K, V))
    T = 6
    Q, K, V = rng.normal(size=(1, T, 4)), rng.normal(size=(1, T, 4)), rng.normal(size=(1, T, 4))
    yield Case("a causal mask: the keys and values of tokens 3, 4, 5 changed",
               _later_changed(rng, Q, K, V, _causal(T), 3), kind="later_changed")
    Q, K, V = rng.normal(size=(2, 5, 8)), rng.normal(size=(2, 7, 8)), rng.normal(size=(2, 7, 3))
    mask = rng.random((2, 5, 7)) < 0.6
    mask[:, :, 0] = True
    mask[1, 2] = False                                            # query 2 of batch 1: every key blocked
    mask[0, 4, 1:] = True                                         # query 4 of batch 0: nothing blocked
    yield Case("a random mask, one query with every key blocked", (Q, K, V, mask))
    Q, K, V = rng.normal(size=(2, 2, 5, 4)), rng.normal(size=(2, 2, 5, 4)), rng.normal(size=(2, 2, 5, 3))
    mask = _causal(5) & (np.arange(5) < np.array([5, 3])[:, None])[:, None, None, :]
    yield Case("(B, h) leading axes, a (B, 1, T, T) mask broadcast over the heads", (Q, K, V, mask))


def _attend(Q, K, V, mask=None, *, scale=None, after_softmax=False, multiply=False, fill=-1e9, empty="zero",
            axis=-1):
    """Attention with one ingredient changed, vectorised as students write it: a typical mistake's answer."""
    Q, K, V = (np.asarray(a, dtype=float) for a in (Q, K, V))
    S = Q @ np.swapaxes(K, -1, -2) / (math.sqrt(Q.shape[-1]) if scale is None else scale)
    if mask is not None and not after_softmax:
        S = S * mask if multiply else np.where(mask, S, fill)
    e = np.exp(S - S.max(axis=axis, keepdims=True))
    P = e / e.sum(axis=axis, keepdims=True)
    if mask is not None and after_softmax:
        P = P * mask
    elif mask is not None and not multiply and empty == "zero":
        P = P * np.any(mask, axis=-1, keepdims=True)
    return P @ V, P


def _mistake(**change):
    return _with_later_changed(lambda Q, K, V, mask: _attend(Q, K, V, mask, **change))


def _opposite_mask(Q, K, V, mask):
    return _attend(Q, K, V, None if mask is None else ~np.asarray(mask))


LEAK = "the future leaks into the past: changing future tokens changed past outputs"
ATTENTION_MISTAKES = (
    Mistake("attention_without_sqrt_dk", "You forgot √d_k: divide the scores Q Kᵀ by √d_k (the square root of "
            "Q's last axis) before the softmax.", _mistake(scale=1.0)),
    Mistake("attention_divided_by_dk", "You divided the scores by d_k; divide by its square root, √d_k.",
            lambda Q, *rest: _mistake(scale=float(np.shape(Q)[-1]))(Q, *rest)),
    Mistake("attention_mask_true_blocks", "Your function attends where the mask is False and blocks where it is "
            f"True: the opposite mask convention, True = block. {CONVENTION} Keep the scores where mask is True "
            "and give the rest -1e9.", _with_later_changed(_opposite_mask)),
    Mistake("attention_mask_after_softmax", "The mask is applied after the softmax: blocked keys are still in every "
            f"row's normalising sum, so {LEAK}, and the weights no longer sum to 1. Replace blocked scores by a "
            "large negative number (-1e9) BEFORE the softmax, so that exp gives them exactly 0.",
            _mistake(after_softmax=True)),
    Mistake("attention_blocked_score_not_low_enough", "Blocked keys took the weight of a query whose allowed "
            "scores are very negative: a blocked score must lie far below every real score, so that exp gives it "
            "exactly 0. Use np.where(mask, S, -1e9), not a score of 0 (what multiplying by the mask gives) or of a "
            "few hundred or thousand below 0.", _mistake(fill=-1000.0)),
    Mistake("attention_mask_multiplies_scores", "Multiplying the scores by the mask gives a blocked key the score "
            f"0, which still earns it weight, so {LEAK}. Replace blocked scores by a large negative number "
            "before the softmax: np.where(mask, S, -1e9).", _mistake(multiply=True)),
    Mistake("attention_uniform_on_empty_rows", "A query whose keys are all blocked got equal weights on every key "
            "(their scores were all -1e9). It has nothing to attend to: set its weights to 0, e.g. multiply the "
            "weights by mask.any(axis=-1, keepdims=True).", _mistake(empty="uniform")),
    Mistake("attention_softmax_over_queries", "The softmax must run over the keys (the last axis): each query's "
            "weights sum to 1.", _mistake(axis=-2)),
)


# --- the backward pass --------------------------------------------------------------------------------------

def attention_backward_reference(dout, Q, K, V, weights):
    """dS = P ⊙ (dP − rowsum(P ⊙ dP)), one query and one key at a time."""
    *lead, Tq, d = Q.shape
    Tk, dv = V.shape[-2:]
    dQ, dK, dV = np.zeros((*lead, Tq, d)), np.zeros((*lead, Tk, d)), np.zeros((*lead, Tk, dv))
    for index in np.ndindex(*lead):
        P, g, q, k, v = weights[index], dout[index], Q[index], K[index], V[index]
        for i in range(Tq):
            dp = [_dot(g[i], v[j]) for j in range(Tk)]
            row = sum(float(P[i, j]) * dp[j] for j in range(Tk))
            for j in range(Tk):
                ds = float(P[i, j]) * (dp[j] - row) / math.sqrt(d)
                dQ[index + (i,)] += ds * k[j].astype(float)
                dK[index + (j,)] += ds * q[i].astype(float)
                dV[index + (j,)] += float(P[i, j]) * g[i].astype(float)
    return dQ, dK, dV


def _backward_case(rng, lead, Tq, Tk, d, dv, mask=None, *, scale=1.0, dout=None):
    Q, K, V = _qkv(rng, lead, Tq, Tk, d, dv, scale)
    out, P = _attend_plain(Q, K, V, mask)
    return (rng.normal(size=out.shape) if dout is None else dout, Q, K, V, P)


def attention_backward_cases(rng):
    yield Case("no leading axis", _backward_case(rng, (), 4, 5, 3, 2))
    yield Case("one leading axis, Tq ≠ Tk, d_v ≠ d_k", _backward_case(rng, (2,), 3, 6, 4, 2))
    yield Case("two leading axes (B, h)", _backward_case(rng, (2, 3), 4, 4, 2, 3))
    yield Case("four leading axes", _backward_case(rng, (2, 1, 2, 2), 3, 4, 2, 2))
    yield Case("T = 1", _backward_case(rng, (2,), 1, 1, 3, 2))
    yield Case("d_k = 1 and d_v = 1", _backward_case(rng, (2,), 4, 3, 1, 1))
    yield Case("weights from a causal mask", _backward_case(rng, (2,), 5, 5, 3, 3, _causal(5)))
    yield Case("weights from a (B, 1, T, T) mask, with rows whose keys are all blocked",
               _backward_case(rng, (2, 2), 4, 4, 3, 2, _random_mask(rng, (2, 1, 4, 4), empty_rows=2)))
    yield Case("weights of a mask that blocks every key", _backward_case(rng, (2,), 3, 3, 2, 2,
                                                                          np.zeros((3, 3), dtype=bool)))
    yield Case("saturated weights (scores of about ±50)", _backward_case(rng, (2,), 4, 4, 3, 2, scale=30.0))
    Q, K, V = _qkv(rng, (2,), 3, 4, 2, 2)
    yield Case("an upstream gradient of zeros", (np.zeros((2, 3, 2)), Q, K, V, _attend_plain(Q, K, V, None)[1]))
    Q, K, V = rng.integers(-2, 3, size=(2, 3, 3)), rng.integers(-2, 3, size=(2, 4, 3)), rng.integers(-2, 3, size=(2, 4, 2))
    yield Case("integer Q, K, V and dout", (rng.integers(-2, 3, size=(2, 3, 2)), Q, K, V,
                                            _attend_plain(Q, K, V, None)[1]))


def attention_backward_visible(rng):
    B, T, d, dv = 2, 5, 6, 3
    mask = np.broadcast_to(_causal(T), (B, T, T)).copy()
    mask[1, 3] = False                                            # a query with every key blocked
    yield Case("B=2, T=5, d_k=6, d_v=3: a causal mask, one query with every key blocked",
               _backward_case(rng, (B,), T, T, d, dv, mask))
    yield Case("B=2, Tq=3, Tk=6, d_k=4, d_v=2: no mask", _backward_case(rng, (2,), 3, 6, 4, 2))


def _backward(dout, Q, K, V, P, *, scale=True, row_term=True, dK_transposed=True, dV_transposed=True,
              recompute=False, dV_scaled=False, by_dk=False):
    """The backward pass with one ingredient changed, vectorised: a typical mistake's answer."""
    d = Q.shape[-1]
    if recompute:
        P = _attend(Q, K, V)[1]
    factor = (1 / d if by_dk else 1 / math.sqrt(d)) if scale else 1.0
    dP = dout @ np.swapaxes(V, -1, -2)
    dS = P * (dP - (P * dP).sum(axis=-1, keepdims=True)) if row_term else P * dP
    dS = dS * factor
    dV = (np.swapaxes(P, -1, -2) if dV_transposed else P) @ dout
    return dS @ K, (np.swapaxes(dS, -1, -2) if dK_transposed else dS) @ Q, dV * (factor if dV_scaled else 1.0)


def _backward_mistake(**change):
    return lambda *args: _backward(*args, **change)


SCALE = "The 1/√d_k of the forward pass scales the scores, so it scales dQ and dK too."
ELEMENTWISE = ("The softmax is not elementwise: every weight of a row depends on every score of that row. Its "
               "vector–Jacobian product is dS = P ⊙ (dP − rowsum(P ⊙ dP)); you left out the subtracted row term.")
BACKWARD_MISTAKES = (
    Mistake("backward_without_scale", SCALE, _backward_mistake(scale=False)),
    Mistake("backward_softmax_elementwise", ELEMENTWISE, _backward_mistake(row_term=False)),
    Mistake("backward_dK_untransposed", "dK needs the transpose of dS: S = Q Kᵀ, so dK = dSᵀ Q (scaled). You used "
            "dS Q.", _backward_mistake(dK_transposed=False)),
    Mistake("backward_dV_untransposed", "dV = weightsᵀ @ dout: each value j collects the gradient of every query "
            "that looked at it. You used weights @ dout (no transpose).", _backward_mistake(dV_transposed=False)),
    Mistake("backward_recomputes_weights", "Use the `weights` you are given: they come from the forward pass and "
            "hold its mask (blocked keys and rows with nothing to attend to have weight 0). Recomputing "
            "softmax(Q Kᵀ/√d_k) without the mask gives blocked keys a gradient.", _backward_mistake(recompute=True)),
    Mistake("backward_dV_scaled", "Only the scores carry 1/√d_k: dV = weightsᵀ @ dout is not scaled.",
            _backward_mistake(dV_scaled=True)),
    Mistake("backward_divided_by_dk", "The scores are divided by √d_k, so dQ and dK are too; you divided by d_k.",
            _backward_mistake(by_dk=True)),
)


# --- splitting and merging heads ------------------------------------------------------------------------------

def split_heads_reference(X, h):
    *lead, T, D = X.shape
    dh = D // h
    out = np.zeros((*lead, h, T, dh))
    for index in np.ndindex(*lead):
        for t in range(T):
            for c in range(D):
                out[index + (c // dh, t, c % dh)] = X[index + (t, c)]
    return out


def split_heads_cases(rng):
    for shape, h in [((1, 1, 1), 1), ((1, 4, 6), 3), ((3, 5, 12), 4), ((2, 7, 16), 2), ((2, 3, 4), 1),
                     ((2, 3, 4), 4), ((5, 6), 3), ((2, 1, 3, 4, 6), 2), ((1, 2, 2, 2, 3, 8), 4)]:
        label = f"X of shape {shape}, h={h}" + (" (one head)" if h == 1 else "") + \
            (" (heads of one feature)" if shape[-1] == h and h > 1 else "")
        yield Case(label, (rng.normal(size=shape), h))


def split_heads_visible(rng):
    yield Case("X of shape (2, 3, 8), h=4", (rng.normal(size=(2, 3, 8)), 4))
    yield Case("two leading axes: X of shape (2, 3, 4, 6), h=2", (rng.normal(size=(2, 3, 4, 6)), 2))


def _split(X, h, order="heads first", transpose=True):
    *lead, T, D = X.shape
    if order == "tokens cut":
        return X.reshape(*lead, h, T, D // h)
    if order == "strided":
        return np.moveaxis(X.reshape(*lead, T, D // h, h), -1, -3)
    parts = X.reshape(*lead, T, h, D // h)
    return np.swapaxes(parts, -2, -3) if transpose else parts


SPLIT_MISTAKES = (
    Mistake("split_heads_plain_reshape", "Each head must see every token: you reshaped (…, T, D) straight to "
            "(…, h, T, d_head), which cuts the sequence of tokens, not each token's features. Reshape to "
            "(…, T, h, d_head), then swap the token and head axes.", lambda X, h: _split(X, h, "tokens cut")),
    Mistake("split_heads_strided_features", "Head i must get the contiguous block of features i·d_head … "
            "(i+1)·d_head − 1; you gave it every h-th feature. Reshape to (…, T, h, d_head), not (…, T, d_head, h).",
            lambda X, h: _split(X, h, "strided")),
    Mistake("split_heads_no_transpose", "The features are cut into heads, but the head axis must come before the "
            "token axis: swap axes 1 and 2 of (B, T, h, d_head) (with other leading axes, the two axes before the last), "
            "so out[b, i] is one head's (T, d_head) matrix.", lambda X, h: _split(X, h, transpose=False)),
)


def merge_heads_reference(X):
    *lead, h, T, dh = X.shape
    out = np.zeros((*lead, T, h * dh))
    for index in np.ndindex(*lead):
        for t in range(T):
            for c in range(h * dh):
                out[index + (t, c)] = X[index + (c // dh, t, c % dh)]
    return out


def merge_heads_cases(rng):
    for shape in [(1, 1, 1, 1), (1, 3, 4, 2), (3, 4, 5, 3), (2, 2, 7, 8), (2, 1, 3, 4), (2, 5, 3, 1),
                  (4, 3, 2), (2, 1, 2, 3, 4, 2), (1, 2, 2, 2, 2, 3, 2)]:
        label = f"X of shape {shape}" + (" (one head)" if shape[-3] == 1 else "") + \
            (" (heads of one feature)" if shape[-1] == 1 else "")
        yield Case(label, (rng.normal(size=shape),))


def merge_heads_visible(rng):
    yield Case("the heads of split_heads(X, 4) for X of shape (2, 3, 8)", (_split(rng.normal(size=(2, 3, 8)), 4),))
    yield Case("two leading axes: X of shape (2, 3, 2, 4, 3)", (rng.normal(size=(2, 3, 2, 4, 3)),))


def _merge(X, *, interleave=False, plain=False, reverse=False):
    *lead, h, T, dh = X.shape
    if plain:
        return X.reshape(*lead, T, h * dh)
    if reverse:
        X = np.flip(X, axis=-3)
    if interleave:
        return np.moveaxis(X, -3, -1).reshape(*lead, T, h * dh)
    return np.swapaxes(X, -2, -3).reshape(*lead, T, h * dh)


MERGE_MISTAKES = (
    Mistake("merge_heads_interleaved", "split→merge is not the identity: the heads come out interleaved (feature 0 "
            "of every head, then feature 1, …). Concatenate whole heads: head 0's d_head features, then head 1's, …; "
            "swap the head and token axes, then reshape.", lambda X: _merge(X, interleave=True)),
    Mistake("merge_heads_plain_reshape", "split→merge is not the identity: tokens got mixed, because you reshaped "
            "(…, h, T, d_head) without moving the head axis next to the feature axis. Swap the head and token axes "
            "first, then reshape to (…, T, h·d_head).", lambda X: _merge(X, plain=True)),
    Mistake("merge_heads_reversed", "split→merge is not the identity: the heads come out in reverse order. Head 0 "
            "goes first.", lambda X: _merge(X, reverse=True)),
)


# --- multi-head attention ------------------------------------------------------------------------------------

def multi_head_attention_reference(X, Wq, Wk, Wv, Wo, h, mask=None):
    """Each head on its own slice of the projections' columns, one sequence at a time."""
    X = np.asarray(X, dtype=float)
    B, T, D = X.shape
    dh = D // h
    allowed = np.ones((B, h, T, T), dtype=bool) if mask is None else np.broadcast_to(mask, (B, h, T, T))
    merged, weights = np.zeros((B, T, D)), np.zeros((B, h, T, T))
    for b in range(B):
        for i in range(h):
            columns = slice(i * dh, (i + 1) * dh)
            q, k, v = X[b] @ Wq[:, columns], X[b] @ Wk[:, columns], X[b] @ Wv[:, columns]
            merged[b, :, columns], weights[b, i] = _attend_plain(q, k, v, allowed[b, i])
    return merged @ Wo, weights


def _weights(rng, D, scale=1.0):
    return tuple(rng.normal(scale=scale, size=(D, D)) / math.sqrt(D) for _ in range(4))


def multi_head_attention_cases(rng):
    for B, T, D, h in [(1, 1, 2, 1), (2, 1, 4, 2), (2, 4, 6, 3), (1, 5, 4, 1), (2, 3, 4, 4), (3, 6, 8, 2)]:
        label = f"B={B}, T={T}, D={D}, h={h}" + (" (one head)" if h == 1 else "") + \
            (" (heads of one feature)" if D == h and h > 1 else "")
        yield Case(label, (rng.normal(size=(B, T, D)), *_weights(rng, D), h))
    yield Case("a causal (T, T) mask", (rng.normal(size=(2, 6, 8)), *_weights(rng, 8), 4, _causal(6)))
    lengths = np.array([5, 2, 4])
    yield Case("a (B, 1, T, T) causal and padding mask",
               (rng.normal(size=(3, 5, 6)), *_weights(rng, 6), 3,
                _causal(5) & (np.arange(5) < lengths[:, None])[:, None, None, :]))
    yield Case("a (B, 1, 1, T) padding mask", (rng.normal(size=(2, 5, 6)), *_weights(rng, 6), 2,
                                               (np.arange(5) < np.array([3, 5])[:, None])[:, None, None, :]))
    yield Case("a (B, h, T, T) mask with rows whose keys are all blocked",
               (rng.normal(size=(2, 4, 4)), *_weights(rng, 4), 2, _random_mask(rng, (2, 2, 4, 4), empty_rows=3)))
    yield Case("a mask that blocks every key", (rng.normal(size=(1, 3, 4)), *_weights(rng, 4), 2,
                                                np.zeros((3, 3), dtype=bool)))
    yield Case("scores beyond exp's range inside the heads (large weights)",
               (rng.normal(size=(2, 4, 4)), *_weights(rng, 4, scale=60.0), 2, _causal(4)))
    yield Case("integer X (one-hot tokens)", (np.eye(6, dtype=np.int64)[rng.integers(0, 6, size=(2, 4))],
                                             *_weights(rng, 6), 3))


def multi_head_attention_visible(rng):
    B, T, D, h = 2, 5, 8, 2
    yield Case(f"B={B}, T={T}, D={D}, h={h}, a causal (T, T) mask",
               (rng.normal(size=(B, T, D)), *_weights(rng, D), h, _causal(T)))
    yield Case("B=2, T=4, D=6, h=3, a (B, 1, T, T) causal and padding mask",
               (rng.normal(size=(2, 4, 6)), *_weights(rng, 6), 3,
                _causal(4) & (np.arange(4) < np.array([4, 2])[:, None])[:, None, None, :]))


def _mha(X, Wq, Wk, Wv, Wo, h, mask=None, *, project=True, merge=_merge, scale=None, heads=True):
    """Multi-head attention with one ingredient changed: a typical mistake's answer."""
    X = np.asarray(X, dtype=float)
    if not heads:
        out, P = _attend(X @ Wq, X @ Wk, X @ Wv, mask)
        return out @ Wo, P
    split = [_split(X @ W, h) for W in (Wq, Wk, Wv)]
    out, P = _attend(*split, mask, scale=scale)
    merged = merge(out)
    return (merged @ Wo if project else merged), P


HEAD_ORDER = "The heads are merged in the wrong order (split→merge is not the identity). Use your merge_heads."
MHA_MISTAKES = (
    Mistake("mha_without_output_projection", "The output projection is missing: after merging the heads, "
            "multiply by W_o.", lambda *a: _mha(*a, project=False)),
    Mistake("mha_scaled_by_model_dim", "Scale each head's scores by √d_head, the size of the vectors being "
            "multiplied, not by √D. Use your scaled_dot_product_attention on the split heads.",
            lambda X, *a: _mha(X, *a, scale=math.sqrt(np.shape(X)[-1]))),
    Mistake("mha_single_head", "You attended with a single head over all D features: split Q, K and V into h "
            "heads first; the weights are (B, h, T, T), one (T, T) matrix per head.",
            lambda *a: _mha(*a, heads=False)),
    Mistake("mha_merged_interleaved", HEAD_ORDER, lambda *a: _mha(*a, merge=lambda o: _merge(o, interleave=True))),
    Mistake("mha_merged_plain_reshape", HEAD_ORDER, lambda *a: _mha(*a, merge=lambda o: _merge(o, plain=True))),
    Mistake("mha_mask_ignored", "The mask is not used: pass it on to your scaled_dot_product_attention, which "
            "broadcasts a (T, T) or (B, 1, T, T) mask over the batch and the heads.",
            lambda X, Wq, Wk, Wv, Wo, h, mask=None: _mha(X, Wq, Wk, Wv, Wo, h)),
)


# --- positional encodings --------------------------------------------------------------------------------------

def positional_encoding_reference(T, d):
    pe = np.zeros((T, d))
    for p in range(T):
        for c in range(d):
            pair = c // 2
            angle = p / 10000 ** (2 * pair / d)
            pe[p, c] = math.sin(angle) if c % 2 == 0 else math.cos(angle)
    return pe


def positional_encoding_cases(rng):
    for T, d in [(1, 2), (1, 1), (1, 7), (3, 4), (4, 1), (10, 5), (50, 16), (7, 64), (200, 32), (9, 33)]:
        yield Case(f"T={T}, d={d}" + (" (odd d)" if d % 2 else ""), (T, d))


def positional_encoding_visible(rng):
    yield Case("T=12, d=8", (12, 8))
    yield Case("T=6, d=5 (odd d: the last column is a sine)", (6, 5))


def _pe(T, d, *, swap=False, concatenate=False, column_exponent=False, exponent=2.0, multiply=False, start=0,
        last_column=True):
    """The encoding with one ingredient changed: a typical mistake's answer (odd d: the last column a sine)."""
    p = np.arange(start, start + T)[:, None]
    columns = np.arange(d)
    frequency = 10000.0 ** (columns / d if column_exponent else exponent * (columns // 2) / d)
    angles = p * frequency if multiply else p / frequency
    sines, cosines = np.sin(angles), np.cos(angles)
    if swap:
        sines, cosines = cosines, sines
    pe = np.where(columns % 2 == 0, sines, cosines)
    if concatenate:
        pe = np.concatenate([sines[:, 0::2], cosines[:, 1::2]], axis=1)
    if not last_column and d % 2:
        pe[:, -1] = 0.0
    return pe


PE_MISTAKES = (
    Mistake("pe_sin_cos_swapped", "Sine and cosine are swapped: sine goes in the even columns (0, 2, 4, …), cosine "
            "in the odd ones.", lambda T, d: _pe(T, d, swap=True)),
    Mistake("pe_concatenated", "You concatenated all the sines, then all the cosines. Interleave them: column 2i is "
            "sin, column 2i+1 is cos of the same angle.", lambda T, d: _pe(T, d, concatenate=True)),
    Mistake("pe_column_index_exponent", "Each sin/cos pair shares one frequency: columns 2i and 2i+1 both use "
            "p / 10000^(2i/d). You used the column index in the exponent, so the cosine column got a different "
            "frequency.", lambda T, d: _pe(T, d, column_exponent=True)),
    Mistake("pe_exponent_without_two", "The exponent is 2i/d (i counts sin/cos pairs), not i/d.",
            lambda T, d: _pe(T, d, exponent=1.0)),
    Mistake("pe_multiplied", "Divide the position by 10000^(2i/d); you multiplied.",
            lambda T, d: _pe(T, d, multiply=True)),
    Mistake("pe_positions_from_one", "Positions count from 0: row 0 is sin(0) = 0 and cos(0) = 1 in every pair.",
            lambda T, d: _pe(T, d, start=1)),
    Mistake("pe_odd_last_column", "For odd d the formula still defines every column: the last one, column d − 1 = "
            "2i with i = (d − 1)/2, is sin(p / 10000^(2i/d)).", lambda T, d: _pe(T, d, last_column=False)),
)


EXERCISES = [
    Exercise("causal_mask", causal_mask_reference, causal_mask_cases, causal_mask_visible, seed=600,
             vectorized=True, mistakes=(
        Mistake("causal_mask_true_blocks", "Your mask uses the opposite convention, True = block: it is True where "
                f"query i must NOT look (key j > i). {CONVENTION} Flip it: True where j ≤ i.",
                lambda T: ~causal_mask_reference(T)),
        Mistake("causal_mask_blocks_diagonal", "It blocks the diagonal. A token may attend to itself (j = i); only "
                "later tokens (j > i) are blocked.", lambda T: np.tril(np.ones((T, T), dtype=bool), k=-1)),
        Mistake("causal_mask_transposed", "It lets every query see the future and hides the past: it is "
                "transposed. Rows are queries i, columns are keys j; keep the entries with j ≤ i (the lower "
                "triangle, np.tril).", lambda T: causal_mask_reference(T).T),
    )),
    Exercise("scaled_dot_product_attention", attention_reference, attention_cases, attention_visible, seed=610,
             vectorized=True, call="scaled_dot_product_attention(Q, K, V, mask)", mistakes=ATTENTION_MISTAKES),
    Exercise("attention_backward", attention_backward_reference, attention_backward_cases,
             attention_backward_visible, seed=620, vectorized=True, mistakes=BACKWARD_MISTAKES),
    Exercise("split_heads", split_heads_reference, split_heads_cases, split_heads_visible, seed=630,
             vectorized=True, mistakes=SPLIT_MISTAKES),
    Exercise("merge_heads", merge_heads_reference, merge_heads_cases, merge_heads_visible, seed=640,
             vectorized=True, mistakes=MERGE_MISTAKES),
    Exercise("multi_head_attention", multi_head_attention_reference, multi_head_attention_cases,
             multi_head_attention_visible, seed=650, vectorized=True, mistakes=MHA_MISTAKES),
    Exercise("positional_encoding", positional_encoding_reference, positional_encoding_cases,
             positional_encoding_visible, seed=660, vectorized=True, mistakes=PE_MISTAKES),
]
