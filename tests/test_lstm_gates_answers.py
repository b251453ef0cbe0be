"""Lesson 5: correct answers written unlike the reference solution pass the visible check and the judge.

The mutants (tests/mutants/lstm_gates.py) prove that wrong answers are rejected; these prove the other
half, that what the lesson allows is accepted: a list where a tuple is returned, a NumPy float as the
norm, a tuple of clipped arrays, np.split for the gates, other overflow-free forms of σ and tanh.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from helpers.checks import lstm_gates as checks
from helpers.grading import judge

LESSON = "05_lstm_gates"


def rnn_step(x, h_prev, Wx, Wh, b):
    z = np.hstack([x, h_prev]) @ np.vstack([Wx, Wh]) + b
    return 2 / (1 + np.exp(-2 * z)) - 1                  # tanh(z) = 2σ(2z) − 1: ±1 at the extremes, never NaN


def rnn_step_backward(dh, x, h_prev, h, Wx, Wh):
    dz = dh - dh * h * h
    return [dz @ Wx.T, dz @ Wh.T, x.T @ dz, h_prev.T @ dz, np.sum(dz, axis=0)]


def rnn_backward(dhs, xs, h0, hs, Wx, Wh):
    dxs, dWx, dWh, db, carried = [], 0.0, 0.0, 0.0, np.zeros(h0.shape)
    for t in range(xs.shape[1] - 1, -1, -1):
        before = hs[:, t - 1] if t else h0
        dx, carried, gWx, gWh, gb = rnn_step_backward(dhs[:, t] + carried, xs[:, t], before, hs[:, t], Wx, Wh)
        dxs.insert(0, dx)
        dWx, dWh, db = dWx + gWx, dWh + gWh, db + gb
    return [np.stack(dxs, axis=1), carried, dWx, dWh, db]


def clip_by_global_norm(grads, max_norm):
    norm = np.linalg.norm(np.concatenate([np.ravel(g) for g in grads]))     # a NumPy float
    return tuple(g * (max_norm / norm) if norm > max_norm else g.copy() for g in grads), norm


def _sigmoid(a):
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def lstm_step(x, h_prev, c_prev, W, b):
    f, i, g, o = np.split(np.concatenate([x, h_prev], axis=1) @ W + b, 4, axis=1)
    c = _sigmoid(f) * c_prev + _sigmoid(i) * np.tanh(g)
    return [_sigmoid(o) * np.tanh(c), c]


def lstm_step_backward(dh, dc, x, h_prev, c_prev, W, b):
    xh = np.hstack([x, h_prev])
    f, i, g, o = np.split(xh @ W + b, 4, axis=1)
    f, i, g, o = _sigmoid(f), _sigmoid(i), np.tanh(g), _sigmoid(o)
    tanh_c = np.tanh(f * c_prev + i * g)
    total = dc + dh * o * (1 - tanh_c * tanh_c)
    da = np.hstack([total * c_prev * f * (1 - f), total * g * i * (1 - i), total * i * (1 - g * g),
                    dh * tanh_c * o * (1 - o)])
    dxh = da @ W.T
    return dxh[:, :x.shape[1]], dxh[:, x.shape[1]:], total * f, xh.T @ da, da.sum(0)


def lstm_forward(xs, h0, c0, W, b):
    hs, cs, h, c = [], [], h0, c0
    for t in range(xs.shape[1]):
        h, c = lstm_step(xs[:, t], h, c, W, b)
        hs.append(h)
        cs.append(c)
    return [np.stack(hs, 1), np.stack(cs, 1)]


def lstm_backward(dhs, xs, h0, c0, hs, cs, W, b):
    dxs, dW, db = np.zeros(xs.shape), np.zeros(W.shape), np.zeros(b.shape)
    dh, dc = np.zeros(h0.shape), np.zeros(c0.shape)
    for t in reversed(range(xs.shape[1])):
        before = (hs[:, t - 1], cs[:, t - 1]) if t > 0 else (h0, c0)
        dxs[:, t], dh, dc, gW, gb = lstm_step_backward(dhs[:, t] + dh, dc, xs[:, t], *before, W, b)
        dW, db = dW + gW, db + gb
    return dxs, dh, dc, dW, db


ANSWERS = [rnn_step, rnn_step_backward, rnn_backward, clip_by_global_norm, lstm_step, lstm_step_backward,
           lstm_forward, lstm_backward]


def test_every_exercise_has_an_answer_here():
    assert {fn.__name__ for fn in ANSWERS} == set(judge.plan(LESSON))


@pytest.mark.parametrize("answer", ANSWERS, ids=lambda fn: fn.__name__)
def test_a_correct_answer_unlike_the_reference_passes(answer, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)          # exp overflows harmlessly at the extremes
        getattr(checks, f"check_{answer.__name__}")(answer)
        verdict = judge.judge_function(LESSON, answer.__name__, answer)
    assert "✓" in capsys.readouterr().out
    assert verdict.passed, verdict.message
