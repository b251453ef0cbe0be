"""Count-based word vectors: co-occurrence counts → positive PMI → truncated SVD.

The baseline lesson 4 compares word2vec with, built with the settings that Levy, Goldberg & Dagan (2015)
carried over from word2vec to counting: the same window, weighted as word2vec's dynamic window weighs
it, and context counts smoothed by the power 0.75, as in the negative-sampling distribution.
"""
from __future__ import annotations

import numpy as np


def cooccurrences(ids: np.ndarray, sentence: np.ndarray, V: int, window: int) -> tuple[np.ndarray, ...]:
    """Weighted co-occurrence counts within `window` positions inside a sentence, both directions.

    A pair at distance d counts (window − d + 1) / window: how often word2vec's dynamic window,
    whose reach is drawn from 1..window, uses it. Returns (rows, cols, counts), the nonzero entries
    of the (V, V) matrix, each pair once.
    """
    codes, weights = [], []
    for d in range(1, window + 1):
        same = sentence[:-d] == sentence[d:]
        a, b = ids[:-d][same].astype(np.int64), ids[d:][same].astype(np.int64)
        codes += [a * V + b, b * V + a]
        weights.append(np.full(2 * len(a), (window - d + 1) / window))
    unique, which = np.unique(np.concatenate(codes), return_inverse=True)
    return unique // V, unique % V, np.bincount(which, weights=np.concatenate(weights))


def ppmi_matrix(rows: np.ndarray, cols: np.ndarray, counts: np.ndarray, V: int, contexts: int,
                alpha: float = 0.75) -> np.ndarray:
    """PPMI(w, c) = max(0, log P(w, c) / (P(w) P_α(c))) with P_α(c) ∝ count(c)^α, for the first
    `contexts` words as columns (the most frequent, if the vocabulary is sorted). Returns (V, contexts) float32.
    """
    total = counts.sum()
    p_word = np.bincount(rows, weights=counts, minlength=V) / total
    smoothed = np.bincount(cols, weights=counts, minlength=V) ** alpha
    p_context = smoothed / smoothed.sum()
    pmi = np.log(counts / total) - np.log(p_word[rows]) - np.log(p_context[cols])
    keep = (pmi > 0) & (cols < contexts)
    M = np.zeros((V, contexts), np.float32)
    M[rows[keep], cols[keep]] = pmi[keep]
    return M


def truncated_svd(M: np.ndarray, dim: int, rng: np.random.Generator, oversample: int = 10,
                  power: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The `dim` largest singular values S (dim,) and left vectors U (n, dim) of M (n, m), by randomized
    SVD (Halko, Martinsson & Tropp, 2011): a few products with M instead of a full decomposition."""
    Q = np.linalg.qr(M @ rng.normal(size=(M.shape[1], dim + oversample)).astype(M.dtype))[0]
    for _ in range(power):                             # power iterations sharpen the top directions
        Q = np.linalg.qr(M @ np.linalg.qr(M.T @ Q)[0])[0]
    U_small, S, _ = np.linalg.svd(Q.T @ M, full_matrices=False)
    return (Q @ U_small)[:, :dim], S[:dim]


def ppmi_svd_vectors(ids: np.ndarray, sentence: np.ndarray, V: int, *, window: int = 5, dim: int = 100,
                     contexts: int | None = None, power: float = 0.5, seed: int = 0) -> np.ndarray:
    """Word vectors U_d · S_d^power (V, dim) from the PPMI matrix of the encoded corpus (ids, sentence: (T,)),
    with the `contexts` most frequent words as contexts (default: all V; the matrix is V × contexts float32)."""
    M = ppmi_matrix(*cooccurrences(ids, sentence, V, window), V, V if contexts is None else min(contexts, V))
    U, S = truncated_svd(M, dim, np.random.default_rng(seed))
    return U * S ** power
