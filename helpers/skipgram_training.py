"""Training skip-gram with negative sampling from the student's own functions.

The lesson's ending trains on the whole corpus with the functions the student wrote: `train_skipgram`
takes their `sample_negatives(counts, positives, k, rng)` and `sgns_loss_and_grads(W_in, W_out,
centres, contexts, negatives)` as arguments and does only the bookkeeping around them: subsampling,
(centre, context) pairs, shuffling, mini-batches, a learning rate that decays linearly to zero, and a
progress bar. Every number in the vectors comes from the student's code.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """Probability of keeping each occurrence of a word when subsampling frequent words (word2vec's rule).

    With f = count / total and t = sample: keep = (sqrt(f / t) + 1) · t / f, capped at 1. sample = 0 keeps all.
    """
    if sample <= 0:
        return np.ones(len(counts))
    f = counts / counts.sum()
    return np.minimum((np.sqrt(f / sample) + 1) * sample / f, 1.0)


def skipgram_pairs(ids: np.ndarray, sentence: np.ndarray, window: int,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Every (centre, context) pair of the text, as word2vec makes them: two (P,) arrays.

    ids: (T,) word indices; sentence: (T,) the sentence of each token (pairs never cross one).
    Each centre draws its reach in 1..window, so a context at distance d is used with probability
    (window − d + 1) / window: near words count more. One pass per distance, none per token.
    """
    reach = rng.integers(1, window + 1, size=len(ids))
    centres, contexts = [], []
    for d in range(1, window + 1):
        same = sentence[:-d] == sentence[d:]
        right = same & (reach[:-d] >= d)               # centre t, context t + d
        left = same & (reach[d:] >= d)                 # centre t + d, context t
        centres += [ids[:-d][right], ids[d:][left]]
        contexts += [ids[d:][right], ids[:-d][left]]
    return np.concatenate(centres), np.concatenate(contexts)


# The settings the lesson trains with (see its section 9; scripts/make_word2vec_comparison.py measures them).
LESSON_SETTINGS = dict(dim=50, window=10, negative=5, epochs=2, lr=0.15, batch=1024, sample=1e-4)


@dataclass
class Trained:
    """The result of train_skipgram: the word vectors W_in (V, D), W_out, the loss per pair of each
    mini-batch, how many pairs were trained on and how long it took."""
    vectors: np.ndarray
    W_out: np.ndarray
    losses: list[float]
    pairs: int
    seconds: float


class NotTrained:
    """Stands in for a training run that has not happened: using any of its results (`.vectors`, `.losses`)
    fails with one line saying so, a NotImplementedError like an unwritten exercise's."""

    def __init__(self, why: str) -> None:
        self.why = why

    def __getattr__(self, name: str):
        error = NotImplementedError(self.why)
        error._render_traceback_ = lambda: [f"✗ {self.why}"]    # IPython's hook for how an error is shown
        raise error


def train_skipgram(ids: np.ndarray, sentence: np.ndarray, counts: np.ndarray,
                   sample_negatives: Callable, sgns_loss_and_grads: Callable, *, dim: int, window: int,
                   negative: int, epochs: int, lr: float, batch: int, sample: float, seed: int = 0,
                   progress: bool = True) -> Trained:
    """Train skip-gram with negative sampling by plain SGD, with the given loss and sampler.

    ids, sentence: (T,) the encoded corpus; counts: (V,) word counts. Each epoch subsamples the
    corpus, makes its (centre, context) pairs and shuffles them; each mini-batch of `batch` pairs
    draws `negative` negatives per pair with `sample_negatives`, gets the summed loss and the (V, D)
    gradients from `sgns_loss_and_grads`, and steps both matrices by −lr·gradient (lr per pair, as in
    word2vec, decaying linearly to zero over the whole run). The lesson's settings: LESSON_SETTINGS.
    """
    for name, value in (("dim", dim), ("window", window), ("negative", negative), ("epochs", epochs),
                        ("batch", batch)):
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    if len(ids) != len(sentence):
        raise ValueError(f"ids and sentence need one entry per token: got {len(ids)} ids, "
                         f"{len(sentence)} sentence numbers")
    counts = np.asarray(counts)
    rng = np.random.default_rng(seed)
    V = len(counts)
    W_in = ((rng.random((V, dim)) - 0.5) / dim).astype(np.float32)     # word2vec's start: small, random
    W_out = np.zeros((V, dim), np.float32)                               # and zero
    keep = keep_probabilities(counts.astype(np.float64), sample)
    losses, done, bar = [], 0, None
    start = time.perf_counter()
    for epoch in range(epochs):
        kept = rng.random(len(ids)) < keep[ids]
        centres, contexts = skipgram_pairs(ids[kept], sentence[kept], window, rng)
        order = rng.permutation(len(centres))
        if bar is None:                                 # the first epoch's pairs stand for every epoch's
            total = epochs * len(centres)
            bar = tqdm(total=total, desc="skip-gram", unit=" pairs", unit_scale=True, mininterval=1.0,
                       disable=not progress)                # a redraw a second keeps the kernel's messages few
        for b in range(0, len(order), batch):
            pick = order[b:b + batch]
            rate = lr * max(1.0 - done / total, 1e-4)
            negatives = sample_negatives(counts, contexts[pick], negative, rng)
            loss, dW_in, dW_out = sgns_loss_and_grads(W_in, W_out, centres[pick], contexts[pick], negatives)
            W_in -= rate * dW_in
            W_out -= rate * dW_out
            losses.append(float(loss) / len(pick))
            done += len(pick)
            bar.update(len(pick))
            if len(losses) % 50 == 0:
                bar.set_postfix(epoch=epoch + 1, loss=f"{np.mean(losses[-50:]):.3f}", lr=f"{rate:.4f}", refresh=False)
    bar.total = done                                    # later epochs keep a few more or fewer pairs
    bar.close()
    return Trained(W_in, W_out, losses, done, time.perf_counter() - start)
