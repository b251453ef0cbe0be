"""Hidden tests of lesson 2, "Jacobians and the gradients of a window classifier" (see helpers.grading.spec).

The references are written plainly, entry by entry: a Jacobian as the table of ∂f_i/∂x_j, a batch's
gradient as the mean of each window's contribution, a numerical Jacobian as two evaluations of f per
entry. The cases cover, for every exercise, the classes of input that wrong answers get wrong: a single
output, input or window (n = 1, m = 1, N = 1); pre-activations and scores beyond ±709, where exp
overflows; softmax scores all very negative or spread over more than 1400; exact zeros and ties; an
upstream gradient of zeros; integer inputs; a step h far from the default; and, for softmax_vjp, so
many scores that an n×n matrix cannot be allocated at all.
"""
from __future__ import annotations

import math

import numpy as np

from helpers.checks.jacobians import BUILDS_JACOBIAN, DIAGONAL_FOR_FULL, FUNCTIONS, SUMMED, TRANSPOSED
from helpers.grading.spec import Case, Exercise, Mistake


def _sigmoid(t: float) -> float:
    """σ(t), without overflow for any t."""
    if t >= 0:
        return 1 / (1 + math.exp(-t))
    e = math.exp(t)
    return e / (1 + e)


def _slope(t: float) -> float:
    """σ'(t) = e^(−|t|) / (1 + e^(−|t|))², the same for t and −t; 0 where it underflows."""
    e = math.exp(-abs(t))
    return e / (1 + e) ** 2


def _floats(a) -> list:
    return [float(v) for v in np.ravel(a)]


BEYOND_709 = np.array([-1000.0, -800.0, -710.0, -30.0, 0.0, 30.0, 710.0, 800.0, 1000.0])


# --- sigmoid_jacobian ---------------------------------------------------------------------------------------

def sigmoid_reference(z):
    n = len(z)
    J = np.zeros((n, n))
    for i, t in enumerate(_floats(z)):
        J[i, i] = _slope(t)
    return J


def sigmoid_cases(rng):
    yield Case("one score (n = 1)", (rng.normal(size=1),))
    yield Case("n = 3", (rng.normal(size=3),))
    yield Case("n = 12, scores up to ±10", (rng.normal(scale=4.0, size=12),))
    yield Case("scores beyond ±709, where exp overflows", (BEYOND_709.copy(),))
    yield Case("exact zeros among the scores", (np.array([0.0, 1.5, 0.0, -2.0]),))
    yield Case("every score 0", (np.zeros(4),))
    yield Case("ties: equal scores", (np.array([1.0, 1.0, -1.0, -1.0, 1.0]),))
    yield Case("integer scores", (rng.integers(-5, 6, size=6),))


def sigmoid_visible(rng):
    yield Case("5 scores", (rng.normal(scale=2.0, size=5),))


def _d(z):
    return np.array([_slope(t) for t in _floats(z)])


def _s(z):
    return np.array([_sigmoid(t) for t in _floats(z)])


SIGMOID_MISTAKES = (
    Mistake("sigmoid_jacobian_vector", f"{DIAGONAL_FOR_FULL}: these are the n derivatives σ'(z_i), the diagonal of "
            "the Jacobian. The Jacobian itself is the n×n matrix with them on its diagonal and zeros elsewhere "
            "(np.diag turns a vector into such a matrix).", _d),
    Mistake("sigmoid_jacobian_row", f"{DIAGONAL_FOR_FULL}: a row of derivatives is not the n×n Jacobian; put them "
            "on the diagonal of a matrix with np.diag.", lambda z: _d(z)[None, :]),
    Mistake("sigmoid_jacobian_of_the_function", "The diagonal holds σ(z) itself. The Jacobian needs the derivative "
            "σ'(z) = σ(z)(1 − σ(z)).", lambda z: np.diag(_s(z))),
    Mistake("sigmoid_jacobian_tanh_formula", "1 − σ(z)² is the derivative formula of tanh, not of the sigmoid: "
            "σ'(z) = σ(z)(1 − σ(z)).", lambda z: np.diag(1 - _s(z) ** 2)),
)


# --- affine_derivatives ---------------------------------------------------------------------------------------

def affine_reference(W, x, g):
    n, m = W.shape
    J, grad_W = np.zeros((n, m)), np.zeros((n, m))
    for i in range(n):
        for j in range(m):
            J[i, j] = float(W[i, j])                    # ∂z_i/∂x_j
            grad_W[i, j] = float(g[i]) * float(x[j])    # ∂s/∂W_ij = g_i x_j
    return J, grad_W


