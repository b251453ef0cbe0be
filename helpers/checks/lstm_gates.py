"""Visible checks for lesson 5, "RNNs, vanishing gradients, and the LSTM's gates".

Each `check_*` runs the student's function on small seeded inputs, compares it with a plain
reference written here (step by step, gate by gate), and names the mistake when the answer is wrong.
Layouts: batches are rows, sequences are (N, T, ·), the fused LSTM matrix W is (D + H, 4H) = [W_x; W_h]
with its four column blocks in the order f | i | g | o.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from helpers.activations import sigmoid
from helpers.checks.core import CheckFailed, call_student, expect_array, expect_close, passed
from helpers.checks.loops import expect_no_loops


def _tuple(result: object, names: tuple[str, ...], what: str) -> tuple:
    """Require a tuple (or list) of len(names) results."""
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = f"a {type(result).__name__} of length {len(result)}" if isinstance(result, (tuple, list)) \
            else f"a {type(result).__name__}"
        raise CheckFailed(what, f"returned {got}; expected a tuple of {len(names)}: ({', '.join(names)}).",
                          f"End with `return {', '.join(names)}`.")
    return tuple(result)


# ---- references, written one step at a time ---------------------------------------------------

def _rnn_step(x, h_prev, Wx, Wh, b):
    return np.tanh(h_prev @ Wh + x @ Wx + b)


def _rnn_step_backward(dh, x, h_prev, h, Wx, Wh, dz=None):
    dz = dh * (1 - h ** 2) if dz is None else dz
    return dz @ Wx.T, dz @ Wh.T, x.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


def _rnn_forward(xs, h0, Wx, Wh, b):
    hs, h = [], h0
    for t in range(xs.shape[1]):
        h = _rnn_step(xs[:, t], h, Wx, Wh, b)
        hs.append(h)
    return np.stack(hs, axis=1)


def _rnn_backward(dhs, xs, h0, hs, Wx, Wh, carry=True, accumulate=True, local=True, prev_is_h=False):
    """BPTT; each flag breaks one ingredient, to build the answers of typical mistakes."""
    T = xs.shape[1]
    dxs, dWx, dWh, db = np.zeros(xs.shape), np.zeros(Wx.shape), np.zeros(Wh.shape), np.zeros(Wh.shape[0])
    dh_next = np.zeros(h0.shape)
    for t in range(T - 1, -1, -1):
        dh = (dhs[:, t] if local or t == T - 1 else 0.0) + (dh_next if carry else 0.0)
        h_prev = hs[:, t] if prev_is_h else h0 if t == 0 else hs[:, t - 1]
        dxs[:, t], dh_next, gWx, gWh, gb = _rnn_step_backward(dh, xs[:, t], h_prev, hs[:, t], Wx, Wh)
        if accumulate:
            dWx, dWh, db = dWx + gWx, dWh + gWh, db + gb
        else:                      # `dW = ...` instead of `dW += ...`: the last one computed (t = 0) stays
            dWx, dWh, db = gWx, gWh, gb
    return dxs, dh_next, dWx, dWh, db


def _gates(x, h_prev, W, b, order="figo", inputs=None):
    """f, i, g, o; `order` names the gate in each column block; `inputs` replaces [x, h_prev]."""
    a = (np.concatenate([x, h_prev], axis=1) if inputs is None else inputs) @ W + b
    H = h_prev.shape[1]
    blocks = dict(zip(order, (a[:, k * H:(k + 1) * H] for k in range(4))))
    return sigmoid(blocks["f"]), sigmoid(blocks["i"]), np.tanh(blocks["g"]), sigmoid(blocks["o"])


def _lstm_step(x, h_prev, c_prev, W, b, order="figo"):
    f, i, g, o = _gates(x, h_prev, W, b, order)
    c = f * c_prev + i * g
    return o * np.tanh(c), c


def _lstm_step_backward(dh, dc, x, h_prev, c_prev, W, b, *, tanh_prime=True, forget=True, sigmoid_prime=True):
    f, i, g, o = _gates(x, h_prev, W, b)
    s = (lambda v: v * (1 - v)) if sigmoid_prime else (lambda v: 1 - v)
    c = f * c_prev + i * g
    tc = np.tanh(c)
    dc_total = dc + dh * o * ((1 - tc ** 2) if tanh_prime else 1.0)
    da = np.concatenate([dc_total * c_prev * s(f), dc_total * g * s(i), dc_total * i * (1 - g ** 2),
                         dh * tc * s(o)], axis=1)
    dxh = da @ W.T
    D = x.shape[1]
    inputs = np.concatenate([x, h_prev], axis=1)
    return dxh[:, :D], dxh[:, D:], dc_total * f if forget else dc_total, inputs.T @ da, da.sum(axis=0)


def _lstm_forward(xs, h0, c0, W, b, carry_h=True, carry_c=True):
    hs, cs, h, c = [], [], h0, c0
    for t in range(xs.shape[1]):
        h_new, c_new = _lstm_step(xs[:, t], h if carry_h else h0, c if carry_c else c0, W, b)
        h, c = h_new, c_new
        hs.append(h)
        cs.append(c)
    return np.stack(hs, axis=1), np.stack(cs, axis=1)


def _lstm_backward(dhs, xs, h0, c0, hs, cs, W, b, carry_c=True, carry_h=True, accumulate=True):
    T = xs.shape[1]
    dxs, dW, db = np.zeros(xs.shape), np.zeros(W.shape), np.zeros(b.shape)
    dh_next, dc_next = np.zeros(h0.shape), np.zeros(c0.shape)
    for t in range(T - 1, -1, -1):
        h_prev = h0 if t == 0 else hs[:, t - 1]
        c_prev = c0 if t == 0 else cs[:, t - 1]
        dh = dhs[:, t] + (dh_next if carry_h else 0.0)
        dc = dc_next if carry_c else np.zeros(c0.shape)
        dxs[:, t], dh_next, dc_next, gW, gb = _lstm_step_backward(dh, dc, xs[:, t], h_prev, c_prev, W, b)
        dW, db = (dW + gW, db + gb) if accumulate else (gW, gb)
    return dxs, dh_next, dc_next, dW, db


def _inputs(seed: int, N: int, D: int, H: int, T: int | None = None):
    """A seeded generator, inputs x: (N, D) or (N, T, D), and a state (N, H)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, D) if T is None else (N, T, D))
    return rng, x, rng.normal(scale=0.5, size=(N, H))


