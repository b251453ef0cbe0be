"""Hidden tests of lesson 5, "RNNs, vanishing gradients, and the LSTM's gates" (see helpers.grading.spec).

The references are written plainly: one number at a time for a step, one sequence at a time for a
sequence. The cases cover, for every exercise, the classes of input wrong answers get wrong:
degenerate shapes (N = 1, D = 1, H = 1, T = 1) and D = H, pre-activations past exp's range
(|a| > 709) and saturated gates, exact zeros (a first step from zero states, a last step with dc = 0,
an upstream gradient of zeros, all-zero gradients to clip), integer inputs (one-hot tokens), and
float32 gradients.
"""
from __future__ import annotations

import math

import numpy as np

from helpers.grading.spec import Case, Exercise, Mistake


def _sigmoid(v: float) -> float:
    """σ(v) for one number, without overflow."""
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def _sigmoid_array(a):
    """σ of an array, written as most students write it (the mistakes' answers use it)."""
    return 1.0 / (1.0 + np.exp(-a))


def _dot(u, v) -> float:
    return sum(float(a) * float(b) for a, b in zip(u, v))


def _one_hot(rng, shape, D):
    """Integer one-hot tokens: an int array of shape `shape` + (D,)."""
    return np.eye(D, dtype=np.int64)[rng.integers(0, D, size=shape)]


# --- the vanilla RNN -------------------------------------------------------------------------------------

def rnn_step_reference(x, h_prev, Wx, Wh, b):
    N, H = len(x), len(b)
    h = np.zeros((N, H))
    for n in range(N):
        for j in range(H):
            h[n, j] = math.tanh(_dot(h_prev[n], Wh[:, j]) + _dot(x[n], Wx[:, j]) + float(b[j]))
    return h


def _rnn_params(rng, D, H, scale=1.0, recurrent=0.5):
    return rng.normal(scale=scale, size=(D, H)), rng.normal(scale=recurrent, size=(H, H)), rng.normal(size=H)


def rnn_step_draws(rng):
    """(label, x, h_prev, Wx, Wh, b) for each class of input of one RNN step."""
    for N, D, H in [(1, 1, 1), (1, 4, 3), (5, 1, 3), (4, 3, 1), (3, 4, 4), (16, 7, 12)]:
        label = f"N={N}, D={D}, H={H}" + (" (D = H)" if D == H and N > 1 else "")
        yield (label, rng.normal(size=(N, D)), np.tanh(rng.normal(size=(N, H))), *_rnn_params(rng, D, H))
    yield ("pre-activations beyond ±709 (tanh saturates)", rng.normal(size=(3, 2)), rng.normal(size=(3, 4)),
           *_rnn_params(rng, 2, 4, scale=800.0))
    yield ("a first step from a zero state, zero inputs", np.zeros((2, 3)), np.zeros((2, 4)), *_rnn_params(rng, 3, 4))
    yield ("integer inputs (one-hot tokens)", _one_hot(rng, 4, 5), np.tanh(rng.normal(size=(4, 3))),
           *_rnn_params(rng, 5, 3))


def rnn_step_cases(rng):
    for label, x, h_prev, Wx, Wh, b in rnn_step_draws(rng):
        yield Case(label, (x, h_prev, Wx, Wh, b))


def rnn_step_visible(rng):
    N, D, H = 4, 3, 5
    yield Case(f"N={N}, D={D}, H={H}", (rng.normal(size=(N, D)), rng.normal(scale=0.5, size=(N, H)),
                                        *_rnn_params(rng, D, H)))


def rnn_step_backward_reference(dh, x, h_prev, h, Wx, Wh):
    (N, D), H = x.shape, h.shape[1]
    dz = np.array([[float(dh[n, j]) * (1.0 - float(h[n, j]) ** 2) for j in range(H)] for n in range(N)])
    dx = np.array([[_dot(dz[n], Wx[d]) for d in range(D)] for n in range(N)]).reshape(N, D)
    dh_prev = np.array([[_dot(dz[n], Wh[k]) for k in range(H)] for n in range(N)]).reshape(N, H)
    dWx = np.array([[_dot(x[:, d], dz[:, j]) for j in range(H)] for d in range(D)]).reshape(D, H)
    dWh = np.array([[_dot(h_prev[:, k], dz[:, j]) for j in range(H)] for k in range(H)]).reshape(H, H)
    db = np.array([sum(dz[:, j]) for j in range(H)])
    return dx, dh_prev, dWx, dWh, db


def _rnn_step_backward_case(rng, x, h_prev, Wx, Wh, b, dh=None):
    h = np.tanh(h_prev @ Wh + x @ Wx + b)
    return (rng.normal(size=h.shape) if dh is None else dh, x, h_prev, h, Wx, Wh)


def rnn_step_backward_cases(rng):
    for label, x, h_prev, Wx, Wh, b in rnn_step_draws(rng):
        yield Case(label, _rnn_step_backward_case(rng, x, h_prev, Wx, Wh, b))
    x, h_prev, (Wx, Wh, b) = rng.normal(size=(3, 2)), rng.normal(size=(3, 4)), _rnn_params(rng, 2, 4)
    yield Case("an upstream gradient of zeros", _rnn_step_backward_case(rng, x, h_prev, Wx, Wh, b, np.zeros((3, 4))))
    b[:2] = [40.0, -40.0]                                  # h is exactly ±1 in two columns: the slope is 0
    yield Case("states saturated at exactly ±1", _rnn_step_backward_case(rng, x, h_prev, Wx, Wh, b))


