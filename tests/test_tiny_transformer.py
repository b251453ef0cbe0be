"""helpers.tiny_transformer: built from lesson 6's exercise functions (the solution notebook's, or the
reference in helpers.attention), its hand-written gradients agree with central differences, a causal
model never looks ahead, training learns the toy reversal task (helpers.toy_sequences) and does less
while nbgrader executes, and sampling draws from the model's distribution; helpers.attention_view's
saturation curves, heatmaps and explorer behave."""
import numpy as np
import pytest

from helpers import attention as A
from helpers import tiny_transformer as tt
from helpers.attention_view import saturation_curves
from helpers.gradcheck import numerical_gradient, relative_error
from helpers.toy_sequences import reversal_batch
from tests.notebooks import SOLUTIONS, reference_namespace

PART_NAMES = ("causal_mask", "multi_head_attention", "attention_backward", "split_heads", "merge_heads",
              "positional_encoding")


def _reference_multi_head_attention(X, Wq, Wk, Wv, Wo, h, mask=None):
    out, cache = A.multi_head_attention(X, Wq, Wk, Wv, Wo, h, mask)
    return out, cache.P


REFERENCE = tt.Parts(causal_mask=A.causal_mask, multi_head_attention=_reference_multi_head_attention,
                     attention_backward=A.attention_backward, split_heads=A.split_heads,
                     merge_heads=A.merge_heads, positional_encoding=A.positional_encoding)


def _solution_parts() -> tt.Parts:
    """The exercise functions as the solution notebook writes them: what a student's model runs on."""
    namespace = reference_namespace(SOLUTIONS / "06_self_attention/self_attention.ipynb")
    return tt.Parts(**{name: namespace[name] for name in PART_NAMES})


def _loss_with(model, index, value, tokens, targets):
    """The model's loss with parameter `index` set to `value` (put back afterwards)."""
    param = model.params[index]
    saved = param.copy()
    param[...] = value
    try:
        return tt.cross_entropy(model.forward(tokens), targets)[0]
    finally:
        param[...] = saved


def test_reversal_batch_targets_are_the_reversed_tokens():
    tokens, targets = reversal_batch(np.random.default_rng(0), 5, 7, 4)
    assert tokens.shape == targets.shape == (5, 7) and tokens.max() < 4 and tokens.min() >= 0
    assert all(list(t[::-1]) == list(r) for t, r in zip(tokens, targets))


@pytest.mark.parametrize("causal, n_blocks", [(False, 1), (True, 1), (True, 2)])
def test_every_parameter_gradient_agrees_with_central_differences(causal, n_blocks):
    model = tt.TinyTransformer(REFERENCE, vocab=5, D=6, F=7, heads=2, n_blocks=n_blocks, causal=causal, seed=1)
    tokens, targets = reversal_batch(np.random.default_rng(1), 2, 4, 5)
    model.backward(tt.cross_entropy(model.forward(tokens), targets)[1])
    assert len(model.grads) == len(model.params) == 1 + 12 * n_blocks + 2
    for index, (param, grad) in enumerate(zip(model.params, model.grads)):
        assert grad.shape == param.shape
        numerical = numerical_gradient(lambda x: _loss_with(model, index, x, tokens, targets), param)
        assert relative_error(grad, numerical) < 1e-5, index


