"""A tiny transformer in NumPy, assembled from lesson 6's exercise functions, forward and backward by hand.

Layers in the style of Deep Learning from Scratch 2: each has `params` and `grads` (lists of arrays;
`backward` fills the grads), `forward` and `backward`. The model holds no attention of its own: the
lesson's exercise functions are passed in as `Parts`, so it runs on whatever the student wrote.

    x  = E[tokens] + PE                       (B, T, D)   PE = positional_encoding(T, D)
    per block (post-LN, as in the 2017 transformer):
    h1 = LayerNorm(x + MHA(x))                (B, T, D)   MHA = multi_head_attention, causal_mask(T) if causal
    h2 = LayerNorm(h1 + FFN(h1))              (B, T, D)   FFN(z) = relu(z W1 + b1) W2 + b2
    logits = h Wout + bout                    (B, T, V)

Lesson 6 trains it to reverse digit strings (helpers.toy_sequences) and, causal, as a character-level
language model (helpers.char_text); `Adam`, `cross_entropy`, `Trainer` and `generate` are the plumbing.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

EPS = 1e-5
WHILE_GRADING = 200   # the most steps one training run takes while nbgrader executes a notebook
ONE_BLAS_THREAD = {"limits": 1, "user_api": "blas"}   # for the small products of training and sampling: a
                                                       # second thread mostly waits (10x slower on 2 busy cores)


@dataclass(frozen=True)
class Parts:
    """The lesson's exercise functions a transformer is built from.

    causal_mask(T) -> (T, T) bool, True = may attend
    multi_head_attention(X, Wq, Wk, Wv, Wo, h, mask) -> (out (B, T, D), weights (B, h, T, T))
    attention_backward(dout, Q, K, V, weights) -> (dQ, dK, dV)
    split_heads(X, h): (B, T, D) -> (B, h, T, D/h);  merge_heads: (B, h, T, dh) -> (B, T, h·dh)
    positional_encoding(T, d) -> (T, d)
    """
    causal_mask: Callable
    multi_head_attention: Callable
    attention_backward: Callable
    split_heads: Callable
    merge_heads: Callable
    positional_encoding: Callable


def _flat(A: np.ndarray) -> np.ndarray:
    return A.reshape(-1, A.shape[-1])                                 # (B, T, n) -> (B·T, n)


class Embedding:
    """Token embedding plus positions: tokens (B, T) -> E[tokens] + positional_encoding(T, D)."""

    def __init__(self, vocab: int, D: int, positional_encoding: Callable, rng: np.random.Generator) -> None:
        self.params = [rng.normal(size=(vocab, D))]
        self.grads = [np.zeros((vocab, D))]
        self.positional_encoding = positional_encoding

    def forward(self, tokens: np.ndarray) -> np.ndarray:
        E, = self.params
        self.tokens = tokens
        return E[tokens] + self.positional_encoding(tokens.shape[1], E.shape[1])   # (B, T, D)

    def backward(self, dout: np.ndarray) -> None:
        dE, = self.grads
        dE[...] = 0.0
        np.add.at(dE, self.tokens, dout)                              # a token used twice collects twice


class Linear:
    """z W + b on the last axis: (B, T, n_in) -> (B, T, n_out)."""

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator) -> None:
        self.params = [rng.normal(scale=1.0 / np.sqrt(n_in), size=(n_in, n_out)), np.zeros(n_out)]
        self.grads = [np.zeros_like(p) for p in self.params]

    def forward(self, z: np.ndarray) -> np.ndarray:
        W, b = self.params
        self.z = z
        return (_flat(z) @ W + b).reshape(*z.shape[:-1], -1)         # one (B·T, n_in) product

    def backward(self, dout: np.ndarray) -> np.ndarray:
        W, _ = self.params
        self.grads[0][...] = _flat(self.z).T @ _flat(dout)
        self.grads[1][...] = dout.sum(axis=(0, 1))
        return (_flat(dout) @ W.T).reshape(self.z.shape)


class ReLU:
    """max(0, z), elementwise."""

    def __init__(self) -> None:
        self.params, self.grads = [], []

    def forward(self, z: np.ndarray) -> np.ndarray:
        self.positive = z > 0
        return z * self.positive

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * self.positive


class LayerNorm:
    """Each token's features to mean 0 and variance 1, then scaled by g and shifted by c. (B, T, D)."""

    def __init__(self, D: int) -> None:
        self.params = [np.ones(D), np.zeros(D)]
        self.grads = [np.zeros(D), np.zeros(D)]

    def forward(self, z: np.ndarray) -> np.ndarray:
        g, c = self.params
        self.inv = 1.0 / np.sqrt(z.var(axis=-1, keepdims=True) + EPS)
        self.zhat = (z - z.mean(axis=-1, keepdims=True)) * self.inv
        return self.zhat * g + c

    def backward(self, dout: np.ndarray) -> np.ndarray:
        g, _ = self.params
        zhat = self.zhat
        self.grads[0][...] = (dout * zhat).sum(axis=(0, 1))
        self.grads[1][...] = dout.sum(axis=(0, 1))
        dzhat = dout * g
        return self.inv * (dzhat - dzhat.mean(axis=-1, keepdims=True)
                           - zhat * (dzhat * zhat).mean(axis=-1, keepdims=True))


