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


@settings(max_examples=40, deadline=None)
@given(counts=st.lists(st.integers(1, 10 ** 6), min_size=1, max_size=30))
def test_alias_table_holds_exactly_the_distribution(counts):
    p = w2v.noise_distribution(np.array(counts))
    accept, alias = w2v.alias_table(p)
    assert ((0 <= accept) & (accept <= 1)).all() and ((0 <= alias) & (alias < len(p))).all()
    # column i gives accept[i]/V to word i and the rest of its 1/V to alias[i]
    held = (accept + np.bincount(alias, weights=1 - accept, minlength=len(p))) / len(p)
    np.testing.assert_allclose(held, p, rtol=1e-9, atol=1e-15)


def test_alias_draws_follow_the_distribution():
    p = w2v.noise_distribution(np.array([1000, 300, 100, 30, 10, 3, 1]))
    draws = w2v.draw_alias(*w2v.alias_table(p), (20000, 5), np.random.default_rng(2))
    assert draws.shape == (20000, 5)
    observed, expected = np.bincount(draws.reshape(-1), minlength=len(p)), p * draws.size
    assert ((observed - expected) ** 2 / expected).sum() < 27.0         # χ²(6) at p = 1e-4 is about 27.9


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
    ids = np.arange(100, 112, dtype=np.int32)
    sentence = np.array([0] * 5 + [1] * 7, dtype=np.int32)
    padded, real = w2v.epoch_windows(ids, sentence, 3, np.random.default_rng(0))
    assert padded.shape == (18,) and real.shape == (12, 7)
    np.testing.assert_array_equal(padded[3:15], ids)
    for t in range(12):
        assert not real[t, 3]                                           # the centre is not its own context
        for j in np.flatnonzero(real[t]):
            position = t + j - 3
            assert 0 <= position < 12 and sentence[position] == sentence[t] and padded[t + j] == ids[position]
    assert not real[4, 4:].any() and not real[5, :3].any()      # nothing crosses the sentence boundary
    assert not real[0, :3].any() and not real[11, 4:].any()     # nor the ends of the corpus
    many = w2v.epoch_windows(np.arange(3000, dtype=np.int32), np.zeros(3000, np.int32), 3,
                             np.random.default_rng(1))[1]
    assert many[:, 2].sum() > many[:, 1].sum() > many[:, 0].sum()       # distance 1 is reached more often than 3
    np.testing.assert_array_equal(many[3:-3], many[3:-3, ::-1])         # as far left as right, inside a sentence


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 12), J=st.integers(1, 7), D=st.integers(1, 5), seed=st.integers(0, 2 ** 16))
def test_band_transpose_is_the_gradient_of_the_band(n, J, D, seed):
    rng = np.random.default_rng(seed)
    X, weights, upstream = rng.normal(size=(n + J - 1, D)), rng.normal(size=(n, J)), rng.normal(size=(n, D))
    np.testing.assert_array_equal(w2v._band(X, n), [[X[t + j] for j in range(J)] for t in range(n)])
    # out[t] = Σ_j weights[t, j] X[t + j], so X[t + j] receives weights[t, j] · upstream[t]
    expected = np.zeros_like(X)
    for t in range(n):
        for j in range(J):
            expected[t + j] += weights[t, j] * upstream[t]
    np.testing.assert_allclose(w2v._band_transpose(weights, upstream), expected, rtol=1e-12, atol=1e-12)
    loss = lambda X_: float((np.einsum("nj,njd->nd", weights, w2v._band(X_, n)) * upstream).sum())  # noqa: E731
    # central differences carry ~1e-10 of rounding: an absolute floor keeps near-zero entries from failing
    np.testing.assert_allclose(w2v._band_transpose(weights, upstream), numerical_gradient(loss, X),
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("D", [3, 4])
def test_scatter_add_adds_every_repeated_row(dtype, D):
    rng = np.random.default_rng(D)
    W = rng.normal(size=(6, D)).astype(dtype)
    rows, grads = rng.integers(0, 6, size=40), rng.normal(size=(40, D)).astype(dtype)
    expected = W.astype(np.float64)
    for r, g in zip(rows, grads):
        expected[r] += g
    w2v._scatter_add(W, rows, grads)
    assert W.dtype == dtype
    np.testing.assert_allclose(W, expected, rtol=1e-5 if dtype == np.float32 else 1e-12)


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
    """The loss the trainer's CBOW step descends; centre n uses the negatives of its group n // G."""
    G = -(-len(centres) // len(negatives))
    loss = 0.0
    for n, c in enumerate(centres):
        real = [ctx[n, j] for j in np.flatnonzero(valid[n])]
        if not real:
            continue
        h = np.mean([W_in[o] for o in real], axis=0)
        loss -= np.log(w2v.sigmoid(h @ W_out[c]))
        loss -= sum(np.log(w2v.sigmoid(-(h @ W_out[neg]))) for neg in negatives[n // G] if neg != c)
    return loss


# (mode, centres in the batch, rows of negatives): CBOW groups of 1, 2, 3 and 4 centres (the last one short)
@pytest.mark.parametrize("mode, N, M", [("skipgram", 6, 6), ("cbow", 6, 6), ("cbow", 6, 3), ("cbow", 6, 2),
                                        ("cbow", 7, 2)])
def test_a_trainer_step_is_one_gradient_descent_step(mode, N, M):
    rng = np.random.default_rng(3)
    V, D = 9, 4
    ids = rng.integers(0, V, size=40).astype(np.int32)
    sentence = np.repeat(np.arange(4), 10).astype(np.int32)
    sentence[13:] += 1
    sentence[14:] += 1                                                 # token 13 is a sentence of one word: no context
    padded, real = w2v.epoch_windows(ids, sentence, 2, rng)
    window_ids, valid = padded[8:8 + N + 4], real[8:8 + N]             # centres 8.. and 2 words either side
    ctx = np.array([window_ids[n:n + 5] for n in range(N)])
    centres, negatives = ids[8:8 + N], rng.integers(0, V, size=(M, 3))
    assert not valid[5].any() and valid[4].any()
    negatives[0, 0] = centres[0]                                       # a negative equal to its positive is skipped
    W_in, W_out = rng.normal(size=(V, D)) * 0.3, rng.normal(size=(V, D)) * 0.3
    step, loss_fn = ((w2v._skipgram_step, _step_loss_skipgram) if mode == "skipgram"
                     else (w2v._cbow_step, _step_loss_cbow))
    new_in, new_out, lr = W_in.copy(), W_out.copy(), 0.1
    loss = step(new_in, new_out, window_ids, valid, negatives, lr)
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


@pytest.mark.parametrize("change, message", [({"mode": "glove"}, "mode must be 'skipgram' or 'cbow'"),
                                             ({"ids": np.zeros(4, np.int32)}, "got 4 ids, 3 sentence numbers"),
                                             ({"window": 0}, "window must be at least 1, got 0"),
                                             ({"batch": -2}, "batch must be at least 1, got -2")])
def test_train_names_the_bad_argument(change, message):
    arguments = {"ids": np.zeros(3, np.int32), "sentence": np.zeros(3, np.int32), "counts": np.array([3]),
                 "words": ["a"], **change}
    with pytest.raises(ValueError, match=message):
        w2v.train(**arguments)
