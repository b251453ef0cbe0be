"""Typical wrong answers to lesson 5 (05_lstm_gates)."""
import numpy as np

from tests.mutants import Mutant
from tests.notebooks import run_source

NOTEBOOK = "05_lstm_gates/lstm_gates.ipynb"


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _step_backward(dh, x, h_prev, h, Wx, Wh):
    dz = dh * (1 - h ** 2)
    return dz @ Wx.T, dz @ Wh.T, x.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


def _lstm_gates(x, h_prev, W, b):
    H = h_prev.shape[1]
    a = np.concatenate([x, h_prev], axis=1) @ W + b
    return _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])


def _lstm_step(x, h_prev, c_prev, W, b):
    f, i, g, o = _lstm_gates(x, h_prev, W, b)
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def _lstm_step_backward(dh, dc, x, h_prev, c_prev, W, b):
    f, i, g, o = _lstm_gates(x, h_prev, W, b)
    c = f * c_prev + i * g
    tc = np.tanh(c)
    dc = dc + dh * o * (1 - tc ** 2)
    da = np.concatenate([dc * c_prev * f * (1 - f), dc * g * i * (1 - i), dc * i * (1 - g ** 2),
                         dh * tc * o * (1 - o)], axis=1)
    xh = np.concatenate([x, h_prev], axis=1)
    dxh = da @ W.T
    D = x.shape[1]
    return dxh[:, :D], dxh[:, D:], dc * f, xh.T @ da, da.sum(axis=0)


# rnn_step(x, h_prev, Wx, Wh, b) -> (N, H)

def rnn_step_without_tanh(x, h_prev, Wx, Wh, b):
    return h_prev @ Wh + x @ Wx + b


def rnn_step_without_bias(x, h_prev, Wx, Wh, b):
    return np.tanh(h_prev @ Wh + x @ Wx)


def rnn_step_transposed_wh(x, h_prev, Wx, Wh, b):
    return np.tanh(h_prev @ Wh.T + x @ Wx + b)


def rnn_step_without_memory(x, h_prev, Wx, Wh, b):
    return np.tanh(x @ Wx + b)


def rnn_step_sigmoid(x, h_prev, Wx, Wh, b):
    return _sigmoid(h_prev @ Wh + x @ Wx + b)


def rnn_step_row_loop(x, h_prev, Wx, Wh, b):
    return np.array([np.tanh(hp @ Wh + xi @ Wx + b) for xi, hp in zip(x, h_prev)])


# rnn_step_backward(dh, x, h_prev, h, Wx, Wh) -> (dx, dh_prev, dWx, dWh, db)

def rnn_step_backward_forgot_tanh(dh, x, h_prev, h, Wx, Wh):
    return dh @ Wx.T, dh @ Wh.T, x.T @ dh, h_prev.T @ dh, dh.sum(axis=0)


def rnn_step_backward_tanh_of_h(dh, x, h_prev, h, Wx, Wh):
    dz = dh * (1 - np.tanh(h) ** 2)
    return dz @ Wx.T, dz @ Wh.T, x.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


def rnn_step_backward_dwh_from_h(dh, x, h_prev, h, Wx, Wh):
    dz = dh * (1 - h ** 2)
    return dz @ Wx.T, dz @ Wh.T, x.T @ dz, h.T @ dz, dz.sum(axis=0)


def rnn_step_backward_wh_not_transposed(dh, x, h_prev, h, Wx, Wh):
    dz = dh * (1 - h ** 2)
    return dz @ Wx.T, dz @ Wh, x.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


def rnn_step_backward_db_per_example(dh, x, h_prev, h, Wx, Wh):
    dz = dh * (1 - h ** 2)
    return dz @ Wx.T, dz @ Wh.T, x.T @ dz, h_prev.T @ dz, dz


# rnn_backward(dhs, xs, h0, hs, Wx, Wh) -> (dxs, dh0, dWx, dWh, db)

