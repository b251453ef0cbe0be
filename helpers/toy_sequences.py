"""The toy sequence task of lesson 6: reverse a short sequence of digits.

Generated on the fly from a seeded generator: no data files. Reversal is a good first task for
self-attention because the answer at position i is simply the token at position T-1-i, so a trained
model's attention map should show a clean anti-diagonal.
"""
from __future__ import annotations

import numpy as np


def reversal_batch(rng: np.random.Generator, batch: int, T: int, vocab: int) -> tuple[np.ndarray, np.ndarray]:
    """(tokens, targets), both (batch, T) ints in [0, vocab): targets[b] is tokens[b] reversed."""
    tokens = rng.integers(0, vocab, size=(batch, T))
    return tokens, tokens[:, ::-1].copy()
