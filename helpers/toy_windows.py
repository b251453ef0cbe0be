"""A small, reproducible set of labelled word windows for training a window classifier.

Toy word vectors with structure (words of the same kind lie near a shared centre) and random
sentences built from templates; every word gets a window of 2w+1 words (padding word 0 beyond the
ends) and the label 1 if it is a place, 0 otherwise.
"""
from __future__ import annotations

import numpy as np

VOCAB = ["<pad>", "paris", "london", "seoul", "rome", "cairo", "alice", "bob", "kim", "omar",
         "museums", "parks", "food", "trains", "are", "is", "was", "seem", "in", "to", "near", "from",
         "the", "amazing", "busy", "quiet", "old"]
KINDS = [0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 7, 7, 7, 7]
PLACE = 1
TEMPLATES = [  # each slot names a kind; a sentence picks one word of that kind per slot
    [3, 5, 1, 4, 7],       # museums in paris are amazing
    [2, 4, 7, 5, 1],       # alice was busy in seoul
    [2, 5, 1, 4, 7],       # kim near rome was quiet
    [6, 3, 5, 1, 4, 7],    # the parks near cairo are old
    [3, 5, 2, 4, 7],       # food from bob is amazing (no place)
    [2, 4, 5, 6, 3],       # omar was near the trains (no place)
]


def word_vectors(D: int, seed: int = 0) -> np.ndarray:
    """E: (V, D) toy word vectors; row 0 (padding) is zero, words of a kind cluster around a centre."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(max(KINDS) + 1, D))
    E = centres[KINDS] + 0.5 * rng.normal(size=(len(VOCAB), D))
    E[0] = 0.0
    return E


def sentences(n: int, seed: int = 0) -> list[np.ndarray]:
    """n random sentences (arrays of word indices) filled in from the templates."""
    rng = np.random.default_rng(seed)
    kinds = np.array(KINDS)
    by_kind = {k: np.flatnonzero(kinds == k) for k in set(KINDS) if k}
    return [np.array([rng.choice(by_kind[k]) for k in TEMPLATES[rng.integers(len(TEMPLATES))]])
            for _ in range(n)]


def windows(sentence: np.ndarray, E: np.ndarray, w: int = 2) -> np.ndarray:
    """X: (T, (2w+1)·D), row t the concatenated vectors of words t−w … t+w (padding word 0 outside)."""
    padded = np.pad(sentence, w)
    positions = np.arange(len(sentence))[:, None] + np.arange(2 * w + 1)
    return E[padded[positions]].reshape(len(sentence), -1)


def dataset(n_sentences: int = 60, D: int = 6, w: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(X, y): X: (N, (2w+1)·D) windows of every word of n_sentences sentences; y: (N,) 1.0 for places."""
    E = word_vectors(D, seed)
    sents = sentences(n_sentences, seed + 1)
    X = np.concatenate([windows(s, E, w) for s in sents])
    y = np.concatenate([(np.array(KINDS)[s] == PLACE).astype(np.float64) for s in sents])
    return X, y