def test_a_model_of_the_solution_notebooks_functions_equals_the_reference_model():
    parts = _solution_parts()
    tokens, targets = reversal_batch(np.random.default_rng(2), 3, 6, 7)
    models = [tt.TinyTransformer(p, vocab=7, D=8, F=12, heads=2, causal=True, seed=3) for p in (parts, REFERENCE)]
    logits = [m.forward(tokens) for m in models]
    assert np.allclose(logits[0], logits[1], rtol=1e-10, atol=1e-12)
    for m, lg in zip(models, logits):
        m.backward(tt.cross_entropy(lg, targets)[1])
    for g0, g1 in zip(models[0].grads, models[1].grads):
        assert np.allclose(g0, g1, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("cut", [1, 3, 5])
def test_a_causal_model_never_lets_later_tokens_change_earlier_logits(cut):
    model = tt.TinyTransformer(REFERENCE, vocab=9, D=8, F=8, heads=2, n_blocks=2, causal=True, seed=4)
    tokens = np.random.default_rng(cut).integers(0, 9, size=(3, 6))
    changed = tokens.copy()
    changed[:, cut:] = (changed[:, cut:] + 1) % 9
    before, after = model.forward(tokens), model.forward(changed)
    assert np.allclose(before[:, :cut], after[:, :cut], rtol=1e-12, atol=1e-12)
    assert not np.allclose(before[:, cut:], after[:, cut:])


def test_an_unwritten_exercise_stops_the_model_with_its_not_implemented_error():
    def split_heads(X, h):
        raise NotImplementedError()

    parts = tt.Parts(**{name: getattr(REFERENCE, name) for name in PART_NAMES if name != "split_heads"},
                     split_heads=split_heads)
    model = tt.TinyTransformer(parts, vocab=4, D=4, F=4, heads=2, seed=0)
    with pytest.raises(NotImplementedError):
        tt.train(model, lambda: reversal_batch(np.random.default_rng(0), 2, 3, 4), steps=5)


def test_attention_that_returns_the_wrong_shapes_is_named_with_the_shapes_it_gave():
    def single_head(X, Wq, Wk, Wv, Wo, h, mask=None):
        return _reference_multi_head_attention(X, Wq, Wk, Wv, Wo, 1, mask)

    parts = tt.Parts(**{name: getattr(REFERENCE, name) for name in PART_NAMES if name != "multi_head_attention"},
                     multi_head_attention=single_head)
    model = tt.TinyTransformer(parts, vocab=4, D=4, F=4, heads=2, seed=0)
    with pytest.raises(ValueError, match=r"shapes \(3, 5, 4\) and \(3, 2, 5, 5\); it returned \[\(3, 5, 4\), \(3, 1, 5, 5\)\]"):
        model.forward(np.zeros((3, 5), dtype=int))


def test_the_model_names_its_arguments_when_the_heads_do_not_divide_the_width():
    with pytest.raises(ValueError, match="D=6, heads=4"):
        tt.TinyTransformer(REFERENCE, vocab=4, D=6, F=4, heads=4)


def test_cross_entropy_of_a_uniform_prediction_is_log_vocab_and_its_gradient_is_right():
    loss, dlogits = tt.cross_entropy(np.zeros((2, 3, 5)), np.zeros((2, 3), dtype=int))
    assert np.isclose(loss, np.log(5)) and np.allclose(dlogits.sum(axis=-1), 0)
    rng = np.random.default_rng(5)
    logits, targets = rng.normal(size=(2, 3, 4)), rng.integers(0, 4, size=(2, 3))
    numerical = numerical_gradient(lambda x: tt.cross_entropy(x, targets)[0], logits)
    assert relative_error(tt.cross_entropy(logits, targets)[1], numerical) < 1e-7


def test_adams_first_step_moves_each_parameter_by_lr_against_its_gradient():
    params, grads = [np.array([1.0, -2.0, 3.0])], [np.array([0.5, -4.0, 1e-3])]
    tt.Adam(params, grads, lr=0.1).step()
    assert np.allclose(params[0], [0.9, -1.9, 2.9], atol=1e-6)


def test_the_cosine_schedule_goes_from_lr_down_to_lr_end():
    rates = [tt.cosine_lr(step, 100, 1e-2, 1e-3) for step in range(101)]
    assert rates[0] == pytest.approx(1e-2) and rates[50] == pytest.approx(5.5e-3)
    assert np.all(np.diff(rates) < 0) and rates[100] == pytest.approx(1e-3) == tt.cosine_lr(150, 100, 1e-2, 1e-3)


def test_training_in_two_runs_is_training_in_one():
    def fresh():
        model = tt.TinyTransformer(REFERENCE, vocab=6, D=8, F=8, heads=2, seed=6)
        rng = np.random.default_rng(6)
        return model, tt.Trainer(model, lambda: reversal_batch(rng, 4, 5, 6), total=30, lr=1e-2, lr_end=1e-3)

    whole, once = fresh()
    split, twice = fresh()
    once.run(30)
    first, second = twice.run(12), twice.run(18)
    assert len(first) == 12 and len(second) == 18 and twice.losses == first + second == once.losses
    assert all(np.array_equal(a, b) for a, b in zip(whole.params, split.params))
    assert twice.optimiser.lr == pytest.approx(tt.cosine_lr(29, 30, 1e-2, 1e-3))


def test_training_learns_to_reverse_short_sequences():
    model = tt.TinyTransformer(REFERENCE, vocab=6, D=16, F=32, heads=2, seed=2)
    rng = np.random.default_rng(2)
    losses = tt.train(model, lambda: reversal_batch(rng, 32, 5, 6), steps=150, lr=1e-2)
    tokens, targets = reversal_batch(np.random.default_rng(3), 200, 5, 6)
    accuracy = (model.forward(tokens).argmax(axis=-1) == targets).mean()
    assert losses[-1] < 0.2 * losses[0] and accuracy > 0.9


@pytest.mark.parametrize("grading, taken", [(None, 250), ("validate", tt.WHILE_GRADING)])
def test_a_training_run_takes_fewer_steps_only_while_nbgrader_executes(grading, taken, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    if grading:
        monkeypatch.setenv("NBGRADER_EXECUTION", grading)
    model = tt.TinyTransformer(REFERENCE, vocab=4, D=4, F=4, heads=2, seed=0)
    rng = np.random.default_rng(0)
    calls = []

    def next_batch():
        calls.append(1)
        return reversal_batch(rng, 2, 3, 4)

    assert len(tt.train(model, next_batch, steps=250)) == len(calls) == taken


class _FixedLogits:
    """A stand-in model: the same next-token logits at every position; records what it was shown."""

    def __init__(self, logits):
        self.logits, self.seen = np.asarray(logits, dtype=float), []

    def forward(self, tokens):
        self.seen.append(tokens.copy())
        return np.broadcast_to(self.logits, (*tokens.shape, len(self.logits)))


def test_generate_draws_each_token_from_the_softmax_of_the_last_positions_logits():
    logits = np.log([0.1, 0.6, 0.3])
    out = tt.generate(_FixedLogits(logits), np.zeros((20000, 1), dtype=int), 1, 8, np.random.default_rng(0))
    frequencies = np.bincount(out[:, 1], minlength=3) / 20000
    assert np.allclose(frequencies, [0.1, 0.6, 0.3], atol=0.015)
    cold = tt.generate(_FixedLogits(logits), np.zeros((200, 1), dtype=int), 1, 8, np.random.default_rng(0),
                       temperature=0.01)
    assert (cold[:, 1] == 1).all()


def test_generate_keeps_the_prompt_and_shows_the_model_at_most_context_tokens():
    model = _FixedLogits(np.zeros(4))
    prompt = np.array([[3, 2, 1], [0, 1, 2]])
    out = tt.generate(model, prompt, 5, 4, np.random.default_rng(1))
    assert out.shape == (2, 8) and (out[:, :3] == prompt).all() and out.max() < 4
    for step, seen in enumerate(model.seen):                  # step k sees the last ≤ 4 of the first 3 + k tokens
        assert (seen == out[:, max(0, 3 + step - 4):3 + step]).all(), step
    assert len(model.seen) == 5


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
