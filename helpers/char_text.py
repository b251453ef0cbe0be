"""Lesson 6's text for a character-level language model: the shipped Wikipedia sample, as characters.

The text is helpers/data/enwiki_sample.txt.gz (lesson 4's corpus, made by scripts/make_word2vec_data.py;
CC BY-SA 3.0, see helpers/data/README_word2vec.md): lower-case words separated by spaces, one paragraph
per line. Its characters outside ALPHABET (about 1 in 2,000: accented and non-Latin letters, "_") are
dropped, so the vocabulary is 28 characters: newline, space and a–z.
"""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data"
ALPHABET = "\n abcdefghijklmnopqrstuvwxyz"


def load_ids() -> np.ndarray:
    """The whole sample as character ids, (N,) int64 indices into ALPHABET (N ≈ 2.77 million)."""
    with gzip.open(DATA / "enwiki_sample.txt.gz", "rb") as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8)
    lookup = np.full(256, -1)
    lookup[np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)] = np.arange(len(ALPHABET))
    ids = lookup[raw]                       # UTF-8 bytes of other characters are ≥ 128: all map to -1
    return ids[ids >= 0]


def encode(text: str) -> np.ndarray:
    """Characters -> ids, (len(text),). Raises ValueError for a character outside ALPHABET."""
    unknown = sorted(set(text) - set(ALPHABET))
    if unknown:
        raise ValueError(f"text has characters outside the alphabet {ALPHABET!r}: {unknown}")
    return np.array([ALPHABET.index(ch) for ch in text], dtype=np.int64)


def decode(ids: np.ndarray) -> str:
    """ids (n,) -> the string they spell."""
    return "".join(ALPHABET[i] for i in ids)


def windows(ids: np.ndarray, rng: np.random.Generator, batch: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    """`batch` random windows of `T` characters (B, T) and, for each position, the next character (B, T)."""
    if len(ids) <= T:
        raise ValueError(f"ids has {len(ids)} characters; windows of T={T} need more than {T}")
    start = rng.integers(0, len(ids) - T, size=batch)[:, None] + np.arange(T)    # (B, T)
    return ids[start], ids[start + 1]


def bigram_cross_entropy(train: np.ndarray, test: np.ndarray, vocab: int = len(ALPHABET)) -> float:
    """Mean -log P(next | previous character) over `test`, in nats, with P estimated from the pairs of
    characters in `train` (every pair counted once more, so none has probability 0): the best a model
    that sees only the previous character can do, a yardstick for models that see more."""
    counts = np.bincount(train[:-1] * vocab + train[1:], minlength=vocab * vocab).reshape(vocab, vocab) + 1.0
    P = counts / counts.sum(axis=1, keepdims=True)                 # row a: P(next | previous = a)
    return float(-np.log(P[test[:-1], test[1:]]).mean())
