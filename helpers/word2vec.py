"""word2vec with negative sampling in NumPy: the lesson's reference functions and a fast trainer.

Notation (one example per row): V words, D dimensions, B examples in a batch, k negatives.
`W_in` (V, D) holds the vectors of words seen as input (the centre word in skip-gram, the context
words in CBOW); `W_out` (V, D) the vectors of words being predicted. The embeddings we keep are W_in.

The reference functions below are the answers to the notebook's exercises (the hidden tests and the
benchmark use them). `train` is the reference trainer: vectorized mini-batches, float32, a learning
rate that decays linearly to zero, and a text progress line with words/s and the loss.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import numpy as np

from helpers.activations import sigmoid

# ----- the exercises' reference answers -------------------------------------------------------

def embedding_forward(W: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Rows of W for the indices idx. W: (V, D); idx: integer array of any shape S. Returns (*S, D)."""
    return W[idx]


def embedding_backward(grad_out: np.ndarray, idx: np.ndarray, V: int) -> np.ndarray:
    """Gradient of the loss w.r.t. W, given the gradient w.r.t. W[idx].

    grad_out: (*S, D); idx: integer array of shape S. Returns dW: (V, D); a row picked n times
    receives the sum of its n gradients (np.add.at accumulates; dW[idx] = ... would keep only one).
    """
    D = grad_out.shape[-1]
    dW = np.zeros((V, D), dtype=grad_out.dtype)
    np.add.at(dW, idx.reshape(-1), grad_out.reshape(-1, D))
    return dW


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """The negative-sampling distribution: counts**power, normalised. counts: (V,). Returns (V,)."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    return weights / weights.sum()


def sample_negatives(counts: np.ndarray, positives: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k negative words per positive, from counts**0.75 (normalised), never equal to that positive.

    counts: (V,) word counts; positives: (B,) word indices. Returns (B, k) integer word indices.
    A draw that hits its row's positive is drawn again, so row b follows p(w) / (1 − p(positive_b)).
    """
    return draw_excluding(noise_distribution(counts), positives, k, rng)


