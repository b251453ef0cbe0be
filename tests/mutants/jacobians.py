"""Typical wrong answers to lesson 2 (02_jacobians).

Every layout mistake the checks name has a mutant here: a transposed Jacobian or gradient, a full
matrix where a diagonal was meant (and only the diagonal where the full matrix was meant), the
Jacobian form where the shape convention was asked, and a gradient summed where it should be averaged.
Below MUTANTS, the classes of mistake only the hidden tests are meant to catch: forms of the sigmoid and
softmax that overflow beyond ±709, squeezed axes of length 1, integer inputs, a step that depends on x,
and loops the loop rule must still see.
"""
import functools

import numpy as np

from helpers.checks.jacobians import (
    BUILDS_JACOBIAN,
    DIAGONAL_FOR_FULL,
    FULL_FOR_DIAGONAL,
    JACOBIAN_FORM,
    SUMMED,
    TRANSPOSED,
)
from tests.mutants import Mutant
from tests.notebooks import run_source

NOTEBOOK = "02_jacobians/jacobians.ipynb"


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# sigmoid_jacobian(z) -> (n, n)

def sigmoid_jacobian_vector(z):
    s = _sigmoid(z)
    return s * (1 - s)


def sigmoid_jacobian_row(z):
    s = _sigmoid(z)
    return (s * (1 - s))[None, :]


def sigmoid_jacobian_broadcast(z):
    s = _sigmoid(z)
    return np.ones((len(z), 1)) * (s * (1 - s))


def sigmoid_jacobian_of_the_function(z):
    return np.diag(_sigmoid(z))


def sigmoid_jacobian_tanh_formula(z):
    return np.diag(1 - _sigmoid(z) ** 2)


# affine_derivatives(W, x, g) -> (J (n, m), grad_W (n, m))

def affine_transposed_jacobian(W, x, g):
    return W.T.copy(), np.outer(g, x)


def affine_identity_jacobian(W, x, g):
    return np.eye(len(g)), np.outer(g, x)


def affine_grad_W_jacobian_form(W, x, g):
    return W.copy(), np.outer(g, x).reshape(1, -1)


def affine_grad_W_transposed(W, x, g):
    return W.copy(), np.outer(x, g)


def affine_grad_W_scaled_rows(W, x, g):
    return W.copy(), g[:, None] * W


# hidden_jacobian(W, b, x) -> (n, m)

def _slope(W, b, x):
    h = _sigmoid(W @ x + b)
    return h * (1 - h)


def hidden_jacobian_elementwise_product(W, b, x):
    return np.diag(_slope(W, b, x)) * W


def hidden_jacobian_activation_only(W, b, x):
    return np.diag(_slope(W, b, x))


def hidden_jacobian_transposed(W, b, x):
    return W.T * _slope(W, b, x)


def hidden_jacobian_wrong_order(W, b, x):
    return W @ np.diag(_slope(W, b, x))


def hidden_jacobian_without_activation(W, b, x):
    return W.copy()


# window_gradients(x, W, b, u) -> (grad_b (n,), grad_W (n, m), grad_x (m,), grad_u (n,))

def _delta(x, W, b, u):
    h = _sigmoid(W @ x + b)
    return h, u * h * (1 - h)


def window_gradients_sigma_not_derivative(x, W, b, u):
    h = _sigmoid(W @ x + b)
    delta = u * h
    return delta, np.outer(delta, x), W.T @ delta, h


def window_gradients_diagonal_matrix_delta(x, W, b, u):
    h, delta = _delta(x, W, b, u)
    return u * np.diag(h * (1 - h)), np.outer(delta, x), W.T @ delta, h


def window_gradients_b_as_row(x, W, b, u):
    h, delta = _delta(x, W, b, u)
    return delta[None, :], np.outer(delta, x), W.T @ delta, h


def window_gradients_transposed_W(x, W, b, u):
    h, delta = _delta(x, W, b, u)
    return delta, np.outer(x, delta), W.T @ delta, h


def window_gradients_flattened_W(x, W, b, u):
    h, delta = _delta(x, W, b, u)
    return delta, np.outer(delta, x).ravel(), W.T @ delta, h


