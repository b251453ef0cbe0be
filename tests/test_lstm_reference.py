"""The reference LSTM layer (helpers/lstm.py), the fast one (helpers/lstm_fast.py), the recall task and
lesson 5's gradient-norm helpers."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import lstm, lstm_fast, lstm_view, memory_task
from helpers.gradcheck import numerical_gradient, relative_error


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _plain_lstm(xs, h0, c0, W, b):
    """The LSTM written gate by gate with separate products, for comparison: hs, cs (N, T, H)."""
    H = h0.shape[1]
    D = xs.shape[2]
    Wx, Wh = W[:D], W[D:]
    h, c, hs, cs = h0, c0, [], []
    for t in range(xs.shape[1]):
        pre = [xs[:, t] @ Wx[:, k * H:(k + 1) * H] + h @ Wh[:, k * H:(k + 1) * H] + b[k * H:(k + 1) * H]
               for k in range(4)]
        f, i, g, o = _sigmoid(pre[0]), _sigmoid(pre[1]), np.tanh(pre[2]), _sigmoid(pre[3])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
        cs.append(c)
    return np.stack(hs, axis=1), np.stack(cs, axis=1)


def _case(seed, N=3, T=5, D=4, H=3):
    rng = np.random.default_rng(seed)
    W = rng.normal(scale=0.8, size=(D + H, 4 * H))
    b = rng.normal(size=4 * H)
    return rng, rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H)), W, b


LAYERS = pytest.mark.parametrize("layer", [lstm.LSTMLayer, lstm_fast.LSTMLayer], ids=["reference", "fast"])


@LAYERS
def test_forward_matches_the_equations_gate_by_gate(layer):
    _, xs, h0, c0, W, b = _case(0)
    layer = layer(W, b, dtype=np.float64)
    hs_want, cs_want = _plain_lstm(xs, h0, c0, W, b)
    np.testing.assert_allclose(layer.forward(xs, h0, c0), hs_want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.cells(), cs_want, rtol=1e-12, atol=1e-12)
    gates = layer.gates()
    assert set(gates) == set(lstm.GATES) and all(g.shape == hs_want.shape for g in gates.values())


@LAYERS
@pytest.mark.parametrize("name", ["xs", "h0", "c0", "W", "b"])
def test_backward_agrees_with_central_differences(layer, name):
    rng, xs, h0, c0, W, b = _case(1)
    dhs, dh_last, dc_last = rng.normal(size=(3, 5, 3)), rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    inputs = {"xs": xs, "h0": h0, "c0": c0, "W": W, "b": b}

    def loss(value):
        args = dict(inputs, **{name: value})
        run = layer(args["W"], args["b"], dtype=np.float64)
        hs = run.forward(args["xs"], args["h0"], args["c0"])
        return np.sum(dhs * hs) + np.sum(dh_last * hs[:, -1]) + np.sum(dc_last * run.cells()[:, -1])

    run = layer(W, b, dtype=np.float64)
    run.forward(xs, h0, c0)
    grads = dict(zip(["xs", "h0", "c0", "W", "b"], run.backward(dhs, dh_last, dc_last)))
    # central differences are good to about 1e-6 here; a wrong term gives errors of order 1e-2 or more
    assert relative_error(grads[name], numerical_gradient(loss, inputs[name])) < 1e-5


def test_fast_layer_agrees_with_the_reference():
    rng, xs, h0, c0, W, b = _case(5, N=4, T=9, D=5, H=6)
    dhs, dh_last, dc_last = rng.normal(size=(4, 9, 6)), rng.normal(size=(4, 6)), rng.normal(size=(4, 6))
    results = []
    for layer in (lstm.LSTMLayer(W, b, dtype=np.float64), lstm_fast.LSTMLayer(W, b, dtype=np.float64)):
        hs = layer.forward(xs, h0, c0)
        gates = layer.gates()
        results.append([hs, layer.cells(), *(gates[name] for name in lstm.GATES), *layer.backward(dhs, dh_last, dc_last)])
    for reference, fast in zip(*results):
        np.testing.assert_allclose(fast, reference, rtol=1e-10, atol=1e-12)


@LAYERS
def test_float32_layer_agrees_with_float64(layer):
    rng, xs, h0, c0, W, b = _case(2, N=4, T=12, D=6, H=8)
    dhs = rng.normal(size=(4, 12, 8))
    results = []
    for dtype in (np.float32, np.float64):
        run = layer(W, b, dtype=dtype)
        hs = run.forward(xs, h0, c0)
        assert hs.dtype == dtype
        results.append([hs, *run.backward(dhs)])
    for single, double in zip(*results):
        assert single.dtype == np.float32
        np.testing.assert_allclose(single, double, rtol=1e-3, atol=1e-4)


@LAYERS
def test_bad_shapes_name_the_argument(layer):
    _, xs, h0, c0, W, b = _case(6)                  # N=3, T=5, D=4, H=3
    with pytest.raises(ValueError, match=r"W: expected shape \(D \+ H, 4H\)"):
        layer(W[:, :10], b)
    with pytest.raises(ValueError, match=r"b: expected shape \(12,\), got \(11,\)"):
        layer(W, b[:11])
    run = layer(W, b)
    with pytest.raises(ValueError, match=r"xs: expected shape \(3, ·, 4\), got \(3, 5, 2\)"):
        run.forward(xs[:, :, :2])
    with pytest.raises(ValueError, match=r"c0: expected shape \(3, 3\), got \(2, 3\)"):
        run.forward(xs, h0, c0[:2])
    run.forward(xs, h0, c0)
    with pytest.raises(ValueError, match=r"dhs: expected shape \(3, 5, 3\), got \(3, 4, 3\)"):
        run.backward(np.zeros((3, 4, 3)))


def test_init_params_sets_only_the_forget_bias():
    W, b = lstm.init_params(5, 3, np.random.default_rng(0), forget_bias=2.5)
    assert W.shape == (8, 12) and W.dtype == np.float32 and np.abs(W).max() <= 1 / np.sqrt(3)
    np.testing.assert_array_equal(b, [2.5] * 3 + [0.0] * 9)


def test_to_torch_order_reorders_gates_and_transposes():
    D, H = 2, 3
    W = np.arange((D + H) * 4 * H, dtype=float).reshape(D + H, 4 * H)
    b = np.arange(4 * H, dtype=float)
    w_ih, w_hh, bias = lstm.to_torch_order(W, b)
    assert w_ih.shape == (4 * H, D) and w_hh.shape == (4 * H, H)
    # torch's row block 0 is the input gate: our column block 1
    np.testing.assert_array_equal(w_ih[:H], W[:D, H:2 * H].T)
    np.testing.assert_array_equal(w_hh[H:2 * H], W[D:, :H].T)
    np.testing.assert_array_equal(bias, np.r_[b[H:2 * H], b[:H], b[2 * H:]])


@LAYERS
def test_layer_matches_torch(layer):
    torch = pytest.importorskip("torch")
    _, xs, h0, c0, W, b = _case(3, N=2, T=6, D=4, H=5)
    net = torch.nn.LSTM(4, 5, batch_first=True).double()
    w_ih, w_hh, bias = lstm.to_torch_order(W, b)
    with torch.no_grad():
        net.weight_ih_l0.copy_(torch.from_numpy(w_ih))
        net.weight_hh_l0.copy_(torch.from_numpy(w_hh))
        net.bias_ih_l0.copy_(torch.from_numpy(bias))
        net.bias_hh_l0.zero_()
    out, _ = net(torch.from_numpy(xs), (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
    run = layer(W, b, dtype=np.float64)
    np.testing.assert_allclose(run.forward(xs, h0, c0), out.detach().numpy(), rtol=1e-10, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(N=st.integers(1, 20), T=st.integers(1, 30), K=st.integers(1, 5), M=st.integers(1, 5),
       seed=st.integers(0, 2 ** 32 - 1))
def test_recall_batch_puts_the_answer_first_and_distractors_after(N, T, K, M, seed):
    xs, y = memory_task.recall_batch(np.random.default_rng(seed), N, T, K, M)
    assert xs.shape == (N, T, K + M) and y.shape == (N,)
    np.testing.assert_array_equal(xs.sum(axis=2), 1.0)                 # one-hot
    tokens = xs.argmax(axis=2)
    np.testing.assert_array_equal(tokens[:, 0], y)
    assert ((0 <= y) & (y < K)).all() and (tokens[:, 1:] >= K).all()


def test_softmax_cross_entropy_gradient():
    rng = np.random.default_rng(4)
    scores, y = rng.normal(size=(5, 4)), rng.integers(0, 4, size=5)
    loss, grad = memory_task.softmax_cross_entropy(scores, y)
    p = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    assert np.isclose(loss, -np.log(p[np.arange(5), y]).mean())
    numeric = numerical_gradient(lambda s: memory_task.softmax_cross_entropy(s, y)[0], scores)
    assert relative_error(grad, numeric) < 1e-7


def test_train_recall_learns_a_short_task_with_a_tiny_rnn():
    """Three steps back is easy: a correct RNN and the trainer must solve it; a memoryless one cannot."""
    def run_with(memory):
        def run(params, xs):
            Wx, Wh, b = params
            N, T, _ = xs.shape
            hs, h = [], np.zeros((N, Wh.shape[0]))
            for t in range(T):
                h = np.tanh((h @ Wh if memory else 0.0) + xs[:, t] @ Wx + b)
                hs.append(h)
            hs = np.stack(hs, axis=1)

            def backward(dhs):
                dWx, dWh, db, dh = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b), np.zeros((N, Wh.shape[0]))
                for t in reversed(range(T)):
                    dz = (dhs[:, t] + dh) * (1 - hs[:, t] ** 2)
                    prev = hs[:, t - 1] if t else np.zeros_like(dh)
                    dWx += xs[:, t].T @ dz
                    dWh += prev.T @ dz
                    db += dz.sum(axis=0)
                    dh = dz @ Wh.T if memory else 0.0 * dh
                return [dWx, dWh, db]
            return hs, backward
        return run

    def clip(grads, max_norm):
        norm = float(np.sqrt(sum((g ** 2).sum() for g in grads)))
        return [g * min(1.0, max_norm / norm) for g in grads], norm

    accuracy = {}
    for memory in (True, False):
        rng = np.random.default_rng(0)
        params = [rng.normal(scale=0.3, size=(8, 16)), rng.normal(scale=0.25, size=(16, 16)), np.zeros(16)]
        readout = memory_task.new_readout(16, 4, rng)
        calls = []
        result = memory_task.train_recall(run_with(memory), params, readout, clip, T=3, steps=150, seed=0,
                                          on_step=calls.append)
        assert result["loss"].shape == (150,) and (result["grad_norms"] > 0).all() and calls == list(range(150))
        accuracy[memory] = result["accuracy"]
    assert accuracy[True] > 0.9 and accuracy[False] < 0.4


def _rnn_step(x, h_prev, Wx, Wh, b):
    return np.tanh(h_prev @ Wh + x @ Wx + b)


def _rnn_step_backward(dh, x, h_prev, h, Wx, Wh):
    dz = dh * (1 - h ** 2)
    return dz @ Wx.T, dz @ Wh.T, x.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


def test_rnn_gradient_norms_follow_the_spectral_radius():
    """With tiny inputs the tanh is almost linear, so the gradient scales like radius^(T - t)."""
    for rho in (0.7, 1.3):
        norms = lstm_view.rnn_gradient_norms(_rnn_step, _rnn_step_backward, rho, T=12, input_scale=1e-6)
        np.testing.assert_allclose(norms[1:] / norms[:-1], rho, rtol=1e-3)


def test_lstm_gradient_norms_survive_with_a_large_forget_bias():
    def step(x, h_prev, c_prev, W, b):
        layer = lstm.LSTMLayer(W, b, dtype=np.float64)
        h = layer.forward(x[:, None], h_prev, c_prev)[:, 0]
        return h, layer.cells()[:, 0]

    def step_backward(dh, dc, x, h_prev, c_prev, W, b):
        layer = lstm.LSTMLayer(W, b, dtype=np.float64)
        layer.forward(x[:, None], h_prev, c_prev)
        dxs, dh0, dc0, dW, db = layer.backward(np.zeros((len(x), 1, h_prev.shape[1])), dh, dc)
        return dxs[:, 0], dh0, dc0, dW, db

    closed = lstm_view.lstm_gradient_norms(step, step_backward, forget_bias=-3.0, T=30)
    open_ = lstm_view.lstm_gradient_norms(step, step_backward, forget_bias=5.0, T=30)
    assert open_[-1] > 1e3 * closed[-1]
    assert open_[-1] > 1e-2 * open_[0]