# ---- checks -------------------------------------------------------------------------------------

def check_rnn_step(rnn_step: Callable) -> None:
    what = "`rnn_step(x, h_prev, Wx, Wh, b)`"
    N, D, H = 4, 3, 5
    rng, x, h_prev = _inputs(10, N, D, H)
    Wx, Wh, b = rng.normal(size=(D, H)), rng.normal(scale=0.5, size=(H, H)), rng.normal(size=H)
    out = call_student(rnn_step, x, h_prev, Wx, Wh, b)
    expect_array(out, (N, H), what, shape_hints={
        (H, N): "One row per sequence in the batch: h_prev W_h and x W_x are both (N, H).",
    })
    expect_close(out, _rnn_step(x, h_prev, Wx, Wh, b), what, mistakes=[
        ("The tanh is missing: h_t = tanh(h_{t−1} W_h + x_t W_x + b).", h_prev @ Wh + x @ Wx + b),
        ("The bias b is missing: h_t = tanh(h_{t−1} W_h + x_t W_x + b).", np.tanh(h_prev @ Wh + x @ Wx)),
        ("The previous state is missing: without h_{t−1} W_h the network has no memory at all.",
         np.tanh(x @ Wx + b)),
        ("W_h is transposed: the batch keeps one example per row, so multiply h_prev @ Wh, not Wh.T.",
         np.tanh(h_prev @ Wh.T + x @ Wx + b)),
        ("That is a sigmoid; the vanilla RNN squashes with tanh, whose values lie in (−1, 1).",
         sigmoid(h_prev @ Wh + x @ Wx + b)),
    ])
    expect_no_loops(rnn_step)
    passed(what)