def window_gradients_x_as_row(x, W, b, u):
    h, delta = _delta(x, W, b, u)
    return delta, np.outer(delta, x), (delta @ W)[None, :], h


def window_gradients_u_before_activation(x, W, b, u):
    h, delta = _delta(x, W, b, u)
    return delta, np.outer(delta, x), W.T @ delta, W @ x + b


# numerical_jacobian(f, x, h) -> (n, m)

def numerical_jacobian_forward(f, x, h=1e-6):
    columns = []
    for j in range(len(x)):
        step = np.zeros(len(x))
        step[j] = h
        columns.append((f(x + step) - f(x)) / h)
    return np.stack(columns, axis=1)


def numerical_jacobian_divides_by_h(f, x, h=1e-6):
    columns = []
    for j in range(len(x)):
        step = np.zeros(len(x))
        step[j] = h
        columns.append((f(x + step) - f(x - step)) / h)
    return np.stack(columns, axis=1)


def numerical_jacobian_transposed(f, x, h=1e-6):
    rows = []
    for j in range(len(x)):
        step = np.zeros(len(x))
        step[j] = h
        rows.append((f(x + step) - f(x - step)) / (2 * h))
    return np.array(rows)


def numerical_jacobian_in_place(f, x, h=1e-6):
    columns = []
    for j in range(len(x)):
        x[j] += h
        up = f(x)
        x[j] -= 2 * h
        columns.append((up - f(x)) / (2 * h))
    return np.stack(columns, axis=1)


# softmax_jacobian(z) -> (n, n)

def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def softmax_jacobian_diagonal_only(z):
    p = _softmax(z)
    return np.diag(p * (1 - p))


def softmax_jacobian_without_diagonal(z):
    p = _softmax(z)
    return -np.outer(p, p)


def softmax_jacobian_dot_for_outer(z):
    p = _softmax(z)
    return np.diag(p) - p @ p


def softmax_jacobian_diag_p(z):
    return np.diag(_softmax(z))


def softmax_jacobian_unstable(z):
    p = np.exp(z) / np.exp(z).sum()
    return np.diag(p) - np.outer(p, p)


def softmax_jacobian_vector(z):
    p = _softmax(z)
    return p * (1 - p)


# softmax_vjp(z, g) -> (n,)

def softmax_vjp_through_the_jacobian(z, g):
    p = _softmax(z)
    return g @ (np.diag(p) - np.outer(p, p))


def softmax_vjp_diagonal_only(z, g):
    p = _softmax(z)
    return g * p * (1 - p)


def softmax_vjp_without_outer_term(z, g):
    return g * _softmax(z)


def softmax_vjp_sum_for_dot(z, g):
    p = _softmax(z)
    return p * (g - g.sum())


def softmax_vjp_unstable(z, g):
    p = np.exp(z) / np.exp(z).sum()
    return p * (g - g @ p)


def softmax_vjp_row(z, g):
    p = _softmax(z)
    return (p * (g - g @ p))[None, :]


# batch_gradients(X, y, W, b, u) -> (grad_W (n, m), grad_b (n,), grad_u (n,))

def _batch(X, y, W, b, u):
    H = _sigmoid(X @ W.T + b)
    p = _sigmoid(H @ u)
    return H, p


def batch_gradients_summed(X, y, W, b, u):
    H, p = _batch(X, y, W, b, u)
    Delta = (p - y)[:, None] * u * H * (1 - H)
    return Delta.T @ X, Delta.sum(axis=0), H.T @ (p - y)


def batch_gradients_bias_summed(X, y, W, b, u):
    H, p = _batch(X, y, W, b, u)
    Delta = (p - y)[:, None] * u * H * (1 - H)
    return Delta.T @ X / len(X), Delta.sum(axis=0), H.T @ (p - y) / len(X)


def batch_gradients_flattened_W(X, y, W, b, u):
    H, p = _batch(X, y, W, b, u)
    g = (p - y) / len(X)
    Delta = g[:, None] * u * H * (1 - H)
    return (Delta.T @ X).ravel(), Delta.sum(axis=0), H.T @ g


