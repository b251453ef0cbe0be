"""Lesson 2's helper code: the window data set (generator, stored file, loader), the new plots and the widget."""
import numpy as np
import pytest

from helpers import ner_windows, plotting, widgets
from helpers.gradcheck import numerical_jacobian


@pytest.fixture(scope="module")
def stored():
    return ner_windows.load()


def test_regenerating_gives_exactly_the_stored_data(tmp_path, stored):
    ner_windows.save(tmp_path / "again.npz")
    again = ner_windows.load(tmp_path / "again.npz")
    assert sorted(again) == sorted(stored) == ["is_test", "labels", "vectors", "vocab", "windows"]
    for key in stored:
        assert again[key].dtype == stored[key].dtype, key
        assert np.array_equal(again[key], stored[key]), f"{key} differs: run `python -m helpers.ner_windows`"


def test_another_seed_gives_other_data(stored):
    other = ner_windows.generate(seed=ner_windows.SEED + 1)
    assert not np.array_equal(other["vectors"], stored["vectors"])


def test_windows_are_the_sentences_words_centred_and_padded(stored):
    vocab, windows = list(stored["vocab"]), stored["windows"]
    assert vocab[0] == ner_windows.PAD and not stored["vectors"][0].any()
    assert windows.shape[1] == 2 * ner_windows.WINDOW + 1
    assert windows.min() >= 0 and windows.max() < len(vocab)
    assert (windows[:, 2] != 0).all(), "every window is centred on a real word"
    # consecutive windows of one sentence overlap: window t+1 is window t shifted by one word
    same_sentence = (windows[1:, 1] == windows[:-1, 2]) & (windows[1:, 1] != 0)
    assert same_sentence.mean() > 0.5
    assert np.array_equal(windows[1:][same_sentence, :4], windows[:-1][same_sentence, 1:])


def test_labels_mark_exactly_the_place_slots(stored):
    vocab, windows, labels = stored["vocab"], stored["windows"], stored["labels"].astype(bool)
    centre = vocab[windows[:, 2]]
    assert set(centre[labels]) <= set(ner_windows.PLACES) | set(ner_windows.BOTH)
    assert labels[np.isin(centre, ner_windows.PLACES)].all()
    assert not labels[np.isin(centre, ner_windows.PEOPLE + ner_windows.OBJECTS)].any()
    ambiguous = np.isin(centre, ner_windows.BOTH)
    assert 0 < labels[ambiguous].mean() < 1, "ambiguous words appear both as places and as people"


