"""Lesson 4's reference code: gradients against central differences, the sampler's distribution,
the trainer's update rule, and that training on a corpus with obvious structure finds it."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import word2vec as w2v
from helpers.gradcheck import numerical_gradient, relative_error


def _problem(seed: int, V: int = 7, D: int = 3, B: int = 5, k: int = 3):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(V, D)), rng.normal(size=(V, D)), rng.integers(0, V, size=B),
            rng.integers(0, V, size=B), rng.integers(0, V, size=(B, k)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sgns_gradients_match_central_differences(seed):
    W_in, W_out, c, o, n = _problem(seed)
    _, dW_in, dW_out = w2v.sgns_loss_and_grads(W_in, W_out, c, o, n)
    loss_of_in = lambda W: w2v.sgns_loss_and_grads(W, W_out, c, o, n)[0]  # noqa: E731
    loss_of_out = lambda W: w2v.sgns_loss_and_grads(W_in, W, c, o, n)[0]  # noqa: E731
    assert relative_error(dW_in, numerical_gradient(loss_of_in, W_in)) < 1e-6
    assert relative_error(dW_out, numerical_gradient(loss_of_out, W_out)) < 1e-6


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cbow_gradients_match_central_differences(seed):
    W_in, W_out, c, _, n = _problem(seed)
    ctx = np.random.default_rng(seed + 10).integers(0, len(W_in), size=(len(c), 4))
    _, dW_in, dW_out = w2v.cbow_loss_and_grads(W_in, W_out, ctx, c, n)
    loss_of_in = lambda W: w2v.cbow_loss_and_grads(W, W_out, ctx, c, n)[0]  # noqa: E731
    loss_of_out = lambda W: w2v.cbow_loss_and_grads(W_in, W, ctx, c, n)[0]  # noqa: E731
    assert relative_error(dW_in, numerical_gradient(loss_of_in, W_in)) < 1e-6
    assert relative_error(dW_out, numerical_gradient(loss_of_out, W_out)) < 1e-6


@settings(max_examples=40, deadline=None)
@given(V=st.integers(1, 9), D=st.integers(1, 4), shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       seed=st.integers(0, 2 ** 16))
def test_embedding_backward_is_the_transpose_of_the_one_hot_product(V, D, shape, seed):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, V, size=shape)
    grad = rng.normal(size=(*shape, D))
    one_hot = np.eye(V)[idx.reshape(-1)]                     # (n, V): forward is one_hot @ W
    np.testing.assert_allclose(w2v.embedding_backward(grad, idx, V), one_hot.T @ grad.reshape(-1, D), atol=1e-12)
    np.testing.assert_array_equal(w2v.embedding_forward(np.arange(V * D).reshape(V, D), idx).shape, (*shape, D))


@settings(max_examples=60, deadline=None)
@given(s=st.floats(-1e3, 1e3), y=st.sampled_from([0.0, 1.0]))
def test_bce_is_finite_and_matches_its_definition(s, y):
    loss, grad = w2v.bce_with_logits(np.array([s]), np.array([y]))
    assert np.isfinite(loss).all() and np.isfinite(grad).all() and loss[0] >= 0
    if abs(s) < 30:
        # −log σ(s) = log(1 + e^{−s}) and −log(1 − σ(s)) = log(1 + e^{s}), in a form that stays exact
        # where 1 − σ(s) would cancel
        assert np.isclose(loss[0], y * np.logaddexp(0, -s) + (1 - y) * np.logaddexp(0, s), rtol=1e-9, atol=1e-12)
        h = 1e-5
        numeric = (w2v.bce_with_logits(np.array([s + h]), np.array([y]))[0][0]
                   - w2v.bce_with_logits(np.array([s - h]), np.array([y]))[0][0]) / (2 * h)
        assert np.isclose(grad[0], numeric, atol=1e-6)


def test_sampler_follows_counts_to_the_three_quarters_and_avoids_positives():
    counts = np.array([1000, 300, 100, 30, 10, 3, 1])
    positives = np.random.default_rng(0).integers(0, len(counts), size=20000)
    negatives = w2v.sample_negatives(counts, positives, 5, np.random.default_rng(1))
    assert negatives.shape == (20000, 5) and not (negatives == positives[:, None]).any()
    p = counts ** 0.75 / (counts ** 0.75).sum()
    # each row is p without its positive, renormalised: average those distributions
    expected = sum(np.bincount(positives, minlength=len(p))[j] * np.where(np.arange(len(p)) == j, 0, p) / (1 - p[j])
                   for j in range(len(p))) * 5
    observed = np.bincount(negatives.reshape(-1), minlength=len(p))
    chi2 = ((observed - expected) ** 2 / expected).sum()
    assert chi2 < 27.0          # χ²(6) at p = 1e-4 is about 27.9
    p1 = counts / counts.sum()
    wrong = sum(np.bincount(positives, minlength=len(p))[j] * np.where(np.arange(len(p)) == j, 0, p1) / (1 - p1[j])
                for j in range(len(p))) * 5
    assert ((observed - wrong) ** 2 / wrong).sum() > 100    # the test can tell 0.75 from 1


def test_keep_probabilities_follow_the_word2vec_rule():
    counts = np.array([9000.0, 900.0, 90.0, 10.0])
    keep = w2v.keep_probabilities(counts, 1e-2)
    f = counts / counts.sum()
    np.testing.assert_allclose(keep, np.minimum((np.sqrt(f / 1e-2) + 1) * 1e-2 / f, 1))
    assert keep[0] < keep[1] < keep[2] <= keep[3] == 1.0
    np.testing.assert_array_equal(w2v.keep_probabilities(counts, 0), 1.0)


def test_nearest_neighbours_and_analogy_on_a_made_up_space():
    # a : b = c : d exactly (d = b − a + c on unit vectors), plus distractors
    E = np.array([[1.0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [-1, 1, 1, 0], [0.9, 0.1, 0, 0], [0, 0, 0, 1]])
    E[3] /= np.linalg.norm(E[3])
    assert w2v.analogy(E, 0, 1, 2, 1).tolist() == [3]
    assert w2v.nearest_neighbours(E, 0, 1).tolist() == [4]
    assert 0 not in w2v.nearest_neighbours(E, 0, 5).tolist()


def test_windows_stay_in_their_sentence_and_reach():
    ids = np.arange(12, dtype=np.int32)
    sentence = np.array([0] * 5 + [1] * 7, dtype=np.int32)
    ctx, valid = w2v._windows(ids, sentence, 0, 12, 3, np.random.default_rng(0))
    offsets = np.r_[-3:0, 1:4]
    for t in range(12):
        for j in np.flatnonzero(valid[t]):
            assert sentence[ctx[t, j]] == sentence[t] and ctx[t, j] == t + offsets[j]
    assert not valid[4, 3:].any() and not valid[5, :3].any()     # nothing crosses the sentence boundary
    assert valid[:, 2].sum() > valid[:, 0].sum()                # a window reaches distance 1 more often than 3


def _step_loss_skipgram(W_in, W_out, centres, ctx, valid, negatives):
    """The loss the trainer's skip-gram step descends, written pair by pair."""
    loss = 0.0
    for n, c in enumerate(centres):
        real = [ctx[n, j] for j in np.flatnonzero(valid[n])]
        for o in real:
            loss -= np.log(w2v.sigmoid(W_in[c] @ W_out[o]))
        for neg in negatives[n]:
            if neg not in real:
                loss -= len(real) * np.log(w2v.sigmoid(-(W_in[c] @ W_out[neg])))
    return loss


