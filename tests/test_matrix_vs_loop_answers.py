"""Lesson 1: right answers written otherwise than the reference pass the visible check and the grader's judge.

Mutants (tests/mutants/matrix_vs_loop.py) prove that wrong answers fail; these prove the opposite half of
fairness: what the lesson allows (another formula, float32 inputs, two loops written as a nested
comprehension, a loop in disguise where loops are asked for) is not rejected.
"""
from __future__ import annotations

import textwrap
import warnings

import numpy as np
import pytest

from helpers.grading import judge
from tests.notebooks import run_source

LESSON = "01_matrix_vs_loop"

CELL = '''
def window_matrix(sentence, E, w):
    padded = np.pad(sentence, w)
    return E[np.lib.stride_tricks.sliding_window_view(padded, 2 * w + 1)].reshape(len(sentence), -1)

def score_windows(X, W, b, u):
    return np.einsum("nh,h->n", np.tanh(np.einsum("nk,kh->nh", X, W) + b), u)

def cosine_similarity_matrix(A):
    norms = np.linalg.norm(A, axis=1)
    return (A @ A.T) / np.outer(norms + 1e-12, norms + 1e-12)

def softmax_rows(Z):
    m = np.max(Z, axis=1, keepdims=True)
    log_sum = m + np.log(np.sum(np.exp(Z - m), axis=1, keepdims=True))
    return np.exp(Z - log_sum)

def log_softmax_rows(Z):
    for axis in (1,):                                   # a loop over a fixed list written out is allowed
        m = Z.max(axis=axis, keepdims=True)
    return Z - (m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True)))

def pairwise_sq_distances_two_loops(A, B):
    return np.array([[((a - b) @ (a - b)) for b in B] for a in A]).reshape(len(A), len(B))

def pairwise_sq_distances_one_loop(A, B):
    return np.array(list(map(lambda a: np.square(a - B).sum(axis=1), A))).reshape(len(A), len(B))

def pairwise_sq_distances_broadcast(A, B):
    differences = A[:, None, :] - B[None, :, :]
    return np.einsum("nmd,nmd->nm", differences, differences)

def pairwise_sq_distances(A, B):
    centre = np.concatenate([A, B]).mean(axis=0)        # centred first: less cancellation
    A, B = A - centre, B - centre
    return np.clip(np.sum(A * A, axis=1)[:, None] + np.sum(B * B, axis=1) - 2 * A @ B.T, 0, None)
'''

LOOPS_THE_LESSON_ALLOWS = '''
def pairwise_sq_distances_two_loops(A, B):
    out = np.empty((len(A), len(B)), dtype=np.float32)  # float32 is held to its own precision
    i = 0
    while i < len(A):
        for j, b in enumerate(B):
            out[i, j] = np.sum((A[i] - b) ** 2)
        i += 1
    return out

def pairwise_sq_distances_one_loop(A, B):
    out = np.zeros((len(A), len(B)))
    for j in range(len(B)):                             # one loop, over B's rows this time
        out[:, j] = ((A - B[j]) ** 2).sum(axis=1)
    return out
'''


def _functions(source: str, name: str) -> dict:
    namespace = {"np": np}
    run_source(textwrap.dedent(source), namespace, f"<right answers {name}>")
    return namespace


EXERCISES = [exercise.name for exercise in judge.hidden_tests(LESSON).EXERCISES]
ANSWERS = [(name, fn) for source in (CELL, LOOPS_THE_LESSON_ALLOWS)
           for name, fn in _functions(source, str(len(source))).items() if name in EXERCISES]


@pytest.mark.parametrize("name, fn", ANSWERS, ids=[f"{name}@{i}" for i, (name, _) in enumerate(ANSWERS)])
def test_a_right_answer_written_otherwise_passes_both_judges(name, fn, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                 # a zero row divides 0 by 1e-24 on purpose
        verdict = judge.judge_function(LESSON, name, fn)
    assert verdict.passed, verdict.message
    getattr(judge.check_module(LESSON), f"check_{name}")(fn)
    assert "✓" in capsys.readouterr().out
