"""Typical wrong answers to lesson 2 (02_jacobians).

Every layout mistake the checks name has a mutant here: a transposed Jacobian or gradient, a full
matrix where a diagonal was meant (and only the diagonal where the full matrix was meant), the
Jacobian form where the shape convention was asked, and a gradient summed where it should be averaged.
"""
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
