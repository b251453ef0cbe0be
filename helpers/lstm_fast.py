"""A fast LSTM layer in NumPy, float32 by default: the same layer as helpers.lstm, arranged for speed.

The layer, its parameters and its gradients are those of helpers.lstm.LSTMLayer (W: (D + H, 4H) =
[W_x; W_h], gate order f | i | g | o; b: (4H,)); tests/test_lstm_reference.py checks that the two agree
and benchmarks/lstm_vs_torch.py times both against PyTorch's nn.LSTM. What makes this one fast:

* the input projection x_t W_x + b of all T steps is one (N·T, D) × (D, 4H) product before the loop;
* inside the loop only h_{t-1} W_h remains; every buffer is allocated once and updated in place, and
  the nonlinearities of all four gates are one exp over the 4H columns (see LSTMLayer);
* backward stores the gate gradients of all steps and computes dW_x, dW_h and dx as three products
  after the loop, so the loop itself does one (N, 4H) × (4H, H) product per step.
Internally the arrays are time-major, (T, N, ·), so each step reads one contiguous block.
"""
from __future__ import annotations

import numpy as np

from helpers.lstm import check_params, check_shape


class LSTMLayer:
    """One LSTM layer over whole sequences: `forward(xs)` then `backward(dhs)`.

    W: (D + H, 4H) fused weights [W_x; W_h], gate order f | i | g | o; b: (4H,).
    Arrays are converted to `dtype` (float32 unless told otherwise; the tests use float64).

    Inside, the columns are stored in the order f | i | o | g, and a forward-only copy of the weights
    is scaled by −1 (gates) and −2 (candidate). Then one exp, one add and one division over all 4H
    columns give σ(a) for the gates and σ(2 a_g) for the candidate, and g = tanh(a_g) = 2σ(2 a_g) − 1.
    (NumPy's exp is vectorised and several times faster than its tanh.) Gradients are returned in
    the public order f | i | g | o.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray, dtype: type = np.float32) -> None:
        check_params(W, b)
        self.H = H = W.shape[1] // 4
        self.D = W.shape[0] - H
        self.dtype = np.dtype(dtype)
        self._order = np.r_[0:2 * H, 3 * H:4 * H, 2 * H:3 * H]          # public f i g o → inside f i o g
        self._public = np.argsort(self._order)                          # inside → public
        W = np.ascontiguousarray(np.asarray(W, dtype=self.dtype)[:, self._order])
        b = np.asarray(b, dtype=self.dtype)[self._order]
        self.Wx, self.Wh = W[:self.D], W[self.D:]                       # true weights, inside order
        scale = np.full(4 * H, -1.0, self.dtype)
        scale[3 * H:] = -2.0
        self._Wx_neg, self._Wh_neg, self._b_neg = self.Wx * scale, self.Wh * scale, b * scale

    def forward(self, xs: np.ndarray, h0: np.ndarray | None = None,
                c0: np.ndarray | None = None) -> np.ndarray:
        """xs: (N, T, D); h0, c0: (N, H) or None for zeros. Returns hs: (N, T, H), every h_t.

        Keeps what backward needs: the activated gates, every h and c, and tanh(c).
        """
        N, H = len(xs), self.H
        for name, array, shape in [("xs", xs, (N, None, self.D)), ("h0", h0, (N, H)), ("c0", c0, (N, H))]:
            check_shape(name, array, shape)
        T, D = xs.shape[1], self.D
        x_tm = np.ascontiguousarray(xs.transpose(1, 0, 2), dtype=self.dtype)          # (T, N, D)
        gates = (x_tm.reshape(T * N, D) @ self._Wx_neg).reshape(T, N, 4 * H)          # hoisted x W_x
        gates += self._b_neg
        hs = np.empty((T + 1, N, H), self.dtype)
        cs = np.empty((T + 1, N, H), self.dtype)
        tanh_c = np.empty((T, N, H), self.dtype)
        hs[0] = 0.0 if h0 is None else h0
        cs[0] = 0.0 if c0 is None else c0
        recurrent = np.empty((N, 4 * H), self.dtype)
        ig = np.empty((N, H), self.dtype)
        with np.errstate(over="ignore"):                 # exp → inf gives σ = 1/(1 + inf) = 0: right
            for t in range(T):
                a = gates[t]
                np.matmul(hs[t], self._Wh_neg, out=recurrent)
                a += recurrent                           # −a for f, i, o; −2a for g
                np.exp(a, out=a)
                a += 1.0
                np.divide(1.0, a, out=a)                 # σ(a) for f, i, o; σ(2a) for g
                f, i, o, g = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
                g *= 2.0
                g -= 1.0                                 # tanh(a) = 2σ(2a) − 1
                np.multiply(f, cs[t], out=cs[t + 1])
                np.multiply(i, g, out=ig)
                cs[t + 1] += ig
                tc = tanh_c[t]
                np.multiply(cs[t + 1], -2.0, out=tc)     # tanh(c) = 2 / (1 + exp(−2c)) − 1
                np.exp(tc, out=tc)
                tc += 1.0
                np.divide(2.0, tc, out=tc)
                tc -= 1.0
                np.multiply(o, tc, out=hs[t + 1])
        self._cache = x_tm, gates, hs, cs, tanh_c
        return hs[1:].transpose(1, 0, 2)

    def backward(self, dhs: np.ndarray, dh_last: np.ndarray | None = None,
                 dc_last: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Backpropagation through time after `forward`.

        dhs: (N, T, H) ∂L/∂h_t arriving from above at each step; dh_last, dc_last: (N, H) optional extra
        gradients of the final h_T and c_T. Returns dxs: (N, T, D), dh0: (N, H), dc0: (N, H),
        dW: (D + H, 4H), db: (4H,) (gate order f | i | g | o).
        """
        x_tm, gates, hs, cs, tanh_c = self._cache
        T, N, D = x_tm.shape
        H = self.H
        for name, array, shape in [("dhs", dhs, (N, T, H)), ("dh_last", dh_last, (N, H)), ("dc_last", dc_last, (N, H))]:
            check_shape(name, array, shape)
        dhs_tm = dhs.transpose(1, 0, 2)
        dgates = np.empty((T, N, 4 * H), self.dtype)
        dh = np.zeros((N, H), self.dtype) if dh_last is None else np.array(dh_last, self.dtype)
        dc = np.zeros((N, H), self.dtype) if dc_last is None else np.array(dc_last, self.dtype)
        tmp = np.empty((N, H), self.dtype)
        slope = np.empty((N, 3 * H), self.dtype)
        WhT = np.ascontiguousarray(self.Wh.T)
        for t in range(T - 1, -1, -1):
            a, da, tc = gates[t], dgates[t], tanh_c[t]
            f, i, o, g = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            df, di, do, dg = da[:, :H], da[:, H:2 * H], da[:, 2 * H:3 * H], da[:, 3 * H:]
            dh += dhs_tm[t]
            # dc += dh · o · (1 − tanh(c)²): the total gradient of c_t
            np.multiply(tc, tc, out=tmp)
            np.subtract(1.0, tmp, out=tmp)
            tmp *= o
            tmp *= dh
            dc += tmp
            # dg = dc · i · (1 − g²)
            np.multiply(g, g, out=dg)
            np.subtract(1.0, dg, out=dg)
            dg *= i
            dg *= dc
            # df, di, do before the sigmoid: dc · c_{t-1}, dc · g, dh · tanh(c); then all three × σ(1 − σ)
            np.multiply(dc, cs[t], out=df)
            np.multiply(dc, g, out=di)
            np.multiply(dh, tc, out=do)
            sig = a[:, :3 * H]
            np.subtract(1.0, sig, out=slope)
            slope *= sig
            da[:, :3 * H] *= slope
            # the paths to step t − 1
            dc *= f
            np.matmul(da, WhT, out=dh)
        flat = dgates.reshape(T * N, 4 * H)
        dW = np.empty((D + H, 4 * H), self.dtype)
        np.matmul(x_tm.reshape(T * N, D).T, flat, out=dW[:D])
        np.matmul(hs[:-1].reshape(T * N, H).T, flat, out=dW[D:])
        db = flat.sum(axis=0)
        dxs = (flat @ self.Wx.T).reshape(T, N, D).transpose(1, 0, 2)
        return dxs, dh, dc, dW[:, self._public], db[self._public]

    def gates(self) -> dict[str, np.ndarray]:
        """The activated gates of the last forward pass, each (N, T, H), keyed by 'f', 'i', 'g', 'o'."""
        gates = self._cache[1]
        H = self.H
        return {name: gates[:, :, k * H:(k + 1) * H].transpose(1, 0, 2) for k, name in enumerate("fiog")}

    def cells(self) -> np.ndarray:
        """The cell states c_1 … c_T of the last forward pass: (N, T, H)."""
        return self._cache[3][1:].transpose(1, 0, 2)
