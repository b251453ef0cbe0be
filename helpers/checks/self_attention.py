"""Visible checks for lesson 6, "Self-attention: queries, keys, values, masks and heads".

Each `check_*` runs the student's function on small seeded inputs, compares it with the reference
in helpers.attention, and, when the answer is wrong, names the mistake: a mask with the opposite
convention, a mask applied after the softmax (future tokens leak into the past), a forgotten √d_k,
NaN on a query whose keys are all blocked, heads merged in the wrong order.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from numpy import allclose as _allclose
from numpy import array_equal as _array_equal

from helpers import attention as ref
from helpers.checks.core import CheckFailed, call_student, expect_array, expect_close, expect_finite, passed
from helpers.checks.loops import expect_no_loops

CONVENTION = ("In this course a mask is True where a query MAY attend to a key (True = keep): a convention, "
              "shared by PyTorch's scaled_dot_product_attention and reversed in its nn.MultiheadAttention.")


def _softmax_cols(S: np.ndarray) -> np.ndarray:
    e = np.exp(S - S.max(axis=-2, keepdims=True))
    return e / e.sum(axis=-2, keepdims=True)


def _pair(result: Any, what: str, names: str) -> tuple:
    """Unpack a function's (a, b) result, or explain that it must return two arrays."""
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailed(what, f"returned {type(result).__name__}, not a pair {names}.",
                          f"End with `return {names.strip('()')}`.")
    return result


def _triple(result: Any, what: str) -> tuple:
    if not isinstance(result, tuple) or len(result) != 3:
        raise CheckFailed(what, f"returned {type(result).__name__}, not a triple (dQ, dK, dV).",
                          "End with `return dQ, dK, dV`.")
    return result


def check_causal_mask(causal_mask: Callable) -> None:
    what = "`causal_mask(T)`"
    for T in (5, 1):
        out = call_student(causal_mask, T)
        if type(out) is not np.ndarray:
            raise CheckFailed(what, f"is a {type(out).__name__}, not a NumPy array.",
                              "Build the mask with NumPy, e.g. from np.tril or a comparison of np.arange.")
        if out.shape != (T, T):
            raise CheckFailed(what, f"has shape {out.shape}; expected ({T}, {T}).",
                              "Rows are queries and columns are keys: one entry per (query, key) pair.")
        if out.dtype != np.bool_:
            raise CheckFailed(what, f"has dtype {out.dtype}; expected bool (True/False).",
                              "A mask says yes or no per (query, key) pair. Numbers 0/1 are easy to add or "
                              "multiply by mistake; make it boolean, e.g. `np.tril(np.ones((T, T), dtype=bool))`.")
        want = ref.causal_mask(T)
        if _array_equal(out, want):
            continue
        if _array_equal(out, ~want):
            raise CheckFailed(what, "uses the opposite convention: True = block.",
                              f"Your mask is True where query i must NOT look (key j > i). {CONVENTION} "
                              "Flip it: True where j ≤ i.")
        if _array_equal(out, np.tril(np.ones((T, T), dtype=bool), k=-1)):
            raise CheckFailed(what, "blocks the diagonal.",
                              "A token may attend to itself (j = i); only later tokens (j > i) are blocked.")
        if _array_equal(out, want.T):
            raise CheckFailed(what, "lets every query see the future and hides the past: it is transposed.",
                              "Rows are queries i, columns are keys j; keep the entries with j ≤ i (the lower "
                              "triangle, np.tril).")
        raise CheckFailed(what, "is not the causal mask.",
                          f"Entry [i, j] must be True exactly when j ≤ i. For T={T} you returned\n{out}")
    expect_no_loops(causal_mask)
    passed(what)