def rnn_step_backward_visible(rng):
    N, D, H = 4, 3, 5
    x, h_prev, (Wx, Wh, b) = rng.normal(size=(N, D)), rng.normal(scale=0.5, size=(N, H)), _rnn_params(rng, D, H)
    yield Case(f"N={N}, D={D}, H={H}", _rnn_step_backward_case(rng, x, h_prev, Wx, Wh, b))


def _rnn_states(xs, h0, Wx, Wh, b):
    hs, h = [], h0
    for t in range(xs.shape[1]):
        h = np.tanh(h @ Wh + xs[:, t] @ Wx + b)
        hs.append(h)
    return np.stack(hs, axis=1)


def rnn_backward_reference(dhs, xs, h0, hs, Wx, Wh):
    """One sequence at a time; the gradient carried back from step t + 1 joins dhs[n, t]."""
    (N, T, D), H = xs.shape, h0.shape[1]
    dxs, dh0 = np.zeros((N, T, D)), np.zeros((N, H))
    dWx, dWh, db = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    for n in range(N):
        carried = np.zeros(H)
        for t in range(T - 1, -1, -1):
            before = h0[n] if t == 0 else hs[n, t - 1]
            dz = (dhs[n, t] + carried) * (1.0 - hs[n, t] ** 2)
            dxs[n, t] = Wx @ dz
            carried = Wh @ dz
            dWx += np.outer(xs[n, t], dz)
            dWh += np.outer(before, dz)
            db += dz
        dh0[n] = carried
    return dxs, dh0, dWx, dWh, db


def _sequence(rng, N, T, D, H, *, scale=1.0, recurrent=0.6, xs=None, h0=None, dhs=None):
    xs = rng.normal(size=(N, T, D)) if xs is None else xs
    h0 = rng.normal(scale=0.5, size=(N, H)) if h0 is None else h0
    Wx, Wh, b = _rnn_params(rng, D, H, scale, recurrent)
    hs = _rnn_states(xs, h0, Wx, Wh, b)
    return (rng.normal(size=(N, T, H)) if dhs is None else dhs, xs, h0, hs, Wx, Wh)


SEQUENCE_SHAPES = [(1, 1, 1, 1), (1, 1, 2, 3), (2, 2, 3, 2), (1, 5, 2, 3), (3, 7, 2, 4), (4, 12, 3, 3),
                   (2, 4, 1, 1)]


def _sequence_label(N, T, D, H):
    return f"N={N}, T={T}, D={D}, H={H}" + (" (D = H)" if D == H and N > 1 else "")


def rnn_backward_cases(rng):
    for N, T, D, H in SEQUENCE_SHAPES:
        yield Case(_sequence_label(N, T, D, H), _sequence(rng, N, T, D, H))
    dhs = np.zeros((3, 6, 4))
    dhs[:, -1] = rng.normal(size=(3, 4))
    yield Case("the loss reads only the last state", _sequence(rng, 3, 6, 2, 4, dhs=dhs))
    yield Case("an upstream gradient of zeros", _sequence(rng, 2, 4, 3, 2, dhs=np.zeros((2, 4, 2))))
    yield Case("integer inputs xs (one-hot tokens)", _sequence(rng, 3, 5, 4, 3, xs=_one_hot(rng, (3, 5), 4)))
    yield Case("a zero initial state h0", _sequence(rng, 2, 5, 2, 3, h0=np.zeros((2, 3))))
    yield Case("saturated states (large weights)", _sequence(rng, 2, 6, 3, 4, scale=4.0, recurrent=3.0))


def rnn_backward_visible(rng):
    N, T, D, H = 3, 6, 2, 4
    yield Case(_sequence_label(N, T, D, H), _sequence(rng, N, T, D, H))


def _bptt(dhs, xs, h0, hs, Wx, Wh, *, carry=True, accumulate=True, local=True, previous_is_output=False,
          forwards=False):
    """BPTT with one ingredient broken: the answer of a typical mistake."""
    T = xs.shape[1]
    dxs, dWx, dWh, db = np.zeros(xs.shape), np.zeros(Wx.shape), np.zeros(Wh.shape), np.zeros(Wh.shape[0])
    dh_next = np.zeros(h0.shape)
    for t in (range(T) if forwards else range(T - 1, -1, -1)):
        dh = (dhs[:, t] if local or t == T - 1 else 0.0) + (dh_next if carry else 0.0)
        h_prev = hs[:, t] if previous_is_output else h0 if t == 0 else hs[:, t - 1]
        dz = dh * (1 - hs[:, t] ** 2)
        dxs[:, t], dh_next = dz @ Wx.T, dz @ Wh.T
        step = (xs[:, t].T @ dz, h_prev.T @ dz, dz.sum(axis=0))
        dWx, dWh, db = (dWx + step[0], dWh + step[1], db + step[2]) if accumulate else step
    return dxs, dh_next, dWx, dWh, db


# --- clipping --------------------------------------------------------------------------------------------