def batch_gradients_transposed_W(X, y, W, b, u):
    H, p = _batch(X, y, W, b, u)
    g = (p - y) / len(X)
    Delta = g[:, None] * u * H * (1 - H)
    return X.T @ Delta, Delta.sum(axis=0), H.T @ g


def batch_gradients_of_the_scores(X, y, W, b, u):
    H, p = _batch(X, y, W, b, u)
    Delta = u * H * (1 - H) / len(X)
    return Delta.T @ X, Delta.sum(axis=0), H.mean(axis=0)


def batch_gradients_flipped_sign(X, y, W, b, u):
    H, p = _batch(X, y, W, b, u)
    g = (y - p) / len(X)
    Delta = g[:, None] * u * H * (1 - H)
    return Delta.T @ X, Delta.sum(axis=0), H.T @ g


def batch_gradients_window_loop(X, y, W, b, u):
    grad_W, grad_b, grad_u = np.zeros_like(W), np.zeros_like(b), np.zeros_like(u)
    for x_k, y_k in zip(X, y):
        h = _sigmoid(W @ x_k + b)
        g = (_sigmoid(u @ h) - y_k) / len(X)
        delta = g * u * h * (1 - h)
        grad_W, grad_b, grad_u = grad_W + np.outer(delta, x_k), grad_b + delta, grad_u + g * h
    return grad_W, grad_b, grad_u


MUTANTS = {
    "sigmoid_jacobian": [
        Mutant(sigmoid_jacobian_vector, says=DIAGONAL_FOR_FULL),
        Mutant(sigmoid_jacobian_row, says=f"{DIAGONAL_FOR_FULL}: a row of derivatives"),
        Mutant(sigmoid_jacobian_broadcast, says=FULL_FOR_DIAGONAL),
        Mutant(sigmoid_jacobian_of_the_function, says="holds σ(z) itself"),
        Mutant(sigmoid_jacobian_tanh_formula, says="derivative formula of tanh"),
    ],
    "affine_derivatives": [
        Mutant(affine_transposed_jacobian, says=TRANSPOSED),
        Mutant(affine_identity_jacobian, says="This is the identity"),
        Mutant(affine_grad_W_jacobian_form, says=JACOBIAN_FORM),
        Mutant(affine_grad_W_transposed, says="transposed gradient"),
        Mutant(affine_grad_W_scaled_rows, says="the rows of W scaled by g"),
    ],
    "hidden_jacobian": [
        Mutant(hidden_jacobian_elementwise_product, says=f"{DIAGONAL_FOR_FULL}: only the diagonal of W"),
        Mutant(hidden_jacobian_activation_only, says=f"{DIAGONAL_FOR_FULL}: this is ∂h/∂z"),
        Mutant(hidden_jacobian_transposed, says=TRANSPOSED),
        Mutant(hidden_jacobian_wrong_order, says="wrong order"),
        Mutant(hidden_jacobian_without_activation, says="the activation is missing"),
    ],
    "window_gradients": [
        Mutant(window_gradients_sigma_not_derivative, says="needs the derivative σ'(z)"),
        Mutant(window_gradients_diagonal_matrix_delta, says="matrix where the vector δ was meant"),
        Mutant(window_gradients_b_as_row, says=f"{JACOBIAN_FORM}: as a Jacobian the derivative of the "
                                                "scalar s is a 1×4 row"),
        Mutant(window_gradients_transposed_W, says="transposed gradient"),
        Mutant(window_gradients_flattened_W, says=JACOBIAN_FORM),
        Mutant(window_gradients_x_as_row, says=f"{JACOBIAN_FORM}: as a Jacobian the derivative of the "
                                                "scalar s is a 1×10 row"),
        Mutant(window_gradients_u_before_activation, says="take the activation's output"),
    ],
    "numerical_jacobian": [
        Mutant(numerical_jacobian_forward, says="forward differences"),
        Mutant(numerical_jacobian_divides_by_h, says="divide their difference by 2h"),
        Mutant(numerical_jacobian_transposed, says=TRANSPOSED),
        Mutant(numerical_jacobian_in_place, says="changed its input `x` in place"),
    ],
    "softmax_jacobian": [
        Mutant(softmax_jacobian_diagonal_only, says=f"{DIAGONAL_FOR_FULL}: p_i(1 − p_i)"),
        Mutant(softmax_jacobian_vector, says=f"{DIAGONAL_FOR_FULL}: n numbers, one per output"),
        Mutant(softmax_jacobian_without_diagonal, says="diagonal term is missing"),
        Mutant(softmax_jacobian_dot_for_outer, says="not the dot product"),
        Mutant(softmax_jacobian_diag_p, says="This is diag(p) alone"),
        Mutant(softmax_jacobian_unstable, says="exp(1000) overflows"),
    ],
    "softmax_vjp": [
        Mutant(softmax_vjp_through_the_jacobian, says=BUILDS_JACOBIAN),
        Mutant(softmax_vjp_diagonal_only, says=DIAGONAL_FOR_FULL),
        Mutant(softmax_vjp_without_outer_term, says="term −(g·p) p is missing"),
        Mutant(softmax_vjp_sum_for_dot, says="not the plain sum of g"),
        Mutant(softmax_vjp_unstable, says="exp(1000) overflows"),
        Mutant(softmax_vjp_row, says=JACOBIAN_FORM),
    ],
    "batch_gradients": [
        Mutant(batch_gradients_summed, says=SUMMED),
        Mutant(batch_gradients_bias_summed, says=f"{SUMMED} (it is N = 6 times too large)"),
        Mutant(batch_gradients_flattened_W, says=JACOBIAN_FORM),
        Mutant(batch_gradients_transposed_W, says="transposed gradient"),
        Mutant(batch_gradients_of_the_scores, says="gradients of the scores"),
        Mutant(batch_gradients_flipped_sign, says="sign is flipped"),
        Mutant(batch_gradients_window_loop, says="uses a `for` loop"),
    ],
}


