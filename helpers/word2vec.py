"""word2vec with negative sampling in NumPy: the lesson's reference functions and a fast trainer.

Notation (one example per row): V words, D dimensions, B examples in a batch, k negatives.
`W_in` (V, D) holds the vectors of words seen as input (the centre word in skip-gram, the context
words in CBOW); `W_out` (V, D) the vectors of words being predicted. The embeddings we keep are W_in.

The reference functions below are the answers to the notebook's exercises (the hidden tests and the
benchmark use them). `train` is the course's fast trainer, which the benchmark measures against gensim:
vectorized mini-batches, float32, a learning rate that decays linearly to zero, and a progress bar
with words/s and the loss. (The lesson itself trains with the student's own functions:
helpers/skipgram_training.py.)

How the trainer keeps NumPy busy: each epoch draws every window and every negative at once (negatives
from an alias table, constant time per draw). A batch is a run of consecutive centres, so their windows
are overlapping slices of one block of N + 2w gathered rows, read through a strided view (`_band`);
the gradient goes back through its adjoint (`_band_transpose`) and is added to those N + 2w rows, not
to one row per (centre, context) pair. Rows are added with np.add.at on flat indices (`_scatter_add`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view
from tqdm.auto import tqdm

from helpers.activations import sigmoid
from helpers.skipgram_training import keep_probabilities
from helpers.word_eval import unit_rows

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


def alias_table(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table for drawing from p: (V,) in constant time per draw (Vose's construction).

    Returns (accept (V,), alias (V,)): pick a column i uniformly, keep i with probability accept[i],
    otherwise take alias[i]. Column i holds 1/V of the probability: accept[i]/V for i itself and the
    rest for alias[i], so every word ends up with exactly its p (to rounding).
    """
    V = len(p)
    accept = [float(x) * V for x in p]
    alias = list(range(V))
    small = [i for i in range(V) if accept[i] < 1]
    large = [i for i in range(V) if accept[i] >= 1]
    while small and large:
        s, big = small.pop(), large.pop()
        alias[s] = big                                # column s: s itself, topped up with `big`
        accept[big] -= 1 - accept[s]
        (small if accept[big] < 1 else large).append(big)
    for i in small + large:                           # left over from rounding: exactly full
        accept[i] = 1.0
    return np.array(accept), np.array(alias)


def draw_alias(accept: np.ndarray, alias: np.ndarray, shape: tuple[int, ...],
               rng: np.random.Generator) -> np.ndarray:
    """Words drawn from the distribution of an alias table (see alias_table). Returns an int array of `shape`."""
    column = rng.integers(len(accept), size=shape)
    return np.where(rng.random(shape) < accept[column], column, alias[column])


