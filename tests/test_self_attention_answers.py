"""Lesson 6: correct answers written unlike the reference solution pass the visible check and the judge.

The mutants (tests/mutants/self_attention.py) prove that wrong answers are rejected; these prove the other
half, that what the lesson allows is accepted: a list where a pair is returned, -inf for blocked scores with
the empty rows mended afterwards, weights zeroed by the mask itself, einsum, np.split and np.stack, the
Annotated Transformer's frequencies, and the loop rule's fixed lists: a generator over (Wq, Wk, Wv) written
as helpers/attention.py writes it, and a `for` statement over the same tuple.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from helpers.checks import self_attention as checks
from helpers.grading import judge

LESSON = "06_self_attention"


def causal_mask(T):
    return ~np.triu(np.ones((T, T), dtype=bool), k=1)


def scaled_dot_product_attention(Q, K, V, mask=None):
    S = np.einsum("...qd,...kd->...qk", Q, K) / np.sqrt(K.shape[-1])
    if mask is not None:
        S = np.where(mask, S, -np.inf)
    top = S.max(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):                  # a row of -inf gives NaN here, mended below
        log_weights = S - (top + np.log(np.exp(S - top).sum(axis=-1, keepdims=True)))
        weights = np.exp(log_weights)
    if mask is not None:
        weights = np.where(mask, weights, 0.0)             # blocked keys and empty rows: exactly 0
    return [weights @ V, weights]


def attention_backward(dout, Q, K, V, weights):
    out = weights @ V
    row = np.einsum("...qv,...qv->...q", dout, out)[..., None]    # Σ_j P_ij dP_ij = dout_i · out_i
    dS = weights * (np.einsum("...qv,...kv->...qk", dout, V) - row)
    scale = 1 / np.sqrt(Q.shape[-1])
    return [scale * np.einsum("...qk,...kd->...qd", dS, K), scale * np.einsum("...qk,...qd->...kd", dS, Q),
            np.einsum("...qk,...qv->...kv", weights, dout)]


def split_heads(X, h):
    return np.stack(np.split(X, h, axis=-1), axis=-3)


def merge_heads(X):
    *lead, h, T, dh = X.shape
    return np.moveaxis(X, -3, -2).reshape(*lead, T, h * dh)


def multi_head_attention(X, Wq, Wk, Wv, Wo, h, mask=None):
    Q, K, V = (split_heads(X @ W, h) for W in (Wq, Wk, Wv))      # (B, h, T, D/h) each, as helpers/attention.py
    heads, weights = scaled_dot_product_attention(Q, K, V, mask)
    return merge_heads(heads) @ Wo, weights


def multi_head_attention_with_a_for_statement(X, Wq, Wk, Wv, Wo, h, mask=None):
    projected = []
    for W in (Wq, Wk, Wv):
        projected.append(split_heads(X @ W, h))
    heads, weights = scaled_dot_product_attention(*projected, mask)
    return merge_heads(heads) @ Wo, weights


def positional_encoding(T, d):
    position = np.arange(T)[:, None]
    frequency = np.exp(np.arange(0, d, 2) * (-np.log(10000.0) / d))          # the Annotated Transformer's
    pe = np.zeros((T, d))
    pe[:, 0::2] = np.sin(position * frequency)
    pe[:, 1::2] = np.cos(position * frequency[:d // 2])
    return pe


def positional_encoding_stacked(T, d):
    angles = np.arange(T)[:, None] / 10000 ** (np.arange(0, d, 2) / d)
    return np.stack([np.sin(angles), np.cos(angles)], axis=-1).reshape(T, -1)[:, :d]


ANSWERS = [("causal_mask", causal_mask), ("scaled_dot_product_attention", scaled_dot_product_attention),
           ("attention_backward", attention_backward), ("split_heads", split_heads), ("merge_heads", merge_heads),
           ("multi_head_attention", multi_head_attention),
           ("multi_head_attention", multi_head_attention_with_a_for_statement),
           ("positional_encoding", positional_encoding), ("positional_encoding", positional_encoding_stacked)]


def test_every_exercise_has_an_answer_here():
    assert {name for name, _ in ANSWERS} == set(judge.plan(LESSON))


@pytest.mark.parametrize("name, answer", ANSWERS, ids=[fn.__name__ for _, fn in ANSWERS])
def test_a_correct_answer_unlike_the_reference_passes(name, answer, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)          # exp of -inf - (-inf) in the masked softmax
        getattr(checks, f"check_{name}")(answer)
        verdict = judge.judge_function(LESSON, name, answer)
    assert "✓" in capsys.readouterr().out
    assert verdict.passed, verdict.message