def _clip_answer(clipped, norm, grads):
    """What the check's procedure "clip" sends: what was returned, and the gradients as they are afterwards."""
    return {"returned": (list(clipped), norm), "grads after the call": [np.array(g) for g in grads]}


def clip_reference(grads, max_norm):
    total = math.sqrt(sum(float(v) ** 2 for g in grads for v in np.ravel(g)))
    scale = max_norm / total if total > max_norm else 1.0
    return _clip_answer([g * scale for g in grads], total, grads)


def _with_norm(rng, shapes, norm):
    """Random arrays of these shapes whose global norm is `norm`."""
    grads = [rng.normal(size=s) for s in shapes]
    total = math.sqrt(sum(float((g ** 2).sum()) for g in grads))
    return [g * (norm / total) for g in grads]


def clip_cases(rng):
    def clip(label, grads, max_norm):
        return Case(label, (grads, max_norm), kind="clip")

    yield clip("one array of shape (1,), clipped", [np.array([3.0])], 0.5)
    yield clip("arrays of 1, 2 and 3 axes, clipped", _with_norm(rng, [(4, 4), (4,), (2, 5, 3)], 7.0), 2.0)
    yield clip("a norm far below max_norm: unchanged", _with_norm(rng, [(2, 3), (3,)], 4.0), 1e9)
    yield clip("all-zero gradients (global norm 0)", [np.zeros((2, 3)), np.zeros(3)], 1.0)
    yield clip("one array of zeros among others", [np.zeros((2, 2)), rng.normal(size=3) * 5], 1.0)
    yield clip("a norm between max_norm and 1 (0.8, max_norm 0.5)", _with_norm(rng, [(3, 2), (2,)], 0.8), 0.5)
    yield clip("a norm exactly max_norm (3-4-5)", [np.array([3.0]), np.array([[4.0]])], 5.0)
    yield clip("huge gradients (norm 1e100)", _with_norm(rng, [(3, 3), (3,)], 1e100), 1.0)
    yield clip("max_norm given as an int", _with_norm(rng, [(2, 2)], 3.0), 1)
    yield clip("float32 gradients", [g.astype(np.float32) for g in _with_norm(rng, [(4, 3), (3,)], 6.0)], 2.0)


def clip_visible(rng):
    grads = [rng.normal(size=(3, 4)) * 3.0, rng.normal(size=4) * 0.1, rng.normal(size=(2, 2)) * 2.0]
    total = math.sqrt(sum(float((g ** 2).sum()) for g in grads))
    yield Case("three arrays, global norm above max_norm = 1", (grads, 1.0), kind="clip")
    yield Case("the same arrays, max_norm = twice their norm", (grads, 2.0 * total), kind="clip")
    yield Case("all-zero gradients (global norm 0)", ([np.zeros((3, 4)), np.zeros(4)], 1.0), kind="clip")


def _global_norm(grads):
    return float(np.sqrt(sum((g ** 2).sum() for g in grads)))


def _clip_with(rule):
    """A Mistake's answer from `rule(grads, max_norm) -> (clipped, norm)`."""
    return lambda grads, max_norm: _clip_answer(*rule(grads, max_norm), grads)


def _per_tensor(grads, max_norm):
    return [g * min(1.0, max_norm / np.sqrt((g ** 2).sum())) for g in grads], _global_norm(grads)


def _sum_of_norms(grads, max_norm):
    total = sum(float(np.sqrt((g ** 2).sum())) for g in grads)
    return [g * min(1.0, max_norm / total) for g in grads], total


def _norm_after(grads, max_norm):
    norm = _global_norm(grads)
    return [g * min(1.0, max_norm / norm) for g in grads], min(norm, max_norm)


# --- the LSTM ----------------------------------------------------------------------------------------------

def _cell(x, h_prev, c_prev, W, b):
    """One example's LSTM step, number by number: f, i, g, o, c, h as lists of H floats."""
    H = len(c_prev)
    xh = list(x) + list(h_prev)
    a = [_dot(xh, W[:, k]) + float(b[k]) for k in range(4 * H)]
    f = [_sigmoid(v) for v in a[:H]]
    i = [_sigmoid(v) for v in a[H:2 * H]]
    g = [math.tanh(v) for v in a[2 * H:3 * H]]
    o = [_sigmoid(v) for v in a[3 * H:]]
    c = [f[j] * float(c_prev[j]) + i[j] * g[j] for j in range(H)]
    h = [o[j] * math.tanh(c[j]) for j in range(H)]
    return f, i, g, o, c, h


def lstm_step_reference(x, h_prev, c_prev, W, b):
    N, H = c_prev.shape
    h, c = np.zeros((N, H)), np.zeros((N, H))
    for n in range(N):
        *_, c[n], h[n] = _cell(x[n], h_prev[n], c_prev[n], W, b)
    return h, c


