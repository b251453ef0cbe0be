"""Fast multi-head attention core in NumPy (float32), forward and backward, for the benchmark.

The same mathematics as helpers.attention, arranged for speed the way fused attention kernels are:

* **causal block skipping**: queries are taken in blocks of `block` rows; block i only needs keys
  0 … (i+1)·block − 1, because every later key is masked. For T = 128 in blocks of 32 that is 62.5 % of
  the score matrix, and the mask is only applied to the diagonal block;
* **in-place elementwise work**: the softmax and its backward overwrite one buffer instead of making
  a new array per step; the softmax's row term uses Σ_j P_ij dP_ij = dout_i · out_i (a (T, d) product
  instead of a (T, T) one);
* **threads over batch × heads**: NumPy's elementwise functions use one core, but release the GIL, so
  independent slices of the batch run in parallel in a thread pool.

Arrays are (..., T, d) with any leading axes (batch, heads); the mask is causal or absent.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import numpy as np

from helpers.attention import BLOCKED


@dataclass
class Cache:
    """What the backward pass needs: inputs, output, and each query block's weights (n, rows, keys)."""
    Q: np.ndarray
    K: np.ndarray
    V: np.ndarray
    out: np.ndarray
    P: list[np.ndarray]
    block: int


def _blocks(T: int, block: int) -> list[tuple[int, int]]:
    """(start, stop) of each query block; block i attends to keys [0, stop)."""
    return [(s, min(s + block, T)) for s in range(0, T, block)]


def _forward_chunk(Q: np.ndarray, K: np.ndarray, V: np.ndarray, block: int, causal: bool) -> Cache:
    """Q, K: (n, T, d), V: (n, T, dv) contiguous float arrays."""
    n, T, d = Q.shape
    Qs = Q * Q.dtype.type(1.0 / np.sqrt(d))
    Kt = K.transpose(0, 2, 1)
    out = np.empty((n, T, V.shape[-1]), dtype=Q.dtype)
    bias = np.where(np.tril(np.ones((block, block), dtype=bool)), 0.0, BLOCKED).astype(Q.dtype)
    weights = []
    for start, stop in (_blocks(T, block) if causal else [(0, T)]):
        keys = stop if causal else T
        S = Qs[:, start:stop] @ Kt[:, :, :keys]                          # (n, rows, keys)
        if causal:
            S[:, :, start:stop] += bias[:stop - start, :stop - start]
        S -= S.max(axis=-1, keepdims=True)
        np.exp(S, out=S)
        S *= 1.0 / S.sum(axis=-1, keepdims=True)
        np.matmul(S, V[:, :keys], out=out[:, start:stop])
        weights.append(S)
    return Cache(Q, K, V, out, weights, block if causal else T)


def _backward_chunk(dout: np.ndarray, c: Cache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, T, d = c.Q.shape
    scale = c.Q.dtype.type(1.0 / np.sqrt(d))
    row = (dout * c.out).sum(axis=-1, keepdims=True)                      # (n, T, 1)
    dQ = np.empty_like(c.Q)
    dK = np.zeros_like(c.K)
    dV = np.zeros_like(c.V)
    Vt = c.V.transpose(0, 2, 1)
    for (start, stop), P in zip(_blocks(T, c.block), c.P):
        keys = P.shape[-1]
        d_rows = dout[:, start:stop]
        dV[:, :keys] += P.transpose(0, 2, 1) @ d_rows
        dS = d_rows @ Vt[:, :, :keys]                                    # dP, then dS in place
        dS -= row[:, start:stop]
        dS *= P
        np.matmul(dS, c.K[:, :keys], out=dQ[:, start:stop])
        dK[:, :keys] += dS.transpose(0, 2, 1) @ c.Q[:, start:stop]
    dQ *= scale
    dK *= scale
    return dQ, dK, dV


class FastAttention:
    """Scaled dot-product attention, causal or unmasked, on `threads` threads.

        attn = FastAttention(threads=2)
        out, cache = attn.forward(Q, K, V, causal=True)      # Q, K: (..., T, d); V: (..., T, dv)
        dQ, dK, dV = attn.backward(dout, cache)
    """

    def __init__(self, threads: int = 1, block: int = 32) -> None:
        self.threads, self.block = threads, block
        self._pool = ThreadPoolExecutor(threads) if threads > 1 else None

    def _map(self, fn: Callable, *columns: list) -> list:
        if self._pool is None:
            return [fn(*args) for args in zip(*columns)]
        return list(self._pool.map(fn, *columns))

    def _split(self, A: np.ndarray) -> list[np.ndarray]:
        flat = np.ascontiguousarray(A).reshape(-1, *A.shape[-2:])
        return np.array_split(flat, min(self.threads, len(flat)))

    def forward(self, Q: np.ndarray, K: np.ndarray, V: np.ndarray, causal: bool = False
                ) -> tuple[np.ndarray, list[Cache]]:
        """Returns (out: (..., T, dv), cache for backward)."""
        caches = self._map(lambda q, k, v: _forward_chunk(q, k, v, self.block, causal),
                           self._split(Q), self._split(K), self._split(V))
        out = np.concatenate([c.out for c in caches]) if len(caches) > 1 else caches[0].out
        return out.reshape(*Q.shape[:-1], V.shape[-1]), caches

    def backward(self, dout: np.ndarray, caches: list[Cache]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Returns (dQ, dK, dV) for the upstream gradient dout: (..., T, dv)."""
        parts = self._map(_backward_chunk, np.array_split(
            np.ascontiguousarray(dout).reshape(-1, *dout.shape[-2:]), len(caches)), caches)
        shapes = [c.shape for c in (caches[0].Q, caches[0].K, caches[0].V)]
        lead = dout.shape[:-2]
        return tuple(np.concatenate([p[i] for p in parts]).reshape(*lead, *shapes[i][1:]) for i in range(3))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
