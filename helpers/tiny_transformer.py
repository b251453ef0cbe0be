"""A one-block transformer encoder in NumPy, forward and backward by hand, trained with Adam.

    x  = E[tokens] + PE                      (B, T, D)   token embedding plus sinusoidal positions
    h1 = LayerNorm(x + MHA(x))               (B, T, D)   self-attention with a residual connection
    h2 = LayerNorm(h1 + FFN(h1))             (B, T, D)   FFN(z) = relu(z W1 + b1) W2 + b2
    logits = h2 Wout + bout                  (B, T, V)

Lesson 6 trains it on a toy task (helpers.toy_sequences) and draws its attention maps.
"""
from __future__ import annotations

import numpy as np

from helpers.attention import multi_head_attention, multi_head_attention_backward, positional_encoding

EPS = 1e-5


def init_params(rng: np.random.Generator, vocab: int, D: int, F: int) -> dict[str, np.ndarray]:
    """Weights of the block: embedding (V, D), attention (D, D) x4, FFN (D, F) and (F, D), output (D, V)."""
    def dense(n_in: int, n_out: int) -> np.ndarray:
        return rng.normal(scale=1.0 / np.sqrt(n_in), size=(n_in, n_out))
    return {"E": rng.normal(size=(vocab, D)),
            "Wq": dense(D, D), "Wk": dense(D, D), "Wv": dense(D, D), "Wo": dense(D, D),
            "g1": np.ones(D), "c1": np.zeros(D),
            "W1": dense(D, F), "b1": np.zeros(F), "W2": dense(F, D), "b2": np.zeros(D),
            "g2": np.ones(D), "c2": np.zeros(D),
            "Wout": dense(D, vocab), "bout": np.zeros(vocab)}


def _layer_norm(z: np.ndarray, g: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Normalise each token's features to mean 0, variance 1, then scale by g and shift by c. z: (B, T, D)."""
    mu = z.mean(axis=-1, keepdims=True)
    inv = 1.0 / np.sqrt(z.var(axis=-1, keepdims=True) + EPS)
    zhat = (z - mu) * inv
    return zhat * g + c, (zhat, inv, g)


def _layer_norm_backward(dy: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dz, dg, dc) of layer norm given dy: (B, T, D)."""
    zhat, inv, g = cache
    dzhat = dy * g
    dz = inv * (dzhat - dzhat.mean(axis=-1, keepdims=True) - zhat * (dzhat * zhat).mean(axis=-1, keepdims=True))
    return dz, (dy * zhat).sum(axis=(0, 1)), dy.sum(axis=(0, 1))


def forward(params: dict[str, np.ndarray], tokens: np.ndarray, heads: int,
            mask: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """logits (B, T, V) for tokens (B, T), and the cache for `backward` (cache["mha"].P: (B, h, T, T))."""
    p = params
    T, D = tokens.shape[1], p["E"].shape[1]
    x = p["E"][tokens] + positional_encoding(T, D)
    a, mha = multi_head_attention(x, p["Wq"], p["Wk"], p["Wv"], p["Wo"], heads, mask)
    h1, ln1 = _layer_norm(x + a, p["g1"], p["c1"])
    pre = h1 @ p["W1"] + p["b1"]
    hidden = np.maximum(pre, 0.0)
    h2, ln2 = _layer_norm(h1 + hidden @ p["W2"] + p["b2"], p["g2"], p["c2"])
    logits = h2 @ p["Wout"] + p["bout"]
    return logits, {"tokens": tokens, "mha": mha, "ln1": ln1, "h1": h1, "pre": pre, "hidden": hidden,
                    "ln2": ln2, "h2": h2}


def cross_entropy(logits: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy over all B*T positions and its gradient with respect to logits (B, T, V)."""
    z = logits - logits.max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    onehot = np.eye(logits.shape[-1])[targets]                  # (B, T, V)
    n = targets.size
    return float(-(onehot * logp).sum() / n), (np.exp(logp) - onehot) / n


def backward(params: dict[str, np.ndarray], cache: dict, dlogits: np.ndarray) -> dict[str, np.ndarray]:
    """Gradient of the loss with respect to every parameter, given dlogits: (B, T, V)."""
    p, c = params, cache
    flat = lambda A: A.reshape(-1, A.shape[-1])  # noqa: E731
    g = {"Wout": flat(c["h2"]).T @ flat(dlogits), "bout": dlogits.sum(axis=(0, 1))}
    dz2, g["g2"], g["c2"] = _layer_norm_backward(dlogits @ p["Wout"].T, c["ln2"])
    g["W2"], g["b2"] = flat(c["hidden"]).T @ flat(dz2), dz2.sum(axis=(0, 1))
    dpre = (dz2 @ p["W2"].T) * (c["pre"] > 0)
    g["W1"], g["b1"] = flat(c["h1"]).T @ flat(dpre), dpre.sum(axis=(0, 1))
    dz1, g["g1"], g["c1"] = _layer_norm_backward(dz2 + dpre @ p["W1"].T, c["ln1"])
    dx_attn, g["Wq"], g["Wk"], g["Wv"], g["Wo"] = multi_head_attention_backward(
        dz1, c["mha"], p["Wq"], p["Wk"], p["Wv"], p["Wo"])
    dx = dz1 + dx_attn
    g["E"] = np.zeros_like(p["E"])
    np.add.at(g["E"], c["tokens"], dx)
    return g


def train(params: dict[str, np.ndarray], batches, heads: int, lr: float = 3e-3) -> list[float]:
    """Adam on (tokens, targets) pairs from `batches`; updates params in place; returns the losses."""
    m = {k: np.zeros_like(v) for k, v in params.items()}
    s = {k: np.zeros_like(v) for k, v in params.items()}
    losses = []
    for step, (tokens, targets) in enumerate(batches, start=1):
        logits, cache = forward(params, tokens, heads)
        loss, dlogits = cross_entropy(logits, targets)
        losses.append(loss)
        for k, grad in backward(params, cache, dlogits).items():
            m[k] = 0.9 * m[k] + 0.1 * grad
            s[k] = 0.999 * s[k] + 0.001 * grad ** 2
            params[k] -= lr * (m[k] / (1 - 0.9 ** step)) / (np.sqrt(s[k] / (1 - 0.999 ** step)) + 1e-8)
    return losses
