"""The course's reference LSTM layer in NumPy, written like lesson 5's equations.

The layer reads a batch of sequences `xs: (N, T, D)` and returns every hidden state `hs: (N, T, H)`.
Its parameters are one fused matrix and one bias,

    W: (D + H, 4H) = [W_x; W_h],   b: (4H,),   columns in the gate order  f | i | g | o,

and one step is

    a_t = [x_t, h_{t-1}] W + b,   f, i, o = σ(a^f), σ(a^i), σ(a^o),   g = tanh(a^g),
    c_t = f ∘ c_{t-1} + i ∘ g,    h_t = o ∘ tanh(c_t).

The backward pass follows the lesson's four steps, from t = T down to 1. helpers/lstm_fast.py computes
the same layer arranged for speed; benchmarks/lstm_vs_torch.py times both against PyTorch.
"""
from __future__ import annotations

import numpy as np

from helpers.activations import sigmoid

GATES = ("f", "i", "g", "o")   # the order of the four column blocks of W and b


def init_params(D: int, H: int, rng: np.random.Generator, forget_bias: float = 1.0,
                dtype: type = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """Fused parameters W: (D + H, 4H) uniform in ±1/√H (PyTorch's default) and b: (4H,).

    The forget gate's block of b starts at `forget_bias`, the others at 0.
    """
    bound = 1.0 / np.sqrt(H)
    W = rng.uniform(-bound, bound, size=(D + H, 4 * H)).astype(dtype)
    b = np.zeros(4 * H, dtype=dtype)
    b[:H] = forget_bias
    return W, b


def check_params(W: np.ndarray, b: np.ndarray) -> None:
    """ValueError unless W: (D + H, 4H) with D ≥ 1 and b: (4H,)."""
    if np.ndim(W) != 2 or np.shape(W)[1] % 4 or np.shape(W)[0] <= np.shape(W)[1] // 4:
        raise ValueError(f"W: expected shape (D + H, 4H) with D ≥ 1, got {np.shape(W)}")
    check_shape("b", b, (np.shape(W)[1],))


def check_shape(name: str, array: np.ndarray | None, shape: tuple) -> None:
    """ValueError naming `name` if array's shape is not `shape` (a None size matches any; a None array passes)."""
    if array is None:
        return
    if np.ndim(array) != len(shape) or any(want not in (None, got) for want, got in zip(shape, np.shape(array))):
        sizes = ", ".join("·" if n is None else str(n) for n in shape)
        raise ValueError(f"{name}: expected shape ({sizes}{',' if len(shape) == 1 else ''}), got {np.shape(array)}")


class LSTMLayer:
    """One LSTM layer over whole sequences: `forward(xs)` then `backward(dhs)`.

    W: (D + H, 4H) fused weights [W_x; W_h], gate order f | i | g | o; b: (4H,).
    Arrays are converted to `dtype` (float32 unless told otherwise; the tests use float64).
    """

    def __init__(self, W: np.ndarray, b: np.ndarray, dtype: type = np.float32) -> None:
        check_params(W, b)
        self.dtype = np.dtype(dtype)
        self.W, self.b = np.asarray(W, self.dtype), np.asarray(b, self.dtype)
        self.H = self.W.shape[1] // 4
        self.D = self.W.shape[0] - self.H

    def forward(self, xs: np.ndarray, h0: np.ndarray | None = None,
                c0: np.ndarray | None = None) -> np.ndarray:
        """xs: (N, T, D); h0, c0: (N, H) or None for zeros. Returns hs: (N, T, H), every h_t.

        Keeps what backward needs for every step: [x_t, h_{t-1}], c_{t-1}, the four gates and c_t.
        """
        N, H = len(xs), self.H
        for name, array, shape in [("xs", xs, (N, None, self.D)), ("h0", h0, (N, H)), ("c0", c0, (N, H))]:
            check_shape(name, array, shape)
        T = xs.shape[1]
        h = np.zeros((N, H), self.dtype) if h0 is None else np.asarray(h0, self.dtype)
        c = np.zeros((N, H), self.dtype) if c0 is None else np.asarray(c0, self.dtype)
        hs = np.empty((N, T, H), self.dtype)
        self._steps = []
        for t in range(T):
            xh = np.concatenate([np.asarray(xs[:, t], self.dtype), h], axis=1)   # (N, D + H)
            a = xh @ self.W + self.b                                             # (N, 4H)
            f = sigmoid(a[:, :H])
            i = sigmoid(a[:, H:2 * H])
            g = np.tanh(a[:, 2 * H:3 * H])
            o = sigmoid(a[:, 3 * H:])
            c_prev, c = c, f * c + i * g
            h = o * np.tanh(c)
            hs[:, t] = h
            self._steps.append((xh, c_prev, f, i, g, o, c))
        return hs

    def backward(self, dhs: np.ndarray, dh_last: np.ndarray | None = None,
                 dc_last: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Backpropagation through time after `forward`.

        dhs: (N, T, H) ∂L/∂h_t arriving from above at each step; dh_last, dc_last: (N, H) optional extra
        gradients of the final h_T and c_T. Returns dxs: (N, T, D), dh0: (N, H), dc0: (N, H),
        dW: (D + H, 4H), db: (4H,).
        """
        N, T, H = len(self._steps[0][0]), len(self._steps), self.H
        for name, array, shape in [("dhs", dhs, (N, T, H)), ("dh_last", dh_last, (N, H)), ("dc_last", dc_last, (N, H))]:
            check_shape(name, array, shape)
        dhs = np.asarray(dhs, self.dtype)
        dxs = np.empty((N, T, self.D), self.dtype)
        dW, db = np.zeros_like(self.W), np.zeros_like(self.b)
        dh = np.zeros((N, H), self.dtype) if dh_last is None else np.asarray(dh_last, self.dtype)
        dc = np.zeros((N, H), self.dtype) if dc_last is None else np.asarray(dc_last, self.dtype)
        for t in reversed(range(T)):
            xh, c_prev, f, i, g, o, c = self._steps[t]
            dh = dh + dhs[:, t]                                 # from the loss at t and from step t + 1
            tanh_c = np.tanh(c)
            dc = dc + dh * o * (1 - tanh_c ** 2)                # 1. c_t's total gradient
            da = np.concatenate([dc * c_prev * f * (1 - f),     # 2. the four pre-activations
                                 dc * g * i * (1 - i),
                                 dc * i * (1 - g ** 2),
                                 dh * tanh_c * o * (1 - o)], axis=1)
            dW += xh.T @ da                                     # 3. back through the fused product
            db += da.sum(axis=0)
            dxh = da @ self.W.T                                 # (N, D + H)
            dxs[:, t], dh = dxh[:, :self.D], dxh[:, self.D:]
            dc = dc * f                                         # 4. the cell path: only the forget gate
        return dxs, dh, dc, dW, db

    def gates(self) -> dict[str, np.ndarray]:
        """The gates of the last forward pass, each (N, T, H), keyed by 'f', 'i', 'g', 'o'."""
        return {name: np.stack([step[2 + k] for step in self._steps], axis=1) for k, name in enumerate(GATES)}

    def cells(self) -> np.ndarray:
        """The cell states c_1 … c_T of the last forward pass: (N, T, H)."""
        return np.stack([step[-1] for step in self._steps], axis=1)


def to_torch_order(W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Our fused (W: (D + H, 4H), b: (4H,)) as nn.LSTM's weight_ih (4H, D), weight_hh (4H, H), bias (4H,).

    PyTorch stacks the gates as i | f | g | o and multiplies W x (rows are gates), so the blocks are
    reordered and the matrices transposed. Put the returned bias in bias_ih and zeros in bias_hh.
    """
    H = W.shape[1] // 4
    D = W.shape[0] - H
    order = np.concatenate([np.arange(H, 2 * H), np.arange(H), np.arange(2 * H, 4 * H)])
    return W[:D, order].T.copy(), W[D:, order].T.copy(), b[order].copy()