def epoch_windows(ids: np.ndarray, sentence: np.ndarray, window: int,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Every position's window at once: (padded ids (T + 2w,), real (T, 2w + 1) bool).

    The window of position t is padded[t : t + 2w + 1] (the centre sits in the middle slot, never
    real); slot j is a real context if it lies in t's sentence and within t's reach, which each
    centre draws in 1..w (nearer words count more, as in word2vec). The w pads on each side belong
    to no sentence.
    """
    width = 2 * window + 1
    pad = np.full(window, -1, dtype=np.int64)
    padded_ids = np.concatenate([np.zeros(window, ids.dtype), ids, np.zeros(window, ids.dtype)])
    padded_sentence = np.concatenate([pad, sentence, pad])
    offsets = np.arange(width) - window
    reach = rng.integers(1, window + 1, size=len(ids))
    real = ((sliding_window_view(padded_sentence, width) == sentence[:, None])
            & (np.abs(offsets) <= reach[:, None]) & (offsets != 0))
    return padded_ids, real


def _band(X: np.ndarray, n: int) -> np.ndarray:
    """The n windows of J consecutive rows of X: (n + J − 1, D) → a (n, J, D) view, [t, j] = X[t + j]."""
    step, item = X.strides
    return as_strided(X, shape=(n, X.shape[0] - n + 1, X.shape[1]), strides=(step, step, item), writeable=False)


def _band_transpose(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The adjoint of weighting a band: G[q] = Σ_j weights[q − j, j] · values[q − j].

    weights: (n, J); values: (n, D). Returns G: (n + J − 1, D), so that if out[t] = Σ_j weights[t, j] X[t + j]
    (X: (n + J − 1, D)), G is the gradient w.r.t. X given values = the gradient w.r.t. out. Row q meets
    values[q − J + 1 .. q], weighted along an anti-diagonal of `weights`: both are strided views of
    zero-padded copies, and one batched product sums them.
    """
    n, J = weights.shape
    pad = J - 1
    w_pad = np.zeros((n + 2 * pad, J), weights.dtype)
    w_pad[pad:pad + n] = weights
    v_pad = np.zeros((n + 2 * pad, values.shape[1]), values.dtype)
    v_pad[pad:pad + n] = values
    item = w_pad.itemsize
    # anti[q, i] = w_pad[q + i, pad − i], the weight that values[q + i − pad] (= v_pad[q + i]) carries to row q
    anti = as_strided(w_pad.reshape(-1)[pad:], shape=(n + pad, J), strides=(J * item, pad * item), writeable=False)
    return np.matmul(anti[:, None, :], _band(v_pad, n + pad))[:, 0]


_PAIRED = {np.dtype(np.float32): np.complex64, np.dtype(np.float64): np.complex128}


def _scatter_add(W: np.ndarray, rows: np.ndarray, grads: np.ndarray) -> None:
    """W[rows] += grads, adding repeated rows up. W: (V, D) C-contiguous; rows: (n,); grads: (n, D).

    np.add.at is fastest with 1-D indices, so rows become indices into W's flat elements. With D even,
    each pair of neighbouring numbers is viewed as one complex number, which halves the number of indexed
    additions: complex addition adds the two parts separately, so the sums are exactly the same.
    """
    flat_W, flat_grads = W.reshape(-1), np.ascontiguousarray(grads, dtype=W.dtype).reshape(-1)
    if W.shape[1] % 2 == 0 and W.dtype in _PAIRED:
        flat_W, flat_grads = flat_W.view(_PAIRED[W.dtype]), flat_grads.view(_PAIRED[W.dtype])
    per_row = len(flat_W) // len(W)
    flat = (rows.astype(np.int64)[:, None] * per_row + np.arange(per_row)).reshape(-1)
    np.add.at(flat_W, flat, flat_grads)


def _skipgram_step(W_in, W_out, window_ids, real, negatives, lr) -> float:
    """One mini-batch of skip-gram with negative sampling. Returns the summed loss.

    window_ids: (N + 2w,) the words of the batch's N centres and w more on each side; real: (N, 2w+1)
    which window slots are contexts; negatives: (N, k). Each centre scores its whole window at once;
    its k negatives are shared by all its context pairs, so they weigh as many times as it has
    contexts and only N·k rows (not pairs·k) are scattered into W_out.
    """
    N, width = real.shape
    D = W_in.shape[1]
    centres = window_ids[width // 2: width // 2 + N]
    real_f = real.astype(np.float32)
    v = np.take(W_in, centres, axis=0)                                     # (N, D)
    U = _band(np.take(W_out, window_ids, axis=0), N)                       # (N, 2w+1, D): U[n, j] = u of slot j
    Un = np.take(W_out, negatives, axis=0)                                 # (N, k, D)
    hit = ((negatives[:, :, None] == sliding_window_view(window_ids, width)[:, None, :])
           & real[:, None, :]).any(axis=2)                                 # a negative that is a real context
    weight = np.where(hit, np.float32(0), real_f.sum(axis=1)[:, None])    # (N, k)
    sig_pos = sigmoid(np.matmul(U, v[:, :, None])[:, :, 0])                # (N, 2w+1)
    sig_neg = sigmoid(np.matmul(Un, v[:, :, None])[:, :, 0])               # (N, k)
    loss = float(-(np.log(sig_pos + 1e-7) * real_f).sum() - (np.log(1 - sig_neg + 1e-7) * weight).sum())
    g_pos = (sig_pos - 1) * real_f * -lr                                   # −lr ∂L/∂score
    g_neg = sig_neg * weight * -lr
    dv = np.matmul(g_pos[:, None, :], U)[:, 0] + np.matmul(g_neg[:, None, :], Un)[:, 0]
    _scatter_add(W_out, np.concatenate([window_ids, negatives.reshape(-1)]),
                 np.concatenate([_band_transpose(g_pos, v), np.einsum("nk,nd->nkd", g_neg, v).reshape(-1, D)]))
    _scatter_add(W_in, centres, dv)
    return loss


def _cbow_step(W_in, W_out, window_ids, real, negatives, lr) -> float:
    """One mini-batch of CBOW: the mean of each centre's real context vectors predicts it against k
    negatives; every context word receives 1/count of the gradient. Returns the summed loss.

    window_ids: (N + 2w,) the words of the batch's N centres and w more on each side; real: (N, 2w+1)
    which window slots are contexts; negatives: (M, k), the k negatives of each run of G = ⌈N/M⌉
    consecutive centres. Each centre still meets k words drawn from the noise distribution, but W_out
    gives and takes M·k negative rows instead of N·k. Centres without a context are skipped.
    """
    N, width = real.shape
    M, k = negatives.shape
    G = -(-N // M)
    D = W_in.shape[1]
    centres = window_ids[width // 2: width // 2 + N]
    count = real.sum(axis=1)
    has_context = count > 0
    mean_weights = real / np.maximum(count, 1).astype(np.float32)[:, None]     # (N, 2w+1), rows sum to 1 or 0
    h = np.zeros((M * G, D), W_in.dtype)                                      # whole groups; extra rows stay 0
    h[:N] = np.matmul(mean_weights[:, None, :], _band(np.take(W_in, window_ids, axis=0), N))[:, 0]
    groups = h.reshape(M, G, D)
    u = np.take(W_out, centres, axis=0)                                       # (N, D)
    Un = np.take(W_out, negatives, axis=0)                                    # (M, k, D)
    sig_pos = sigmoid(np.einsum("nd,nd->n", h[:N], u))                        # (N,)
    sig_neg = sigmoid(np.matmul(groups, Un.transpose(0, 2, 1)))               # (M, G, k)
    used = np.zeros((M * G, k), bool)                                         # skip a negative equal to its centre
    used[:N] = (np.repeat(negatives, G, axis=0)[:N] != centres[:, None]) & has_context[:, None]
    used = used.reshape(M, G, k)
    loss = float(-(np.log(sig_pos + 1e-7) * has_context).sum() - (np.log(1 - sig_neg + 1e-7) * used).sum())
    g_pos = (sig_pos - 1) * -lr                       # −lr ∂L/∂score; without a context h = 0: no update
    g_neg = sig_neg * used * -lr
    dh = g_pos[:, None] * u + np.matmul(g_neg, Un).reshape(M * G, D)[:N]      # (N, D)
    dUn = np.matmul(g_neg.transpose(0, 2, 1), groups)                         # (M, k, D), summed over each group
    _scatter_add(W_out, np.concatenate([centres, negatives.reshape(-1)]),
                 np.concatenate([g_pos[:, None] * h[:N], dUn.reshape(-1, D)]))
    _scatter_add(W_in, window_ids, _band_transpose(mean_weights, dh))
    return loss


# Consecutive CBOW centres that share one draw of k negatives (see _cbow_step).
CBOW_NEGATIVE_GROUP = 4


def train(ids: np.ndarray, sentence: np.ndarray, counts: np.ndarray, words: list[str], *,
          mode: str = "skipgram", dim: int = 100, window: int = 5, negative: int = 5, epochs: int = 5,
          lr: float | None = None, batch: int | None = None, sample: float = 1e-3, seed: int = 0,
          progress: bool = True) -> Word2Vec:
    """Train word2vec with negative sampling on an encoded corpus.

    ids: (T,) word index of every token; sentence: (T,) which sentence each token is in (windows do
    not cross sentences); counts: (V,) word counts; words: (V,) the vocabulary.
    mode "skipgram" or "cbow"; `batch` centre words per step, 128 (skip-gram) or 512 (CBOW, one
    prediction per centre where skip-gram makes one per context pair), at most V/4 and at least 16;
    `lr` starts at 0.025 (skip-gram) or 0.05 (CBOW) and decays linearly to zero; `sample` subsamples
    frequent words (0 = off). Shows a progress bar with words/s and the recent loss if `progress`.
    Returns the trained Word2Vec (vectors = W_in, float32).
    """
    if mode not in ("skipgram", "cbow"):
        raise ValueError(f"mode must be 'skipgram' or 'cbow', not {mode!r}")
    if len(ids) != len(sentence):
        raise ValueError(f"ids and sentence need one entry per token: got {len(ids)} ids, "
                         f"{len(sentence)} sentence numbers")
    batch = batch if batch is not None else (128 if mode == "skipgram" else 512)
    for name, value in (("dim", dim), ("window", window), ("negative", negative), ("epochs", epochs), ("batch", batch)):
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    step, group = (_skipgram_step, 1) if mode == "skipgram" else (_cbow_step, CBOW_NEGATIVE_GROUP)
    # One step sums the gradients of every occurrence of a word in the batch; with few words in the
    # vocabulary a word occurs many times per batch and those summed, stale steps can diverge.
    batch = min(batch, max(16, len(words) // 4))
    batch = max(group, batch - batch % group)              # negative groups never straddle two batches
    lr0 = lr if lr is not None else (0.025 if mode == "skipgram" else 0.05)
    rng = np.random.default_rng(seed)
    V = len(words)
    W_in = ((rng.random((V, dim), dtype=np.float32) - 0.5) / dim).astype(np.float32)
    W_out = np.zeros((V, dim), dtype=np.float32)
    accept, alias = alias_table(noise_distribution(counts))
    keep = keep_probabilities(np.asarray(counts, dtype=np.float64), sample)
    total, done, losses = epochs * len(ids), 0, []
    start = time.perf_counter()
    bar = tqdm(total=total, desc=mode, unit=" words", unit_scale=True, mininterval=1.0, disable=not progress)
    for _ in range(epochs):
        kept = rng.random(len(ids)) < keep[ids]
        padded_ids, real = epoch_windows(ids[kept], sentence[kept], window, rng)
        negatives = draw_alias(accept, alias, (-(-len(real) // group), negative), rng)
        per_token = len(ids) / max(len(real), 1)           # raw corpus words each kept word stands for
        for b in range(0, len(real), batch):
            stop = min(b + batch, len(real))
            rate = np.float32(lr0 * max(1.0 - done / total, 1e-4))
            loss = step(W_in, W_out, padded_ids[b:stop + 2 * window], real[b:stop],
                        negatives[b // group:-(-stop // group)], rate)
            losses.append(loss / max(int(real[b:stop].sum()), 1))
            done += (stop - b) * per_token
            bar.update((stop - b) * per_token)
            if len(losses) % 50 == 0:
                bar.set_postfix(loss=f"{np.mean(losses[-50:]):.3f}", lr=f"{rate:.4f}", refresh=False)
    bar.close()
    seconds = time.perf_counter() - start
    return Word2Vec(W_in, list(words), W_out, losses, total / seconds)
