"""Typical wrong answers to lesson 6 (06_self_attention)."""
import functools

import numpy as np

from tests.mutants import Mutant
from tests.notebooks import run_source

NOTEBOOK = "06_self_attention/self_attention.ipynb"


def _softmax(S):
    e = np.exp(S - S.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _split(X, h):
    B, T, D = X.shape
    return X.reshape(B, T, h, D // h).transpose(0, 2, 1, 3)


def _merge(X):
    B, h, T, dh = X.shape
    return X.transpose(0, 2, 1, 3).reshape(B, T, h * dh)


def _attend(Q, K, V, mask=None, scale=None):
    S = Q @ np.swapaxes(K, -1, -2) / (np.sqrt(Q.shape[-1]) if scale is None else scale)
    if mask is None:
        P = _softmax(S)
    else:
        P = _softmax(np.where(mask, S, -1e9)) * mask.any(axis=-1, keepdims=True)
    return P @ V, P


# causal_mask(T) -> (T, T) bool, True = may attend

def causal_mask_true_blocks(T):
    return np.triu(np.ones((T, T), dtype=bool), k=1)


def causal_mask_blocks_diagonal(T):
    return np.tril(np.ones((T, T), dtype=bool), k=-1)


def causal_mask_transposed(T):
    return np.triu(np.ones((T, T), dtype=bool))


def causal_mask_of_floats(T):
    return np.tril(np.ones((T, T)))


# scaled_dot_product_attention(Q, K, V, mask=None) -> (out, weights)

def attention_without_sqrt_dk(Q, K, V, mask=None):
    return _attend(Q, K, V, mask, scale=1.0)


def attention_divided_by_dk(Q, K, V, mask=None):
    return _attend(Q, K, V, mask, scale=Q.shape[-1])


def attention_mask_true_blocks(Q, K, V, mask=None):
    return _attend(Q, K, V, None if mask is None else ~mask)


def attention_mask_after_softmax(Q, K, V, mask=None):
    P = _softmax(Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1]))
    if mask is not None:
        P = P * mask
    return P @ V, P


def attention_mask_multiplies_scores(Q, K, V, mask=None):
    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    P = _softmax(S if mask is None else S * mask)
    return P @ V, P


def attention_minus_infinity(Q, K, V, mask=None):
    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    with np.errstate(invalid="ignore"):
        P = _softmax(S)
    return P @ V, P


def attention_uniform_on_empty_rows(Q, K, V, mask=None):
    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    P = _softmax(S if mask is None else np.where(mask, S, -1e9))
    return P @ V, P


def attention_softmax_over_queries(Q, K, V, mask=None):
    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        S = np.where(mask, S, -1e9)
    e = np.exp(S - S.max(axis=-2, keepdims=True))
    P = e / e.sum(axis=-2, keepdims=True)
    return P @ V, P


def attention_query_loop(Q, K, V, mask=None):
    shape = Q.shape[:-1] + K.shape[-2:-1]                        # (..., Tq, Tk)
    full = np.ones(shape, dtype=bool) if mask is None else np.broadcast_to(mask, shape)
    rows = [_attend(Q[..., i:i + 1, :], K, V, full[..., i:i + 1, :]) for i in range(Q.shape[-2])]
    return np.concatenate([o for o, _ in rows], axis=-2), np.concatenate([p for _, p in rows], axis=-2)


# attention_backward(dout, Q, K, V, weights) -> (dQ, dK, dV)

def _dS(dout, V, P, row_term=True):
    dP = dout @ np.swapaxes(V, -1, -2)
    return P * (dP - (dP * P).sum(axis=-1, keepdims=True)) if row_term else P * dP


def backward_without_scale(dout, Q, K, V, P):
    dS = _dS(dout, V, P)
    return dS @ K, np.swapaxes(dS, -1, -2) @ Q, np.swapaxes(P, -1, -2) @ dout


def backward_softmax_elementwise(dout, Q, K, V, P):
    dS = _dS(dout, V, P, row_term=False) / np.sqrt(Q.shape[-1])
    return dS @ K, np.swapaxes(dS, -1, -2) @ Q, np.swapaxes(P, -1, -2) @ dout