def test_test_split_holds_out_sentences_and_unseen_words(stored):
    vocab, windows, is_test = stored["vocab"], stored["windows"], stored["is_test"]
    assert 0.1 < is_test.mean() < 0.3
    assert not is_test[:len(is_test) // 2].any(), "the test sentences come last"
    train_words, test_words = set(vocab[windows[~is_test]].ravel()), set(vocab[windows[is_test]].ravel())
    assert test_words - train_words, "some test words were never seen in training"


def test_window_inputs_concatenate_the_word_vectors(stored):
    X = ner_windows.window_inputs(stored["windows"][:3], stored["vectors"])
    assert X.shape == (3, 5 * ner_windows.DIM)
    for row, window in zip(X, stored["windows"][:3]):
        assert np.array_equal(row, np.concatenate([stored["vectors"][i] for i in window]))


def test_window_text_brackets_the_centre_and_drops_padding():
    vocab = np.array(["<pad>", "flew", "to", "paris", "on"])
    assert ner_windows.window_text(np.array([1, 2, 3, 4, 0]), vocab) == "flew to [paris] on"
    assert ner_windows.window_text(np.array([0, 0, 1, 2, 3]), vocab) == "[flew] to paris"


@pytest.mark.parametrize("name", list(widgets.ACTIVATIONS))
def test_widget_activation_derivatives_match_central_differences(name):
    f, derivative = widgets.ACTIVATIONS[name]
    z = np.array([-3.0, -0.7, 0.4, 2.5])           # away from ReLU's kink at 0
    assert np.allclose(np.diag(derivative(z)), numerical_jacobian(f, z), atol=1e-8)


def test_activation_explorer_draws_every_activation(monkeypatch):
    shown = []
    monkeypatch.setattr(plotting.plt, "show", lambda: shown.append(plotting.plt.gcf()))
    rng = np.random.default_rng(0)
    explorer = widgets.activation_explorer(rng.normal(size=10), rng.normal(size=(4, 10)), np.zeros(4),
                                           rng.normal(size=4))
    for name in widgets.ACTIVATIONS:
        explorer.children[0].value = name
    titles = [fig.axes[0].get_title() for fig in shown]
    assert all(any(title.startswith(name) for title in titles) for name in widgets.ACTIVATIONS)
    plotting.plt.close("all")


def test_plot_jacobians_and_loss_curve():
    fig = plotting.plot_jacobians({"diag": np.diag([1.0, -2.0]), "row": np.ones((1, 6))})
    assert len([ax for ax in fig.axes if ax.images]) == 2
    assert "2×2" in fig.axes[0].get_title()
    fig = plotting.plot_loss_curve([1.0, 0.5, 0.25], [1.1, 0.7, 0.5])
    assert len(fig.axes[0].lines) == 2
    plotting.plt.close("all")


def test_every_named_layout_mistake_is_proven_caught_by_a_mutant():
    from helpers.checks import jacobians
    from tests.mutants.jacobians import MUTANTS
    named = [jacobians.TRANSPOSED, jacobians.FULL_FOR_DIAGONAL, jacobians.DIAGONAL_FOR_FULL,
             jacobians.JACOBIAN_FORM, jacobians.SUMMED]
    says = [mutant.says for mutants in MUTANTS.values() for mutant in mutants]
    for phrase in named:
        assert any(phrase in said for said in says), f"no mutant proves the check says {phrase!r}"


def test_relative_error_is_taken_entry_by_entry_as_its_docstring_says():
    from helpers.gradcheck import relative_error
    a, b = np.array([1.0, 1e-6, 0.0]), np.array([1.0, 2e-6, 0.0])
    assert relative_error(a, b) == pytest.approx(1 / 3), "entry 1: |1e-6 − 2e-6| / (1e-6 + 2e-6)"
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0, "two zeros agree"


# Right answers written otherwise than the reference solutions: both judges must accept every one.

def _sigmoid_jacobian_by_tanh(z):
    return np.diag(0.25 * (1 - np.tanh(z / 2) ** 2))


def _sigmoid_jacobian_eye(z):
    with np.errstate(over="ignore"):
        s = 1 / (1 + np.exp(-np.asarray(z, dtype=float)))
    return np.eye(len(z)) * (s - s ** 2)


def _affine_derivatives_as_a_list(W, x, g):
    return [W, g[:, None] * x[None, :]]


def _hidden_jacobian_through_the_diagonal(W, b, x):
    with np.errstate(over="ignore"):
        h = 1 / (1 + np.exp(-(W @ x + b)))
    return np.diag(h * (1 - h)) @ W


def _window_gradients_as_a_list(x, W, b, u):
    with np.errstate(over="ignore"):
        h = 1 / (1 + np.exp(-(W @ x + b)))
    delta = u * h * (1 - h)
    return [delta, delta[:, None] * x, delta @ W, h]


def _numerical_jacobian_by_unit_vectors(f, x, h=1e-6):
    x = np.array(x, dtype=float)
    return np.stack([(f(x + e) - f(x - e)) / 2 / h for e in h * np.eye(len(x))], axis=1)


def _softmax_jacobian_by_logsumexp(z):
    p = np.exp(z - np.logaddexp.reduce(z))
    J = -np.outer(p, p)
    J[np.diag_indices_from(J)] += p
    return J


def _softmax_vjp_in_a_python_loop(z, g):
    e = np.exp(z - z.max())
    p = e / e.sum()
    dot = 0.0
    for g_i, p_i in zip(g.tolist(), p.tolist()):
        dot += g_i * p_i
    return p * g - dot * p


def _batch_gradients_by_means(X, y, W, b, u):
    with np.errstate(over="ignore"):
        H = 1 / (1 + np.exp(-(X @ W.T + b)))
        p = 1 / (1 + np.exp(-(H @ u)))
    D = (p - y)[:, None] * u * H * (1 - H)
    grad_W, grad_b, grad_u = (a / len(X) for a in (np.einsum("kn,km->nm", D, X), D.sum(axis=0), H.T @ (p - y)))
    return grad_W, grad_b, grad_u


RIGHT_ANSWERS = {
    "sigmoid_jacobian": [_sigmoid_jacobian_by_tanh, _sigmoid_jacobian_eye],
    "affine_derivatives": [_affine_derivatives_as_a_list],
    "hidden_jacobian": [_hidden_jacobian_through_the_diagonal],
    "window_gradients": [_window_gradients_as_a_list],
    "numerical_jacobian": [_numerical_jacobian_by_unit_vectors],
    "softmax_jacobian": [_softmax_jacobian_by_logsumexp],
    "softmax_vjp": [_softmax_vjp_in_a_python_loop],
    "batch_gradients": [_batch_gradients_by_means],
}


@pytest.mark.parametrize("exercise, answer", [(e, a) for e, answers in RIGHT_ANSWERS.items() for a in answers],
                         ids=lambda v: getattr(v, "__name__", v))
def test_right_answers_written_otherwise_pass_the_check_and_the_grader(exercise, answer, capsys):
    from helpers.checks import jacobians
    from helpers.grading import judge

    getattr(jacobians, f"check_{exercise}")(answer)
    assert "✓" in capsys.readouterr().out
    verdict = judge.judge_function("02_jacobians", exercise, answer)
    assert verdict.passed, verdict.message
