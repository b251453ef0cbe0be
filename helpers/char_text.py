"""Lesson 5's text for a character-level language model: English Wikipedia as 27 symbols.

The text is lesson 4's shipped sample, helpers/data/enwiki_sample.txt.gz (English Wikipedia, CC BY-SA 3.0;
see helpers/data/README_word2vec.md for its source and the script that made it), read here without
changing the file: accents are dropped (é → e), every character that is not a letter becomes a space,
and the paragraphs are joined by a space. What remains is the alphabet " abcdefghijklmnopqrstuvwxyz".

A language model reads the text as N parallel streams (rows), T characters at a time, as in
Deep Learning from Scratch 2: chunk k of every row is the input, the same chunk shifted by one
character is the target.
"""
from __future__ import annotations

import gzip
import re
import unicodedata
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data"
ALPHABET = " abcdefghijklmnopqrstuvwxyz"
_INDEX = {ch: k for k, ch in enumerate(ALPHABET)}


def load_text() -> str:
    """The shipped Wikipedia sample as one string over ALPHABET (about 2.7 million characters)."""
    with gzip.open(DATA / "enwiki_sample.txt.gz", "rt", encoding="utf-8") as f:
        raw = f.read()
    plain = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode("ascii")   # é → e
    return re.sub(r"[^a-z]+", " ", plain.lower()).strip()


def encode(text: str) -> np.ndarray:
    """Character ids (len(text),) of a string over ALPHABET; any other character is a ValueError."""
    unknown = sorted(set(text) - set(ALPHABET))
    if unknown:
        raise ValueError(f"text: expected only the characters {ALPHABET!r}, got {''.join(unknown)!r}")
    return np.array([_INDEX[ch] for ch in text], dtype=np.int64)


def decode(ids: np.ndarray) -> str:
    """The string of character ids (any shape, read in order)."""
    return "".join(ALPHABET[k] for k in np.ravel(ids))


def streams(ids: np.ndarray, N: int) -> np.ndarray:
    """The text cut into N rows of equal length, each a contiguous stretch of it: (N, len(ids) // N).

    The last len(ids) mod N characters are dropped.
    """
    if not 1 <= N <= len(ids):
        raise ValueError(f"N: expected 1 … {len(ids)} streams for a text of {len(ids)} characters, got {N}")
    L = len(ids) // N
    return ids[:N * L].reshape(N, L)