# A student's own ideas, written as a student would (after MUTANTS, which each lesson's check names).

def numerical_jacobian_ignores_h(f, x, h=1e-6):
    eps = 1e-6
    columns = []
    for j in range(len(x)):
        step = np.zeros(len(x))
        step[j] = eps
        columns.append((f(x + step) - f(x - step)) / (2 * eps))
    return np.stack(columns, axis=1)


def numerical_jacobian_relative_step(f, x, h=1e-6):
    columns = []
    for j in range(len(x)):
        step = np.zeros(len(x))
        step[j] = h * abs(x[j])                     # x_j = 0: a step of 0, and 0 / 0
        columns.append((f(x + step) - f(x - step)) / (2 * step[j]))
    return np.stack(columns, axis=1)


def softmax_jacobian_shifts_in_place(z):
    z -= z.max()                                    # changes the caller's scores
    p = np.exp(z) / np.exp(z).sum()
    return np.diag(p) - np.outer(p, p)


def softmax_vjp_broadcast_jacobian(z, g):
    p = _softmax(z)
    J = np.diag(p) - p[:, None] * p[None, :]        # n×n, built by broadcasting
    return (g[:, None] * J).sum(axis=0)


def batch_gradients_by_map(X, y, W, b, u):
    def one(k):
        h = _sigmoid(W @ X[k] + b)
        g = (_sigmoid(u @ h) - y[k]) / len(X)
        delta = g * u * h * (1 - h)
        return np.outer(delta, X[k]), delta, g * h
    parts = list(map(one, range(len(X))))
    return tuple(sum(part[i] for part in parts) for i in range(3))


def batch_gradients_by_reduce(X, y, W, b, u):
    H, p = _batch(X, y, W, b, u)
    g = (p - y) / len(X)
    Delta = g[:, None] * u * H * (1 - H)
    grad_W = functools.reduce(lambda total, k: total + np.outer(Delta[k], X[k]), range(len(X)), np.zeros_like(W))
    return grad_W, Delta.sum(axis=0), H.T @ g