def backward_dK_untransposed(dout, Q, K, V, P):
    dS = _dS(dout, V, P) / np.sqrt(Q.shape[-1])
    return dS @ K, dS @ Q, np.swapaxes(P, -1, -2) @ dout


def backward_dV_untransposed(dout, Q, K, V, P):
    dS = _dS(dout, V, P) / np.sqrt(Q.shape[-1])
    return dS @ K, np.swapaxes(dS, -1, -2) @ Q, P @ dout


# split_heads(X, h) -> (B, h, T, D/h)

def split_heads_plain_reshape(X, h):
    B, T, D = X.shape
    return X.reshape(B, h, T, D // h)


def split_heads_strided_features(X, h):
    B, T, D = X.shape
    return X.reshape(B, T, D // h, h).transpose(0, 3, 1, 2)


def split_heads_no_transpose(X, h):
    B, T, D = X.shape
    return X.reshape(B, T, h, D // h)


def split_heads_stacked_slices(X, h):
    dh = X.shape[-1] // h
    return np.stack([X[..., i * dh:(i + 1) * dh] for i in range(h)], axis=-3)


# merge_heads(X) -> (B, T, h*dh)

def merge_heads_interleaved(X):
    B, h, T, dh = X.shape
    return X.transpose(0, 2, 3, 1).reshape(B, T, h * dh)


def merge_heads_plain_reshape(X):
    B, h, T, dh = X.shape
    return X.reshape(B, T, h * dh)


def merge_heads_reversed(X):
    return _merge(X[:, ::-1])


def merge_heads_concatenate_loop(X):
    return np.concatenate([X[..., i, :, :] for i in range(X.shape[-3])], axis=-1)


# multi_head_attention(X, Wq, Wk, Wv, Wo, h, mask=None) -> (out, weights)

def mha_without_output_projection(X, Wq, Wk, Wv, Wo, h, mask=None):
    out, P = _attend(_split(X @ Wq, h), _split(X @ Wk, h), _split(X @ Wv, h), mask)
    return _merge(out), P


def mha_scaled_by_model_dim(X, Wq, Wk, Wv, Wo, h, mask=None):
    out, P = _attend(_split(X @ Wq, h), _split(X @ Wk, h), _split(X @ Wv, h), mask, scale=np.sqrt(X.shape[-1]))
    return _merge(out) @ Wo, P


def mha_single_head(X, Wq, Wk, Wv, Wo, h, mask=None):
    out, P = _attend(X @ Wq, X @ Wk, X @ Wv, mask)
    return out @ Wo, P


def mha_merged_interleaved(X, Wq, Wk, Wv, Wo, h, mask=None):
    out, P = _attend(_split(X @ Wq, h), _split(X @ Wk, h), _split(X @ Wv, h), mask)
    return merge_heads_interleaved(out) @ Wo, P


def mha_loop_over_heads(X, Wq, Wk, Wv, Wo, h, mask=None):
    B, T, D = X.shape
    dh = D // h
    masks = [None] * h if mask is None else np.broadcast_to(mask, (B, h, T, T)).swapaxes(0, 1)
    parts = [_attend(X @ Wq[:, i * dh:(i + 1) * dh], X @ Wk[:, i * dh:(i + 1) * dh],
                     X @ Wv[:, i * dh:(i + 1) * dh], masks[i]) for i in range(h)]
    return np.concatenate([o for o, _ in parts], axis=-1) @ Wo, np.stack([p for _, p in parts], axis=1)


# positional_encoding(T, d) -> (T, d)

def _interleave(s, c):
    return np.stack([s, c], axis=-1).reshape(s.shape[0], -1)


def _angles(T, d, exponent=lambda i, d: 2 * i / d):
    return np.arange(T)[:, None] / 10000.0 ** exponent(np.arange(d // 2), d)


def pe_sin_cos_swapped(T, d):
    a = _angles(T, d)
    return _interleave(np.cos(a), np.sin(a))


def pe_concatenated(T, d):
    a = _angles(T, d)
    return np.concatenate([np.sin(a), np.cos(a)], axis=1)


def pe_column_index_exponent(T, d):
    col = np.arange(d)
    a = np.arange(T)[:, None] / 10000.0 ** (col / d)
    return np.where(col % 2 == 0, np.sin(a), np.cos(a))


def pe_exponent_without_two(T, d):
    a = _angles(T, d, exponent=lambda i, d: i / d)
    return _interleave(np.sin(a), np.cos(a))


def pe_multiplied(T, d):
    a = np.arange(T)[:, None] * 10000.0 ** (2 * np.arange(d // 2) / d)
    return _interleave(np.sin(a), np.cos(a))


MUTANTS = {
    "causal_mask": [
        Mutant(causal_mask_true_blocks, says="True = block"),
        Mutant(causal_mask_blocks_diagonal, says="may attend to itself"),
        Mutant(causal_mask_transposed, says="see the future"),
        Mutant(causal_mask_of_floats, says="expected bool"),
    ],
    "scaled_dot_product_attention": [
        Mutant(attention_without_sqrt_dk, says="forgot √d_k"),
        Mutant(attention_divided_by_dk, says="divide by its square root"),
        Mutant(attention_mask_true_blocks, says="True = block"),
        Mutant(attention_mask_after_softmax, says="changing future tokens changed past outputs"),
        Mutant(attention_mask_multiplies_scores, says="changing future tokens changed past outputs"),
        Mutant(attention_minus_infinity, says="NaN"),
        Mutant(attention_uniform_on_empty_rows, says="nothing to attend to"),
        Mutant(attention_softmax_over_queries, says="over the keys"),
        Mutant(attention_query_loop, says="list comprehension"),
    ],
    "attention_backward": [
        Mutant(backward_without_scale, says="scales dQ and dK too"),
        Mutant(backward_softmax_elementwise, says="not elementwise"),
        Mutant(backward_dK_untransposed, says="transpose of dS"),
        Mutant(backward_dV_untransposed, says="weightsᵀ @ dout"),
    ],
    "split_heads": [
        Mutant(split_heads_plain_reshape, says="Each head must see every token"),
        Mutant(split_heads_strided_features, says="contiguous block of features"),
        Mutant(split_heads_no_transpose, says="swap axes 1 and 2"),
        Mutant(split_heads_stacked_slices, says="list comprehension"),
    ],
    "merge_heads": [
        Mutant(merge_heads_interleaved, says="split→merge is not the identity: the heads come out interleaved"),
        Mutant(merge_heads_plain_reshape, says="split→merge is not the identity: tokens got mixed"),
        Mutant(merge_heads_reversed, says="split→merge is not the identity: the heads come out in reverse"),
        Mutant(merge_heads_concatenate_loop, says="list comprehension"),
    ],
    "multi_head_attention": [
        Mutant(mha_without_output_projection, says="output projection is missing"),
        Mutant(mha_scaled_by_model_dim, says="not by √D"),
        Mutant(mha_single_head, says="single head"),
        Mutant(mha_merged_interleaved, says="merged in the wrong order"),
        Mutant(mha_loop_over_heads, says="list comprehension"),
    ],
    "positional_encoding": [
        Mutant(pe_sin_cos_swapped, says="Sine and cosine are swapped"),
        Mutant(pe_concatenated, says="Interleave them"),
        Mutant(pe_column_index_exponent, says="shares one frequency"),
        Mutant(pe_exponent_without_two, says="exponent is 2i/d"),
        Mutant(pe_multiplied, says="you multiplied"),
    ],
}



# More mistakes the visible check names.

def backward_recomputes_weights(dout, Q, K, V, P):
    P = _attend(Q, K, V)[1]                            # softmax(Q Kᵀ/√d_k) again, without the forward pass's mask
    dS = _dS(dout, V, P) / np.sqrt(Q.shape[-1])
    return dS @ K, np.swapaxes(dS, -1, -2) @ Q, np.swapaxes(P, -1, -2) @ dout


def pe_stacked_for_even_d(T, d):
    a = _angles(T, d)                                  # d // 2 pairs: an odd d loses its last column
    return np.stack([np.sin(a), np.cos(a)], axis=-1).reshape(T, d)


def pe_odd_last_column_zero(T, d):
    pe = np.zeros((T, d))
    even = d - d % 2
    pe[:, :even] = _interleave(np.sin(_angles(T, even, lambda i, _: 2 * i / d)),
                               np.cos(_angles(T, even, lambda i, _: 2 * i / d)))
    return pe


def split_heads_map(X, h):
    *lead, T, D = X.shape
    dh = D // h
    return np.stack(list(map(lambda i: X[..., i * dh:(i + 1) * dh], range(h))), axis=-3)


def merge_heads_reduce(X):
    return functools.reduce(lambda merged, head: np.concatenate([merged, head], axis=-1), np.moveaxis(X, -3, 0))


def attention_by_recursion(Q, K, V, mask=None):
    if Q.ndim == 2:
        return _attend(Q, K, V, mask)
    full = None if mask is None else np.broadcast_to(mask, Q.shape[:-1] + K.shape[-2:-1])
    first = attention_by_recursion(Q[0], K[0], V[0], None if full is None else full[0])
    if len(Q) == 1:
        return first[0][None], first[1][None]
    rest = attention_by_recursion(Q[1:], K[1:], V[1:], None if full is None else full[1:])
    return np.concatenate([first[0][None], rest[0]]), np.concatenate([first[1][None], rest[1]])


# A loop moved into a helper function of the notebook (defined in a cell, as a student would).
_CELL = """\
def attend_each_head(Q, K, V, mask):
    masks = None if mask is None else np.broadcast_to(mask, Q.shape[:2] + mask.shape[-2:])
    outs, weights = [], []
    for i in range(Q.shape[1]):
        out, P = scaled_dot_product_attention(Q[:, i], K[:, i], V[:, i], None if mask is None else masks[:, i])
        outs.append(out)
        weights.append(P)
    return np.stack(outs, axis=1), np.stack(weights, axis=1)


def mha_loop_in_helper(X, Wq, Wk, Wv, Wo, h, mask=None):
    heads, weights = attend_each_head(split_heads(X @ Wq, h), split_heads(X @ Wk, h), split_heads(X @ Wv, h), mask)
    return merge_heads(heads) @ Wo, weights
"""
_notebook = {"np": np, "scaled_dot_product_attention": _attend, "split_heads": _split, "merge_heads": _merge}
run_source(_CELL, _notebook, "<lesson 6: a student's cell>")
mha_loop_in_helper = _notebook["mha_loop_in_helper"]


# Classes of mistake only the hidden tests are meant to catch (extreme values, degenerate and higher-rank
# shapes, integer inputs, long sequences).

_MASK = np.tril(np.ones((64, 64), dtype=bool))


def causal_mask_precomputed(T):
    return _MASK[:T, :T]                               # made once, for sequences of at most 64 tokens


def attention_without_shift(Q, K, V, mask=None):
    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        S = np.where(mask, S, -1e9)
    e = np.exp(S)                                      # overflows above 709; all-very-negative rows give 0/0
    P = e / np.maximum(e.sum(axis=-1, keepdims=True), 1e-300)
    if mask is not None:
        P = P * mask.any(axis=-1, keepdims=True)
    return P @ V, P


def attention_mean_shift(Q, K, V, mask=None):
    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        S = np.where(mask, S, -1e9)
    e = np.exp(S - S.mean(axis=-1, keepdims=True))    # a score more than ~709 above its row's mean overflows
    P = e / e.sum(axis=-1, keepdims=True)
    if mask is not None:
        P = P * mask.any(axis=-1, keepdims=True)
    return P @ V, P


def attention_global_max(Q, K, V, mask=None):
    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        S = np.where(mask, S, -1e9)
    e = np.exp(S - S.max())                            # one shift for every row: far rows underflow to 0/0
    P = e / e.sum(axis=-1, keepdims=True)
    if mask is not None:
        P = np.where(mask.any(axis=-1, keepdims=True), P, 0.0)
    return P @ V, P


def attention_small_fill(Q, K, V, mask=None):
    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        S = np.where(mask, S, -1000.0)                 # not below scores of -2000
    P = _softmax(S)
    if mask is not None:
        P = P * mask.any(axis=-1, keepdims=True)
    return P @ V, P


def attention_divides_in_place(Q, K, V, mask=None):
    S = Q @ np.swapaxes(K, -1, -2)
    S /= np.sqrt(Q.shape[-1])                          # integer Q and K: an integer S cannot hold the quotient
    if mask is not None:
        S = np.where(mask, S, -1e9)
    P = _softmax(S)
    if mask is not None:
        P = P * mask.any(axis=-1, keepdims=True)
    return P @ V, P


def backward_fixed_rank(dout, Q, K, V, P):
    dP = dout @ V.transpose(0, 2, 1)                   # exactly one leading axis
    dS = P * (dP - (dP * P).sum(axis=-1, keepdims=True)) / np.sqrt(Q.shape[-1])
    return dS @ K, dS.transpose(0, 2, 1) @ Q, P.transpose(0, 2, 1) @ dout


def backward_dk_from_axis_two(dout, Q, K, V, P):
    dS = _dS(dout, V, P) / np.sqrt(Q.shape[2])         # d_k only when Q is (B, T, d_k)
    return dS @ K, np.swapaxes(dS, -1, -2) @ Q, np.swapaxes(P, -1, -2) @ dout


def backward_in_the_inputs_dtype(dout, Q, K, V, P):
    dQ, dK, dV = np.zeros_like(Q), np.zeros_like(K), np.zeros_like(V)
    dS = _dS(dout, V, P) / np.sqrt(Q.shape[-1])
    dQ[...], dK[...], dV[...] = dS @ K, np.swapaxes(dS, -1, -2) @ Q, np.swapaxes(P, -1, -2) @ dout
    return dQ, dK, dV                                  # integer inputs: the gradients are truncated


def split_heads_squeezed(X, h):
    *lead, T, D = X.shape
    return np.swapaxes(X.reshape(*lead, T, h, D // h), -2, -3).squeeze()


def merge_heads_squeezed(X):
    *lead, h, T, dh = X.shape
    return np.swapaxes(X, -2, -3).reshape(*lead, T, h * dh).squeeze()


def mha_squeezed_weights(X, Wq, Wk, Wv, Wo, h, mask=None):
    out, P = _attend(_split(X @ Wq, h), _split(X @ Wk, h), _split(X @ Wv, h), mask)
    return _merge(out) @ Wo, P.squeeze()               # one head: (B, T, T)


def mha_softmax_without_shift(X, Wq, Wk, Wv, Wo, h, mask=None):
    Q, K, V = _split(X @ Wq, h), _split(X @ Wk, h), _split(X @ Wv, h)
    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        S = np.where(mask, S, -1e9)
    e = np.exp(S)                                      # its own softmax, not shifted: scores above 709 overflow
    P = e / e.sum(axis=-1, keepdims=True)
    return _merge(P @ V) @ Wo, P


MORE = {
    "causal_mask": [Mutant(causal_mask_precomputed, visible=False)],
    "scaled_dot_product_attention": [Mutant(attention_by_recursion, says="recursion"),
                                     Mutant(attention_without_shift, visible=False),
                                     Mutant(attention_mean_shift, visible=False),
                                     Mutant(attention_global_max, visible=False),
                                     Mutant(attention_small_fill, visible=False),
                                     Mutant(attention_divides_in_place, visible=False)],
    "attention_backward": [Mutant(backward_recomputes_weights, says="Use the `weights` you are given"),
                           Mutant(backward_fixed_rank, visible=False),
                           Mutant(backward_dk_from_axis_two, visible=False),
                           Mutant(backward_in_the_inputs_dtype, visible=False)],
    "split_heads": [Mutant(split_heads_map, says="`map`"), Mutant(split_heads_squeezed, visible=False)],
    "merge_heads": [Mutant(merge_heads_reduce, says="`reduce`"), Mutant(merge_heads_squeezed, visible=False)],
    "multi_head_attention": [Mutant(mha_loop_in_helper, says="in `attend_each_head`, which it calls"),
                             Mutant(mha_squeezed_weights, visible=False),
                             Mutant(mha_softmax_without_shift, visible=False)],
    "positional_encoding": [Mutant(pe_stacked_for_even_d, says="cannot reshape"),
                            Mutant(pe_odd_last_column_zero, says="the last one, column d − 1")],
}
for exercise, extra in MORE.items():
    MUTANTS[exercise] += extra