def _affine_draw(rng, n, m):
    return rng.normal(size=(n, m)), rng.normal(size=m), rng.normal(size=n)


def affine_cases(rng):
    for n, m in [(1, 1), (1, 5), (5, 1), (2, 7), (6, 3), (5, 5)]:
        yield Case(f"n = {n}, m = {m}", _affine_draw(rng, n, m))
    W, x, g = _affine_draw(rng, 3, 4)
    x[1], g[0] = 0.0, 0.0
    yield Case("x and g with exact zeros", (W, x, g))
    yield Case("an upstream gradient g of zeros", (W, x, np.zeros(3)))
    yield Case("integer x", (W, rng.integers(-3, 4, size=4), g))


def affine_visible(rng):
    for n, m in [(3, 5), (4, 4)]:
        yield Case(f"n = {n}, m = {m}", _affine_draw(rng, n, m))


def _affine(W, x, g):
    return W.astype(float), np.outer(g, x).astype(float)


IDENTITY = ("This is the identity, the Jacobian of z with respect to itself (or to b). z = Wx + b changes by W "
            "when x changes: J = W, shape (n, m).")

AFFINE_MISTAKES = (
    Mistake("affine_transposed_jacobian", f"{TRANSPOSED}: J[i, j] = ∂z_i/∂x_j = W[i, j], so J is W, not Wᵀ.",
            lambda W, x, g: (W.T.copy(), _affine(W, x, g)[1])),
    Mistake("affine_identity_jacobian", IDENTITY, lambda W, x, g: (np.eye(len(g)), _affine(W, x, g)[1])),
    Mistake("affine_jacobian_shaped_like_x", "That has the shape of x. The Jacobian of z = Wx + b with respect to x "
            "is a matrix: W.", lambda W, x, g: (np.asarray(x, dtype=float), _affine(W, x, g)[1])),
    Mistake("affine_grad_W_transposed", "This is the transposed gradient: entry (i, j) must be ∂s/∂W_ij = g_i x_j, "
            "so rows follow g and columns follow x: np.outer(g, x).",
            lambda W, x, g: (W.copy(), _affine(W, x, g)[1].T)),
    Mistake("affine_grad_W_scaled_rows", "This is diag(g) W, the rows of W scaled by g. But W itself does not "
            "appear in ∂s/∂W: W_ij multiplies x_j inside z_i, so ∂s/∂W_ij = g_i x_j: np.outer(g, x).",
            lambda W, x, g: (W.copy(), g[:, None] * W)),
    Mistake("affine_swapped", "J and grad_W are in the wrong order: return (J, grad_W).",
            lambda W, x, g: _affine(W, x, g)[::-1]),
)


# --- hidden_jacobian ------------------------------------------------------------------------------------------

def _pre_activations(W, b, x) -> list:
    n, m = W.shape
    return [math.fsum(float(W[i, j]) * float(x[j]) for j in range(m)) + float(b[i]) for i in range(n)]


def hidden_reference(W, b, x):
    n, m = W.shape
    J = np.zeros((n, m))
    for i, z in enumerate(_pre_activations(W, b, x)):
        for j in range(m):
            J[i, j] = _slope(z) * float(W[i, j])        # ∂h_i/∂x_j = σ'(z_i) W_ij
    return J


def _hidden_draw(rng, n, m):
    return rng.normal(size=(n, m)), rng.normal(size=n), rng.normal(size=m)


BIG_BIAS = np.array([-800.0, 800.0, -710.0, 710.0, 0.5])


def hidden_cases(rng):
    for n, m in [(1, 1), (1, 4), (4, 1), (2, 5), (7, 3), (6, 6)]:
        yield Case(f"n = {n}, m = {m}", _hidden_draw(rng, n, m))
    W, _, x = _hidden_draw(rng, 5, 3)
    yield Case("pre-activations beyond ±709, where exp overflows", (W, BIG_BIAS.copy(), x))
    W, b, _ = _hidden_draw(rng, 4, 3)
    yield Case("x = 0, so h = σ(b)", (W, b, np.zeros(3)))
    yield Case("integer W and x", (rng.integers(-2, 3, size=(3, 4)), rng.normal(size=3), rng.integers(-2, 3, size=4)))


def hidden_visible(rng):
    for n, m in [(4, 4), (3, 6)]:
        yield Case(f"n = {n}, m = {m}", _hidden_draw(rng, n, m))