class SelfAttention:
    """Multi-head self-attention from the lesson's functions. (B, T, D) -> (B, T, D).

    forward: parts.multi_head_attention, with parts.causal_mask(T) if `causal`; keeps the weights.
    backward: the projections and the heads' outputs are recomputed from the input and the weights
    (multi_head_attention returns only the output and the weights), then

        dWo = merged.T @ dout                                  merged = merge_heads(weights @ V)
        dQ, dK, dV = attention_backward(split_heads(dout @ Wo.T), Q, K, V, weights)
        dWq = x.T @ merge_heads(dQ),  dx = merge_heads(dQ) @ Wq.T + (the same for K and V)
    """

    def __init__(self, parts: Parts, D: int, heads: int, causal: bool, rng: np.random.Generator) -> None:
        self.parts, self.heads, self.causal = parts, heads, causal
        self.params = [rng.normal(scale=1.0 / np.sqrt(D), size=(D, D)) for _ in range(4)]   # Wq, Wk, Wv, Wo
        self.grads = [np.zeros((D, D)) for _ in range(4)]

    def forward(self, x: np.ndarray) -> np.ndarray:
        B, T, _ = x.shape
        mask = self.parts.causal_mask(T) if self.causal else None
        result = self.parts.multi_head_attention(x, *self.params, self.heads, mask)
        shapes = [np.shape(a) for a in result] if isinstance(result, tuple) and len(result) == 2 else None
        if shapes != [x.shape, (B, self.heads, T, T)]:
            raise ValueError(f"multi_head_attention must return (out, weights) of shapes {x.shape} and "
                             f"{(B, self.heads, T, T)}; it returned {shapes if shapes else type(result).__name__}")
        out, self.weights = result
        self.x = x
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        p, x, P, h = self.parts, self.x, self.weights, self.heads
        Wq, Wk, Wv, Wo = self.params
        Q, K, V = (p.split_heads(x @ W, h) for W in (Wq, Wk, Wv))     # (B, h, T, D/h) each
        self.grads[3][...] = _flat(p.merge_heads(P @ V)).T @ _flat(dout)
        dQ, dK, dV = p.attention_backward(p.split_heads(dout @ Wo.T, h), Q, K, V, P)
        dx = np.zeros_like(x)
        for dH, W, grad in zip((dQ, dK, dV), (Wq, Wk, Wv), self.grads):
            dproj = p.merge_heads(dH)                                 # (B, T, D)
            grad[...] = _flat(x).T @ _flat(dproj)
            dx += dproj @ W.T                                         # x feeds Q, K and V: three paths add
        return dx


class Block:
    """A post-LN transformer block: h1 = LN(x + MHA(x)), h2 = LN(h1 + FFN(h1)). (B, T, D) -> (B, T, D)."""

    def __init__(self, parts: Parts, D: int, F: int, heads: int, causal: bool, rng: np.random.Generator) -> None:
        self.attention = SelfAttention(parts, D, heads, causal, rng)
        self.norm1, self.norm2 = LayerNorm(D), LayerNorm(D)
        self.ffn = [Linear(D, F, rng), ReLU(), Linear(F, D, rng)]
        self.layers = [self.attention, self.norm1, *self.ffn, self.norm2]

    def forward(self, x: np.ndarray) -> np.ndarray:
        h1 = self.norm1.forward(x + self.attention.forward(x))
        z = h1
        for layer in self.ffn:
            z = layer.forward(z)
        return self.norm2.forward(h1 + z)

    def backward(self, dh2: np.ndarray) -> np.ndarray:
        dz = self.norm2.backward(dh2)
        dh1 = dz.copy()                                               # the residual path
        for layer in reversed(self.ffn):
            dz = layer.backward(dz)
        dh1 += dz                                                     # plus the path through the FFN
        dx = self.norm1.backward(dh1)
        return dx + self.attention.backward(dx)


class TinyTransformer:
    """Embedding and positions, `n_blocks` post-LN blocks, and a linear output layer.

    tokens (B, T) ints in [0, vocab) -> logits (B, T, vocab). With `causal`, every block masks the
    future with parts.causal_mask, so the logits at position t depend on tokens 0 … t only.
    """

    def __init__(self, parts: Parts, vocab: int, D: int, F: int, heads: int, n_blocks: int = 1,
                 causal: bool = False, seed: int = 0) -> None:
        if D % heads or D % 2:
            raise ValueError(f"D must be even and divisible by heads; got D={D}, heads={heads}")
        rng = np.random.default_rng(seed)
        self.embedding = Embedding(vocab, D, parts.positional_encoding, rng)
        self.blocks = [Block(parts, D, F, heads, causal, rng) for _ in range(n_blocks)]
        self.output = Linear(D, vocab, rng)
        layers = [self.embedding, *(layer for block in self.blocks for layer in block.layers), self.output]
        self.params = [p for layer in layers for p in layer.params]
        self.grads = [g for layer in layers for g in layer.grads]

    def forward(self, tokens: np.ndarray) -> np.ndarray:
        x = self.embedding.forward(tokens)
        for block in self.blocks:
            x = block.forward(x)
        return self.output.forward(x)

    def backward(self, dlogits: np.ndarray) -> None:
        dx = self.output.backward(dlogits)
        for block in reversed(self.blocks):
            dx = block.backward(dx)
        self.embedding.backward(dx)

    def attention_weights(self) -> list[np.ndarray]:
        """Each block's attention weights from the last forward pass, (B, h, T, T) each."""
        return [block.attention.weights for block in self.blocks]


