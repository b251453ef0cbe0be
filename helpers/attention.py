"""Reference self-attention in NumPy: masks, scaled dot-product attention, heads, positions.

Forward and hand-written backward passes, written once here for the checks, the tests, the toy
model and the benchmark. Every function keeps its input's float dtype (float32 stays float32).

Conventions (lesson 6):
* a boolean mask is True where a query **may attend** to a key (True = keep), as in PyTorch's
  `scaled_dot_product_attention`; it broadcasts against the scores `(..., Tq, Tk)`;
* a query whose keys are all blocked attends to nothing: its weights and its output are 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BLOCKED = -1e9  # the score a blocked position gets before the softmax: exp(-1e9 - max) is exactly 0


def causal_mask(T: int) -> np.ndarray:
    """(T, T) bool: entry [i, j] is True when query i may attend to key j, i.e. j <= i."""
    return np.tril(np.ones((T, T), dtype=bool))


def padding_mask(lengths: np.ndarray, T: int) -> np.ndarray:
    """(B, 1, T) bool from the true lengths (B,): True on real tokens, False on padding keys."""
    return (np.arange(T) < np.asarray(lengths)[:, None])[:, None, :]


def softmax(S: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, stable (each row's maximum subtracted). S: (..., N)."""
    e = np.exp(S - S.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def attention_forward(Q: np.ndarray, K: np.ndarray, V: np.ndarray,
                      mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Scaled dot-product attention.

    Q: (..., Tq, d), K: (..., Tk, d), V: (..., Tk, dv); mask: bool, broadcastable to (..., Tq, Tk).
    Returns (out: (..., Tq, dv), weights P: (..., Tq, Tk)); rows of P sum to 1, or are all 0 when
    every key of that query is blocked.
    """
    scale = Q.dtype.type(1.0 / np.sqrt(Q.shape[-1]))
    S = (Q * scale) @ np.swapaxes(K, -1, -2)                     # (..., Tq, Tk)
    if mask is not None:
        S += np.where(mask, 0.0, BLOCKED).astype(S.dtype)
    S -= S.max(axis=-1, keepdims=True)
    P = np.exp(S, out=S)
    P *= 1.0 / P.sum(axis=-1, keepdims=True)
    if mask is not None and not np.asarray(mask).any(axis=-1).all():
        P *= np.asarray(mask).any(axis=-1, keepdims=True)        # fully blocked rows: weights 0
    return P @ V, P


def attention_backward(dout: np.ndarray, Q: np.ndarray, K: np.ndarray, V: np.ndarray,
                       P: np.ndarray, out: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of scaled dot-product attention, given the upstream gradient dout: (..., Tq, dv).

    P: the weights the forward pass returned (blocked entries are 0, so the mask needs no repeating).
    out (optional): the forward output P V, which makes the softmax's row term cheaper:
    Σ_j P_ij dP_ij = dout_i · out_i.
    Returns (dQ, dK, dV) with the shapes of Q, K, V.
    """
    scale = Q.dtype.type(1.0 / np.sqrt(Q.shape[-1]))
    dV = np.swapaxes(P, -1, -2) @ dout                           # (..., Tk, dv)
    dP = dout @ np.swapaxes(V, -1, -2)                           # (..., Tq, Tk)
    row = (dout * out).sum(axis=-1, keepdims=True) if out is not None else (dP * P).sum(axis=-1, keepdims=True)
    dP -= row
    dS = np.multiply(dP, P, out=dP)                              # the softmax's vector–Jacobian product
    dS *= scale
    return dS @ K, np.swapaxes(dS, -1, -2) @ Q, dV


def split_heads(X: np.ndarray, h: int) -> np.ndarray:
    """(..., T, D) -> (..., h, T, D/h): head i gets features i*D/h ... (i+1)*D/h - 1 of every token."""
    *lead, T, D = X.shape
    return np.swapaxes(X.reshape(*lead, T, h, D // h), -2, -3)


def merge_heads(X: np.ndarray) -> np.ndarray:
    """(..., h, T, dh) -> (..., T, h*dh), the inverse of split_heads."""
    *lead, h, T, dh = X.shape
    return np.swapaxes(X, -2, -3).reshape(*lead, T, h * dh)


@dataclass
class MHACache:
    """What multi-head attention's backward pass needs from its forward pass."""
    X: np.ndarray
    Q: np.ndarray
    K: np.ndarray
    V: np.ndarray
    P: np.ndarray
    heads_out: np.ndarray
    merged: np.ndarray


def multi_head_attention(X: np.ndarray, Wq: np.ndarray, Wk: np.ndarray, Wv: np.ndarray, Wo: np.ndarray,
                         h: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, MHACache]:
    """Multi-head self-attention. X: (B, T, D); Wq, Wk, Wv, Wo: (D, D); D divisible by h.

    Returns (out: (B, T, D), cache); cache.P holds the weights, (B, h, T, T).
    """
    Q, K, V = (split_heads(X @ W, h) for W in (Wq, Wk, Wv))      # (B, h, T, D/h) each
    heads_out, P = attention_forward(Q, K, V, mask)
    merged = merge_heads(heads_out)                              # (B, T, D)
    return merged @ Wo, MHACache(X, Q, K, V, P, heads_out, merged)


def multi_head_attention_backward(dout: np.ndarray, cache: MHACache, Wq: np.ndarray, Wk: np.ndarray,
                                  Wv: np.ndarray, Wo: np.ndarray) -> tuple[np.ndarray, ...]:
    """Gradients of multi_head_attention. dout: (B, T, D). Returns (dX, dWq, dWk, dWv, dWo)."""
    c = cache
    h = c.Q.shape[-3]
    flat = lambda A: A.reshape(-1, A.shape[-1])                  # noqa: E731  (B*T, ·)
    dWo = flat(c.merged).T @ flat(dout)
    dheads = split_heads(dout @ Wo.T, h)
    dQ, dK, dV = attention_backward(dheads, c.Q, c.K, c.V, c.P, c.heads_out)
    dX = np.zeros_like(c.X)
    grads = []
    for dH, W in ((dQ, Wq), (dK, Wk), (dV, Wv)):
        dproj = merge_heads(dH)                                  # (B, T, D)
        grads.append(flat(c.X).T @ flat(dproj))
        dX += dproj @ W.T
    return (dX, *grads, dWo)


def positional_encoding(T: int, d: int) -> np.ndarray:
    """Sinusoidal positions, (T, d): PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(same); for odd d
    the last column is a sine."""
    angles = np.arange(T)[:, None] / 10000.0 ** (np.arange(0, d, 2) / d)   # (T, ceil(d/2))
    pe = np.empty((T, d))
    pe[:, 0::2], pe[:, 1::2] = np.sin(angles), np.cos(angles[:, :d // 2])
    return pe
