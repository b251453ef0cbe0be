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