def check_rnn_step_backward(rnn_step_backward: Callable) -> None:
    what = "`rnn_step_backward(dh, x, h_prev, h, Wx, Wh)`"
    names = ("dx", "dh_prev", "dWx", "dWh", "db")
    N, D, H = 4, 3, 5
    rng, x, h_prev = _inputs(11, N, D, H)
    Wx, Wh, b = rng.normal(size=(D, H)), rng.normal(scale=0.5, size=(H, H)), rng.normal(size=H)
    h = _rnn_step(x, h_prev, Wx, Wh, b)
    dh = rng.normal(size=(N, H))
    got = _tuple(call_student(rnn_step_backward, dh, x, h_prev, h, Wx, Wh), names, what)
    want = _rnn_step_backward(dh, x, h_prev, h, Wx, Wh)
    no_tanh = _rnn_step_backward(dh, x, h_prev, h, Wx, Wh, dz=dh)
    tanh_of_h = _rnn_step_backward(dh, x, h_prev, h, Wx, Wh, dz=dh * (1 - np.tanh(h) ** 2))
    dz = dh * (1 - h ** 2)
    forgot_tanh = ("You forgot tanh' in the backward: the gradient must first pass through the tanh, "
                   "dz = dh ∘ (1 − h²), and only then through the products.")
    hints = {"db": {(N, H): "db sums dz over the batch (axis=0): the bias is shared by every example."}}
    for k, name in enumerate(names):
        label = f"{name} of {what}"
        expect_array(got[k], want[k].shape, label, shape_hints=hints.get(name))
        mistakes = [(forgot_tanh, no_tanh[k]),
                    ("tanh'(z) = 1 − tanh(z)² = 1 − h²: h is already the tanh, do not apply tanh to it again.",
                     tanh_of_h[k])]
        if name == "dWh":
            mistakes.append(("dW_h multiplies dz by the state that went *into* the step: h_prev.T @ dz, "
                             "not h.T @ dz.", h.T @ dz))
        if name == "dh_prev":
            mistakes.append(("The gradient goes back through W_h transposed: dh_prev = dz @ Wh.T.", dz @ Wh))
        if name == "db":
            mistakes.append(("db is the *sum* of dz over the batch, not the mean.", dz.mean(axis=0)))
        expect_close(got[k], want[k], label, mistakes=mistakes)
    expect_no_loops(rnn_step_backward)
    passed(what)


def check_rnn_backward(rnn_backward: Callable) -> None:
    what = "`rnn_backward(dhs, xs, h0, hs, Wx, Wh)`"
    names = ("dxs", "dh0", "dWx", "dWh", "db")
    N, T, D, H = 3, 6, 2, 4
    rng, xs, h0 = _inputs(12, N, D, H, T)
    Wx, Wh, b = rng.normal(size=(D, H)), rng.normal(scale=0.6, size=(H, H)), rng.normal(size=H)
    hs = _rnn_forward(xs, h0, Wx, Wh, b)
    dhs = rng.normal(size=(N, T, H))
    got = _tuple(call_student(rnn_backward, dhs, xs, h0, hs, Wx, Wh), names, what)
    want = _rnn_backward(dhs, xs, h0, hs, Wx, Wh)
    mistakes = {
        "no carry": ("The gradient from later steps is not carried back: at step t add dh_next (the dh_prev of "
                     "step t+1) to dhs[:, t] before stepping back.",
                     _rnn_backward(dhs, xs, h0, hs, Wx, Wh, carry=False)),
        "no accumulate": ("Only one step's weight gradient is kept: W_x, W_h and b are shared by every step, "
                          "so add up (+=) their gradients over all T steps.",
                          _rnn_backward(dhs, xs, h0, hs, Wx, Wh, accumulate=False)),
        "no local": ("dhs[:, t] is not added at each step: the loss reads every h_t, so step t receives its "
                     "own gradient dhs[:, t] plus the one carried back from step t+1.",
                     _rnn_backward(dhs, xs, h0, hs, Wx, Wh, local=False)),
        "prev": ("Step t's input state is h_{t−1}: hs[:, t−1], or h0 when t = 0. hs[:, t] is its output.",
                 _rnn_backward(dhs, xs, h0, hs, Wx, Wh, prev_is_h=True)),
    }
    for k, name in enumerate(names):
        label = f"{name} of {what}"
        expect_close(got[k], want[k], label, mistakes=[(text, answer[k]) for text, answer in mistakes.values()])
    passed(what)