def _hidden_parts(W, b, x):
    z = np.asarray(W @ x + b, dtype=float)
    return _d(z), _s(z)


def _square(fn):
    """A mistake whose shapes only fit a square W."""
    def answer(W, b, x):
        if W.shape[0] != W.shape[1]:
            raise ValueError("only for a square W")
        return fn(W, b, x)
    return answer


HIDDEN_MISTAKES = (
    Mistake("hidden_jacobian_without_activation", "This is ∂z/∂x = W alone: the activation is missing. By the chain "
            "rule ∂h/∂x = diag(σ'(z)) W.", lambda W, b, x: np.asarray(W, dtype=float)),
    Mistake("hidden_jacobian_sigma_not_derivative", "The rows of W are scaled by σ(z); they must be scaled by its "
            "derivative σ'(z) = σ(z)(1 − σ(z)).", lambda W, b, x: _hidden_parts(W, b, x)[1][:, None] * W),
    Mistake("hidden_jacobian_activation_only", f"{DIAGONAL_FOR_FULL}: this is ∂h/∂z = diag(σ'(z)) alone. By the "
            "chain rule ∂h/∂x = (∂h/∂z)(∂z/∂x) = diag(σ'(z)) W.", lambda W, b, x: np.diag(_hidden_parts(W, b, x)[0])),
    Mistake("hidden_jacobian_vector", f"{DIAGONAL_FOR_FULL}: these are the n numbers σ'(z); the Jacobian ∂h/∂x is "
            "the (n, m) matrix diag(σ'(z)) W.", lambda W, b, x: _hidden_parts(W, b, x)[0]),
    Mistake("hidden_jacobian_elementwise_product", f"{DIAGONAL_FOR_FULL}: only the diagonal of W survived. `*` "
            "multiplies entry by entry; the chain rule multiplies Jacobians as matrices, with `@`.",
            _square(lambda W, b, x: np.diag(_hidden_parts(W, b, x)[0]) * W)),
    Mistake("hidden_jacobian_transposed", f"{TRANSPOSED}: row i must be ∂h_i/∂x, i.e. row i of W scaled by "
            "σ'(z_i).", lambda W, b, x: (_hidden_parts(W, b, x)[0][:, None] * W).T),
    Mistake("hidden_jacobian_wrong_order", "The Jacobians are multiplied in the wrong order: W diag(σ'(z)) scales the "
            "columns of W. ∂h/∂x = (∂h/∂z)(∂z/∂x) = diag(σ'(z)) W scales its rows.",
            _square(lambda W, b, x: W * _hidden_parts(W, b, x)[0][None, :])),
)


# --- window_gradients -----------------------------------------------------------------------------------------

def window_reference(x, W, b, u):
    n, m = W.shape
    h = [_sigmoid(z) for z in _pre_activations(W, b, x)]
    delta = [float(u[i]) * h[i] * (1 - h[i]) for i in range(n)]       # ∂s/∂z_i
    grad_W = np.array([[delta[i] * float(x[j]) for j in range(m)] for i in range(n)]).reshape(n, m)
    grad_x = np.array([math.fsum(float(W[i, j]) * delta[i] for i in range(n)) for j in range(m)])
    return np.array(delta), grad_W, grad_x, np.array(h)


def _window_draw(rng, n, m):
    return rng.normal(size=m), rng.normal(size=(n, m)), rng.normal(size=n), rng.normal(size=n)


def window_cases(rng):
    for n, m in [(1, 1), (1, 5), (4, 1), (3, 15), (8, 40)]:
        yield Case(f"n = {n}, m = {m}", _window_draw(rng, n, m))
    x, W, _, u = _window_draw(rng, 5, 3)
    yield Case("pre-activations beyond ±709, where exp overflows", (x, W, BIG_BIAS.copy(), u))
    x, W, b, _ = _window_draw(rng, 3, 4)
    yield Case("u = 0: an upstream gradient of zeros", (x, W, b, np.zeros(3)))
    yield Case("x = 0", (np.zeros(4), W, b, rng.normal(size=3)))
    yield Case("integer x and W", (rng.integers(-2, 3, size=4), rng.integers(-2, 3, size=(3, 4)), b,
                                   rng.normal(size=3)))


def window_visible(rng):
    yield Case("n = 4, m = 10", _window_draw(rng, 4, 10))


