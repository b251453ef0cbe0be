"""Lesson 5's character language model: the text (helpers/char_text.py) and the layers (helpers/language_model.py).

The recurrent layers take the notebook's functions; here they get plain ones written in this file.
"""
from __future__ import annotations

import numpy as np
import pytest

from helpers import char_text, language_model
from helpers.gradcheck import numerical_gradient
from helpers.lstm import LSTMLayer


def rnn_forward(xs, h0, Wx, Wh, b):
    hs, h = [], h0
    for t in range(xs.shape[1]):
        h = np.tanh(h @ Wh + xs[:, t] @ Wx + b)
        hs.append(h)
    return np.stack(hs, axis=1)


def rnn_backward(dhs, xs, h0, hs, Wx, Wh):
    dxs, dWx, dWh, db, dh = np.zeros_like(xs), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0]), 0.0
    for t in reversed(range(xs.shape[1])):
        dz = (dhs[:, t] + dh) * (1 - hs[:, t] ** 2)
        h_prev = h0 if t == 0 else hs[:, t - 1]
        dxs[:, t], dh = dz @ Wx.T, dz @ Wh.T
        dWx, dWh, db = dWx + xs[:, t].T @ dz, dWh + h_prev.T @ dz, db + dz.sum(axis=0)
    return dxs, dh, dWx, dWh, db


def lstm_forward(xs, h0, c0, W, b):
    layer = LSTMLayer(W, b, dtype=np.float64)
    return layer.forward(xs, h0, c0), layer.cells()


def lstm_backward(dhs, xs, h0, c0, hs, cs, W, b):
    layer = LSTMLayer(W, b, dtype=np.float64)
    layer.forward(xs, h0, c0)
    return layer.backward(dhs)


def clip(grads, max_norm):
    norm = float(np.sqrt(sum((g ** 2).sum() for g in grads)))
    return [g * min(1.0, max_norm / norm) for g in grads], norm


def model(kind: str, tied: bool, V: int = 5, H: int = 4, seed: int = 0) -> language_model.LanguageModel:
    if kind == "lstm":
        return language_model.lstm_model(lstm_forward, lstm_backward, V, H, tied, seed)
    return language_model.rnn_model(rnn_forward, rnn_backward, V, H, tied, seed)


# ---- the text -------------------------------------------------------------------------------------

def test_shipped_text_uses_only_the_alphabet_and_round_trips():
    text = char_text.load_text()
    assert len(text) > 2_000_000 and set(text) == set(char_text.LETTERS.symbols)
    assert "  " not in text and text.startswith("anarchism is a political philosophy")
    ids = char_text.LETTERS.encode(text[:1000])
    assert ids.dtype == np.int64 and ids.max() < len(char_text.LETTERS)
    assert char_text.LETTERS.decode(ids) == text[:1000]


def test_encode_names_characters_outside_the_alphabet():
    with pytest.raises(ValueError, match=r"got '\.A'"):
        char_text.LETTERS.encode("a.A")


def test_streams_cut_the_text_into_contiguous_rows():
    rows = char_text.streams(np.arange(23), 4)
    np.testing.assert_array_equal(rows, np.arange(20).reshape(4, 5))
    with pytest.raises(ValueError, match="N: expected 1 … 23 streams"):
        char_text.streams(np.arange(23), 24)


# ---- the layers -----------------------------------------------------------------------------------

def test_embedding_backward_adds_up_repeated_ids():
    W = np.arange(6.0).reshape(3, 2)
    layer = language_model.Embedding(W)
    np.testing.assert_array_equal(layer.forward(np.array([[2, 0, 2]])), W[[[2, 0, 2]]])
    layer.backward(np.ones((1, 3, 2)))
    np.testing.assert_array_equal(layer.grads[0], [[1, 1], [0, 0], [2, 2]])


def test_time_affine_needs_its_own_weight_or_an_embedding():
    with pytest.raises(ValueError, match="either its own W or tied_to"):
        language_model.TimeAffine(None, np.zeros(3))


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
@pytest.mark.parametrize("tied", [True, False], ids=["tied", "untied"])
def test_model_gradients_agree_with_central_differences(kind, tied):
    net = model(kind, tied)
    rng = np.random.default_rng(1)
    ids, targets = rng.integers(0, 5, size=(3, 6)), rng.integers(0, 5, size=(3, 6))
    net.loss(ids, targets)
    net.backward()
    assert len(net.params) == (5 if kind == "lstm" else 6) - tied      # embedding, recurrent, output
    for p, g in zip(net.params, net.grads):
        def loss(value, p=p):
            saved = p.copy()
            p[...] = value
            net.recurrent.reset_state()
            result = net.loss(ids, targets)
            p[...] = saved
            return result
        numeric = numerical_gradient(loss, p.copy())
        # measured against the largest entry: central differences leave ~1e-10 on entries near 0
        assert np.abs(g - numeric).max() < 1e-6 * np.abs(numeric).max(), p.shape


def test_tied_output_reuses_the_embedding():
    tied, untied = model("lstm", True), model("lstm", False)
    assert np.shares_memory(tied.out.W, tied.embed.params[0])
    assert untied.count() - tied.count() == 5 * 4          # one V × H matrix fewer


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_state_is_carried_from_chunk_to_chunk_until_reset(kind):
    net = model(kind, tied=True)
    ids = np.random.default_rng(2).integers(0, 5, size=(2, 8))
    whole = net.scores(ids)
    net.recurrent.reset_state()
    halves = np.concatenate([net.scores(ids[:, :4]), net.scores(ids[:, 4:])], axis=1)
    np.testing.assert_allclose(halves, whole, rtol=1e-12)
    net.recurrent.reset_state()
    np.testing.assert_allclose(net.scores(ids[:, 4:]), model(kind, tied=True).scores(ids[:, 4:]), rtol=1e-12)


def test_generate_is_seeded_and_follows_the_temperature():
    net = model("lstm", tied=False)
    start = np.array([1, 2])
    a = net.generate(start, 30, np.random.default_rng(3))
    assert a.shape == (30,) and a.min() >= 0 and a.max() < 5
    np.testing.assert_array_equal(a, net.generate(start, 30, np.random.default_rng(3)))
    net.out.params[-1][...] = [0, 0, 3, 0, 0]               # make character 2 the likeliest everywhere
    cold = net.generate(start, 30, np.random.default_rng(4), temperature=0.01)
    np.testing.assert_array_equal(cold, 2)
    with pytest.raises(ValueError, match="start: expected a non-empty 1-D array"):
        net.generate(np.array([], dtype=int), 5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="temperature: expected a number above 0, got 0"):
        net.generate(start, 5, np.random.default_rng(0), temperature=0)


def test_training_learns_a_repeating_text_and_records_its_history():
    ids = np.tile(np.array([1, 2, 3, 4, 0]), 200)
    rows = char_text.streams(ids, 4)
    net = model("lstm", tied=True, H=8)
    history = language_model.train(net, clip, rows, rows, steps=60, T=10, lr=5e-2, evaluate_every=20)
    assert history["loss"].shape == (60,)
    np.testing.assert_array_equal(history["valid_steps"], [0, 20, 40, 60])
    assert history["valid_loss"][0] > 1.4 and history["valid_loss"][-1] < 0.1     # ln 5 ≈ 1.6 at the start