def _cell_backward(dh, dc, x, h_prev, c_prev, W, b):
    """One example's backward step: dx, dh_prev, dc_prev, dW, db."""
    H = len(c_prev)
    f, i, g, o, c, _ = _cell(x, h_prev, c_prev, W, b)
    total = [float(dc[j]) + float(dh[j]) * o[j] * (1.0 - math.tanh(c[j]) ** 2) for j in range(H)]
    da = np.array([total[j] * float(c_prev[j]) * f[j] * (1 - f[j]) for j in range(H)]
                  + [total[j] * g[j] * i[j] * (1 - i[j]) for j in range(H)]
                  + [total[j] * i[j] * (1 - g[j] ** 2) for j in range(H)]
                  + [float(dh[j]) * math.tanh(c[j]) * o[j] * (1 - o[j]) for j in range(H)])
    xh = np.concatenate([np.asarray(x, dtype=float), np.asarray(h_prev, dtype=float)])
    dxh = W @ da
    D = len(x)
    return dxh[:D], dxh[D:], np.array([total[j] * f[j] for j in range(H)]), np.outer(xh, da), da


def lstm_step_backward_reference(dh, dc, x, h_prev, c_prev, W, b):
    (N, D), H = x.shape, c_prev.shape[1]
    dx, dh_prev, dc_prev, dW, db = np.zeros((N, D)), np.zeros((N, H)), np.zeros((N, H)), np.zeros(W.shape), \
        np.zeros(4 * H)
    for n in range(N):
        dx[n], dh_prev[n], dc_prev[n], gW, gb = _cell_backward(dh[n], dc[n], x[n], h_prev[n], c_prev[n], W, b)
        dW += gW
        db += gb
    return dx, dh_prev, dc_prev, dW, db


def _lstm_params(rng, D, H, scale=0.7):
    return rng.normal(scale=scale, size=(D + H, 4 * H)), rng.normal(size=4 * H)


def lstm_step_draws(rng):
    """(label, x, h_prev, c_prev, W, b) for each class of input of one LSTM step."""
    for N, D, H in [(1, 1, 1), (1, 3, 2), (4, 1, 3), (3, 2, 1), (3, 4, 4), (6, 5, 7)]:
        label = f"N={N}, D={D}, H={H}" + (" (D = H)" if D == H and N > 1 else "")
        yield (label, rng.normal(size=(N, D)), np.tanh(rng.normal(size=(N, H))), rng.normal(size=(N, H)),
               *_lstm_params(rng, D, H))
    yield ("pre-activations beyond ±709 (gates exactly 0 or 1)", rng.normal(size=(3, 2)),
           rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), *_lstm_params(rng, 2, 3, scale=900.0))
    yield ("saturated gates (|a| about 20 to 40)", rng.normal(size=(3, 2)), rng.normal(size=(3, 3)),
           rng.normal(size=(3, 3)), *_lstm_params(rng, 2, 3, scale=15.0))
    yield ("a first step: h_prev = c_prev = 0", rng.normal(size=(2, 3)), np.zeros((2, 4)), np.zeros((2, 4)),
           *_lstm_params(rng, 3, 4))
    yield ("integer inputs (one-hot tokens)", _one_hot(rng, 4, 5), np.tanh(rng.normal(size=(4, 3))),
           rng.normal(size=(4, 3)), *_lstm_params(rng, 5, 3))
    yield ("a large cell state (|c| about 100)", rng.normal(size=(3, 2)), rng.normal(size=(3, 3)),
           rng.normal(scale=100.0, size=(3, 3)), *_lstm_params(rng, 2, 3))


def lstm_step_cases(rng):
    for label, *args in lstm_step_draws(rng):
        yield Case(label, tuple(args))


def _lstm_visible_args(rng, N=3, D=2, H=4):
    x, h_prev, c_prev = rng.normal(size=(N, D)), rng.normal(scale=0.5, size=(N, H)), rng.normal(size=(N, H))
    return (x, h_prev, c_prev, *_lstm_params(rng, D, H))


def lstm_step_visible(rng):
    yield Case("N=3, D=2, H=4", _lstm_visible_args(rng))


def lstm_step_backward_cases(rng):
    for label, *args in lstm_step_draws(rng):
        N, H = args[2].shape
        yield Case(label, (rng.normal(size=(N, H)), rng.normal(size=(N, H)), *args))
    args = _lstm_visible_args(rng)
    yield Case("the last step: dc = 0", (rng.normal(size=(3, 4)), np.zeros((3, 4)), *args))
    yield Case("no gradient through h: dh = 0", (np.zeros((3, 4)), rng.normal(size=(3, 4)), *args))


def lstm_step_backward_visible(rng):
    args = _lstm_visible_args(rng)
    yield Case("N=3, D=2, H=4", (rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), *args))


def _blocks(x, h_prev, W, b, order="figo", rows_swapped=False):
    """The pre-activations of a batch by gate; `order` names the gate of each column block."""
    a = np.concatenate([h_prev, x] if rows_swapped else [x, h_prev], axis=1) @ W + b
    H = h_prev.shape[1]
    return {gate: a[:, k * H:(k + 1) * H] for k, gate in enumerate(order)}


def _gates(x, h_prev, W, b):
    a = _blocks(x, h_prev, W, b)
    return _sigmoid_array(a["f"]), _sigmoid_array(a["i"]), np.tanh(a["g"]), _sigmoid_array(a["o"])


