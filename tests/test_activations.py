"""The shared sigmoid: the textbook formula where that is safe, and no overflow where it is not."""
import warnings

import numpy as np

from helpers.activations import sigmoid


def test_sigmoid_matches_the_formula_and_its_symmetry():
    x = np.linspace(-30, 30, 601)
    np.testing.assert_allclose(sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(sigmoid(-x), 1 - sigmoid(x), atol=1e-15)


def test_sigmoid_of_huge_inputs_is_exact_and_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = sigmoid(np.array([-1e4, -800.0, 0.0, 800.0, 1e4]))
    np.testing.assert_array_equal(out, [0.0, 0.0, 0.5, 1.0, 1.0])