def _attention_parts(Q: np.ndarray, K: np.ndarray, V: np.ndarray, mask: np.ndarray | None,
                     scale: float | None = None, after_softmax: bool = False, zero_fill: bool = False,
                     uniform_empty_rows: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Attention with one deliberate mistake switched on: the answers typical wrong versions give."""
    S = Q @ np.swapaxes(K, -1, -2) / (np.sqrt(Q.shape[-1]) if scale is None else scale)
    if mask is None:
        P = ref.softmax(S)
    elif after_softmax:
        P = ref.softmax(S) * mask
    elif zero_fill:
        P = ref.softmax(S * mask)
    else:
        P = ref.softmax(np.where(mask, S, -1e9))
        if not uniform_empty_rows:
            P = P * mask.any(axis=-1, keepdims=True)
    return P @ V, P


def _expect_attention(out_pair: tuple, Q, K, V, mask, what: str) -> None:
    out, P = out_pair
    *lead, Tq, d = Q.shape
    Tk, dv = V.shape[-2:]
    expect_array(P, (*lead, Tq, Tk), f"The weight array of {what}", shape_hints={
        (*lead, Tk, Tq): "Scores are Q Kᵀ: rows are queries (Tq), columns are keys (Tk).",
        (*lead, Tq, Tq): "Scores are Q Kᵀ: one column per key (Tk)."})
    expect_array(out, (*lead, Tq, dv), f"The output of {what}", shape_hints={
        (*lead, Tq, d): "The output is a weighted sum of the VALUES: weights @ V."})
    empty = None if mask is None else ~np.broadcast_to(mask, P.shape).any(axis=-1)
    if empty is not None and empty.any():
        rows = [tuple(int(i) for i in r) for r in np.argwhere(empty)]
        hint = (f"Query {rows[0]} has every key blocked. With -inf as the blocked score its softmax is "
                "exp(-inf)/Σexp(-inf) = 0/0 = NaN. Use a large negative number (e.g. -1e9) instead, and set "
                "the weights of such a row to 0: multiply them by mask.any(axis=-1, keepdims=True).")
        expect_finite(P, f"The weight array of {what}", hint)
        expect_finite(out, f"The output of {what}", hint)
    scale_mistakes = [
        (f"You forgot √d_k: divide the scores Q Kᵀ by √d_k = √{d} before the softmax.", 1.0),
        (f"You divided the scores by d_k = {d}; divide by its square root, √d_k.", float(d)),
    ]
    mistakes_P, mistakes_out = [], []
    for text, scale in scale_mistakes:
        o, p = _attention_parts(Q, K, V, mask, scale=scale)
        mistakes_out.append((text, o))
        mistakes_P.append((text, p))
    if mask is not None:
        o, p = _attention_parts(Q, K, V, mask, uniform_empty_rows=True)
        text = ("A query whose keys are all blocked got equal weights on every key (their scores were all "
                "-1e9). It has nothing to attend to: set its weights to 0, e.g. multiply the weights by "
                "mask.any(axis=-1, keepdims=True).")
        mistakes_out.append((text, o))
        mistakes_P.append((text, p))
    text = "The softmax must run over the keys (the last axis): each query's weights sum to 1."
    colsum = _softmax_cols(Q @ np.swapaxes(K, -1, -2) / np.sqrt(d))
    mistakes_P.append((text, colsum))
    mistakes_out.append((text, colsum @ V))
    want_out, want_P = ref.attention_forward(Q, K, V, mask)
    expect_close(P, want_P, f"The weight array of {what}", mistakes=mistakes_P)
    expect_close(out, want_out, f"The output of {what}", mistakes=mistakes_out)


def check_scaled_dot_product_attention(scaled_dot_product_attention: Callable) -> None:
    what = "`scaled_dot_product_attention(Q, K, V, mask)`"
    rng = np.random.default_rng(6)
    names = "(out, weights)"
    Q, K, V = rng.normal(size=(2, 5, 8)), rng.normal(size=(2, 7, 8)), rng.normal(size=(2, 7, 3))
    _expect_attention(_pair(call_student(scaled_dot_product_attention, Q, K, V), what, names), Q, K, V, None,
                      "attention without a mask")

    mask = rng.random((2, 5, 7)) < 0.6
    mask[:, :, 0] = True
    mask[1, 2] = False                                            # query 2 of batch 1: every key blocked
    mask[0, 4, 1:] = True                                         # query 4 of batch 0: nothing blocked
    masked = f"{what} with a mask"
    got = _pair(call_student(scaled_dot_product_attention, Q, K, V, mask), masked, names)
    inverted = ref.attention_forward(Q, K, V, ~mask)
    if all(type(g) is np.ndarray and g.shape == w.shape and np.isfinite(g).all() and _allclose(g, w)
           for g, w in zip(got, inverted)):
        raise CheckFailed(masked, "uses the opposite mask convention: True = block.",
                          f"Your function attends where the mask is False and blocks where it is True. "
                          f"{CONVENTION} Keep the scores where mask is True and give the rest -1e9.")

    T = 6
    Qc, Kc, Vc = rng.normal(size=(1, T, 4)), rng.normal(size=(1, T, 4)), rng.normal(size=(1, T, 4))
    causal = ref.causal_mask(T)
    before = _pair(call_student(scaled_dot_product_attention, Qc, Kc, Vc, causal), masked, names)[0]
    Kf, Vf = Kc.copy(), Vc.copy()
    Kf[:, 3:] += 5 * rng.normal(size=(1, T - 3, 4))
    Vf[:, 3:] += 5 * rng.normal(size=(1, T - 3, 4))
    after = _pair(call_student(scaled_dot_product_attention, Qc, Kf, Vf, causal), masked, names)[0]
    expect_array(before, (1, T, 4), f"The output of {masked}")
    expect_array(after, (1, T, 4), f"The output of {masked}")
    if not _allclose(before[:, :3], after[:, :3], rtol=1e-9, atol=1e-12):
        raise CheckFailed(masked, "lets the future leak into the past: changing future tokens changed past "
                                  "outputs.",
                          "With a causal mask, changing the keys and values of tokens 3, 4, 5 changed the "
                          "outputs of tokens 0, 1, 2. The mask is wrong, or applied after the softmax: blocked "
                          "scores must be replaced by a large negative number (e.g. -1e9) BEFORE the softmax, "
                          "so that exp gives them exactly 0 weight and they do not enter the normalising sum.")
    _expect_attention(got, Q, K, V, mask, masked)
    expect_no_loops(scaled_dot_product_attention)
    passed(what)


def check_attention_backward(attention_backward: Callable) -> None:
    what = "`attention_backward(dout, Q, K, V, weights)`"
    rng = np.random.default_rng(7)
    B, T, d, dv = 2, 5, 6, 3
    Q, K, V = rng.normal(size=(B, T, d)), rng.normal(size=(B, T, d)), rng.normal(size=(B, T, dv))
    mask = np.broadcast_to(ref.causal_mask(T), (B, T, T)).copy()
    mask[1, 3] = False                                            # a query with every key blocked
    out, P = ref.attention_forward(Q, K, V, mask)
    dout = rng.normal(size=out.shape)
    got = _triple(call_student(attention_backward, dout, Q, K, V, P), what)
    want = ref.attention_backward(dout, Q, K, V, P)
    s = 1 / np.sqrt(d)
    dP = dout @ np.swapaxes(V, -1, -2)
    dS = P * (dP - (dP * P).sum(-1, keepdims=True))
    dS_elementwise = P * dP
    dS_t = np.swapaxes(dS, -1, -2)
    for name, g, w, mistakes in [
        ("dV", got[2], want[2], [
            ("dV = weightsᵀ @ dout: each value j collects the gradient of every query that looked at it. "
             "You used weights @ dout (no transpose).", P @ dout)]),
        ("dQ", got[0], want[0], [
            ("The 1/√d_k of the forward pass scales the scores, so it scales dQ and dK too.", dS @ K),
            ("The softmax is not elementwise: every weight of a row depends on every score of that row. "
             "Its vector–Jacobian product is dS = P ⊙ (dP − rowsum(P ⊙ dP)); you left out the subtracted row term.",
             s * dS_elementwise @ K)]),
        ("dK", got[1], want[1], [
            ("The 1/√d_k of the forward pass scales the scores, so it scales dQ and dK too.", dS_t @ Q),
            ("The softmax is not elementwise: every weight of a row depends on every score of that row. "
             "Its vector–Jacobian product is dS = P ⊙ (dP − rowsum(P ⊙ dP)); you left out the subtracted row term.",
             s * np.swapaxes(dS_elementwise, -1, -2) @ Q),
            ("dK needs the transpose of dS: S = Q Kᵀ, so dK = dSᵀ Q (scaled). You used dS Q.", s * dS @ Q)]),
    ]:
        expect_close(g, w, f"{name} from {what}", mistakes=mistakes)
    expect_no_loops(attention_backward)
    passed(what)


def check_split_heads(split_heads: Callable) -> None:
    what = "`split_heads(X, h)`"
    B, T, D, h = 2, 3, 8, 4
    X = np.random.default_rng(8).normal(size=(B, T, D))
    out = call_student(split_heads, X, h)
    dh = D // h
    expect_array(out, (B, h, T, dh), what, shape_hints={
        (B, T, h, dh): "The features are cut into heads, but the head axis must come before the token axis: "
                       "swap axes 1 and 2, so out[b, i] is one head's (T, d_head) matrix.",
        (B, h, dh, T): "Each head's block must be (T, d_head), tokens as rows.",
    })
    expect_close(out, ref.split_heads(X, h), what, mistakes=[
        ("Each head must see every token: you reshaped (B, T, D) straight to (B, h, T, d_head), which cuts "
         "the sequence of tokens, not each token's features. Reshape to (B, T, h, d_head), then swap axes 1 and 2.",
         X.reshape(B, h, T, dh)),
        ("Head i must get the contiguous block of features i·d_head … (i+1)·d_head − 1; you gave it every h-th "
         "feature. Reshape to (B, T, h, d_head), not (B, T, d_head, h).",
         X.reshape(B, T, dh, h).transpose(0, 3, 1, 2)),
    ])
    expect_no_loops(split_heads)
    passed(what)


def check_merge_heads(merge_heads: Callable) -> None:
    what = "`merge_heads(X)`"
    B, T, D, h = 2, 3, 8, 4
    X = np.random.default_rng(9).normal(size=(B, T, D))
    heads = ref.split_heads(X, h)
    out = call_student(merge_heads, heads)
    expect_array(out, (B, T, D), what, shape_hints={
        (B, h, T * D // h): "Put the heads side by side per token: the result is (B, T, h·d_head).",
    })
    expect_close(out, X, f"{what} of split_heads(X, {h})", mistakes=[
        ("split→merge is not the identity: the heads come out interleaved (feature 0 of every head, then "
         "feature 1, …). Concatenate whole heads: head 0's d_head features, then head 1's, …; swap axes 1 and 2, "
         "then reshape.", heads.transpose(0, 2, 3, 1).reshape(B, T, D)),
        ("split→merge is not the identity: tokens got mixed, because you reshaped (B, h, T, d_head) without "
         "moving the head axis next to the feature axis. Swap axes 1 and 2 first, then reshape to (B, T, h·d_head).",
         heads.reshape(B, T, D)),
        ("split→merge is not the identity: the heads come out in reverse order. Head 0 goes first.",
         heads[:, ::-1].transpose(0, 2, 1, 3).reshape(B, T, D)),
    ])
    expect_no_loops(merge_heads)
    passed(what)


def check_multi_head_attention(multi_head_attention: Callable) -> None:
    what = "`multi_head_attention(X, Wq, Wk, Wv, Wo, h, mask)`"
    rng = np.random.default_rng(10)
    B, T, D, h = 2, 5, 8, 2
    X = rng.normal(size=(B, T, D))
    Wq, Wk, Wv, Wo = (rng.normal(size=(D, D)) / np.sqrt(D) for _ in range(4))
    mask = ref.causal_mask(T)
    got = _pair(call_student(multi_head_attention, X, Wq, Wk, Wv, Wo, h, mask), what, "(out, weights)")
    out, P = got
    want_out, cache = ref.multi_head_attention(X, Wq, Wk, Wv, Wo, h, mask)
    expect_array(P, (B, h, T, T), f"The weight array of {what}", shape_hints={
        (B, T, T): "One (T, T) weight matrix per head: the weights are (B, h, T, T). Did you attend with a "
                   "single head over all D features?",
        (B, 1, T, T): "One (T, T) weight matrix per head: the weights are (B, h, T, T). Did you attend with a "
                      "single head over all D features?"})
    one_head = ref.attention_forward(X @ Wq, X @ Wk, X @ Wv, mask)
    big_scale = _attention_parts(*(ref.split_heads(X @ W, h) for W in (Wq, Wk, Wv)), mask, scale=np.sqrt(D))
    expect_close(P, cache.P, f"The weight array of {what}", mistakes=[
        (f"Scale each head's scores by √d_head = √{D // h}, the size of the vectors being multiplied, not by "
         f"√D = √{D}. Use your scaled_dot_product_attention on the split heads.", big_scale[1])])
    expect_close(out, want_out, f"The output of {what}", mistakes=[
        ("The output projection is missing: after merging the heads, multiply by W_o.", cache.merged),
        ("The heads are merged in the wrong order (split→merge is not the identity). Use your merge_heads.",
         cache.heads_out.transpose(0, 2, 3, 1).reshape(B, T, D) @ Wo),
        ("The heads are merged in the wrong order (split→merge is not the identity). Use your merge_heads.",
         cache.heads_out.reshape(B, T, D) @ Wo),
        (f"Scale each head's scores by √d_head = √{D // h}, not by √D = √{D}.",
         ref.merge_heads(big_scale[0]) @ Wo),
        ("This is single-head attention over all D features: split Q, K and V into h heads first.",
         one_head[0] @ Wo),
    ])
    expect_no_loops(multi_head_attention)
    passed(what)


def check_positional_encoding(positional_encoding: Callable) -> None:
    what = "`positional_encoding(T, d)`"
    T, d = 12, 8
    out = call_student(positional_encoding, T, d)
    expect_array(out, (T, d), what, shape_hints={(d, T): "One row per position: (T, d)."})
    p = np.arange(T)[:, None]
    pair = np.arange(d // 2)
    col = np.arange(d)

    def interleave(s: np.ndarray, c: np.ndarray) -> np.ndarray:
        return np.stack([s, c], axis=-1).reshape(T, d)

    angle = p / 10000.0 ** (2 * pair / d)
    expect_close(out, ref.positional_encoding(T, d), what, mistakes=[
        ("Sine and cosine are swapped: sine goes in the even columns (0, 2, 4, …), cosine in the odd ones.",
         interleave(np.cos(angle), np.sin(angle))),
        ("You concatenated all the sines, then all the cosines. Interleave them: column 2i is sin, column "
         "2i+1 is cos of the same angle.", np.concatenate([np.sin(angle), np.cos(angle)], axis=1)),
        ("Each sin/cos pair shares one frequency: columns 2i and 2i+1 both use p / 10000^(2i/d). You used the "
         "column index in the exponent, so the cosine column got a different frequency.",
         np.where(col % 2 == 0, np.sin(p / 10000.0 ** (col / d)), np.cos(p / 10000.0 ** (col / d)))),
        ("The exponent is 2i/d (i counts sin/cos pairs), not i/d.",
         interleave(np.sin(p / 10000.0 ** (pair / d)), np.cos(p / 10000.0 ** (pair / d)))),
        ("Divide the position by 10000^(2i/d); you multiplied.",
         interleave(np.sin(p * 10000.0 ** (2 * pair / d)), np.cos(p * 10000.0 ** (2 * pair / d)))),
    ])
    expect_no_loops(positional_encoding)
    passed(what)