def _step(x, h_prev, c_prev, W, b, *, order="figo", rows_swapped=False, input_gate=True, forget_gate=True,
          candidate=np.tanh, output=True, squash_c=True):
    """An LSTM step with one ingredient changed: the answer of a typical mistake."""
    a = _blocks(x, h_prev, W, b, order, rows_swapped)
    f, i, g, o = _sigmoid_array(a["f"]), _sigmoid_array(a["i"]), candidate(a["g"]), _sigmoid_array(a["o"])
    c = (f if forget_gate else 1.0) * c_prev + (i if input_gate else 1.0) * g
    return (o if output else 1.0) * (np.tanh(c) if squash_c else c), c


def _step_backward(dh, dc, x, h_prev, c_prev, W, b, *, tanh_prime=True, forget=True, sigmoid_prime=True,
                   gates_see_total=True, dc_prev_from_total=True, db_per_example=False):
    """lstm_step_backward with one ingredient broken: the answer of a typical mistake."""
    f, i, g, o = _gates(x, h_prev, W, b)
    slope = (lambda v: v * (1 - v)) if sigmoid_prime else (lambda v: 1 - v)
    c = f * c_prev + i * g
    tc = np.tanh(c)
    total = dc + dh * o * ((1 - tc ** 2) if tanh_prime else 1.0)
    seen = total if gates_see_total else dc
    da = np.concatenate([seen * c_prev * slope(f), seen * g * slope(i), seen * i * (1 - g ** 2),
                         dh * tc * slope(o)], axis=1)
    dxh = da @ W.T
    D = x.shape[1]
    xh = np.concatenate([x, h_prev], axis=1)
    dc_prev = (total if dc_prev_from_total else dc) * (f if forget else 1.0)
    return dxh[:, :D], dxh[:, D:], dc_prev, xh.T @ da, da if db_per_example else da.sum(axis=0)


def lstm_forward_reference(xs, h0, c0, W, b):
    """One sequence at a time, one step at a time."""
    (N, T, _), H = xs.shape, h0.shape[1]
    hs, cs = np.zeros((N, T, H)), np.zeros((N, T, H))
    for n in range(N):
        h, c = h0[n], c0[n]
        for t in range(T):
            *_, c, h = _cell(xs[n, t], h, c, W, b)
            hs[n, t], cs[n, t] = h, c
    return hs, cs


def _lstm_sequence(rng, N, T, D, H, *, scale=0.7, xs=None, zero_state=False, forget_bias=0.0):
    xs = rng.normal(size=(N, T, D)) if xs is None else xs
    h0 = np.zeros((N, H)) if zero_state else rng.normal(scale=0.5, size=(N, H))
    c0 = np.zeros((N, H)) if zero_state else rng.normal(size=(N, H))
    W, b = _lstm_params(rng, D, H, scale)
    b[:H] += forget_bias
    return xs, h0, c0, W, b


def lstm_forward_draws(rng):
    for N, T, D, H in SEQUENCE_SHAPES:
        yield _sequence_label(N, T, D, H), _lstm_sequence(rng, N, T, D, H)
    yield "integer inputs xs (one-hot tokens)", _lstm_sequence(rng, 3, 5, 4, 3, xs=_one_hot(rng, (3, 5), 4))
    yield "zero initial states h0 = c0 = 0", _lstm_sequence(rng, 2, 5, 2, 3, zero_state=True)
    yield "a forget bias of 5: the cell adds up", _lstm_sequence(rng, 2, 8, 2, 3, forget_bias=5.0)
    yield "pre-activations beyond ±709", _lstm_sequence(rng, 2, 4, 2, 3, scale=900.0)


def lstm_forward_cases(rng):
    for label, args in lstm_forward_draws(rng):
        yield Case(label, args)


def lstm_forward_visible(rng):
    yield Case("N=3, T=5, D=2, H=4", _lstm_sequence(rng, 3, 5, 2, 4))


def _lstm_run(xs, h0, c0, W, b, *, carry_h=True, carry_c=True):
    """(hs, cs) as lists of T arrays (N, H); a state not carried restarts from h0 or c0 at every step."""
    hs, cs, h, c = [], [], h0, c0
    for t in range(xs.shape[1]):
        h, c = _step(xs[:, t], h if carry_h else h0, c if carry_c else c0, W, b)
        hs.append(h)
        cs.append(c)
    return hs, cs


def _forward_with(carry_h=True, carry_c=True, late=False, time_major=False, with_initial=False):
    def answer(xs, h0, c0, W, b):
        hs, cs = _lstm_run(xs, h0, c0, W, b, carry_h=carry_h, carry_c=carry_c)
        if late:
            hs, cs = [h0] + hs[:-1], [c0] + cs[:-1]
        if with_initial:
            hs, cs = [h0] + hs, [c0] + cs
        return np.stack(hs, axis=0 if time_major else 1), np.stack(cs, axis=0 if time_major else 1)
    return answer


def lstm_backward_reference(dhs, xs, h0, c0, hs, cs, W, b):
    """One sequence at a time: the gradients of h and c carried back from step t + 1."""
    (N, T, D), H = xs.shape, h0.shape[1]
    dxs, dh0, dc0, dW, db = np.zeros((N, T, D)), np.zeros((N, H)), np.zeros((N, H)), np.zeros(W.shape), \
        np.zeros(4 * H)
    for n in range(N):
        dh_carried, dc_carried = np.zeros(H), np.zeros(H)
        for t in range(T - 1, -1, -1):
            h_before, c_before = (h0[n], c0[n]) if t == 0 else (hs[n, t - 1], cs[n, t - 1])
            dxs[n, t], dh_carried, dc_carried, gW, gb = _cell_backward(dhs[n, t] + dh_carried, dc_carried, xs[n, t],
                                                                       h_before, c_before, W, b)
            dW += gW
            db += gb
        dh0[n], dc0[n] = dh_carried, dc_carried
    return dxs, dh0, dc0, dW, db