def batch_gradients_recursive(X, y, W, b, u):
    H, p = _batch(X[:1], y[:1], W, b, u)            # the first window, then the others by recursion
    Delta = (p - y[:1])[:, None] * u * H * (1 - H)
    grad_W, grad_b, grad_u = Delta.T @ X[:1], Delta.sum(axis=0), H.T @ (p - y[:1])
    N = len(X)
    if N == 1:
        return grad_W, grad_b, grad_u
    rest_W, rest_b, rest_u = batch_gradients_recursive(X[1:], y[1:], W, b, u)
    return (grad_W + (N - 1) * rest_W) / N, (grad_b + (N - 1) * rest_b) / N, (grad_u + (N - 1) * rest_u) / N


_HELPER_CELL = """
def window_terms(X, y, W, b, u):
    grad_W, grad_b, grad_u = np.zeros_like(W), np.zeros_like(b), np.zeros_like(u)
    for x_k, y_k in zip(X, y):
        h = 1 / (1 + np.exp(-(W @ x_k + b)))
        g = (1 / (1 + np.exp(-(u @ h))) - y_k) / len(X)
        delta = g * u * h * (1 - h)
        grad_W, grad_b, grad_u = grad_W + np.outer(delta, x_k), grad_b + delta, grad_u + g * h
    return grad_W, grad_b, grad_u


def batch_gradients_loop_in_a_helper(X, y, W, b, u):
    return window_terms(X, y, W, b, u)
"""
_cell: dict = {"np": np}
run_source(_HELPER_CELL, _cell, "<notebook cell: a helper with a loop>")
batch_gradients_loop_in_a_helper = _cell["batch_gradients_loop_in_a_helper"]

OWN_IDEAS = {
    "numerical_jacobian": [Mutant(numerical_jacobian_ignores_h, says="does not change with the step h"),
                           Mutant(numerical_jacobian_relative_step, says="Your step is scaled by x")],
    "softmax_jacobian": [Mutant(softmax_jacobian_shifts_in_place, says="changed its input `z` in place")],
    "softmax_vjp": [Mutant(softmax_vjp_broadcast_jacobian, says=BUILDS_JACOBIAN)],
    "batch_gradients": [Mutant(batch_gradients_by_map, says="`map`"),
                        Mutant(batch_gradients_by_reduce, says="`reduce`"),
                        Mutant(batch_gradients_recursive, says="recursion"),
                        Mutant(batch_gradients_loop_in_a_helper, says="in `window_terms`, which it calls")],
}


# Classes of mistake only the hidden tests are meant to catch.

def sigmoid_jacobian_exp_form(z):
    e = np.exp(-z)
    return np.diag(e / (1 + e) ** 2)               # inf / inf = NaN for z < -709


def sigmoid_jacobian_exp_over_one_plus_exp(z):
    s = np.exp(z) / (1 + np.exp(z))                # inf / inf = NaN for z > 709
    return np.diag(s * (1 - s))


def sigmoid_jacobian_in_the_inputs_dtype(z):
    J = np.diag(np.zeros_like(z))                  # integer z: an integer matrix
    s = _sigmoid(z)
    np.fill_diagonal(J, s * (1 - s))
    return J


def sigmoid_jacobian_squeezed(z):
    z = np.squeeze(z)                              # one score: a 0-d array
    s = _sigmoid(z)
    return np.diag(s * (1 - s))


def affine_squeezed(W, x, g):
    return W.copy(), np.squeeze(np.outer(g, x))     # n = 1 or m = 1: an axis lost


def hidden_jacobian_exp_form(W, b, x):
    e = np.exp(-(W @ x + b))
    return (e / (1 + e) ** 2)[:, None] * W          # NaN for pre-activations below -709


def hidden_jacobian_in_the_inputs_dtype(W, b, x):
    J = np.zeros_like(W)                            # integer W: an integer Jacobian
    J[:] = _slope(W, b, x)[:, None] * W
    return J


def hidden_jacobian_squeezed(W, b, x):
    return np.squeeze(_slope(W, b, x)[:, None] * W)


def window_gradients_exp_form(x, W, b, u):
    e = np.exp(-(W @ x + b))
    h = 1 / (1 + e)
    delta = u * e / (1 + e) ** 2                    # NaN for pre-activations below -709
    return delta, np.outer(delta, x), W.T @ delta, h


