"""helpers.attention: the reference attention agrees with central differences and has the properties
lesson 6 teaches (causality, no NaN on an empty row, permutation equivariance, split→merge = identity)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import attention as A
from helpers.gradcheck import numerical_gradient, relative_error

SEEDS = st.integers(0, 2 ** 32 - 1)


def _qkv(rng, B=2, Tq=4, Tk=5, d=3, dv=2):
    return rng.normal(size=(B, Tq, d)), rng.normal(size=(B, Tk, d)), rng.normal(size=(B, Tk, dv))


def test_forward_matches_a_loop_over_queries():
    rng = np.random.default_rng(0)
    Q, K, V = _qkv(rng)
    out, P = A.attention_forward(Q, K, V)
    for b in range(2):
        for i in range(4):
            s = np.array([Q[b, i] @ K[b, j] for j in range(5)]) / np.sqrt(3)
            w = np.exp(s) / np.exp(s).sum()
            assert np.allclose(P[b, i], w) and np.allclose(out[b, i], w @ V[b])


@pytest.mark.parametrize("masked", [False, True])
def test_backward_agrees_with_central_differences(masked):
    rng = np.random.default_rng(1)
    Q, K, V = _qkv(rng)
    mask = rng.random((2, 4, 5)) < 0.6 if masked else None
    if masked:
        mask[1, 2] = False                                      # a query with nothing to attend to
    out, P = A.attention_forward(Q, K, V, mask)
    dout = rng.normal(size=out.shape)
    grads = A.attention_backward(dout, Q, K, V, P)
    args = {"Q": Q, "K": K, "V": V}
    for position, name in enumerate(args):
        def loss(x, name=name):
            inputs = dict(args, **{name: x})
            return (A.attention_forward(inputs["Q"], inputs["K"], inputs["V"], mask)[0] * dout).sum()
        assert relative_error(grads[position], numerical_gradient(loss, args[name])) < 1e-6, name


def test_backward_with_the_output_shortcut_gives_the_same_gradients():
    rng = np.random.default_rng(2)
    Q, K, V = _qkv(rng)
    mask = A.causal_mask(5)[:4]
    out, P = A.attention_forward(Q, K, V, mask)
    dout = rng.normal(size=out.shape)
    for plain, short in zip(A.attention_backward(dout, Q, K, V, P.copy()), A.attention_backward(dout, Q, K, V, P, out)):
        assert np.allclose(plain, short, rtol=1e-10, atol=1e-12)


def test_multi_head_backward_agrees_with_central_differences():
    rng = np.random.default_rng(3)
    B, T, D, h = 2, 4, 6, 3
    X = rng.normal(size=(B, T, D))
    Ws = [rng.normal(size=(D, D)) / np.sqrt(D) for _ in range(4)]
    mask = A.causal_mask(T)
    out, cache = A.multi_head_attention(X, *Ws, h, mask)
    dout = rng.normal(size=out.shape)
    grads = A.multi_head_attention_backward(dout, cache, *Ws)
    inputs = [X, *Ws]
    for position in range(5):
        def loss(x, position=position):
            args = list(inputs)
            args[position] = x
            return (A.multi_head_attention(*args, h, mask)[0] * dout).sum()
        assert relative_error(grads[position], numerical_gradient(loss, inputs[position])) < 1e-6, position


@settings(max_examples=30, deadline=None)
@given(seed=SEEDS, T=st.integers(2, 9), cut=st.integers(1, 8))
def test_causal_attention_never_lets_the_future_change_the_past(seed, T, cut):
    cut = min(cut, T - 1)
    rng = np.random.default_rng(seed)
    Q, K, V = _qkv(rng, B=1, Tq=T, Tk=T)
    K2, V2 = K.copy(), V.copy()
    K2[:, cut:] = rng.normal(scale=10, size=K2[:, cut:].shape)
    V2[:, cut:] = rng.normal(scale=10, size=V2[:, cut:].shape)
    mask = A.causal_mask(T)
    assert np.allclose(A.attention_forward(Q, K, V, mask)[0][:, :cut], A.attention_forward(Q, K2, V2, mask)[0][:, :cut])


@settings(max_examples=30, deadline=None)
@given(seed=SEEDS, lengths=st.lists(st.integers(0, 6), min_size=1, max_size=4))
def test_padding_rows_with_nothing_to_attend_to_are_zero_not_nan(seed, lengths):
    rng = np.random.default_rng(seed)
    B, T = len(lengths), 6
    Q, K, V = _qkv(rng, B=B, Tq=T, Tk=T)
    mask = A.padding_mask(np.array(lengths), T) & A.causal_mask(T)
    out, P = A.attention_forward(Q, K, V, mask)
    assert np.isfinite(out).all() and np.isfinite(P).all()
    assert (P[~np.broadcast_to(mask, P.shape)] == 0).all()
    allowed = np.broadcast_to(mask, P.shape).any(axis=-1)
    assert np.allclose(P.sum(axis=-1), allowed.astype(float))
    assert (out[~allowed] == 0).all()


@settings(max_examples=30, deadline=None)
@given(seed=SEEDS, T=st.integers(1, 8))
def test_self_attention_without_positions_is_permutation_equivariant(seed, T):
    rng = np.random.default_rng(seed)
    B, D, h = 2, 6, 2
    X = rng.normal(size=(B, T, D))
    Ws = [rng.normal(size=(D, D)) for _ in range(4)]
    perm = rng.permutation(T)
    out = A.multi_head_attention(X, *Ws, h)[0]
    assert np.allclose(A.multi_head_attention(X[:, perm], *Ws, h)[0], out[:, perm])


def test_positional_encodings_break_permutation_equivariance():
    rng = np.random.default_rng(4)
    T, D = 5, 6
    words, pe = rng.normal(size=(1, T, D)), A.positional_encoding(T, D)
    Ws = [rng.normal(size=(D, D)) for _ in range(4)]
    perm = np.array([4, 3, 2, 1, 0])
    out = A.multi_head_attention(words + pe, *Ws, 2)[0]
    assert not np.allclose(A.multi_head_attention(words[:, perm] + pe, *Ws, 2)[0], out[:, perm])


@settings(max_examples=30, deadline=None)
@given(seed=SEEDS, B=st.integers(1, 3), T=st.integers(1, 5), h=st.integers(1, 4), dh=st.integers(1, 4))
def test_merge_undoes_split_and_heads_hold_contiguous_features(seed, B, T, h, dh):
    X = np.random.default_rng(seed).normal(size=(B, T, h * dh))
    heads = A.split_heads(X, h)
    assert heads.shape == (B, h, T, dh)
    assert np.array_equal(heads[:, -1], X[:, :, (h - 1) * dh:])
    assert np.array_equal(A.merge_heads(heads), X)


def test_positional_encoding_formula_and_relative_positions():
    pe = A.positional_encoding(50, 16)
    assert np.isclose(pe[7, 4], np.sin(7 / 10000 ** (4 / 16))) and np.isclose(pe[7, 5], np.cos(7 / 10000 ** (4 / 16)))
    gram = pe @ pe.T                                            # depends only on p - p'
    assert np.allclose(np.diag(gram, 3)[:-1], np.diag(gram, 3)[1:])
    assert np.allclose(np.diag(gram), 8.0)


def test_float32_stays_float32():
    rng = np.random.default_rng(5)
    Q, K, V = (a.astype(np.float32) for a in _qkv(rng))
    out, P = A.attention_forward(Q, K, V, A.causal_mask(5)[:4])
    assert out.dtype == P.dtype == np.float32
    assert all(g.dtype == np.float32 for g in A.attention_backward(out, Q, K, V, P, out))


def test_pytorch_masks_behave_as_the_lesson_says():
    """Section 3's warning: nn.MultiheadAttention's boolean masks are True = blocked, the opposite of ours and of
    scaled_dot_product_attention's, and with need_weights=True (its default) a fully blocked query gives NaN."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    T = 4
    x = torch.randn(1, T, 6)
    keep = torch.from_numpy(A.causal_mask(T))
    mha = torch.nn.MultiheadAttention(6, 2, batch_first=True)
    with torch.no_grad():
        _, weights = mha(x, x, x, attn_mask=~keep)
        assert (weights[0][~keep] == 0).all() and torch.allclose(weights[0].sum(-1), torch.ones(T))
        _, as_is = mha(x, x, x, attn_mask=keep)                  # our mask passed unchanged blocks what we keep
        assert (as_is[0, :-1][keep[:-1]] == 0).all()
        empty = ~keep
        empty[1] = True                                            # query 1: every key blocked
        out, weights = mha(x, x, x, attn_mask=empty)
        assert torch.isnan(weights[0, 1]).all() and torch.isnan(out[0, 1]).all()
        assert not torch.isnan(out[0, [0, 2, 3]]).any()
        q = x.unsqueeze(1)                                           # (B, heads=1, T, d)
        sdpa = torch.nn.functional.scaled_dot_product_attention(q, q, q, attn_mask=keep)
        ours, _ = A.attention_forward(q.double().numpy(), q.double().numpy(), q.double().numpy(), A.causal_mask(T))
        assert np.allclose(sdpa.numpy(), ours, atol=1e-5)