def _step_loss_cbow(W_in, W_out, centres, ctx, valid, negatives):
    loss = 0.0
    for n, c in enumerate(centres):
        real = [ctx[n, j] for j in np.flatnonzero(valid[n])]
        if not real:
            continue
        h = np.mean([W_in[o] for o in real], axis=0)
        loss -= np.log(w2v.sigmoid(h @ W_out[c]))
        loss -= sum(np.log(w2v.sigmoid(-(h @ W_out[neg]))) for neg in negatives[n] if neg != c)
    return loss


@pytest.mark.parametrize("mode", ["skipgram", "cbow"])
def test_a_trainer_step_is_one_gradient_descent_step(mode):
    rng = np.random.default_rng(3)
    V, D, N = 9, 4, 6
    ids = rng.integers(0, V, size=40).astype(np.int32)
    sentence = np.repeat(np.arange(4), 10).astype(np.int32)
    ctx, valid = w2v._windows(ids, sentence, 8, 8 + N, 2, rng)
    centres, negatives = ids[8:8 + N], rng.integers(0, V, size=(N, 3))
    W_in, W_out = rng.normal(size=(V, D)) * 0.3, rng.normal(size=(V, D)) * 0.3
    step, loss_fn = ((w2v._skipgram_step, _step_loss_skipgram) if mode == "skipgram"
                     else (w2v._cbow_step, _step_loss_cbow))
    new_in, new_out, lr = W_in.copy(), W_out.copy(), 0.1
    loss = step(new_in, new_out, centres, ctx, valid, negatives, lr)
    assert np.isclose(loss, loss_fn(W_in, W_out, centres, ctx, valid, negatives), rtol=1e-5)
    grad_in = numerical_gradient(lambda W: loss_fn(W, W_out, centres, ctx, valid, negatives), W_in)
    grad_out = numerical_gradient(lambda W: loss_fn(W_in, W, centres, ctx, valid, negatives), W_out)
    assert relative_error(new_in - W_in, -lr * grad_in) < 1e-5
    assert relative_error(new_out - W_out, -lr * grad_out) < 1e-5


@pytest.mark.parametrize("mode", ["skipgram", "cbow"])
def test_training_finds_the_structure_of_a_toy_corpus(mode):
    # two topics; a sentence only ever mixes words of one topic
    rng = np.random.default_rng(0)
    topics = [np.arange(0, 10), np.arange(10, 20)]
    sentences = [rng.choice(topics[s % 2], size=12) for s in range(1200)]
    ids = np.concatenate(sentences).astype(np.int32)
    sentence = np.repeat(np.arange(len(sentences)), 12).astype(np.int32)
    counts = np.bincount(ids, minlength=20)
    words = [f"w{i}" for i in range(20)]
    model = w2v.train(ids, sentence, counts, words, mode=mode, dim=16, window=3, epochs=3, sample=0,
                      seed=1, progress=False)
    assert model.vectors.dtype == np.float32 and model.vectors.shape == (20, 16)
    assert np.mean(model.losses[-20:]) < np.mean(model.losses[:5])
    for i in (0, 13):
        same = {j for j in range(20) if (j < 10) == (i < 10)}
        assert set(w2v.nearest_neighbours(model.vectors, i, 5).tolist()) <= same
    assert model.words_per_second > 0 and model.neighbours("w0", 3)[0][0] in {f"w{j}" for j in range(10)}


def test_train_rejects_an_unknown_mode():
    with pytest.raises(ValueError, match="mode"):
        w2v.train(np.zeros(3, np.int32), np.zeros(3, np.int32), np.array([3]), ["a"], mode="glove")