def window_gradients_squeezed(x, W, b, u):
    h, delta = _delta(x, W, b, u)
    return delta, np.squeeze(np.outer(delta, x)), W.T @ delta, h


def window_gradients_in_the_inputs_dtype(x, W, b, u):
    h, delta = _delta(x, W, b, u)
    grad_W = np.zeros_like(W)                       # integer W: integer gradients
    grad_W[:] = np.outer(delta, x)
    return delta, grad_W, W.T @ delta, h


def numerical_jacobian_integer_copies(f, x, h=1e-6):
    columns = []
    for j in range(len(x)):
        up, down = x.copy(), x.copy()               # integer x: the step rounds away
        up[j] += h
        down[j] -= h
        columns.append((f(up) - f(down)) / (2 * h))
    return np.stack(columns, axis=1)


def numerical_jacobian_squeezed(f, x, h=1e-6):
    columns = []
    for j in range(len(x)):
        step = np.zeros(len(x))
        step[j] = h
        columns.append((f(x + step) - f(x - step)) / (2 * h))
    return np.squeeze(np.stack(columns, axis=1))    # one output or one input: an axis lost


def _softmax_shifted_by_mean(z):
    e = np.exp(z - z.mean())                        # overflows when the scores spread over ~1400
    return e / e.sum()


def _softmax_shifted_when_large(z):
    shifted = z - z.max() if z.max() > 100 else z  # very negative scores: 0 / 0
    e = np.exp(shifted)
    return e / e.sum()


def softmax_jacobian_shifted_by_the_mean(z):
    p = _softmax_shifted_by_mean(z)
    return np.diag(p) - np.outer(p, p)


def softmax_jacobian_shifted_only_when_large(z):
    p = _softmax_shifted_when_large(z)
    return np.diag(p) - np.outer(p, p)


def softmax_vjp_shifted_by_the_mean(z, g):
    p = _softmax_shifted_by_mean(z)
    return p * (g - g @ p)


def softmax_vjp_shifted_only_when_large(z, g):
    p = _softmax_shifted_when_large(z)
    return p * (g - g @ p)


def batch_gradients_exp_form(X, y, W, b, u):
    H = _sigmoid(X @ W.T + b)
    s = H @ u
    p = np.exp(s) / (1 + np.exp(s))                 # inf / inf = NaN for scores above 709
    g = (p - y) / len(X)
    Delta = g[:, None] * u * H * (1 - H)
    return Delta.T @ X, Delta.sum(axis=0), H.T @ g


def batch_gradients_squeezed(X, y, W, b, u):
    H = np.squeeze(_sigmoid(X @ W.T + b))           # N = 1 or n = 1: an axis lost
    p = _sigmoid(H @ u)
    g = (p - y) / len(X)
    Delta = np.atleast_2d(g[:, None] * u * H * (1 - H))
    return Delta.T @ X, Delta.sum(axis=0), H.T @ g


HIDDEN_ONLY = {
    "sigmoid_jacobian": [sigmoid_jacobian_exp_form, sigmoid_jacobian_exp_over_one_plus_exp,
                         sigmoid_jacobian_in_the_inputs_dtype, sigmoid_jacobian_squeezed],
    "affine_derivatives": [affine_squeezed],
    "hidden_jacobian": [hidden_jacobian_exp_form, hidden_jacobian_in_the_inputs_dtype, hidden_jacobian_squeezed],
    "window_gradients": [window_gradients_exp_form, window_gradients_squeezed, window_gradients_in_the_inputs_dtype],
    "numerical_jacobian": [numerical_jacobian_integer_copies, numerical_jacobian_squeezed],
    "softmax_jacobian": [softmax_jacobian_shifted_by_the_mean, softmax_jacobian_shifted_only_when_large],
    "softmax_vjp": [softmax_vjp_shifted_by_the_mean, softmax_vjp_shifted_only_when_large],
    "batch_gradients": [batch_gradients_exp_form, batch_gradients_squeezed],
}
for exercise, extra in OWN_IDEAS.items():
    MUTANTS[exercise] += extra
for exercise, extra in HIDDEN_ONLY.items():
    MUTANTS[exercise] += [Mutant(fn, visible=False) for fn in extra]