def check_clip_by_global_norm(clip_by_global_norm: Callable) -> None:
    what = "`clip_by_global_norm(grads, max_norm)`"
    rng = np.random.default_rng(13)
    grads = [rng.normal(size=(3, 4)) * 3.0, rng.normal(size=4) * 0.1, rng.normal(size=(2, 2)) * 2.0]
    originals = [g.copy() for g in grads]
    total = float(np.sqrt(sum((g ** 2).sum() for g in grads)))
    for max_norm in (1.0, 2.0 * total):
        result = call_student(clip_by_global_norm, grads, max_norm)
        if any(not np.array_equal(g, o) for g, o in zip(grads, originals)):
            raise CheckFailed(what, "changed the gradient arrays it was given, in place.",
                              "Return new arrays (g * scale), leave the originals as they are.")
        clipped, norm = _tuple(result, ("clipped", "norm"), what)
        if not isinstance(clipped, list) or len(clipped) != len(grads):
            raise CheckFailed(what, f"returned {type(clipped).__name__} as its first result; expected a list of "
                              f"{len(grads)} arrays, one per gradient, in the same order.")
        if not isinstance(norm, (float, np.floating)) or not np.isclose(norm, total, rtol=1e-6):
            raise CheckFailed(what, f"returned the norm {norm!r}; expected the global norm {total:.6g}, the norm "
                              "measured *before* clipping.",
                              "The global norm is sqrt(Σ over every array of Σ g²): all gradients as one vector. "
                              "Return it as a Python float.")
        scale = min(1.0, max_norm / total)
        for k, (g, c) in enumerate(zip(grads, clipped)):
            per_tensor = g * min(1.0, max_norm / np.sqrt((g ** 2).sum()))
            expect_close(c, g * scale, f"gradient {k} of {what} with max_norm={max_norm:g}", mistakes=[
                ("You clipped each array by its own norm (clipping per tensor instead of global norm). Measure "
                 "one global norm over all the gradients together and scale them all by the same "
                 "factor max_norm / global norm: that keeps the direction of the whole update.", per_tensor),
                ("Each number was clipped to [−max_norm, max_norm] on its own: that changes the direction of "
                 "the update. Scale all gradients together by max_norm / global norm.",
                 np.clip(g, -max_norm, max_norm)),
                ("The gradients were rescaled although their global norm is below max_norm: only scale "
                 "when the norm is larger than max_norm; otherwise return them unchanged.",
                 g * max_norm / total),
                ("The global norm is the square root of the summed squares of all entries, not the sum of "
                 "each array's norm.", g * min(1.0, max_norm / sum(np.sqrt((a ** 2).sum()) for a in grads))),
            ])
    passed(what)


def _lstm_case(seed: int, N: int, D: int, H: int):
    rng, x, h_prev = _inputs(seed, N, D, H)
    c_prev = rng.normal(size=(N, H))
    W, b = rng.normal(scale=0.7, size=(D + H, 4 * H)), rng.normal(size=4 * H)
    return rng, x, h_prev, c_prev, W, b