def _window(x, W, b, u, *, slope=True, with_u=True, with_sigma=True):
    z = np.asarray(W @ x + b, dtype=float)
    h = _s(z)
    delta = (u if with_u else 1.0) * ((_d(z) if slope else h) if with_sigma else 1.0)
    return delta, np.outer(delta, x), W.T @ delta, h


def _replace(part: int, value):
    """The right answer with one part replaced by value(x, W, b, u)."""
    def answer(x, W, b, u):
        parts = list(_window(x, W, b, u))
        parts[part] = value(x, W, b, u)
        return tuple(parts)
    return answer


WINDOW_MISTAKES = (
    Mistake("window_gradients_sigma_not_derivative", "δ uses σ(z) where it needs the derivative σ'(z): "
            "δ = u ∘ σ'(z) = u ∘ h ∘ (1 − h).", lambda *a: _window(*a, slope=False)),
    Mistake("window_gradients_without_u", "δ is missing u: s = uᵀh, so ∂s/∂h = u, and δ = ∂s/∂z = u ∘ σ'(z).",
            lambda *a: _window(*a, with_u=False)),
    Mistake("window_gradients_without_slope", "δ is missing σ'(z): between s and b sits the activation, so "
            "δ = u ∘ σ'(z).", lambda *a: _window(*a, with_sigma=False)),
    Mistake("window_gradients_diagonal_matrix_delta", "This is a (diagonal) matrix where the vector δ was meant. "
            "uᵀ diag(σ'(z)) is one row of n numbers; in NumPy it is the elementwise product u * σ'(z).",
            _replace(0, lambda x, W, b, u: np.diag(_window(x, W, b, u)[0]))),
    Mistake("window_gradients_grad_W_scaled_rows", "Entry (i, j) must be δ_i x_j, the error signal of unit i times "
            "input j: np.outer(delta, x).", _replace(1, lambda x, W, b, u: _window(x, W, b, u)[0][:, None] * W)),
    Mistake("window_gradients_grad_x_without_slope", "∂s/∂x must pass through the activation: use δ = u ∘ σ'(z), "
            "not u: Wᵀδ.", _replace(2, lambda x, W, b, u: W.T @ u)),
    Mistake("window_gradients_grad_x_shaped_like_b", "That has the shape of b and u, not of x: ∂s/∂x = Wᵀδ has one "
            "entry per input (m).", _replace(2, lambda x, W, b, u: _window(x, W, b, u)[0])),
    Mistake("window_gradients_u_before_activation", "s = uᵀh, so ∂s/∂u = h = σ(z): take the activation's output, "
            "not z.", _replace(3, lambda x, W, b, u: np.asarray(W @ x + b, dtype=float))),
    Mistake("window_gradients_grad_u_is_delta", "∂s/∂u is h, not δ: u multiplies h directly, after the activation, "
            "so no σ' appears.", _replace(3, lambda x, W, b, u: _window(x, W, b, u)[0])),
)


# --- numerical_jacobian ---------------------------------------------------------------------------------------

DEFAULT_STEP = 1e-6


def numerical_reference(f, x, h=DEFAULT_STEP):
    """Column j: (f(x + h e_j) − f(x − h e_j)) / 2h, each point built entry by entry."""
    fn, point = FUNCTIONS[f], _floats(x)
    columns = []
    for j in range(len(point)):
        up = [v + h if k == j else v for k, v in enumerate(point)]
        down = [v - h if k == j else v for k, v in enumerate(point)]
        columns.append([(a - b) / (2 * h) for a, b in zip(_floats(fn(np.array(up))), _floats(fn(np.array(down))))])
    return np.array(columns).T.reshape(len(columns[0]), len(point))


WAVES, CUBIC, RING, EXP, SCALAR, CURVE = FUNCTIONS


def numerical_cases(rng):
    def case(label, f, x, *h):
        return Case(label, (f, np.asarray(x), *h), kind="jacobian")

    yield case("3 outputs, 3 inputs, h = 1e-4", CUBIC, [0.7, -1.3, 2.0], 1e-4)
    yield case("5 outputs, 4 inputs, the default h", RING, [1.0, -2.0, 0.5, 3.0])
    yield case("one output and one input, h = 1e-3", EXP, [0.4], 1e-3)
    yield case("one output, 6 inputs, h = 1e-5", SCALAR, rng.normal(size=6), 1e-5)
    yield case("4 outputs, one input, h = 1e-2", CURVE, [0.8], 1e-2)
    yield case("a large step, h = 0.5", WAVES, rng.normal(size=4), 0.5)
    yield case("x with exact zeros", WAVES, [0.0, 1.2, 0.0, -0.7], 1e-3)
    yield case("x = 0, the default h", CUBIC, np.zeros(3))
    yield case("integer x, h = 0.25", CUBIC, np.array([1, -2, 3]), 0.25)


