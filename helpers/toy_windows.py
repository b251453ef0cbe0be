"""A small, reproducible set of labelled word windows for training a window classifier.

Toy word vectors with structure (words of the same kind scatter around a shared centre) and random
sentences built from templates; every word gets a window of 2w+1 words (padding word 0 beyond the
ends) and the label 1 if it is a place, 0 otherwise. `split` makes training windows and held-out
windows from different sentences; the held-out sentences may also use words training never saw.
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


UNSEEN = ("cairo", "omar")   # words only held-out sentences use


def word_vectors(D: int, seed: int = 0, spread: float = 1.0) -> np.ndarray:
    """E: (V, D) toy word vectors; row 0 (padding) is zero, words of a kind scatter around a centre
    (centres and scatter both standard normal, the scatter times `spread`)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(max(KINDS) + 1, D))
    E = centres[KINDS] + spread * rng.normal(size=(len(VOCAB), D))
    E[0] = 0.0
    return E


def sentences(n: int, seed: int = 0, leave_out: tuple[str, ...] = ()) -> list[np.ndarray]:
    """n random sentences (arrays of word indices) filled in from the templates, never using `leave_out`."""
    rng = np.random.default_rng(seed)
    kinds = np.array(KINDS)
    left_out = [VOCAB.index(word) for word in leave_out]
    by_kind = {k: np.setdiff1d(np.flatnonzero(kinds == k), left_out) for k in set(KINDS) if k}
    return [np.array([rng.choice(by_kind[k]) for k in TEMPLATES[rng.integers(len(TEMPLATES))]])
            for _ in range(n)]


def windows(sentence: np.ndarray, E: np.ndarray, w: int = 2) -> np.ndarray:
    """X: (T, (2w+1)·D), row t the concatenated vectors of words t−w … t+w (padding word 0 outside)."""
    padded = np.pad(sentence, w)
    positions = np.arange(len(sentence))[:, None] + np.arange(2 * w + 1)
    return E[padded[positions]].reshape(len(sentence), -1)


def labelled(sents: list[np.ndarray], E: np.ndarray, w: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X, y, centre): X: (N, (2w+1)·D) the windows of every word of `sents`; y: (N,) 1 for a place,
    0 otherwise (ints); centre: (N,) the index of each window's centre word."""
    centre = np.concatenate(sents)
    X = np.concatenate([windows(s, E, w) for s in sents])
    return X, (np.array(KINDS)[centre] == PLACE).astype(np.int64), centre


def split(n_train: int = 60, n_held_out: int = 40, D: int = 6, w: int = 2,
          seed: int = 0) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Training and held-out windows from different sentences with the same word vectors:
    (X, y, centre) of n_train sentences that never use the UNSEEN words, and of n_held_out that may."""
    E = word_vectors(D, seed)
    return (labelled(sentences(n_train, seed + 1, leave_out=UNSEEN), E, w),
            labelled(sentences(n_held_out, seed + 2), E, w))