def check_lstm_step(lstm_step: Callable) -> None:
    what = "`lstm_step(x, h_prev, c_prev, W, b)`"
    N, D, H = 3, 2, 4
    _, x, h_prev, c_prev, W, b = _lstm_case(14, N, D, H)
    got = _tuple(call_student(lstm_step, x, h_prev, c_prev, W, b), ("h", "c"), what)
    for k, name in enumerate(("h", "c")):
        expect_array(got[k], (N, H), f"{name} (result {k + 1}) of {what}", shape_hints={
            (N, 4 * H): "That is all four gates together: split the (N, 4H) pre-activations into four (N, H) "
                        "blocks.",
        })
    h, c = _lstm_step(x, h_prev, c_prev, W, b)
    f, i, g, o = _gates(x, h_prev, W, b)
    a = np.concatenate([x, h_prev], axis=1) @ W + b
    wrong_order = ("The gates are in the wrong order in the fused matrix: the four column blocks of W and b "
                   "are f | i | g | o (forget, input, candidate, output), each H columns wide.")
    orders = ("ifgo", "igfo", "ifog", "fiog", "gifo", "oifg")
    sf, si, sg, _ = _gates(x, h_prev, W, b, inputs=np.concatenate([h_prev, x], axis=1))
    rows = "The rows of W are [W_x; W_h]: multiply [x, h_prev] (x first) by W, not [h_prev, x]."
    mistakes = {
        "c": [(wrong_order, _lstm_step(x, h_prev, c_prev, W, b, order)[1]) for order in orders] + [
            ("The input gate is missing: c_t = f ∘ c_{t−1} + i ∘ g.", f * c_prev + g),
            ("The forget gate is missing: c_t = f ∘ c_{t−1} + i ∘ g.", c_prev + i * g),
            (rows, sf * c_prev + si * sg),
            ("The candidate g uses a sigmoid; it takes tanh, so it can move the cell down as well as up.",
             f * c_prev + i * sigmoid(a[:, 2 * H:3 * H])),
        ],
        "h": [(wrong_order, _lstm_step(x, h_prev, c_prev, W, b, order)[0]) for order in orders] + [
            ("You used c_t instead of tanh(c_t) for h_t: the output is h_t = o ∘ tanh(c_t).", o * c),
            ("The output gate is missing: h_t = o ∘ tanh(c_t).", np.tanh(c)),
        ],
    }
    expect_close(got[1], c, f"c (result 2) of {what}", mistakes=mistakes["c"])
    expect_close(got[0], h, f"h (result 1) of {what}", mistakes=mistakes["h"])
    expect_no_loops(lstm_step)
    passed(what)


def check_lstm_step_backward(lstm_step_backward: Callable) -> None:
    what = "`lstm_step_backward(dh, dc, x, h_prev, c_prev, W, b)`"
    names = ("dx", "dh_prev", "dc_prev", "dW", "db")
    N, D, H = 3, 2, 4
    rng, x, h_prev, c_prev, W, b = _lstm_case(15, N, D, H)
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    got = _tuple(call_student(lstm_step_backward, dh, dc, x, h_prev, c_prev, W, b), names, what)
    want = _lstm_step_backward(dh, dc, x, h_prev, c_prev, W, b)
    zero = np.zeros((N, H))
    mistakes = [
        ("The gradient of c_{t−1} is missing the forget gate: c_t = f ∘ c_{t−1} + …, so "
         "dc_prev = dc_t ∘ f, where dc_t is the total gradient of c_t (the dc passed in plus the part that "
         "comes through h_t).", _lstm_step_backward(dh, dc, x, h_prev, c_prev, W, b, forget=False)),
        ("You forgot tanh' in the backward: h_t = o ∘ tanh(c_t), so the gradient reaching c_t from h_t is "
         "dh ∘ o ∘ (1 − tanh(c_t)²).", _lstm_step_backward(dh, dc, x, h_prev, c_prev, W, b, tanh_prime=False)),
        ("The dc passed in is ignored: c_t also feeds the next step, so its total gradient is "
         "dc + dh ∘ o ∘ (1 − tanh(c_t)²).", _lstm_step_backward(dh, zero, x, h_prev, c_prev, W, b)),
        ("The gates' derivative is wrong: for a gate v = σ(a), σ'(a) = σ(a)(1 − σ(a)) = v(1 − v).",
         _lstm_step_backward(dh, dc, x, h_prev, c_prev, W, b, sigmoid_prime=False)),
    ]
    hints = {"db": {(N, 4 * H): "db sums the gate gradients over the batch (axis=0)."},
             "dW": {(4 * H, D + H): "dW has W's shape (D + H, 4H): [x, h_prev].T @ da."}}
    for k, name in enumerate(names):
        label = f"{name} of {what}"
        expect_array(got[k], want[k].shape, label, shape_hints=hints.get(name))
        expect_close(got[k], want[k], label, mistakes=[(text, answer[k]) for text, answer in mistakes])
    expect_no_loops(lstm_step_backward)
    passed(what)


