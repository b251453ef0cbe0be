"""Typical wrong answers to lesson 6 (06_self_attention)."""
import numpy as np

from tests.mutants import Mutant

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
    return np.stack([X[..., i * dh:(i + 1) * dh] for i in range(h)], axis=1)


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
    return np.concatenate([X[:, i] for i in range(X.shape[1])], axis=-1)


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
    dh = X.shape[-1] // h
    parts = [_attend(X @ Wq[:, i * dh:(i + 1) * dh], X @ Wk[:, i * dh:(i + 1) * dh],
                     X @ Wv[:, i * dh:(i + 1) * dh], mask) for i in range(h)]
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
