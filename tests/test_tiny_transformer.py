"""helpers.tiny_transformer: hand-written gradients agree with central differences, and training on the
toy reversal task (helpers.toy_sequences) learns it; helpers.attention_view's saturation curves behave."""
import numpy as np
import pytest

from helpers import tiny_transformer as tt
from helpers.attention_view import saturation_curves
from helpers.gradcheck import numerical_gradient, relative_error
from helpers.toy_sequences import reversal_batch


def test_reversal_batch_targets_are_the_reversed_tokens():
    tokens, targets = reversal_batch(np.random.default_rng(0), 5, 7, 4)
    assert tokens.shape == targets.shape == (5, 7) and tokens.max() < 4 and tokens.min() >= 0
    assert all(list(t[::-1]) == list(r) for t, r in zip(tokens, targets))


@pytest.mark.parametrize("causal", [False, True])
def test_every_parameter_gradient_agrees_with_central_differences(causal):
    rng = np.random.default_rng(1)
    params = tt.init_params(rng, vocab=5, D=6, F=7)
    tokens, targets = reversal_batch(rng, 2, 4, 5)
    mask = np.tril(np.ones((4, 4), dtype=bool)) if causal else None
    logits, cache = tt.forward(params, tokens, 2, mask)
    grads = tt.backward(params, cache, tt.cross_entropy(logits, targets)[1])
    assert grads.keys() == params.keys()
    for name in params:
        def loss(x, name=name):
            return tt.cross_entropy(tt.forward(dict(params, **{name: x}), tokens, 2, mask)[0], targets)[0]
        assert relative_error(grads[name], numerical_gradient(loss, params[name].copy())) < 1e-5, name


def test_cross_entropy_of_a_uniform_prediction_is_log_vocab():
    loss, dlogits = tt.cross_entropy(np.zeros((2, 3, 5)), np.zeros((2, 3), dtype=int))
    assert np.isclose(loss, np.log(5)) and np.allclose(dlogits.sum(axis=-1), 0)


def test_training_learns_to_reverse_short_sequences():
    rng = np.random.default_rng(2)
    params = tt.init_params(rng, vocab=6, D=16, F=32)
    losses = tt.train(params, (reversal_batch(rng, 32, 5, 6) for _ in range(150)), heads=2, lr=1e-2)
    tokens, targets = reversal_batch(np.random.default_rng(3), 200, 5, 6)
    accuracy = (tt.forward(params, tokens, 2)[0].argmax(axis=-1) == targets).mean()
    assert losses[-1] < 0.2 * losses[0] and accuracy > 0.9


def test_unscaled_scores_saturate_the_softmax_and_scaled_ones_do_not():
    curves = saturation_curves([4, 64, 1024], np.random.default_rng(4), samples=200)
    assert curves["max_raw"][2] > 0.8 > curves["max_raw"][0]
    assert curves["jac_raw"][2] < 0.5 * curves["jac_raw"][0]
    assert np.ptp(curves["max_scaled"]) < 0.1 and np.ptp(curves["jac_scaled"]) < 0.1


def test_heatmaps_draw_one_panel_per_head_and_the_explorer_shows_the_chosen_query():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from helpers.attention_view import attention_explorer, heatmaps

    P = np.random.default_rng(5).dirichlet(np.ones(4), size=(3, 4))          # (h=3, T=4, T=4)
    fig = heatmaps(P, list("abcd"), title="t")
    assert [ax.get_title() for ax in fig.axes[:3]] == ["head 0", "head 1", "head 2"]
    assert np.allclose(fig.axes[1].images[0].get_array(), P[1])
    plt.close("all")
    widget = attention_explorer(P, list("abcd"))
    head, query = widget.children[:2]
    head.value, query.value = 2, 3
    bars = plt.gcf().axes[0].patches
    assert np.allclose([b.get_height() for b in bars], P[2, 3])
    plt.close("all")