def numerical_visible(rng):
    yield Case("h = 1e-3: forward and central differences disagree visibly",
               (WAVES, np.array([0.3, -1.2, 0.8, 0.5]), 1e-3), kind="jacobian")
    yield Case("h = 0.1: the step given is used", (WAVES, np.array([-0.6, 0.9, 0.2, -1.1]), 0.1), kind="jacobian")


def _differences(f, x, h=DEFAULT_STEP, *, kind="central", integer=False):
    fn, x = FUNCTIONS[f], np.asarray(x)
    base = x.copy() if integer else x.astype(float)
    columns = []
    for j in range(len(x)):
        step = h * abs(float(x[j])) if kind == "relative" else h
        up, down = base.copy(), base.copy()
        up[j] += step                               # an integer array rounds the step away
        down[j] -= step
        if kind == "forward":
            columns.append((fn(up) - fn(base)) / step)
        elif kind == "backward":
            columns.append((fn(base) - fn(down)) / step)
        else:
            columns.append((fn(up) - fn(down)) / (2 * step) * (2 if kind == "over h" else 1))
    return np.stack(columns, axis=1)


def _on_integers(f, x, h=DEFAULT_STEP):
    if np.asarray(x).dtype.kind not in "iu":
        raise ValueError("only for integer x")
    return _differences(f, x, h, integer=True)


NUMERICAL_MISTAKES = (
    Mistake("numerical_jacobian_forward", "These are forward differences, (f(x + h) − f(x)) / h, whose error shrinks "
            "only like h. Use central differences, (f(x + h) − f(x − h)) / 2h: the error terms proportional to h "
            "cancel, leaving ones proportional to h².", lambda f, x, h=DEFAULT_STEP: _differences(f, x, h, kind="forward")),
    Mistake("numerical_jacobian_backward", "These are backward differences, (f(x) − f(x − h)) / h, whose error "
            "shrinks only like h. Use central differences, (f(x + h) − f(x − h)) / 2h.",
            lambda f, x, h=DEFAULT_STEP: _differences(f, x, h, kind="backward")),
    Mistake("numerical_jacobian_divides_by_h", "f(x + h) and f(x − h) are 2h apart: divide their difference by 2h, "
            "not by h.", lambda f, x, h=DEFAULT_STEP: _differences(f, x, h, kind="over h")),
    Mistake("numerical_jacobian_transposed", f"{TRANSPOSED}: J[i, j] = ∂f_i/∂x_j; column j holds the differences "
            "for x_j.", lambda f, x, h=DEFAULT_STEP: _differences(f, x, h).T),
    Mistake("numerical_jacobian_ignores_h", "Your answer does not change with the step h: use the h you are given "
            "(1e-6 is only the default, for calls that give none).",
            lambda f, x, h=DEFAULT_STEP: _differences(f, x, DEFAULT_STEP)),
    Mistake("numerical_jacobian_relative_step", "Your step is scaled by x (h·|x_j|): use the step h itself for every "
            "input, (f(x + h e_j) − f(x − h e_j)) / 2h; a scaled step is also 0, and the quotient 0 / 0, where x_j = 0.",
            lambda f, x, h=DEFAULT_STEP: _differences(f, x, h, kind="relative")),
    Mistake("numerical_jacobian_integer_steps", "x holds integers here, so a copy of x does too, and adding h to one "
            "of its entries rounds the step away. Work on a float copy: np.array(x, dtype=float).", _on_integers),
)


# --- softmax_jacobian and softmax_vjp -------------------------------------------------------------------------

def _probabilities(z) -> np.ndarray:
    """p = exp(z − log Σ_k exp z_k), the log of the sum taken after a shift by the largest score, the sum exactly."""
    z = np.asarray(z, dtype=float)
    top = float(z.max())
    return np.exp(z - (top + math.log(math.fsum(np.exp(z - top).tolist()))))


def softmax_jacobian_reference(z):
    p = _probabilities(z)
    n = len(p)
    J = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            J[i, j] = (p[i] if i == j else 0.0) - p[i] * p[j]      # ∂p_i/∂z_j
    return J


