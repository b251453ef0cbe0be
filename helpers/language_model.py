"""A recurrent language model built from layers, in the style of Deep Learning from Scratch 2.

    character ids (N, T) → Embedding → TimeRNN or TimeLSTM → TimeAffine → softmax cross-entropy

Every layer has `params` and `grads` (lists of arrays, in the same order), `forward` and `backward`.
The recurrent layer is made of the notebook's own functions, passed in:

    rnn_forward(xs, h0, Wx, Wh, b) -> hs
    rnn_backward(dhs, xs, h0, hs, Wx, Wh) -> (dxs, dh0, dWx, dWh, db)
    lstm_forward(xs, h0, c0, W, b) -> (hs, cs)
    lstm_backward(dhs, xs, h0, c0, hs, cs, W, b) -> (dxs, dh0, dc0, dW, db)

so the model trains with the gradients the student wrote. Training is truncated BPTT over a long
text: the state at the end of one chunk of T characters starts the next chunk, the gradient stops at
the chunk's start.

**Tied embeddings** (Press & Wolf, 2016; the improved LSTM model of Deep Learning from Scratch 2): the
output layer's weight is the embedding matrix transposed, so one (V, H) matrix both reads a character in
and scores it on the way out. It needs the embedding size to equal the hidden size H.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from helpers.adam import Adam
from helpers.lstm import init_params
from helpers.memory_task import softmax_cross_entropy

Clip = Callable[[list[np.ndarray], float], tuple[list[np.ndarray], float]]


class Embedding:
    """Looks up rows of W: (V, E). ids: (N, T) → (N, T, E)."""

    def __init__(self, W: np.ndarray) -> None:
        self.params, self.grads = [W], [np.zeros_like(W)]

    def forward(self, ids: np.ndarray) -> np.ndarray:
        self.ids = ids
        return self.params[0][ids]

    def backward(self, dout: np.ndarray) -> None:
        np.add.at(self.grads[0], self.ids, dout)          # a character read twice collects both gradients


class TimeAffine:
    """Scores (N, T, V) = hs (N, T, H) · W (H, V) + b (V,) at every step.

    tied_to: an Embedding whose (V, H) matrix, transposed, is W. Then the layer owns only b, and its
    gradient for W is added to the embedding's.
    """

    def __init__(self, W: np.ndarray | None, b: np.ndarray, tied_to: Embedding | None = None) -> None:
        if (W is None) == (tied_to is None):
            raise ValueError("TimeAffine: give either its own W or tied_to, an Embedding")
        self.tied_to = tied_to
        self.params = [b] if tied_to else [W, b]
        self.grads = [np.zeros_like(p) for p in self.params]

    @property
    def W(self) -> np.ndarray:
        return self.tied_to.params[0].T if self.tied_to else self.params[0]

    def forward(self, hs: np.ndarray) -> np.ndarray:
        self.hs = hs
        return hs @ self.W + self.params[-1]

    def backward(self, dscores: np.ndarray) -> np.ndarray:
        H, V = self.W.shape
        hs, d = self.hs.reshape(-1, H), dscores.reshape(-1, V)
        dW = hs.T @ d                                      # (H, V)
        if self.tied_to:
            self.tied_to.grads[0] += dW.T                  # one matrix, two uses: the gradients add up
        else:
            self.grads[0] += dW
        self.grads[-1] += d.sum(axis=0)
        return dscores @ self.W.T                          # (N, T, H)


class TimeLSTM:
    """An LSTM over chunks of T steps, made of lstm_forward and lstm_backward. xs: (N, T, D) → hs: (N, T, H).

    The last (h, c) of one chunk is the first of the next, until `reset_state`.
    """

    def __init__(self, lstm_forward: Callable, lstm_backward: Callable, W: np.ndarray, b: np.ndarray) -> None:
        self.lstm_forward, self.lstm_backward = lstm_forward, lstm_backward
        self.params, self.grads = [W, b], [np.zeros_like(W), np.zeros_like(b)]
        self.reset_state()

    def reset_state(self) -> None:
        self.h = self.c = None

    def forward(self, xs: np.ndarray) -> np.ndarray:
        W, b = self.params
        if self.h is None:
            self.h = self.c = np.zeros((len(xs), W.shape[1] // 4))
        h0, c0 = self.h, self.c
        hs, cs = self.lstm_forward(xs, h0, c0, W, b)
        self.cache = xs, h0, c0, hs, cs
        self.h, self.c = hs[:, -1], cs[:, -1]
        return hs

    def backward(self, dhs: np.ndarray) -> np.ndarray:
        dxs, _, _, dW, db = self.lstm_backward(dhs, *self.cache, *self.params)   # dh0, dc0: truncated
        self.grads[0] += dW
        self.grads[1] += db
        return dxs


class TimeRNN:
    """A vanilla RNN over chunks of T steps, made of rnn_forward and rnn_backward. xs: (N, T, D) → hs: (N, T, H).

    The last h of one chunk is the first of the next, until `reset_state`.
    """

    def __init__(self, rnn_forward: Callable, rnn_backward: Callable, Wx: np.ndarray, Wh: np.ndarray,
                 b: np.ndarray) -> None:
        self.rnn_forward, self.rnn_backward = rnn_forward, rnn_backward
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(p) for p in self.params]
        self.reset_state()

    def reset_state(self) -> None:
        self.h = None

    def forward(self, xs: np.ndarray) -> np.ndarray:
        Wx, Wh, b = self.params
        if self.h is None:
            self.h = np.zeros((len(xs), Wh.shape[0]))
        h0 = self.h
        hs = self.rnn_forward(xs, h0, Wx, Wh, b)
        self.cache = xs, h0, hs
        self.h = hs[:, -1]
        return hs

    def backward(self, dhs: np.ndarray) -> np.ndarray:
        xs, h0, hs = self.cache
        dxs, _, dWx, dWh, db = self.rnn_backward(dhs, xs, h0, hs, self.params[0], self.params[1])
        for g, d in zip(self.grads, (dWx, dWh, db)):
            g += d
        return dxs


class LanguageModel:
    """Embedding → recurrent layer → TimeAffine, trained with softmax cross-entropy on the next character.

    embedding: (V, H) matrix; recurrent: a TimeRNN or TimeLSTM with hidden size H; tied: whether the
    output layer reuses the embedding (otherwise it gets its own (H, V) matrix).
    """

    def __init__(self, embedding: np.ndarray, recurrent: TimeRNN | TimeLSTM, tied: bool,
                 rng: np.random.Generator) -> None:
        V, H = embedding.shape
        self.embed = Embedding(embedding)
        self.recurrent = recurrent
        W_out = None if tied else rng.normal(scale=1 / np.sqrt(H), size=(H, V))
        self.out = TimeAffine(W_out, np.zeros(V), tied_to=self.embed if tied else None)
        self.layers = [self.embed, self.recurrent, self.out]
        self.params = [p for layer in self.layers for p in layer.params]
        self.grads = [g for layer in self.layers for g in layer.grads]

    def scores(self, ids: np.ndarray) -> np.ndarray:
        """Scores (N, T, V) for the character after each of ids: (N, T)."""
        hs = self.recurrent.forward(self.embed.forward(ids))
        return self.out.forward(hs)

    def loss(self, ids: np.ndarray, targets: np.ndarray) -> float:
        """Mean cross-entropy (nats per character) of predicting targets: (N, T) from ids: (N, T)."""
        scores = self.scores(ids)
        V = scores.shape[-1]
        loss, self.dscores = softmax_cross_entropy(scores.reshape(-1, V), targets.ravel())
        return loss

    def backward(self) -> None:
        """Gradients of the last `loss` into `grads` (set, not accumulated across calls)."""
        for g in self.grads:
            g[...] = 0.0
        d = self.dscores.reshape(*self.out.hs.shape[:2], -1)
        self.embed.backward(self.recurrent.backward(self.out.backward(d)))

    def generate(self, start: np.ndarray, length: int, rng: np.random.Generator,
                 temperature: float = 1.0) -> np.ndarray:
        """`length` character ids drawn one at a time after reading the ids `start` (a fresh state).

        Each draw follows softmax(scores / temperature): below 1 sharper, above 1 flatter.
        """
        if np.ndim(start) != 1 or len(start) == 0:
            raise ValueError(f"start: expected a non-empty 1-D array of character ids, got shape {np.shape(start)}")
        if temperature <= 0:
            raise ValueError(f"temperature: expected a number above 0, got {temperature}")
        self.recurrent.reset_state()
        scores = self.scores(np.asarray(start)[None])[0, -1]
        out = []
        for _ in range(length):
            z = scores / temperature
            p = np.exp(z - z.max())
            out.append(rng.choice(len(p), p=p / p.sum()))
            scores = self.scores(np.array([[out[-1]]]))[0, -1]
        self.recurrent.reset_state()
        return np.array(out)

    def count(self) -> int:
        """Number of trained numbers (a tied matrix counts once)."""
        return sum(p.size for p in self.params)


def lstm_model(lstm_forward: Callable, lstm_backward: Callable, V: int, H: int, tied: bool,
               seed: int) -> LanguageModel:
    """A character LSTM model: embedding (V, H) ~ N(0, 1/H), LSTM weights like PyTorch's, forget bias 1."""
    rng = np.random.default_rng(seed)
    embedding = rng.normal(scale=1 / np.sqrt(H), size=(V, H))
    W, b = init_params(H, H, rng, forget_bias=1.0, dtype=np.float64)
    return LanguageModel(embedding, TimeLSTM(lstm_forward, lstm_backward, W, b), tied, rng)


