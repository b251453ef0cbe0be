"""The shipped Wikipedia sample as characters, for the character-level language models of lessons 5 and 6.

The text is helpers/data/enwiki_sample.txt.gz (lesson 4's corpus, made by scripts/make_word2vec_data.py;
English Wikipedia, CC BY-SA 3.0, see helpers/data/README_word2vec.md), read without changing the file.
Two readings of it, each over an alphabet of its own:

* `load_text()`, lesson 5's: accents dropped (é → e), every character that is not a letter made a space,
  the paragraphs joined by a space: a string over LETTERS = " abcdefghijklmnopqrstuvwxyz" (27 symbols);
* `load_ids()`, lesson 6's: the characters outside LINES = newline, space and a–z (about 1 in 2,000:
  accented and non-Latin letters, "_") dropped, paragraphs kept on their lines: ids over 28 symbols.

A recurrent model reads the text as N parallel `streams` (rows), T characters at a time, as in Deep
Learning from Scratch 2; a transformer reads random `windows` with, for each position, the next character.
"""
from __future__ import annotations

import gzip
import re
import unicodedata
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data"


class Alphabet:
    """Characters <-> ids (their positions in `symbols`)."""

    def __init__(self, symbols: str) -> None:
        self.symbols = symbols
        self.index = {ch: k for k, ch in enumerate(symbols)}

    def __len__(self) -> int:
        return len(self.symbols)

    def encode(self, text: str) -> np.ndarray:
        """Character ids (len(text),) int64; a character outside the alphabet is a ValueError."""
        unknown = sorted(set(text) - set(self.symbols))
        if unknown:
            raise ValueError(f"text: expected only the characters {self.symbols!r}, got {''.join(unknown)!r}")
        return np.array([self.index[ch] for ch in text], dtype=np.int64)

    def decode(self, ids: np.ndarray) -> str:
        """The string of character ids (any shape, read in order)."""
        return "".join(self.symbols[k] for k in np.ravel(ids))


LETTERS = Alphabet(" abcdefghijklmnopqrstuvwxyz")
LINES = Alphabet("\n abcdefghijklmnopqrstuvwxyz")


def load_text() -> str:
    """Lesson 5's reading: the sample as one string over LETTERS (about 2.7 million characters)."""
    with gzip.open(DATA / "enwiki_sample.txt.gz", "rt", encoding="utf-8") as f:
        raw = f.read()
    plain = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode("ascii")   # é → e
    return re.sub(r"[^a-z]+", " ", plain.lower()).strip()


def load_ids() -> np.ndarray:
    """Lesson 6's reading: the sample as ids over LINES, (n,) int64 with n ≈ 2.77 million."""
    with gzip.open(DATA / "enwiki_sample.txt.gz", "rb") as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8)
    lookup = np.full(256, -1)
    lookup[np.frombuffer(LINES.symbols.encode("ascii"), dtype=np.uint8)] = np.arange(len(LINES))
    ids = lookup[raw]                       # UTF-8 bytes of other characters are ≥ 128: all map to -1
    return ids[ids >= 0]


def streams(ids: np.ndarray, N: int) -> np.ndarray:
    """The text cut into N rows of equal length, each a contiguous stretch of it: (N, len(ids) // N).

    The last len(ids) mod N characters are dropped.
    """
    if not 1 <= N <= len(ids):
        raise ValueError(f"N: expected 1 … {len(ids)} streams for a text of {len(ids)} characters, got {N}")
    L = len(ids) // N
    return ids[:N * L].reshape(N, L)


def windows(ids: np.ndarray, rng: np.random.Generator, batch: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    """`batch` random windows of `T` characters (B, T) and, for each position, the next character (B, T)."""
    if len(ids) <= T:
        raise ValueError(f"ids has {len(ids)} characters; windows of T={T} need more than {T}")
    start = rng.integers(0, len(ids) - T, size=batch)[:, None] + np.arange(T)    # (B, T)
    return ids[start], ids[start + 1]


def bigram_cross_entropy(train: np.ndarray, test: np.ndarray, vocab: int) -> float:
    """Mean -log P(next | previous character) over `test`, in nats, with P estimated from the pairs of
    characters in `train` (every pair counted once more, so none has probability 0): the best a model
    that sees only the previous character can do, a yardstick for models that see more."""
    counts = np.bincount(train[:-1] * vocab + train[1:], minlength=vocab * vocab).reshape(vocab, vocab) + 1.0
    P = counts / counts.sum(axis=1, keepdims=True)                 # row a: P(next | previous = a)
    return float(-np.log(P[test[:-1], test[1:]]).mean())