def softmax_vjp_reference(z, g, copies=1):
    """(gᵀJ)_j = Σ_i g_i ∂p_i/∂z_j = Σ_i g_i ([i = j] p_i − p_i p_j) = g_j p_j − p_j Σ_i g_i p_i, for `copies`
    copies of z and g end to end."""
    z, g = np.tile(np.asarray(z, dtype=float), copies), np.tile(np.asarray(g, dtype=float), copies)
    p = _probabilities(z)
    return g * p - p * math.fsum((g * p).tolist())


MANY = 1 << 19      # scores: an n×n float64 matrix would take 2 TiB, beyond any machine's memory


def softmax_scores(rng):
    """(label, z) for the classes of scores both softmax exercises meet."""
    yield "one score (n = 1)", rng.normal(size=1)
    yield "n = 2", rng.normal(size=2)
    yield "n = 12, scores spread ±15", rng.normal(scale=5.0, size=12)
    yield "every score very negative (near −1000)", rng.normal(scale=3.0, size=5) - 1000.0
    yield "scores near +1000", rng.normal(scale=3.0, size=5) + 1000.0
    yield "a spread beyond 1400", np.array([1450.0, 0.0, -3.0, 2.0])
    yield "scores from −1000 to +1000", np.array([-1000.0, 0.0, 1000.0, 999.0])
    yield "a score so low its probability underflows to 0", np.array([0.0, -800.0, 1.0])
    yield "ties: equal scores", np.array([2.0, 2.0, -1.0, 2.0])
    yield "every score 0", np.zeros(4)
    yield "integer scores", rng.integers(-5, 6, size=5)


def softmax_jacobian_cases(rng):
    for label, z in softmax_scores(rng):
        yield Case(label, (z,))


def softmax_jacobian_visible(rng):
    yield Case("5 scores", (rng.normal(scale=2.0, size=5),))
    yield Case("scores near 1000", (np.array([1000.0, 1001.0, 1002.0]),))