def draw_excluding(p: np.ndarray, positives: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k words per positive drawn from p: (V,), redrawing any draw equal to its row's positive. Returns (B, k)."""
    negatives = rng.choice(len(p), size=(len(positives), k), p=p)
    clash = negatives == positives[:, None]
    while clash.any():
        negatives[clash] = rng.choice(len(p), size=int(clash.sum()), p=p)
        clash = negatives == positives[:, None]
    return negatives


def bce_with_logits(s: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Binary cross-entropy of scores s against labels y in {0, 1}, and its derivative in s.

    s, y: arrays of one shape. Returns (loss, grad), both that shape:
    loss = −[y log σ(s) + (1 − y) log(1 − σ(s))] = max(s, 0) − s·y + log(1 + e^{−|s|}),  grad = σ(s) − y.
    """
    loss = np.maximum(s, 0) - s * y + np.log1p(np.exp(-np.abs(s)))
    return loss, sigmoid(s) - y


def sgns_loss_and_grads(W_in: np.ndarray, W_out: np.ndarray, centres: np.ndarray, contexts: np.ndarray,
                        negatives: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Skip-gram negative-sampling loss of a batch of (centre, context) pairs, summed, and its gradients.

    W_in, W_out: (V, D); centres, contexts: (B,); negatives: (B, k).
    L = Σ_b [ −log σ(v_b·u_{o_b}) − Σ_j log σ(−v_b·u_{n_bj}) ],  v_b = W_in[c_b], u = rows of W_out.
    Returns (L, dL/dW_in (V, D), dL/dW_out (V, D)).
    """
    v = W_in[centres]                                                      # (B, D)
    targets = np.concatenate([contexts[:, None], negatives], axis=1)       # (B, 1+k)
    U = W_out[targets]                                                     # (B, 1+k, D)
    s = np.einsum("bd,bkd->bk", v, U)                                      # (B, 1+k)
    y = np.zeros_like(s)
    y[:, 0] = 1.0
    loss, g = bce_with_logits(s, y)
    dW_in = embedding_backward(np.einsum("bk,bkd->bd", g, U), centres, W_in.shape[0])
    dW_out = embedding_backward(g[:, :, None] * v[:, None, :], targets, W_out.shape[0])
    return float(loss.sum()), dW_in, dW_out


def cbow_loss_and_grads(W_in: np.ndarray, W_out: np.ndarray, contexts: np.ndarray, centres: np.ndarray,
                        negatives: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """CBOW negative-sampling loss of a batch, summed, and its gradients.

    W_in, W_out: (V, D); contexts: (B, C) the C context words of each example; centres: (B,);
    negatives: (B, k). h_b = mean of W_in[contexts[b]] predicts the centre against the negatives:
    L = Σ_b [ −log σ(h_b·u_{c_b}) − Σ_j log σ(−h_b·u_{n_bj}) ].
    Returns (L, dL/dW_in (V, D), dL/dW_out (V, D)); each context word gets 1/C of dL/dh_b.
    """
    C = contexts.shape[1]
    h = W_in[contexts].mean(axis=1)                                        # (B, D)
    targets = np.concatenate([centres[:, None], negatives], axis=1)        # (B, 1+k)
    U = W_out[targets]                                                     # (B, 1+k, D)
    s = np.einsum("bd,bkd->bk", h, U)
    y = np.zeros_like(s)
    y[:, 0] = 1.0
    loss, g = bce_with_logits(s, y)
    dh = np.einsum("bk,bkd->bd", g, U)                                     # (B, D)
    dW_in = embedding_backward(np.repeat(dh[:, None, :] / C, C, axis=1), contexts, W_in.shape[0])
    dW_out = embedding_backward(g[:, :, None] * h[:, None, :], targets, W_out.shape[0])
    return float(loss.sum()), dW_in, dW_out


def unit_rows(E: np.ndarray) -> np.ndarray:
    """Each row divided by its length (zero rows stay zero). E: (V, D). Returns (V, D)."""
    return E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)


def nearest_neighbours(E: np.ndarray, i: int, k: int) -> np.ndarray:
    """The k words most cosine-similar to word i, most similar first, word i left out. E: (V, D). Returns (k,)."""
    sims = unit_rows(E) @ unit_rows(E)[i]
    sims[i] = -np.inf
    return np.argsort(-sims, kind="stable")[:k]


def analogy(E: np.ndarray, a: int, b: int, c: int, k: int = 1) -> np.ndarray:
    """Answers to "a is to b as c is to ?": the k words nearest (cosine) to b − a + c on unit vectors.

    E: (V, D); a, b, c: word indices, none of which is returned. Returns (k,), best first.
    """
    unit = unit_rows(E)
    sims = unit @ (unit[b] - unit[a] + unit[c])
    sims[[a, b, c]] = -np.inf
    return np.argsort(-sims, kind="stable")[:k]


# ----- the trainer ----------------------------------------------------------------------------

@dataclass
class Word2Vec:
    """A trained model: `vectors` (V, D) = W_in, `words` (V,), and the loss per pair along the way."""
    vectors: np.ndarray
    words: list[str]
    W_out: np.ndarray
    losses: list[float] = field(default_factory=list)
    words_per_second: float = 0.0
    index: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.index = {w: i for i, w in enumerate(self.words)}

    def neighbours(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        """The k nearest words by cosine similarity, with their similarities."""
        unit = unit_rows(self.vectors)
        i = self.index[word]
        found = nearest_neighbours(self.vectors, i, k)
        return [(self.words[j], float(unit[j] @ unit[i])) for j in found]

    def analogy(self, a: str, b: str, c: str, k: int = 5) -> list[str]:
        """"a is to b as c is to ?": the k best answers."""
        return [self.words[j] for j in analogy(self.vectors, self.index[a], self.index[b], self.index[c], k)]


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """Probability of keeping each occurrence of a word when subsampling frequent words (word2vec's rule).

    With f = count / total and t = sample: keep = (sqrt(f / t) + 1) · t / f, capped at 1. sample = 0 keeps all.
    """
    if sample <= 0:
        return np.ones(len(counts))
    f = counts / counts.sum()
    return np.minimum((np.sqrt(f / sample) + 1) * sample / f, 1.0)


def _windows(ids: np.ndarray, sentence: np.ndarray, start: int, stop: int, window: int,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Context word indices (N, 2·window) of positions start..stop and which of them are real.

    Each centre draws its own window size in 1..window (nearer words count more, as in word2vec);
    windows stop at sentence ends.
    """
    offsets = np.r_[-window:0, 1:window + 1]
    centre = np.arange(start, stop)
    pos = centre[:, None] + offsets
    inside = (pos >= 0) & (pos < len(ids))
    pos = np.where(inside, pos, centre[:, None])
    reach = rng.integers(1, window + 1, size=len(centre))
    valid = inside & (np.abs(offsets) <= reach[:, None]) & (sentence[pos] == sentence[centre][:, None])
    return ids[pos], valid


def _scatter_add(W: np.ndarray, rows: np.ndarray, grads: np.ndarray) -> None:
    """W[rows] += grads, adding repeated rows up. W: (V, D) C-contiguous; rows: (n,); grads: (n, D).

    Flattened to 1-D indices, where NumPy's np.add.at has a fast path (several times faster than on rows).
    """
    D = W.shape[1]
    flat = (rows.astype(np.int64)[:, None] * D + np.arange(D)).reshape(-1)
    np.add.at(W.reshape(-1), flat, grads.reshape(-1))


def _skipgram_step(W_in, W_out, centres, ctx, valid, negatives, lr) -> float:
    """One mini-batch of skip-gram with negative sampling. Returns the summed loss.

    Each centre predicts its real contexts (`valid` marks them in the padded `ctx`); its k negatives
    are shared by all its context pairs, so they weigh as many times as it has contexts and only
    N·k rows (not pairs·k) are scattered into W_out.
    """
    count = valid.sum(axis=1).astype(np.float32)                           # (N,) contexts per centre
    v = W_in[centres]                                                      # (N, D)
    U = W_out[ctx]                                                         # (N, 2w, D), padded
    Un = W_out[negatives]                                                  # (N, k, D)
    hit = ((negatives[:, :, None] == ctx[:, None, :]) & valid[:, None, :]).any(axis=2)   # negative = a real context
    weight = np.where(hit, np.float32(0), count[:, None])                  # (N, k)
    sig_pos = sigmoid(np.einsum("nd,njd->nj", v, U))
    sig_neg = sigmoid(np.einsum("nd,nkd->nk", v, Un))
    loss = float(-(np.log(sig_pos + 1e-7) * valid).sum() - (np.log(1 - sig_neg + 1e-7) * weight).sum())
    g_pos = (sig_pos - 1) * valid * -lr                                    # −lr ∂L/∂score
    g_neg = sig_neg * weight * -lr
    dv = np.einsum("nj,njd->nd", g_pos, U) + np.einsum("nk,nkd->nd", g_neg, Un)
    rows = np.concatenate([ctx[valid], negatives.reshape(-1)])
    grads = np.concatenate([g_pos[valid][:, None] * v[np.nonzero(valid)[0]],
                            (g_neg[:, :, None] * v[:, None, :]).reshape(-1, v.shape[1])])
    _scatter_add(W_out, rows, grads)
    _scatter_add(W_in, centres, dv)
    return loss


def _cbow_step(W_in, W_out, centres, ctx, valid, negatives, lr) -> float:
    """One mini-batch of CBOW: the mean of each centre's real context vectors predicts it against k
    negatives; every context word receives 1/count of the gradient. Returns the summed loss."""
    count = np.maximum(valid.sum(axis=1), 1).astype(np.float32)[:, None]
    h = np.einsum("nj,njd->nd", valid.astype(np.float32), W_in[ctx]) / count    # (N, D)
    targets = np.concatenate([centres[:, None], negatives], axis=1)            # (N, 1+k)
    U = W_out[targets]
    s = np.einsum("nd,nkd->nk", h, U)
    real = np.concatenate([np.ones((len(centres), 1), bool), negatives != centres[:, None]], axis=1)
    real &= valid.any(axis=1)[:, None]
    y = np.zeros_like(s)
    y[:, 0] = 1.0
    loss, g = bce_with_logits(s, y)
    g *= real * -lr                                                            # −lr ∂L/∂score
    dh = np.einsum("nk,nkd->nd", g, U) / count                                 # (N, D), per context word
    _scatter_add(W_out, targets.reshape(-1), (g[:, :, None] * h[:, None, :]).reshape(-1, h.shape[1]))
    _scatter_add(W_in, ctx[valid], dh[np.nonzero(valid)[0]])
    return float((loss * real).sum())


def train(ids: np.ndarray, sentence: np.ndarray, counts: np.ndarray, words: list[str], *,
          mode: str = "skipgram", dim: int = 100, window: int = 5, negative: int = 5, epochs: int = 5,
          lr: float | None = None, batch: int = 128, sample: float = 1e-3, seed: int = 0,
          progress: bool = True) -> Word2Vec:
    """Train word2vec with negative sampling on an encoded corpus.

    ids: (T,) word index of every token; sentence: (T,) which sentence each token is in (windows do
    not cross sentences); counts: (V,) word counts; words: (V,) the vocabulary.
    mode "skipgram" or "cbow"; `batch` centre words per step (at most V/4, at least 16); `lr` starts
    at 0.025 (skip-gram) or 0.05 (CBOW) and decays linearly to zero; `sample` subsamples frequent
    words (0 = off). Prints words/s and the recent loss twice a second if `progress`.
    Returns the trained Word2Vec (vectors = W_in, float32).
    """
    if mode not in ("skipgram", "cbow"):
        raise ValueError(f"mode must be 'skipgram' or 'cbow', not {mode!r}")
    step = _skipgram_step if mode == "skipgram" else _cbow_step
    # One step sums the gradients of every occurrence of a word in the batch; with few words in the
    # vocabulary a word occurs many times per batch and those summed, stale steps can diverge.
    batch = min(batch, max(16, len(words) // 4))
    lr0 = lr if lr is not None else (0.025 if mode == "skipgram" else 0.05)
    rng = np.random.default_rng(seed)
    V = len(words)
    W_in = ((rng.random((V, dim), dtype=np.float32) - 0.5) / dim).astype(np.float32)
    W_out = np.zeros((V, dim), dtype=np.float32)
    cdf = np.cumsum(noise_distribution(counts))
    keep = keep_probabilities(np.asarray(counts, dtype=np.float64), sample)
    total, done, losses = epochs * len(ids), 0, []
    start = shown = time.perf_counter()
    for _ in range(epochs):
        kept = rng.random(len(ids)) < keep[ids]
        e_ids, e_sent = ids[kept], sentence[kept]
        per_token = len(ids) / max(len(e_ids), 1)          # raw corpus words each kept word stands for
        for b in range(0, len(e_ids), batch):
            stop = min(b + batch, len(e_ids))
            ctx, valid = _windows(e_ids, e_sent, b, stop, window, rng)
            negatives = np.minimum(np.searchsorted(cdf, rng.random((stop - b, negative))), V - 1)
            rate = np.float32(lr0 * max(1.0 - done / total, 1e-4))
            loss = step(W_in, W_out, e_ids[b:stop], ctx, valid, negatives, rate)
            losses.append(loss / max(int(valid.sum()), 1))
            done += (stop - b) * per_token
            now = time.perf_counter()
            if progress and (now - shown > 0.5 or done >= total - 1):
                shown, speed = now, done / (now - start)
                sys.stdout.write(f"\r{mode}: {100 * done / total:5.1f}%  {speed:,.0f} words/s  "
                                 f"loss {np.mean(losses[-50:]):.3f}  lr {rate:.4f} ")
                sys.stdout.flush()
    seconds = time.perf_counter() - start
    if progress:
        print()
    return Word2Vec(W_in, list(words), W_out, losses, total / seconds)