def _bptt(dhs, xs, h0, hs, Wx, Wh, carry=True, accumulate=True, local=True, prev_is_h=False):
    T = xs.shape[1]
    dxs, dWx, dWh, db = np.zeros_like(xs), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        dh = (dhs[:, t] if local or t == T - 1 else 0.0) + (dh_next if carry else 0.0)
        h_prev = hs[:, t] if prev_is_h else h0 if t == 0 else hs[:, t - 1]
        dxs[:, t], dh_next, gWx, gWh, gb = _step_backward(dh, xs[:, t], h_prev, hs[:, t], Wx, Wh)
        if accumulate:
            dWx, dWh, db = dWx + gWx, dWh + gWh, db + gb
        else:
            dWx, dWh, db = gWx, gWh, gb
    return dxs, dh_next, dWx, dWh, db


def rnn_backward_no_carry(dhs, xs, h0, hs, Wx, Wh):
    return _bptt(dhs, xs, h0, hs, Wx, Wh, carry=False)


def rnn_backward_overwrites_weight_grads(dhs, xs, h0, hs, Wx, Wh):
    return _bptt(dhs, xs, h0, hs, Wx, Wh, accumulate=False)


def rnn_backward_only_last_dh(dhs, xs, h0, hs, Wx, Wh):
    return _bptt(dhs, xs, h0, hs, Wx, Wh, local=False)


def rnn_backward_wrong_previous_state(dhs, xs, h0, hs, Wx, Wh):
    return _bptt(dhs, xs, h0, hs, Wx, Wh, prev_is_h=True)


# clip_by_global_norm(grads, max_norm) -> (clipped, norm)

def _global_norm(grads):
    return float(np.sqrt(sum((g ** 2).sum() for g in grads)))


def clip_per_tensor(grads, max_norm):
    return [g * min(1.0, max_norm / np.sqrt((g ** 2).sum())) for g in grads], _global_norm(grads)


def clip_elementwise(grads, max_norm):
    return [np.clip(g, -max_norm, max_norm) for g in grads], _global_norm(grads)


def clip_always_rescales(grads, max_norm):
    norm = _global_norm(grads)
    return [g * max_norm / norm for g in grads], norm


def clip_sum_of_norms(grads, max_norm):
    total = sum(np.sqrt((g ** 2).sum()) for g in grads)
    return [g * min(1.0, max_norm / total) for g in grads], float(total)


def clip_in_place(grads, max_norm):
    norm = _global_norm(grads)
    for g in grads:
        g *= min(1.0, max_norm / norm)
    return grads, norm


# lstm_step(x, h_prev, c_prev, W, b) -> (h, c)

