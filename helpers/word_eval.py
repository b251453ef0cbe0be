"""Scoring word vectors: Spearman's ρ on WordSim-353 and accuracy on the word2vec analogy questions.

Both skip questions with a word outside the vocabulary and say how many they used, as gensim does.
`load_comparison` reads the scores of the reference models that lesson 4 sets the student's beside.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

COMPARISON = Path(__file__).resolve().parent / "data" / "word2vec_comparison.json"


def unit_rows(E: np.ndarray) -> np.ndarray:
    """Each row divided by its length (zero rows stay zero). E: (V, D). Returns (V, D)."""
    return E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)


def ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of x, ties given the mean of their ranks. x: (n,). Returns (n,) floats."""
    order = np.argsort(x, kind="stable")
    r = np.empty(len(x))
    r[order] = np.arange(1, len(x) + 1)
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=r)
    return sums[inverse] / counts[inverse]


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation: Pearson's correlation of the ranks. x, y: (n,)."""
    rx, ry = ranks(np.asarray(x, float)), ranks(np.asarray(y, float))
    rx, ry = rx - rx.mean(), ry - ry.mean()
    return float(rx @ ry / np.sqrt((rx @ rx) * (ry @ ry)))


def wordsim_spearman(vectors: np.ndarray, index: dict[str, int],
                     pairs: list[tuple[str, str, float]]) -> tuple[float, int]:
    """(Spearman ρ between cosine similarity and human score, number of pairs used). vectors: (V, D)."""
    used = [(index[a], index[b], s) for a, b, s in pairs if a in index and b in index]
    a, b, human = (np.array(col) for col in zip(*used))
    unit = unit_rows(vectors)
    return spearman((unit[a] * unit[b]).sum(axis=1), human), len(used)


def analogy_accuracy(vectors: np.ndarray, index: dict[str, int],
                     questions: list[tuple[str, str, str, str]], batch: int = 2048) -> tuple[float, int]:
    """(fraction answered right, number of questions used) for a : b = c : d, answer = argmax cosine
    with b − a + c over unit vectors, a, b and c excluded. vectors: (V, D)."""
    used = np.array([[index[w] for w in q] for q in questions if all(w in index for w in q)], dtype=np.int64)
    if len(used) == 0:
        return 0.0, 0
    unit = unit_rows(vectors)
    right = 0
    for start in range(0, len(used), batch):
        q = used[start:start + batch]
        sims = (unit[q[:, 1]] - unit[q[:, 0]] + unit[q[:, 2]]) @ unit.T          # (n, V)
        rows = np.arange(len(q))[:, None]
        sims[rows, q[:, :3]] = -np.inf
        right += int((sims.argmax(axis=1) == q[:, 3]).sum())
    return right / len(used), len(used)


def load_comparison() -> dict:
    """The stored scores of lesson 4's reference models, over seeds, and the corpus-size curve
    (made by scripts/make_word2vec_comparison.py; see helpers/data/README_word2vec.md)."""
    return json.loads(COMPARISON.read_text(encoding="utf-8"))