def check_lstm_forward(lstm_forward: Callable) -> None:
    what = "`lstm_forward(xs, h0, c0, W, b)`"
    N, T, D, H = 3, 5, 2, 4
    rng, xs, h0 = _inputs(16, N, D, H, T)
    c0 = rng.normal(size=(N, H))
    W, b = rng.normal(scale=0.7, size=(D + H, 4 * H)), rng.normal(size=4 * H)
    got = _tuple(call_student(lstm_forward, xs, h0, c0, W, b), ("hs", "cs"), what)
    want = _lstm_forward(xs, h0, c0, W, b)
    for k, name in enumerate(("hs", "cs")):
        label = f"{name} of {what}"
        expect_array(got[k], (N, T, H), label, shape_hints={
            (T, N, H): "Time is the second axis: hs[:, t] is h_{t+1} of every sequence (np.stack(..., axis=1)).",
            (N, T + 1, H): "Return the T states after each step, h_1 … h_T, without the initial state.",
        })
        expect_close(got[k], want[k], label, mistakes=[
            ("The cell state is not carried from step to step: pass each step's c as the next step's c_prev.",
             _lstm_forward(xs, h0, c0, W, b, carry_c=False)[k]),
            ("The hidden state is not carried from step to step: pass each step's h as the next step's h_prev.",
             _lstm_forward(xs, h0, c0, W, b, carry_h=False)[k]),
            ("Every state is one step late: store h_t and c_t after computing step t, so hs[:, t] is the "
             "state after reading xs[:, t].",
             np.concatenate([(h0, c0)[k][:, None], want[k][:, :-1]], axis=1)),
        ])
    passed(what)


def check_lstm_backward(lstm_backward: Callable) -> None:
    what = "`lstm_backward(dhs, xs, h0, c0, hs, cs, W, b)`"
    names = ("dxs", "dh0", "dc0", "dW", "db")
    N, T, D, H = 3, 5, 2, 4
    rng, xs, h0 = _inputs(17, N, D, H, T)
    c0 = rng.normal(size=(N, H))
    W, b = rng.normal(scale=0.7, size=(D + H, 4 * H)), rng.normal(size=4 * H)
    hs, cs = _lstm_forward(xs, h0, c0, W, b)
    dhs = rng.normal(size=(N, T, H))
    got = _tuple(call_student(lstm_backward, dhs, xs, h0, c0, hs, cs, W, b), names, what)
    want = _lstm_backward(dhs, xs, h0, c0, hs, cs, W, b)
    mistakes = [
        ("The gradient of the cell state is not carried back: pass each step's dc_prev as the dc of the "
         "step before. This is the path the LSTM adds to keep gradients alive.",
         _lstm_backward(dhs, xs, h0, c0, hs, cs, W, b, carry_c=False)),
        ("The gradient of the hidden state is not carried back: add each step's dh_prev to dhs[:, t−1].",
         _lstm_backward(dhs, xs, h0, c0, hs, cs, W, b, carry_h=False)),
        ("Only one step's weight gradient is kept: W and b are shared by every step, so add up (+=) "
         "their gradients over all T steps.", _lstm_backward(dhs, xs, h0, c0, hs, cs, W, b, accumulate=False)),
    ]
    for k, name in enumerate(names):
        label = f"{name} of {what}"
        expect_close(got[k], want[k], label, mistakes=[(text, answer[k]) for text, answer in mistakes])
    passed(what)