def lstm_step_torch_gate_order(x, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    a = np.concatenate([x, h_prev], axis=1) @ W + b
    i, f, g, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def lstm_step_h_from_c(x, h_prev, c_prev, W, b):
    f, i, g, o = _lstm_gates(x, h_prev, W, b)
    c = f * c_prev + i * g
    return o * c, c


def lstm_step_without_input_gate(x, h_prev, c_prev, W, b):
    f, i, g, o = _lstm_gates(x, h_prev, W, b)
    c = f * c_prev + g
    return o * np.tanh(c), c


def lstm_step_sigmoid_candidate(x, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    a = np.concatenate([x, h_prev], axis=1) @ W + b
    f, i, g, o = (_sigmoid(a[:, k * H:(k + 1) * H]) for k in range(4))
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def lstm_step_h_before_x(x, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    a = np.concatenate([h_prev, x], axis=1) @ W + b
    f, i, g, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def lstm_step_gate_loop(x, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    a = np.concatenate([x, h_prev], axis=1) @ W + b
    f, i, g, o = [a[:, k * H:(k + 1) * H] for k in range(4)]
    c = _sigmoid(f) * c_prev + _sigmoid(i) * np.tanh(g)
    return _sigmoid(o) * np.tanh(c), c


# lstm_step_backward(dh, dc, x, h_prev, c_prev, W, b) -> (dx, dh_prev, dc_prev, dW, db)

def lstm_step_backward_without_forget_gate(dh, dc, x, h_prev, c_prev, W, b):
    dx, dh_prev, dc_prev, dW, db = _lstm_step_backward(dh, dc, x, h_prev, c_prev, W, b)
    f = _lstm_gates(x, h_prev, W, b)[0]
    return dx, dh_prev, dc_prev / f, dW, db


def lstm_step_backward_forgot_tanh(dh, dc, x, h_prev, c_prev, W, b):
    f, i, g, o = _lstm_gates(x, h_prev, W, b)
    c = f * c_prev + i * g
    tc = np.tanh(c)
    dc = dc + dh * o
    da = np.concatenate([dc * c_prev * f * (1 - f), dc * g * i * (1 - i), dc * i * (1 - g ** 2),
                         dh * tc * o * (1 - o)], axis=1)
    xh = np.concatenate([x, h_prev], axis=1)
    dxh = da @ W.T
    return dxh[:, :x.shape[1]], dxh[:, x.shape[1]:], dc * f, xh.T @ da, da.sum(axis=0)


def lstm_step_backward_ignores_dc(dh, dc, x, h_prev, c_prev, W, b):
    return _lstm_step_backward(dh, np.zeros_like(dc), x, h_prev, c_prev, W, b)


def lstm_step_backward_sigmoid_prime_wrong(dh, dc, x, h_prev, c_prev, W, b):
    f, i, g, o = _lstm_gates(x, h_prev, W, b)
    c = f * c_prev + i * g
    tc = np.tanh(c)
    dc = dc + dh * o * (1 - tc ** 2)
    da = np.concatenate([dc * c_prev * (1 - f), dc * g * (1 - i), dc * i * (1 - g ** 2), dh * tc * (1 - o)],
                        axis=1)
    xh = np.concatenate([x, h_prev], axis=1)
    dxh = da @ W.T
    return dxh[:, :x.shape[1]], dxh[:, x.shape[1]:], dc * f, xh.T @ da, da.sum(axis=0)


# lstm_forward(xs, h0, c0, W, b) -> (hs, cs)

def _run(xs, h0, c0, W, b, carry_h=True, carry_c=True):
    hs, cs, h, c = [], [], h0, c0
    for t in range(xs.shape[1]):
        h, c = _lstm_step(xs[:, t], h if carry_h else h0, c if carry_c else c0, W, b)
        hs.append(h)
        cs.append(c)
    return hs, cs


def lstm_forward_cell_not_carried(xs, h0, c0, W, b):
    hs, cs = _run(xs, h0, c0, W, b, carry_c=False)
    return np.stack(hs, axis=1), np.stack(cs, axis=1)


def lstm_forward_state_not_carried(xs, h0, c0, W, b):
    hs, cs = _run(xs, h0, c0, W, b, carry_h=False)
    return np.stack(hs, axis=1), np.stack(cs, axis=1)


def lstm_forward_time_major(xs, h0, c0, W, b):
    hs, cs = _run(xs, h0, c0, W, b)
    return np.stack(hs), np.stack(cs)


def lstm_forward_one_step_late(xs, h0, c0, W, b):
    hs, cs = _run(xs, h0, c0, W, b)
    return np.stack([h0] + hs[:-1], axis=1), np.stack([c0] + cs[:-1], axis=1)


# lstm_backward(dhs, xs, h0, c0, hs, cs, W, b) -> (dxs, dh0, dc0, dW, db)

def _lstm_bptt(dhs, xs, h0, c0, hs, cs, W, b, carry_c=True, carry_h=True, accumulate=True):
    T = xs.shape[1]
    dxs, dW, db = np.zeros_like(xs), np.zeros_like(W), np.zeros_like(b)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else hs[:, t - 1]
        c_prev = c0 if t == 0 else cs[:, t - 1]
        dh = dhs[:, t] + (dh_next if carry_h else 0.0)
        dc = dc_next if carry_c else np.zeros_like(c0)
        dxs[:, t], dh_next, dc_next, gW, gb = _lstm_step_backward(dh, dc, xs[:, t], h_prev, c_prev, W, b)
        dW, db = (dW + gW, db + gb) if accumulate else (gW, gb)
    return dxs, dh_next, dc_next, dW, db


def lstm_backward_cell_gradient_dropped(dhs, xs, h0, c0, hs, cs, W, b):
    return _lstm_bptt(dhs, xs, h0, c0, hs, cs, W, b, carry_c=False)


def lstm_backward_state_gradient_dropped(dhs, xs, h0, c0, hs, cs, W, b):
    return _lstm_bptt(dhs, xs, h0, c0, hs, cs, W, b, carry_h=False)


def lstm_backward_overwrites_weight_grads(dhs, xs, h0, c0, hs, cs, W, b):
    return _lstm_bptt(dhs, xs, h0, c0, hs, cs, W, b, accumulate=False)


MUTANTS = {
    "rnn_step": [
        Mutant(rnn_step_without_tanh, says="tanh is missing"),
        Mutant(rnn_step_without_bias, says="bias b is missing"),
        Mutant(rnn_step_transposed_wh, says="W_h is transposed"),
        Mutant(rnn_step_without_memory, says="previous state is missing"),
        Mutant(rnn_step_sigmoid, says="That is a sigmoid"),
        Mutant(rnn_step_row_loop, says="uses a list comprehension"),
    ],
    "rnn_step_backward": [
        Mutant(rnn_step_backward_forgot_tanh, says="forgot tanh' in the backward"),
        Mutant(rnn_step_backward_tanh_of_h, says="do not apply tanh to it again"),
        Mutant(rnn_step_backward_dwh_from_h, says="not h.T @ dz"),
        Mutant(rnn_step_backward_wh_not_transposed, says="through W_h transposed"),
        Mutant(rnn_step_backward_db_per_example, says="sums dz over the batch"),
    ],
    "rnn_backward": [
        Mutant(rnn_backward_no_carry, says="not carried back"),
        Mutant(rnn_backward_overwrites_weight_grads, says="Only one step's weight gradient is kept"),
        Mutant(rnn_backward_only_last_dh, says="dhs[:, t] is not added at each step"),
        Mutant(rnn_backward_wrong_previous_state, says="Step t's input state is h_{t−1}"),
    ],
    "clip_by_global_norm": [
        Mutant(clip_per_tensor, says="clipping per tensor instead of global norm"),
        Mutant(clip_elementwise, says="clipped to [−max_norm, max_norm] on its own"),
        Mutant(clip_always_rescales, says="rescaled although their global norm is below max_norm"),
        Mutant(clip_sum_of_norms, says="expected the global norm"),
        Mutant(clip_in_place, says="changed its input `grads` in place"),
    ],
    "lstm_step": [
        Mutant(lstm_step_torch_gate_order, says="gates are in the wrong order in the fused matrix"),
        Mutant(lstm_step_h_from_c, says="used c_t instead of tanh(c_t) for h_t"),
        Mutant(lstm_step_without_input_gate, says="input gate is missing"),
        Mutant(lstm_step_sigmoid_candidate, says="candidate g uses a sigmoid"),
        Mutant(lstm_step_h_before_x, says="not [h_prev, x]"),
        Mutant(lstm_step_gate_loop, says="uses a list comprehension"),
    ],
    "lstm_step_backward": [
        Mutant(lstm_step_backward_without_forget_gate, says="gradient of c_{t−1} is missing the forget gate"),
        Mutant(lstm_step_backward_forgot_tanh, says="forgot tanh' in the backward"),
        Mutant(lstm_step_backward_ignores_dc, says="dc passed in is ignored"),
        Mutant(lstm_step_backward_sigmoid_prime_wrong, says="σ'(a) = σ(a)(1 − σ(a))"),
    ],
    "lstm_forward": [
        Mutant(lstm_forward_cell_not_carried, says="cell state is not carried"),
        Mutant(lstm_forward_state_not_carried, says="hidden state is not carried"),
        Mutant(lstm_forward_time_major, says="Time is the second axis"),
        Mutant(lstm_forward_one_step_late, says="one step late"),
    ],
    "lstm_backward": [
        Mutant(lstm_backward_cell_gradient_dropped, says="gradient of the cell state is not carried back"),
        Mutant(lstm_backward_state_gradient_dropped, says="gradient of the hidden state is not carried back"),
        Mutant(lstm_backward_overwrites_weight_grads, says="Only one step's weight gradient is kept"),
    ],
}


# More mistakes the visible check names.

def rnn_step_backward_db_mean(dh, x, h_prev, h, Wx, Wh):
    dz = dh * (1 - h ** 2)
    return dz @ Wx.T, dz @ Wh.T, x.T @ dz, h_prev.T @ dz, dz.mean(axis=0)


def rnn_backward_forwards_in_time(dhs, xs, h0, hs, Wx, Wh):
    T = xs.shape[1]
    dxs, dWx, dWh, db = np.zeros(xs.shape), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in range(T):
        h_prev = h0 if t == 0 else hs[:, t - 1]
        dxs[:, t], dh_next, gWx, gWh, gb = _step_backward(dhs[:, t] + dh_next, xs[:, t], h_prev, hs[:, t], Wx, Wh)
        dWx, dWh, db = dWx + gWx, dWh + gWh, db + gb
    return dxs, dh_next, dWx, dWh, db


def rnn_backward_adds_into_dhs(dhs, xs, h0, hs, Wx, Wh):
    T = xs.shape[1]
    dxs, dWx, dWh, db = np.zeros(xs.shape), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        dh = dhs[:, t]
        dh += dh_next                                  # a view: this writes into the caller's dhs
        h_prev = h0 if t == 0 else hs[:, t - 1]
        dxs[:, t], dh_next, gWx, gWh, gb = _step_backward(dh, xs[:, t], h_prev, hs[:, t], Wx, Wh)
        dWx, dWh, db = dWx + gWx, dWh + gWh, db + gb
    return dxs, dh_next, dWx, dWh, db


def clip_norm_after_clipping(grads, max_norm):
    clipped = [g * min(1.0, max_norm / _global_norm(grads)) for g in grads]
    return clipped, _global_norm(clipped)


def clip_replaces_items(grads, max_norm):
    norm = _global_norm(grads)
    for k in range(len(grads)):
        grads[k] = grads[k] * min(1.0, max_norm / norm)   # new arrays, but in the caller's list
    return grads, norm


def lstm_step_backward_adds_into_dc(dh, dc, x, h_prev, c_prev, W, b):
    f, i, g, o = _lstm_gates(x, h_prev, W, b)
    c = f * c_prev + i * g
    tc = np.tanh(c)
    dc += dh * o * (1 - tc ** 2)                       # changes the caller's dc
    da = np.concatenate([dc * c_prev * f * (1 - f), dc * g * i * (1 - i), dc * i * (1 - g ** 2),
                         dh * tc * o * (1 - o)], axis=1)
    dxh = da @ W.T
    xh = np.concatenate([x, h_prev], axis=1)
    return dxh[:, :x.shape[1]], dxh[:, x.shape[1]:], dc * f, xh.T @ da, da.sum(axis=0)


def lstm_step_backward_gates_see_only_dc(dh, dc, x, h_prev, c_prev, W, b):
    f, i, g, o = _lstm_gates(x, h_prev, W, b)
    c = f * c_prev + i * g
    tc = np.tanh(c)
    da = np.concatenate([dc * c_prev * f * (1 - f), dc * g * i * (1 - i), dc * i * (1 - g ** 2),
                         dh * tc * o * (1 - o)], axis=1)
    dc_total = dc + dh * o * (1 - tc ** 2)
    dxh = da @ W.T
    xh = np.concatenate([x, h_prev], axis=1)
    return dxh[:, :x.shape[1]], dxh[:, x.shape[1]:], dc_total * f, xh.T @ da, da.sum(axis=0)


def lstm_step_backward_dc_prev_from_dc_only(dh, dc, x, h_prev, c_prev, W, b):
    dx, dh_prev, _, dW, db = _lstm_step_backward(dh, dc, x, h_prev, c_prev, W, b)
    f = _lstm_gates(x, h_prev, W, b)[0]
    return dx, dh_prev, dc * f, dW, db


def lstm_forward_with_initial_state(xs, h0, c0, W, b):
    hs, cs = _run(xs, h0, c0, W, b)
    return np.stack([h0] + hs, axis=1), np.stack([c0] + cs, axis=1)


def lstm_backward_adds_into_dhs(dhs, xs, h0, c0, hs, cs, W, b):
    T = xs.shape[1]
    dxs, dW, db = np.zeros(xs.shape), np.zeros_like(W), np.zeros_like(b)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(T)):
        dh = dhs[:, t]
        dh += dh_next                                  # a view: this writes into the caller's dhs
        h_prev, c_prev = (h0, c0) if t == 0 else (hs[:, t - 1], cs[:, t - 1])
        dxs[:, t], dh_next, dc_next, gW, gb = _lstm_step_backward(dh, dc_next, xs[:, t], h_prev, c_prev, W, b)
        dW, db = dW + gW, db + gb
    return dxs, dh_next, dc_next, dW, db


# A loop moved into a helper function of the notebook (defined in a cell, as a student would).
_CELL = """\
def sigmoid_each(a):
    return np.array([[1 / (1 + np.exp(-v)) for v in row] for row in a])


def lstm_step_loop_in_helper(x, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    a = np.concatenate([x, h_prev], axis=1) @ W + b
    f, i, o = sigmoid_each(a[:, :H]), sigmoid_each(a[:, H:2 * H]), sigmoid_each(a[:, 3 * H:])
    c = f * c_prev + i * np.tanh(a[:, 2 * H:3 * H])
    return o * np.tanh(c), c
"""
_notebook = {"np": np}
run_source(_CELL, _notebook, "<lesson 5: a student's cell>")
lstm_step_loop_in_helper = _notebook["lstm_step_loop_in_helper"]


# Classes of mistake only the hidden tests are meant to catch (extreme values, degenerate shapes, zeros,
# integer inputs).

def rnn_step_tanh_from_exp(x, h_prev, Wx, Wh, b):
    e = np.exp(2 * (h_prev @ Wh + x @ Wx + b))
    return (e - 1) / (e + 1)                           # inf / inf = NaN for z > 355


def rnn_step_squeezed(x, h_prev, Wx, Wh, b):
    return np.tanh(h_prev @ Wh + x @ Wx + b).squeeze()  # N = 1 or H = 1 loses an axis


def rnn_step_backward_dx_in_the_inputs_dtype(dh, x, h_prev, h, Wx, Wh):
    dz = dh * (1 - h ** 2)
    dx = np.zeros_like(x)                              # integer x: integer dx
    dx[...] = dz @ Wx.T
    return dx, dz @ Wh.T, x.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


def rnn_backward_dxs_in_the_inputs_dtype(dhs, xs, h0, hs, Wx, Wh):
    T = xs.shape[1]
    dxs, dWx, dWh, db = np.zeros_like(xs), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else hs[:, t - 1]
        dxs[:, t], dh_next, gWx, gWh, gb = _step_backward(dhs[:, t] + dh_next, xs[:, t], h_prev, hs[:, t], Wx, Wh)
        dWx, dWh, db = dWx + gWx, dWh + gWh, db + gb
    return dxs, dh_next, dWx, dWh, db


def clip_divides_by_a_zero_norm(grads, max_norm):
    norm = _global_norm(grads)
    return [g * min(1.0, max_norm / norm) for g in grads], norm   # ZeroDivisionError for all-zero gradients


def clip_only_norms_above_one(grads, max_norm):
    norm = _global_norm(grads)
    scale = min(1.0, max_norm / norm) if norm > 1 else 1.0          # misses norms between max_norm and 1
    return [g * scale for g in grads], norm


def lstm_step_sigmoid_from_exp(x, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    a = np.concatenate([x, h_prev], axis=1) @ W + b
    s = np.exp(a) / (1 + np.exp(a))                    # inf / inf = NaN for a > 709
    c = s[:, :H] * c_prev + s[:, H:2 * H] * np.tanh(a[:, 2 * H:3 * H])
    return s[:, 3 * H:] * np.tanh(c), c


def lstm_step_squeezed(x, h_prev, c_prev, W, b):
    h, c = _lstm_step(x, h_prev, c_prev, W, b)
    return h.squeeze(), c.squeeze()


def lstm_step_backward_slope_from_exp(dh, dc, x, h_prev, c_prev, W, b):
    H = h_prev.shape[1]
    a = np.concatenate([x, h_prev], axis=1) @ W + b
    e = np.exp(-a)
    slope = e / (1 + e) ** 2                           # σ'(a), inf / inf = NaN for a < −709
    s = 1 / (1 + e)
    f, i, o, g = s[:, :H], s[:, H:2 * H], s[:, 3 * H:], np.tanh(a[:, 2 * H:3 * H])
    c = f * c_prev + i * g
    tc = np.tanh(c)
    dc = dc + dh * o * (1 - tc ** 2)
    da = np.concatenate([dc * c_prev * slope[:, :H], dc * g * slope[:, H:2 * H], dc * i * (1 - g ** 2),
                         dh * tc * slope[:, 3 * H:]], axis=1)
    xh = np.concatenate([x, h_prev], axis=1)
    dxh = da @ W.T
    return dxh[:, :x.shape[1]], dxh[:, x.shape[1]:], dc * f, xh.T @ da, da.sum(axis=0)


def lstm_step_backward_dx_in_the_inputs_dtype(dh, dc, x, h_prev, c_prev, W, b):
    dx, dh_prev, dc_prev, dW, db = _lstm_step_backward(dh, dc, x, h_prev, c_prev, W, b)
    out = np.zeros_like(x)                             # integer x: integer dx
    out[...] = dx
    return out, dh_prev, dc_prev, dW, db


def lstm_forward_in_the_inputs_dtype(xs, h0, c0, W, b):
    N, T, _ = xs.shape
    hs, cs = np.zeros_like(xs, shape=(N, T, h0.shape[1])), np.zeros_like(xs, shape=(N, T, h0.shape[1]))
    h, c = h0, c0
    for t in range(T):
        h, c = _lstm_step(xs[:, t], h, c, W, b)
        hs[:, t], cs[:, t] = h, c                      # integer xs: the states are truncated to integers
    return hs, cs


def lstm_backward_dxs_in_the_inputs_dtype(dhs, xs, h0, c0, hs, cs, W, b):
    dxs, dh0, dc0, dW, db = _lstm_bptt(dhs, xs, h0, c0, hs, cs, W, b)
    out = np.zeros_like(xs)                            # integer xs: integer dxs
    out[...] = dxs
    return out, dh0, dc0, dW, db


MORE = {
    "rnn_step": [Mutant(rnn_step_tanh_from_exp, visible=False), Mutant(rnn_step_squeezed, visible=False)],
    "rnn_step_backward": [Mutant(rnn_step_backward_db_mean, says="not the mean"),
                          Mutant(rnn_step_backward_dx_in_the_inputs_dtype, visible=False)],
    "rnn_backward": [Mutant(rnn_backward_forwards_in_time, says="runs forwards in time"),
                     Mutant(rnn_backward_adds_into_dhs, says="changed its input `dhs` in place"),
                     Mutant(rnn_backward_dxs_in_the_inputs_dtype, visible=False)],
    "clip_by_global_norm": [Mutant(clip_norm_after_clipping, says="measured *before* clipping"),
                            Mutant(clip_replaces_items, says="changed its input `grads` in place"),
                            Mutant(clip_divides_by_a_zero_norm, says="ZeroDivisionError"),
                            Mutant(clip_only_norms_above_one, visible=False)],
    "lstm_step": [Mutant(lstm_step_loop_in_helper, says="in `sigmoid_each`, which it calls"),
                  Mutant(lstm_step_sigmoid_from_exp, visible=False), Mutant(lstm_step_squeezed, visible=False)],
    "lstm_step_backward": [Mutant(lstm_step_backward_adds_into_dc, says="changed its input `dc` in place"),
                           Mutant(lstm_step_backward_gates_see_only_dc, says="TOTAL gradient of c_t"),
                           Mutant(lstm_step_backward_dc_prev_from_dc_only, says="not only the dc passed in"),
                           Mutant(lstm_step_backward_slope_from_exp, visible=False),
                           Mutant(lstm_step_backward_dx_in_the_inputs_dtype, visible=False)],
    "lstm_forward": [Mutant(lstm_forward_with_initial_state, says="without the initial state"),
                     Mutant(lstm_forward_in_the_inputs_dtype, visible=False)],
    "lstm_backward": [Mutant(lstm_backward_adds_into_dhs, says="changed its input `dhs` in place"),
                      Mutant(lstm_backward_dxs_in_the_inputs_dtype, visible=False)],
}
for exercise, extra in MORE.items():
    MUTANTS[exercise] += extra