def softmax_vjp_cases(rng):
    for label, z in softmax_scores(rng):
        yield Case(label, (z, rng.normal(size=len(z))))
    yield Case("g = 0: an upstream gradient of zeros", (rng.normal(size=4), np.zeros(4)))
    yield Case("g the same for every class (the answer is 0: p sums to 1)", (rng.normal(size=5), np.full(5, 3.0)))
    yield Case("integer g", (rng.normal(size=4), rng.integers(-3, 4, size=4)))
    period = 1024
    yield Case(f"n = {MANY:,} scores ({period} scores repeated {MANY // period} times): a softmax_vjp that "
               f"{BUILDS_JACOBIAN} runs out of memory, since it would need 2 TiB",
               (rng.normal(scale=3.0, size=period), rng.normal(size=period), MANY // period), kind="repeated")


def softmax_vjp_visible(rng):
    yield Case("5 scores", (rng.normal(scale=2.0, size=5), rng.normal(size=5)))
    yield Case("scores near 1000", (np.array([1000.0, 1001.0, 1002.0]), np.array([1.0, -2.0, 0.5])))


def _p(z):
    return _probabilities(z)


SOFTMAX_JACOBIAN_MISTAKES = (
    Mistake("softmax_jacobian_diagonal_only", f"{DIAGONAL_FOR_FULL}: p_i(1 − p_i) is ∂p_i/∂z_i only. The softmax is "
            "not elementwise: for i ≠ j, ∂p_i/∂z_j = −p_i p_j, so J = diag(p) − p pᵀ.",
            lambda z: np.diag(_p(z) * (1 - _p(z)))),
    Mistake("softmax_jacobian_vector", f"{DIAGONAL_FOR_FULL}: n numbers, one per output. The softmax is not "
            "elementwise: every p_i depends on every z_j through the shared sum, so its Jacobian is the full n×n "
            "matrix.", lambda z: _p(z) * (1 - _p(z))),
    Mistake("softmax_jacobian_row", f"{DIAGONAL_FOR_FULL}: a row of n numbers is not the n×n Jacobian of the "
            "softmax.", lambda z: (_p(z) * (1 - _p(z)))[None, :]),
    Mistake("softmax_jacobian_without_diagonal", "The diagonal term is missing: ∂p_i/∂z_i = p_i − p_i², so "
            "J = diag(p) − p pᵀ, not −p pᵀ.", lambda z: -np.outer(_p(z), _p(z))),
    Mistake("softmax_jacobian_dot_for_outer", "p pᵀ is the outer product, an n×n matrix (np.outer(p, p)), not the "
            "dot product pᵀp, one number.", lambda z: np.diag(_p(z)) - _p(z) @ _p(z)),
    Mistake("softmax_jacobian_diag_p", "This is diag(p) alone: all the p_i share one denominator, Σ_j exp(z_j), so "
            "each depends on every z_j. Subtract p pᵀ.", lambda z: np.diag(_p(z))),
)

SOFTMAX_VJP_MISTAKES = (
    Mistake("softmax_vjp_diagonal_only", f"{DIAGONAL_FOR_FULL}: g ∘ p(1 − p) uses only the diagonal of the Jacobian. "
            "Its off-diagonal entries −p_i p_j add −(g·p) p: the product is p ∘ (g − g·p).",
            lambda z, g: g * _p(z) * (1 - _p(z))),
    Mistake("softmax_vjp_without_outer_term", "The term −(g·p) p is missing: gᵀ(diag(p) − p pᵀ) = p ∘ g − (g·p) p.",
            lambda z, g: g * _p(z)),
    Mistake("softmax_vjp_sum_for_dot", "g·p is a dot product, one number: subtract Σ_i g_i p_i from every entry of g, "
            "not the plain sum of g.", lambda z, g: _p(z) * (g - g.sum())),
    Mistake("softmax_vjp_without_p", "Multiply by p as well: gᵀ(diag(p) − p pᵀ) = p ∘ (g − g·p).",
            lambda z, g: g - g @ _p(z)),
    Mistake("softmax_vjp_matrix", "This is a matrix. The vector–Jacobian product gᵀ(∂p/∂z) is a vector with z's "
            "shape (n,).", lambda z, g: g[:, None] * (np.diag(_p(z)) - np.outer(_p(z), _p(z)))),
)


# --- batch_gradients ------------------------------------------------------------------------------------------

def batch_reference(X, y, W, b, u):
    N, (n, m) = len(X), W.shape
    grad_W, grad_b, grad_u = np.zeros((n, m)), np.zeros(n), np.zeros(n)
    for k in range(N):                                  # each window's share of the mean loss J
        h = [_sigmoid(z) for z in _pre_activations(W, b, X[k])]
        p = _sigmoid(math.fsum(float(u[i]) * h[i] for i in range(n)))
        error = (p - float(y[k])) / N                   # ∂J/∂s_k
        for i in range(n):
            delta = error * float(u[i]) * h[i] * (1 - h[i])
            grad_b[i] += delta
            grad_u[i] += error * h[i]
            for j in range(m):
                grad_W[i, j] += delta * float(X[k, j])
    return grad_W, grad_b, grad_u


def _batch_draw(rng, N, n, m):
    return (rng.normal(size=(N, m)), rng.integers(0, 2, size=N).astype(float), rng.normal(size=(n, m)),
            rng.normal(size=n), rng.normal(size=n))


BATCH_SIZES = [(1, 1, 1), (1, 3, 5), (6, 1, 4), (5, 3, 1), (7, 3, 10), (50, 8, 40)]


def batch_cases(rng):
    for N, n, m in BATCH_SIZES:
        yield Case(f"N = {N}, n = {n}, m = {m}", _batch_draw(rng, N, n, m))
    X, y, W, b, u = _batch_draw(rng, 5, 3, 4)
    yield Case("every label 0", (X, np.zeros(5), W, b, u))
    yield Case("every label 1", (X, np.ones(5), W, b, u))
    yield Case("integer labels", (X, rng.integers(0, 2, size=5), W, b, u))
    yield Case("integer X", (rng.integers(-2, 3, size=(5, 4)), y, W, b, u))
    X, y, W, _, u = _batch_draw(rng, 4, 5, 3)
    yield Case("pre-activations beyond ±709, where exp overflows", (X, y, W, BIG_BIAS.copy(), u))
    X, y, W, b, _ = _batch_draw(rng, 4, 3, 4)
    yield Case("scores s beyond ±709 (large u)", (X, np.array([1.0, 0.0, 1.0, 0.0]), W, b,
                                                  np.array([1000.0, -2500.0, 800.0])))


def batch_visible(rng):
    N, n, m = 6, 3, 5
    X, W, b, u = rng.normal(size=(N, m)), rng.normal(size=(n, m)), rng.normal(size=n), rng.normal(size=n)
    yield Case(f"N = {N}, n = {n}, m = {m}", (X, np.array([1.0, 0.0, 0.0, 1.0, 0.0, 1.0]), W, b, u))


def _batch(X, y, W, b, u, *, error=True, scale=1.0, sign=1.0):
    Z = np.asarray(X @ W.T + b, dtype=float)
    H = np.array([[_sigmoid(t) for t in row] for row in Z]).reshape(Z.shape)
    p = np.array([_sigmoid(float(s)) for s in H @ u])
    g = sign * (p - y) / len(X) * scale if error else np.full(len(X), scale)
    Delta = g[:, None] * u * H * (1 - H)
    return Delta, H, g


def _batch_answer(*args, **options):
    Delta, H, g = _batch(*args, **options)
    return Delta.T @ args[0], Delta.sum(axis=0), H.T @ g


def _per_window(X, y, W, b, u):
    Delta, H, g = _batch(X, y, W, b, u)
    return Delta[:, :, None] * X[:, None, :], Delta, H * g[:, None]


def _only_for(N: int, answer):
    """A mistake whose message names N: it names nothing for a batch of another size."""
    def for_batch(X, *rest):
        if len(X) != N:
            raise ValueError(f"only for N = {N}")
        return answer(X, *rest)
    return for_batch


PER_WINDOW = "One gradient per window: the batch's gradient is their mean over the windows (axis 0)."
NO_LOSS = ("These are the gradients of the scores s, summed or averaged, not of the loss: each window's δ must be "
           "multiplied by ∂ℓ/∂s = p − y (and divided by N for the mean).")

BATCH_MISTAKES = tuple(
    Mistake("batch_gradients_summed", f"{SUMMED} (it is N = {N} times too large): the loss is the mean over the N "
            "windows, so divide the sum by N.", _only_for(N, lambda *a, N=N: _batch_answer(*a, scale=N)))
    for N in sorted({N for N, _, _ in BATCH_SIZES} | {4, 5, 6}) if N > 1
) + tuple(
    Mistake("batch_gradients_divided_twice", f"The gradients are N = {N} times too small: divide by N once, where "
            "the mean's gradient (p − y) / N enters.", _only_for(N, lambda *a, N=N: _batch_answer(*a, scale=1 / N)))
    for N in sorted({N for N, _, _ in BATCH_SIZES} | {4, 5, 6}) if N > 1
) + (
    Mistake("batch_gradients_of_the_scores", NO_LOSS, lambda *a: _batch_answer(*a, error=False)),
    Mistake("batch_gradients_of_the_mean_scores", NO_LOSS, lambda *a: _batch_answer(*a, error=False, scale=1 / len(a[0]))),
    Mistake("batch_gradients_flipped_sign", "The sign is flipped: ∂ℓ/∂s = p − y (prediction minus label), so "
            "gradient descent lowers p when y = 0.", lambda *a: _batch_answer(*a, sign=-1.0)),
    Mistake("batch_gradients_per_window", PER_WINDOW + " The matrix product Δᵀ X adds up the N outer products "
            "δ_k x_kᵀ for you.", _per_window),
    Mistake("batch_gradients_b_per_window", "This has one entry per window: sum Δ over the windows (axis 0), not "
            "over the hidden units.", lambda *a: (_batch_answer(*a)[0], _batch(*a)[0].sum(axis=1), _batch_answer(*a)[2])),
)


EXERCISES = [
    Exercise("sigmoid_jacobian", sigmoid_reference, sigmoid_cases, sigmoid_visible, seed=200,
             mistakes=SIGMOID_MISTAKES),
    Exercise("affine_derivatives", affine_reference, affine_cases, affine_visible, seed=210, mistakes=AFFINE_MISTAKES),
    Exercise("hidden_jacobian", hidden_reference, hidden_cases, hidden_visible, seed=220, mistakes=HIDDEN_MISTAKES),
    Exercise("window_gradients", window_reference, window_cases, window_visible, seed=230, mistakes=WINDOW_MISTAKES),
    Exercise("numerical_jacobian", numerical_reference, numerical_cases, numerical_visible, seed=240,
             call="numerical_jacobian(f, x, h)", mistakes=NUMERICAL_MISTAKES),
    Exercise("softmax_jacobian", softmax_jacobian_reference, softmax_jacobian_cases, softmax_jacobian_visible,
             seed=250, mistakes=SOFTMAX_JACOBIAN_MISTAKES),
    Exercise("softmax_vjp", softmax_vjp_reference, softmax_vjp_cases, softmax_vjp_visible, seed=260,
             call="softmax_vjp(z, g)", mistakes=SOFTMAX_VJP_MISTAKES),
    Exercise("batch_gradients", batch_reference, batch_cases, batch_visible, seed=270, vectorized=True,
             mistakes=BATCH_MISTAKES),
]