def cross_entropy(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy (nats) over all B·T positions, and its gradient with respect to logits (B, T, V)."""
    z = logits - logits.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    onehot = np.eye(logits.shape[-1])[targets]                          # (B, T, V)
    return float(-(onehot * logp).sum() / targets.size), (np.exp(logp) - onehot) / targets.size


class Adam:
    """Adam (Kingma & Ba, 2015) on a list of parameters, updated in place from the matching gradients."""

    def __init__(self, params: list[np.ndarray], grads: list[np.ndarray], lr: float = 3e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.params, self.grads, self.lr, self.betas, self.eps = params, grads, lr, betas, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        for p, g, m, v in zip(self.params, self.grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            p -= self.lr * (m / (1 - b1 ** self.t)) / (np.sqrt(v / (1 - b2 ** self.t)) + self.eps)


def cosine_lr(step: int, total: int, lr: float, lr_end: float) -> float:
    """The learning rate at `step` on a half cosine from `lr` at step 0 to `lr_end` at step `total`."""
    return lr_end + 0.5 * (lr - lr_end) * (1 + np.cos(np.pi * min(step, total) / total))


class Trainer:
    """Adam on a model's parameters, run `steps` at a time (one progress bar per run), on batches
    (tokens, targets) from next_batch(); the loss of every step is kept in `losses`.

    The learning rate follows a half cosine from `lr` at step 0 down to `lr_end` at step `total`
    (constant if lr_end is None), however the steps are split into runs. While nbgrader executes the
    notebook (NBGRADER_EXECUTION is set) a run takes at most WHILE_GRADING steps: grading never depends
    on a trained model.
    """

    def __init__(self, model: TinyTransformer, next_batch: Callable[[], tuple[np.ndarray, np.ndarray]],
                 total: int, lr: float = 3e-3, lr_end: float | None = None) -> None:
        self.model, self.next_batch, self.total = model, next_batch, total
        self.lr, self.lr_end = lr, lr_end
        self.optimiser = Adam(model.params, model.grads, lr)
        self.losses: list[float] = []

    def run(self, steps: int, desc: str = "training") -> list[float]:
        """Take `steps` more steps; returns their losses."""
        if os.environ.get("NBGRADER_EXECUTION"):
            steps = min(steps, WHILE_GRADING)
        first = len(self.losses)
        bar = tqdm(range(steps), desc=desc)
        with threadpool_limits(**ONE_BLAS_THREAD):
            for _ in bar:
                if self.lr_end is not None:
                    self.optimiser.lr = cosine_lr(len(self.losses), self.total, self.lr, self.lr_end)
                tokens, targets = self.next_batch()
                loss, dlogits = cross_entropy(self.model.forward(tokens), targets)
                self.model.backward(dlogits)
                self.optimiser.step()
                self.losses.append(loss)
                bar.set_postfix(loss=f"{loss:.3f}", refresh=False)
        return self.losses[first:]


def train(model: TinyTransformer, next_batch: Callable[[], tuple[np.ndarray, np.ndarray]], steps: int,
          lr: float = 3e-3, lr_end: float | None = None, desc: str = "training") -> list[float]:
    """Train in one run of `steps` steps (see Trainer); returns the loss of every step."""
    return Trainer(model, next_batch, steps, lr, lr_end).run(steps, desc)


def generate(model: TinyTransformer, prompt: np.ndarray, new: int, context: int, rng: np.random.Generator,
             temperature: float = 1.0) -> np.ndarray:
    """Extend each row of prompt (n, t) by `new` tokens, sampled one at a time from a causal model's
    prediction for the next position, seeing at most the last `context` tokens. Returns (n, t + new)."""
    tokens = np.array(prompt)
    with threadpool_limits(**ONE_BLAS_THREAD):
        for _ in range(new):
            logits = model.forward(tokens[:, -context:])[:, -1] / temperature       # (n, V)
            p = np.exp(logits - logits.max(axis=-1, keepdims=True))
            p /= p.sum(axis=-1, keepdims=True)
            cumulative = p.cumsum(axis=-1)
            u = rng.random((len(p), 1))
            nxt = np.minimum((cumulative < u).sum(axis=-1), p.shape[-1] - 1)          # inverse-CDF sampling
            tokens = np.concatenate([tokens, nxt[:, None]], axis=1)
    return tokens
