"""Lesson 4's ending: the loop that trains skip-gram with the student's functions, the count-based
baseline it is compared with, the stored comparison, and the readable PCA map."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import ppmi, word2vec, word2vec_view, word_eval
from helpers.skipgram_training import LESSON_SETTINGS, NotTrained, keep_probabilities, skipgram_pairs, train_skipgram


def _pairs_by_loop(ids, sentence, window, reach):
    pairs = []
    for t in range(len(ids)):
        for u in range(len(ids)):
            if u != t and sentence[u] == sentence[t] and abs(u - t) <= reach[t]:
                pairs.append((int(ids[t]), int(ids[u])))
    return sorted(pairs)


@settings(max_examples=30, deadline=None)
@given(T=st.integers(2, 30), window=st.integers(1, 4), seed=st.integers(0, 2 ** 16))
def test_skipgram_pairs_are_every_pair_within_each_centres_reach(T, window, seed):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, 50, size=T)
    sentence = np.sort(rng.integers(0, 3, size=T))
    centres, contexts = skipgram_pairs(ids, sentence, window, np.random.default_rng(seed + 1))
    reach = np.random.default_rng(seed + 1).integers(1, window + 1, size=T)      # the draw skipgram_pairs makes
    assert sorted(zip(centres.tolist(), contexts.tolist())) == _pairs_by_loop(ids, sentence, window, reach)


def test_near_words_are_paired_more_often_than_far_ones():
    ids = np.arange(20000)
    centres, contexts = skipgram_pairs(ids, np.zeros(20000, np.int64), 4, np.random.default_rng(0))
    distance = np.bincount(np.abs(contexts - centres), minlength=5)[1:]
    np.testing.assert_allclose(distance / (2 * 20000), [1, 0.75, 0.5, 0.25], atol=0.01)   # (w − d + 1) / w


def test_training_with_the_reference_functions_finds_the_structure_of_a_toy_corpus():
    rng = np.random.default_rng(0)
    topics = [np.arange(0, 10), np.arange(10, 20)]
    sentences = [rng.choice(topics[s % 2], size=12) for s in range(600)]
    ids = np.concatenate(sentences)
    sentence = np.repeat(np.arange(len(sentences)), 12)
    counts = np.bincount(ids, minlength=20)
    calls = []

    def sampler(counts_, positives, k, rng_):
        calls.append(len(positives))
        return word2vec.sample_negatives(counts_, positives, k, rng_)

    trained = train_skipgram(ids, sentence, counts, sampler, word2vec.sgns_loss_and_grads, dim=8, window=3, negative=5,
                             epochs=3, lr=0.05, batch=256, sample=0, seed=1, progress=False)
    assert trained.vectors.shape == (20, 8) and trained.vectors.dtype == np.float32
    assert sum(calls) == trained.pairs and max(calls) == 256      # the given sampler drew every pair's negatives
    assert np.mean(trained.losses[-10:]) < np.mean(trained.losses[:3]) < 4.2
    for i in (0, 13):
        same = {j for j in range(20) if (j < 10) == (i < 10)}
        assert set(word2vec.nearest_neighbours(trained.vectors, i, 5).tolist()) <= same


@pytest.mark.parametrize("change, message", [({"window": 0}, "window must be at least 1, got 0"),
                                             ({"batch": -1}, "batch must be at least 1, got -1"),
                                             ({"ids": np.zeros(4, np.int64)}, "got 4 ids, 3 sentence numbers")])
def test_train_skipgram_names_the_bad_argument(change, message):
    arguments = {"ids": np.zeros(3, np.int64), "sentence": np.zeros(3, np.int64), "counts": np.array([3]),
                 "sample_negatives": word2vec.sample_negatives, "sgns_loss_and_grads": word2vec.sgns_loss_and_grads,
                 **LESSON_SETTINGS, **change}
    with pytest.raises(ValueError, match=message):
        train_skipgram(**arguments)


def test_an_untrained_result_says_so_as_a_not_implemented_error():
    untrained = NotTrained("train first")
    with pytest.raises(NotImplementedError, match="train first") as raised:
        untrained.vectors
    assert raised.value._render_traceback_() == ["✗ train first"]


def test_keep_probabilities_keep_rare_words_and_drop_frequent_ones():
    keep = keep_probabilities(np.array([1e6, 1e4, 10.0]), 1e-4)
    assert keep[0] < 0.05 and keep[2] == 1.0


def test_cooccurrences_weigh_each_distance_like_the_dynamic_window():
    ids = np.array([0, 1, 2, 0, 3])
    sentence = np.array([0, 0, 0, 0, 1])
    rows, cols, counts = ppmi.cooccurrences(ids, sentence, 4, 2)
    dense = np.zeros((4, 4))
    dense[rows, cols] = counts
    expected = np.zeros((4, 4))
    for t in range(5):
        for u in range(5):
            if u != t and sentence[u] == sentence[t] and abs(u - t) <= 2:
                expected[ids[t], ids[u]] += (2 - abs(u - t) + 1) / 2
    np.testing.assert_allclose(dense, expected)


def test_ppmi_matrix_follows_its_formula():
    rng = np.random.default_rng(3)
    C = rng.integers(0, 5, size=(6, 6)).astype(float)
    rows, cols = np.nonzero(C)
    M = ppmi.ppmi_matrix(rows, cols, C[rows, cols], 6, 4, alpha=0.75)
    N, smoothed = C.sum(), C.sum(0) ** 0.75
    with np.errstate(divide="ignore"):
        pmi = np.log(C / N) - np.log(C.sum(1, keepdims=True) / N) - np.log(smoothed / smoothed.sum())
    np.testing.assert_allclose(M, np.maximum(pmi, 0)[:, :4], rtol=1e-5)
    assert M.dtype == np.float32


def test_randomized_svd_finds_the_top_singular_directions():
    rng = np.random.default_rng(4)
    M = (rng.normal(size=(60, 5)) @ np.diag([9, 7, 5, 3, 1.0]) @ rng.normal(size=(5, 40))).astype(np.float32)
    U, S = ppmi.truncated_svd(M, 3, np.random.default_rng(0))
    U_exact, S_exact, _ = np.linalg.svd(M.astype(np.float64))
    np.testing.assert_allclose(S, S_exact[:3], rtol=1e-4)
    np.testing.assert_allclose(np.abs(U.T @ U_exact[:, :3]), np.eye(3), atol=1e-3)


def test_the_stored_comparison_was_made_with_the_lessons_settings():
    stored = word_eval.load_comparison()
    assert stored["made_by"] == "scripts/make_word2vec_comparison.py"
    assert stored["settings"] == LESSON_SETTINGS
    for row in stored["table"].values():
        assert len(row["runs"]) == stored["seeds"] >= 3
        assert row["wordsim_rho"]["mean"] == pytest.approx(np.mean([run["wordsim_rho"] for run in row["runs"]]))
    curve = stored["curve"]
    assert curve["fractions"] == [0.125, 0.25, 0.5, 1.0] and curve["tokens"] == sorted(curve["tokens"])
    assert all(len(curve[name]) == 4 for name in ("lesson loop", "PPMI + SVD"))


def test_pca_map_labels_do_not_cover_each_other():
    rng = np.random.default_rng(5)
    words = [f"word{i}" for i in range(30)]
    vectors = rng.normal(size=(30, 10)) + np.repeat(rng.normal(size=(3, 10)) * 3, 10, axis=0)
    groups = {f"group {g}": words[10 * g:10 * g + 10] for g in range(3)}
    fig = word2vec_view.pca_map(vectors, {w: i for i, w in enumerate(words)}, groups)
    renderer = fig.canvas.get_renderer()
    boxes = [text.get_window_extent(renderer) for text in fig.axes[0].texts]
    assert len(boxes) == 30
    overlapping = [(a, b) for n, a in enumerate(boxes) for b in boxes[n + 1:] if a.overlaps(b)]
    assert not overlapping


def test_a_widget_says_in_one_line_what_is_not_ready():
    assert word2vec_view.not_ready(NotImplementedError("Your vectors are not trained yet")) == \
        "✗ Your vectors are not trained yet"