def _lstm_backward_case(rng, xs, h0, c0, W, b, dhs=None):
    hs, cs = lstm_forward_reference(xs, h0, c0, W, b)
    return (rng.normal(size=hs.shape) if dhs is None else dhs, xs, h0, c0, hs, cs, W, b)


def lstm_backward_cases(rng):
    for label, args in lstm_forward_draws(rng):
        yield Case(label, _lstm_backward_case(rng, *args))
    dhs = np.zeros((3, 6, 4))
    dhs[:, -1] = rng.normal(size=(3, 4))
    yield Case("the loss reads only the last state", _lstm_backward_case(rng, *_lstm_sequence(rng, 3, 6, 2, 4),
                                                                         dhs=dhs))
    yield Case("an upstream gradient of zeros", _lstm_backward_case(rng, *_lstm_sequence(rng, 2, 4, 3, 2),
                                                                    dhs=np.zeros((2, 4, 2))))


def lstm_backward_visible(rng):
    yield Case("N=3, T=5, D=2, H=4", _lstm_backward_case(rng, *_lstm_sequence(rng, 3, 5, 2, 4)))


def _lstm_bptt(dhs, xs, h0, c0, hs, cs, W, b, *, carry_c=True, carry_h=True, accumulate=True):
    """LSTM BPTT with one ingredient broken: the answer of a typical mistake."""
    T = xs.shape[1]
    dxs, dW, db = np.zeros(xs.shape), np.zeros(W.shape), np.zeros(b.shape)
    dh_next, dc_next = np.zeros(h0.shape), np.zeros(c0.shape)
    for t in range(T - 1, -1, -1):
        h_prev, c_prev = (h0, c0) if t == 0 else (hs[:, t - 1], cs[:, t - 1])
        dh = dhs[:, t] + (dh_next if carry_h else 0.0)
        dc = dc_next if carry_c else np.zeros(c0.shape)
        dxs[:, t], dh_next, dc_next, gW, gb = _step_backward(dh, dc, xs[:, t], h_prev, c_prev, W, b)
        dW, db = (dW + gW, db + gb) if accumulate else (gW, gb)
    return dxs, dh_next, dc_next, dW, db


# --- what a student reads ------------------------------------------------------------------------------------

FORGOT_TANH_RNN = ("You forgot tanh' in the backward: the gradient must first pass through the tanh, "
                   "dz = dh ∘ (1 − h²), and only then through the products.")
WRONG_ORDER = ("The gates are in the wrong order in the fused matrix: the four column blocks of W and b are "
               "f | i | g | o (forget, input, candidate, output), each H columns wide.")
ROWS = "The rows of W are [W_x; W_h]: multiply [x, h_prev] (x first) by W, not [h_prev, x]."
ONE_STEP_KEPT = ("Only one step's weight gradient is kept: {} shared by every step, so add up (+=) their "
                 "gradients over all T steps.")


def _dz(dh, h):
    return dh * (1 - h ** 2)


def _rnn_step_backward_with(dz_of, *, dwh_from_output=False, wh_not_transposed=False, db=None):
    def answer(dh, x, h_prev, h, Wx, Wh):
        dz = dz_of(dh, h)
        return (dz @ Wx.T, dz @ (Wh if wh_not_transposed else Wh.T), x.T @ dz,
                (h if dwh_from_output else h_prev).T @ dz, dz.sum(axis=0) if db is None else db(dz))
    return answer