def rnn_model(rnn_forward: Callable, rnn_backward: Callable, V: int, H: int, tied: bool,
              seed: int) -> LanguageModel:
    """A character RNN model: embedding (V, H) ~ N(0, 1/H), W_x and W_h uniform in ±1/√H, b = 0."""
    rng = np.random.default_rng(seed)
    embedding = rng.normal(scale=1 / np.sqrt(H), size=(V, H))
    bound = 1 / np.sqrt(H)
    Wx, Wh = rng.uniform(-bound, bound, size=(H, H)), rng.uniform(-bound, bound, size=(H, H))
    return LanguageModel(embedding, TimeRNN(rnn_forward, rnn_backward, Wx, Wh, np.zeros(H)), tied, rng)


def evaluate(model: LanguageModel, rows: np.ndarray, T: int) -> float:
    """Mean cross-entropy per character over held-out streams rows: (N, L), read chunk by chunk from a fresh state."""
    model.recurrent.reset_state()
    chunks = (rows.shape[1] - 1) // T
    total = sum(model.loss(rows[:, k * T:(k + 1) * T], rows[:, k * T + 1:(k + 1) * T + 1]) for k in range(chunks))
    model.recurrent.reset_state()
    return total / chunks


def train(model: LanguageModel, clip: Clip, train_rows: np.ndarray, valid_rows: np.ndarray, *, steps: int,
          T: int, lr: float = 1e-2, max_norm: float = 1.0, evaluate_every: int = 50,
          desc: str = "training") -> dict:
    """Adam on truncated BPTT: step k reads chunk k of train_rows (N, L), carrying the state from chunk k − 1.

    Gradients are clipped with `clip(grads, max_norm)` before each step. Returns a dict of arrays:
    "loss" per step (nats per character), and "valid_steps", "valid_loss" every `evaluate_every`
    steps and at the end, from `evaluate` on valid_rows.
    """
    optimiser = Adam(model.params, lr=lr)
    history = {"loss": [], "valid_steps": [], "valid_loss": []}
    rows = train_rows.shape[1]
    model.recurrent.reset_state()
    bar = tqdm(range(steps), desc=desc, leave=True)
    # One BLAS thread: these products are small, and on a busy machine BLAS threads waiting for each
    # other cost many times the work itself (measured: 20 times the CPU time with 2 threads under load).
    with threadpool_limits(limits=1, user_api="blas"):
        for k in bar:
            if k % evaluate_every == 0:
                _record(history, model, valid_rows, T, k)       # (this resets the state)
            start = (k * T) % (rows - T - 1)
            loss = model.loss(train_rows[:, start:start + T], train_rows[:, start + 1:start + T + 1])
            model.backward()
            grads, _ = clip(model.grads, max_norm)
            optimiser.step(grads)
            history["loss"].append(loss)
            bar.set_postfix(loss=f"{loss:.2f}", refresh=False)
        _record(history, model, valid_rows, T, steps)
    return {name: np.array(values) for name, values in history.items()}


def _record(history: dict, model: LanguageModel, valid_rows: np.ndarray, T: int, step: int) -> None:
    history["valid_steps"].append(step)
    history["valid_loss"].append(evaluate(model, valid_rows, T))
