"""helpers.attention_fast gives the reference's outputs and gradients, causal or not, on 1 or 2 threads."""
import numpy as np
import pytest

from helpers.attention import attention_backward, attention_forward, causal_mask
from helpers.attention_fast import FastAttention
from helpers.gradcheck import numerical_gradient


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("T, block", [(16, 4), (13, 4), (5, 32), (1, 4)])
def test_fast_attention_matches_the_reference(threads, causal, T, block):
    rng = np.random.default_rng(T + block)
    Q, K, V = (rng.normal(size=(3, 2, T, d)) for d in (4, 4, 3))
    dout = rng.normal(size=(3, 2, T, 3))
    mask = causal_mask(T) if causal else None
    want_out, P = attention_forward(Q, K, V, mask)
    want = attention_backward(dout, Q, K, V, P)
    attn = FastAttention(threads, block)
    out, cache = attn.forward(Q, K, V, causal=causal)
    got = attn.backward(dout, cache)
    attn.close()
    assert out.shape == want_out.shape and np.allclose(out, want_out, rtol=1e-10, atol=1e-12)
    for g, w in zip(got, want):
        assert g.shape == w.shape and np.allclose(g, w, rtol=1e-10, atol=1e-12)


def test_fast_attention_gradients_agree_with_central_differences():
    rng = np.random.default_rng(7)
    Q, K, V = (rng.normal(size=(2, 9, 3)) for _ in range(3))
    dout = rng.normal(size=(2, 9, 3))
    attn = FastAttention(1, block=4)
    grads = attn.backward(dout, attn.forward(Q, K, V, causal=True)[1])
    args = {"Q": Q, "K": K, "V": V}
    for position, name in enumerate(args):
        def loss(x, name=name):
            inputs = dict(args, **{name: x})
            return (attn.forward(inputs["Q"], inputs["K"], inputs["V"], causal=True)[0] * dout).sum()
        assert np.allclose(grads[position], numerical_gradient(loss, args[name]), rtol=1e-5, atol=1e-8), name


def test_fast_attention_keeps_float32():
    rng = np.random.default_rng(8)
    Q, K, V = (rng.standard_normal((2, 2, 8, 4), dtype=np.float32) for _ in range(3))
    attn = FastAttention(2, block=4)
    out, cache = attn.forward(Q, K, V, causal=True)
    grads = attn.backward(out, cache)
    attn.close()
    assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    want, _ = attention_forward(*(a.astype(np.float64) for a in (Q, K, V)), causal_mask(8))
    assert np.allclose(out, want, atol=1e-5)