EXERCISES = [
    Exercise("rnn_step", rnn_step_reference, rnn_step_cases, rnn_step_visible, vectorized=True, mistakes=(
        Mistake("rnn_step_without_tanh", "The tanh is missing: h_t = tanh(h_{t−1} W_h + x_t W_x + b).",
                lambda x, h, Wx, Wh, b: h @ Wh + x @ Wx + b),
        Mistake("rnn_step_without_bias", "The bias b is missing: h_t = tanh(h_{t−1} W_h + x_t W_x + b).",
                lambda x, h, Wx, Wh, b: np.tanh(h @ Wh + x @ Wx)),
        Mistake("rnn_step_without_memory", "The previous state is missing: without h_{t−1} W_h the network has "
                "no memory at all.", lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + b)),
        Mistake("rnn_step_transposed_wh", "W_h is transposed: the batch keeps one example per row, so multiply "
                "h_prev @ Wh, not Wh.T.", lambda x, h, Wx, Wh, b: np.tanh(h @ Wh.T + x @ Wx + b)),
        Mistake("rnn_step_sigmoid", "That is a sigmoid; the vanilla RNN squashes with tanh, whose values lie in "
                "(−1, 1).", lambda x, h, Wx, Wh, b: _sigmoid_array(h @ Wh + x @ Wx + b)),
    )),
    Exercise("rnn_step_backward", rnn_step_backward_reference, rnn_step_backward_cases, rnn_step_backward_visible,
             seed=10, vectorized=True, mistakes=(
        Mistake("rnn_step_backward_forgot_tanh", FORGOT_TANH_RNN, _rnn_step_backward_with(lambda dh, h: dh)),
        Mistake("rnn_step_backward_tanh_of_h", "tanh'(z) = 1 − tanh(z)² = 1 − h²: h is already the tanh, do not "
                "apply tanh to it again.", _rnn_step_backward_with(lambda dh, h: dh * (1 - np.tanh(h) ** 2))),
        Mistake("rnn_step_backward_dwh_from_h", "dW_h multiplies dz by the state that went *into* the step: "
                "h_prev.T @ dz, not h.T @ dz.", _rnn_step_backward_with(_dz, dwh_from_output=True)),
        Mistake("rnn_step_backward_wh_not_transposed", "The gradient goes back through W_h transposed: "
                "dh_prev = dz @ Wh.T.", _rnn_step_backward_with(_dz, wh_not_transposed=True)),
        Mistake("rnn_step_backward_db_per_example", "db sums dz over the batch (axis=0): the bias is shared by "
                "every example.", _rnn_step_backward_with(_dz, db=lambda dz: dz)),
        Mistake("rnn_step_backward_db_mean", "db is the *sum* of dz over the batch, not the mean.",
                _rnn_step_backward_with(_dz, db=lambda dz: dz.mean(axis=0))),
    )),
    Exercise("rnn_backward", rnn_backward_reference, rnn_backward_cases, rnn_backward_visible, seed=20, mistakes=(
        Mistake("rnn_backward_no_carry", "The gradient from later steps is not carried back: at step t add "
                "dh_next (the dh_prev of step t+1) to dhs[:, t] before stepping back.",
                lambda *a: _bptt(*a, carry=False)),
        Mistake("rnn_backward_overwrites_weight_grads", ONE_STEP_KEPT.format("W_x, W_h and b are"),
                lambda *a: _bptt(*a, accumulate=False)),
        Mistake("rnn_backward_only_last_dh", "dhs[:, t] is not added at each step: the loss reads every h_t, so "
                "step t receives its own gradient dhs[:, t] plus the one carried back from step t+1.",
                lambda *a: _bptt(*a, local=False)),
        Mistake("rnn_backward_wrong_previous_state", "Step t's input state is h_{t−1}: hs[:, t−1], or h0 when "
                "t = 0. hs[:, t] is its output.", lambda *a: _bptt(*a, previous_is_output=True)),
        Mistake("rnn_backward_forwards_in_time", "The loop runs forwards in time: BPTT goes from the last step, "
                "t = T−1, down to t = 0, so that each step receives the gradient of the steps after it.",
                lambda *a: _bptt(*a, forwards=True)),
    )),
    Exercise("clip_by_global_norm", clip_reference, clip_cases, clip_visible, seed=30,
             call="clip_by_global_norm(grads, max_norm)", mistakes=(
        Mistake("clip_per_tensor", "You clipped each array by its own norm (clipping per tensor instead of global "
                "norm). Measure one global norm over all the gradients together and scale them all by the same "
                "factor max_norm / global norm: that keeps the direction of the whole update.",
                _clip_with(_per_tensor)),
        Mistake("clip_not_applied", "The gradients were returned unchanged although their global norm is above "
                "max_norm: whenever the norm is larger than max_norm (small as they both may be), scale them all by "
                "max_norm / global norm.", _clip_with(lambda grads, m: (grads, _global_norm(grads)))),
        Mistake("clip_elementwise", "Each number was clipped to [−max_norm, max_norm] on its own: that changes the "
                "direction of the update. Scale all gradients together by max_norm / global norm.",
                _clip_with(lambda grads, m: ([np.clip(g, -m, m) for g in grads], _global_norm(grads)))),
        Mistake("clip_always_rescales", "The gradients were rescaled although their global norm is below "
                "max_norm: only scale when the norm is larger than max_norm; otherwise return them unchanged.",
                _clip_with(lambda grads, m: ([g * (m / _global_norm(grads)) for g in grads], _global_norm(grads)))),
        Mistake("clip_sum_of_norms", "You added up the norms of the arrays; expected the global norm: the square "
                "root of the summed squares of all entries of all arrays, sqrt(Σ over every array of Σ g²).",
                _clip_with(_sum_of_norms)),
        Mistake("clip_norm_after_clipping", "The norm returned is the one after clipping; expected the global norm "
                "measured *before* clipping (what the gradients were, so you can watch it explode).",
                _clip_with(_norm_after)),
    )),
    Exercise("lstm_step", lstm_step_reference, lstm_step_cases, lstm_step_visible, seed=40, vectorized=True,
             mistakes=tuple(
        Mistake(f"lstm_step_gate_order_{order}", WRONG_ORDER, lambda *a, order=order: _step(*a, order=order))
        for order in ("ifgo", "igfo", "ifog", "fiog", "gifo", "oifg")) + (
        Mistake("lstm_step_h_from_c", "You used c_t instead of tanh(c_t) for h_t: the output is h_t = o ∘ tanh(c_t).",
                lambda *a: _step(*a, squash_c=False)),
        Mistake("lstm_step_without_output_gate", "The output gate is missing: h_t = o ∘ tanh(c_t).",
                lambda *a: _step(*a, output=False)),
        Mistake("lstm_step_without_input_gate", "The input gate is missing: c_t = f ∘ c_{t−1} + i ∘ g.",
                lambda *a: _step(*a, input_gate=False)),
        Mistake("lstm_step_without_forget_gate", "The forget gate is missing: c_t = f ∘ c_{t−1} + i ∘ g.",
                lambda *a: _step(*a, forget_gate=False)),
        Mistake("lstm_step_h_before_x", ROWS, lambda *a: _step(*a, rows_swapped=True)),
        Mistake("lstm_step_sigmoid_candidate", "The candidate g uses a sigmoid; it takes tanh, so it can move the "
                "cell down as well as up.", lambda *a: _step(*a, candidate=_sigmoid_array)),
    )),
    Exercise("lstm_step_backward", lstm_step_backward_reference, lstm_step_backward_cases, lstm_step_backward_visible,
             seed=50, vectorized=True, mistakes=(
        Mistake("lstm_step_backward_without_forget_gate", "The gradient of c_{t−1} is missing the forget gate: "
                "c_t = f ∘ c_{t−1} + …, so dc_prev = dc_t ∘ f, where dc_t is the total gradient of c_t (the dc "
                "passed in plus the part that comes through h_t).", lambda *a: _step_backward(*a, forget=False)),
        Mistake("lstm_step_backward_forgot_tanh", "You forgot tanh' in the backward: h_t = o ∘ tanh(c_t), so the "
                "gradient reaching c_t from h_t is dh ∘ o ∘ (1 − tanh(c_t)²).",
                lambda *a: _step_backward(*a, tanh_prime=False)),
        Mistake("lstm_step_backward_ignores_dc", "The dc passed in is ignored: c_t also feeds the next step, so its "
                "total gradient is dc + dh ∘ o ∘ (1 − tanh(c_t)²).",
                lambda dh, dc, *a: _step_backward(dh, np.zeros(np.shape(dc)), *a)),
        Mistake("lstm_step_backward_sigmoid_prime_wrong", "The gates' derivative is wrong: for a gate v = σ(a), "
                "σ'(a) = σ(a)(1 − σ(a)) = v(1 − v).", lambda *a: _step_backward(*a, sigmoid_prime=False)),
        Mistake("lstm_step_backward_gates_see_only_dc", "The gates f, i and g need the TOTAL gradient of c_t, "
                "dc + dh ∘ o ∘ (1 − tanh(c_t)²), not only the dc passed in (step 1 before step 2).",
                lambda *a: _step_backward(*a, gates_see_total=False)),
        Mistake("lstm_step_backward_dc_prev_from_dc_only", "dc_prev = dc_t ∘ f, where dc_t is the TOTAL gradient "
                "of c_t, dc + dh ∘ o ∘ (1 − tanh(c_t)²), not only the dc passed in.",
                lambda *a: _step_backward(*a, dc_prev_from_total=False)),
        Mistake("lstm_step_backward_db_per_example", "db sums the gate gradients over the batch (axis=0): the "
                "bias is shared by every example.",
                lambda *a: _step_backward(*a, db_per_example=True)),
    )),
    Exercise("lstm_forward", lstm_forward_reference, lstm_forward_cases, lstm_forward_visible, seed=60, mistakes=(
        Mistake("lstm_forward_cell_not_carried", "The cell state is not carried from step to step: pass each step's "
                "c as the next step's c_prev.", _forward_with(carry_c=False)),
        Mistake("lstm_forward_state_not_carried", "The hidden state is not carried from step to step: pass each "
                "step's h as the next step's h_prev.", _forward_with(carry_h=False)),
        Mistake("lstm_forward_one_step_late", "Every state is one step late: store h_t and c_t after computing "
                "step t, so hs[:, t] is the state after reading xs[:, t].", _forward_with(late=True)),
        Mistake("lstm_forward_time_major", "Time is the second axis: hs[:, t] is h_{t+1} of every sequence "
                "(np.stack(..., axis=1)).", _forward_with(time_major=True)),
        Mistake("lstm_forward_with_initial_state", "Return the T states after each step, h_1 … h_T, without the "
                "initial state.", _forward_with(with_initial=True)),
    )),
    Exercise("lstm_backward", lstm_backward_reference, lstm_backward_cases, lstm_backward_visible, seed=70, mistakes=(
        Mistake("lstm_backward_cell_gradient_dropped", "The gradient of the cell state is not carried back: pass "
                "each step's dc_prev as the dc of the step before. This is the path the LSTM adds to keep "
                "gradients alive.", lambda *a: _lstm_bptt(*a, carry_c=False)),
        Mistake("lstm_backward_state_gradient_dropped", "The gradient of the hidden state is not carried back: add "
                "each step's dh_prev to dhs[:, t−1].", lambda *a: _lstm_bptt(*a, carry_h=False)),
        Mistake("lstm_backward_overwrites_weight_grads", ONE_STEP_KEPT.format("W and b are"),
                lambda *a: _lstm_bptt(*a, accumulate=False)),
    )),
]
