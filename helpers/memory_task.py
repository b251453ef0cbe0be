"""A long-memory task and a small trainer for recurrent networks written in the notebook.

The task, "recall the first symbol": a sequence of T one-hot tokens starts with one of K message
symbols; the other T − 1 tokens are distractors drawn from M other symbols. After reading the whole
sequence the network must say which message symbol came first. Guessing gives 1/K; a network can
only do better if information from step 1 survives T − 1 updates of its state.

The trainer owns a linear read-out on the last hidden state, the softmax cross-entropy loss and
Adam; the recurrent network itself is the student's code, passed in as a function
`run(params, xs) -> (hs, backward)` where `backward(dhs)` returns the gradients of `params`.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from tqdm.auto import tqdm

from helpers.adam import Adam

Run = Callable[[list[np.ndarray], np.ndarray], tuple[np.ndarray, Callable[[np.ndarray], list[np.ndarray]]]]
Clip = Callable[[list[np.ndarray], float], tuple[list[np.ndarray], float]]


def recall_batch(rng: np.random.Generator, N: int, T: int, K: int = 4,
                 M: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """N sequences of length T. Returns xs: (N, T, K + M) one-hot tokens and y: (N,) labels in 0 … K−1.

    Token 0 of sequence n is message symbol y[n] (one-hot index y[n]); tokens 1 … T−1 are
    distractors, one-hot indices K … K + M − 1.
    """
    y = rng.integers(0, K, size=N)
    tokens = rng.integers(K, K + M, size=(N, T))
    tokens[:, 0] = y
    return np.eye(K + M)[tokens], y


def softmax_cross_entropy(scores: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of scores: (N, K) against labels y: (N,), and its gradient (N, K)."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    N = len(y)
    grad = np.exp(log_p)
    grad[np.arange(N), y] -= 1.0
    return float(-log_p[np.arange(N), y].mean()), grad / N


def predict(run: Run, params: list[np.ndarray], readout: list[np.ndarray], xs: np.ndarray) -> np.ndarray:
    """Predicted labels (N,) of sequences xs: (N, T, V) from the last hidden state."""
    hs, _ = run(params, xs)
    V, c = readout
    return (hs[:, -1] @ V + c).argmax(axis=1)


def new_readout(H: int, K: int, rng: np.random.Generator) -> list[np.ndarray]:
    """A linear read-out from the last hidden state to K scores: [V: (H, K), c: (K,)]."""
    return [rng.normal(scale=1 / np.sqrt(H), size=(H, K)), np.zeros(K)]


def train_recall(run: Run, params: list[np.ndarray], readout: list[np.ndarray], clip: Clip, T: int, *,
                 steps: int = 200, batch: int = 32, lr: float = 2e-2, max_norm: float = 1.0, M: int = 4,
                 seed: int = 0, desc: str | None = None, on_step: Callable[[int], None] | None = None) -> dict:
    """Train `run`'s params and the read-out [V: (H, K), c: (K,)] (both updated in place) on the recall
    task of length T, with K = the read-out's number of classes.

    Every step draws a fresh batch, clips the gradients of all parameters together with
    `clip(grads, max_norm)` and takes an Adam step. Returns a dict with the per-step "loss" and
    "grad_norms" (before clipping), and the "accuracy" on 512 fresh sequences.
    desc: show a progress bar with this label. on_step(k): called after update k = 0 … steps − 1.
    """
    rng = np.random.default_rng(seed)
    K = readout[0].shape[1]
    optimiser = Adam(params + readout, lr=lr)
    losses, norms = [], []
    for k in tqdm(range(steps), desc=desc, disable=desc is None):
        xs, y = recall_batch(rng, batch, T, K, M)
        hs, backward = run(params, xs)
        loss, dscores = softmax_cross_entropy(hs[:, -1] @ readout[0] + readout[1], y)
        dhs = np.zeros_like(hs)
        dhs[:, -1] = dscores @ readout[0].T
        grads = backward(dhs) + [hs[:, -1].T @ dscores, dscores.sum(axis=0)]
        grads, norm = clip(grads, max_norm)
        optimiser.step(grads)
        losses.append(loss)
        norms.append(norm)
        if on_step is not None:
            on_step(k)
    xs, y = recall_batch(rng, 512, T, K, M)
    accuracy = float((predict(run, params, readout, xs) == y).mean())
    return {"loss": np.array(losses), "accuracy": accuracy, "grad_norms": np.array(norms)}
