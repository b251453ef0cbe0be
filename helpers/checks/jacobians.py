"""Visible checks for lesson 2, "Jacobians and the gradients of a window classifier".

Each `check_*` runs the student's function on small seeded inputs, compares it with a reference
written here, and names the mistake when the answer is wrong. Layout mistakes get fixed names, the
same in every check, so a student learns to recognise them:

* a transposed Jacobian (or gradient);
* a full matrix where a diagonal was meant, and only the diagonal where the full matrix was meant;
* the Jacobian form (a row, or a flattened vector) where the shape convention was asked;
* a gradient summed over the batch where it should be averaged (off by a factor N).

Conventions, as in the lesson: one window is a column vector x of length m = 5·D, W is (n, m),
z = W x + b, h = σ(z), s = uᵀh. A batch puts one window per row: X is (N, m), Z = X Wᵀ + b.
The softmax exercises take one vector of n scores z and p = softmax(z).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from helpers.activations import sigmoid
from helpers.checks.core import (
    CheckFailed,
    call_student,
    describe,
    expect_array,
    expect_close,
    expect_finite,
    passed,
)
from helpers.checks.loops import expect_no_loops
from helpers.gradcheck import numerical_jacobian as _reference_jacobian
from helpers.timing import format_bytes, peak_bytes

TRANSPOSED = "This is the transposed Jacobian"
FULL_FOR_DIAGONAL = "This is a full matrix where a diagonal was meant"
DIAGONAL_FOR_FULL = "This is only the diagonal where the full matrix was meant"
JACOBIAN_FORM = "This is the Jacobian form where the shape convention was asked"
SUMMED = "This is summed over the batch where it should be averaged"


BUILDS_JACOBIAN = "builds an n×n matrix"


def _off_diagonal_is_zero(a: np.ndarray) -> bool:
    return bool(np.allclose(a - np.diag(np.diag(a)), 0.0, atol=1e-12))


def _unpack(result: Any, names: list[str], what: str) -> tuple:
    """The student's tuple of results, after checking that it has one entry per name."""
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        raise CheckFailed(what, f"returned {describe(result)}; expected a tuple of {len(names)} arrays "
                                f"({', '.join(names)}).",
                          f"End the function with `return {', '.join(names)}`.")
    return tuple(result)


def check_sigmoid_jacobian(sigmoid_jacobian: Callable) -> None:
    what = "`sigmoid_jacobian(z)`"
    z = np.random.default_rng(10).normal(scale=2.0, size=5)
    n = len(z)
    out = call_student(sigmoid_jacobian, z)
    expect_array(out, (n, n), what, shape_hints={
        (n,): f"{DIAGONAL_FOR_FULL}: these are the n derivatives σ'(z_i), the diagonal of the Jacobian. "
              "The Jacobian itself is the n×n matrix with them on its diagonal and zeros elsewhere "
              "(np.diag turns a vector into such a matrix).",
        (1, n): f"{DIAGONAL_FOR_FULL}: a row of derivatives is not the n×n Jacobian; put them on the "
                "diagonal of a matrix with np.diag.",
    })
    s = sigmoid(z)
    want = np.diag(s * (1 - s))
    if not _off_diagonal_is_zero(out):
        raise CheckFailed(what, "has non-zero entries off the diagonal.",
                          f"{FULL_FOR_DIAGONAL}. Output i of an elementwise function depends only on input "
                          "i, so ∂σ(z)_i/∂z_j = 0 whenever i ≠ j. Did you broadcast the vector of "
                          "derivatives over a whole matrix? Put it on the diagonal with np.diag.")
    expect_close(out, want, what, mistakes=[
        ("The diagonal holds σ(z) itself. The Jacobian needs the derivative σ'(z) = σ(z)(1 − σ(z)).",
         np.diag(s)),
        ("1 − σ(z)² is the derivative formula of tanh, not of the sigmoid: σ'(z) = σ(z)(1 − σ(z)).",
         np.diag(1 - s ** 2)),
    ])
    passed(what)


def check_affine_derivatives(affine_derivatives: Callable) -> None:
    what = "`affine_derivatives(W, x, g)`"
    rng = np.random.default_rng(11)
    for n, m in [(3, 5), (4, 4)]:
        W, x, g = rng.normal(size=(n, m)), rng.normal(size=m), rng.normal(size=n)
        J, grad_W = _unpack(call_student(affine_derivatives, W, x, g), ["J", "grad_W"], what)
        identity = "This is the identity, the Jacobian of z with respect to itself (or to b). z = Wx + b " \
                   f"changes by W when x changes: J = W, shape ({n}, {m})."
        if type(J) is np.ndarray and J.shape == (n, n) and np.array_equal(J, np.eye(n)):
            raise CheckFailed(f"{what}: J", "is not right.", identity)
        expect_array(J, (n, m), f"{what}: J", shape_hints={
            (m, n): f"{TRANSPOSED}: J[i, j] = ∂z_i/∂x_j has one row per output z_i (n = {n} rows) and "
                    f"one column per input x_j (m = {m} columns). For z = Wx + b that is W itself.",
            (m,): "That has the shape of x. The Jacobian of z = Wx + b with respect to x is a matrix: W.",
        })
        expect_close(J, W, f"{what}: J", mistakes=[
            (f"{TRANSPOSED}: J[i, j] = ∂z_i/∂x_j = W[i, j], so J is W, not Wᵀ.", W.T),
            (identity, np.eye(n)),
        ])
        want = np.outer(g, x)
        expect_array(grad_W, (n, m), f"{what}: grad_W", shape_hints={
            (m, n): f"This is the transposed gradient: in the shape convention ∂s/∂W has W's shape "
                    f"({n}, {m}), with entry (i, j) = g_i x_j: the outer product g xᵀ = np.outer(g, x).",
            (n * m,): f"{JACOBIAN_FORM}: as a Jacobian, ∂s/∂W is one row of n·m = {n * m} numbers. SGD "
                      f"subtracts the gradient from W, so it must have W's shape ({n}, {m}): np.outer(g, x).",
            (1, n * m): f"{JACOBIAN_FORM}: as a Jacobian, ∂s/∂W is one row of n·m = {n * m} numbers. SGD "
                        f"subtracts the gradient from W, so it must have W's shape ({n}, {m}): np.outer(g, x).",
        })
        expect_close(grad_W, want, f"{what}: grad_W", mistakes=[
            ("This is the transposed gradient: entry (i, j) must be ∂s/∂W_ij = g_i x_j, so rows follow g "
             "and columns follow x: np.outer(g, x).", want.T),
            ("This is diag(g) W, the rows of W scaled by g. But W itself does not appear in ∂s/∂W: "
             "W_ij multiplies x_j inside z_i, so ∂s/∂W_ij = g_i x_j: np.outer(g, x).", g[:, None] * W),
        ])
    passed(what)


def check_hidden_jacobian(hidden_jacobian: Callable) -> None:
    what = "`hidden_jacobian(W, b, x)`"
    rng = np.random.default_rng(12)
    for n, m in [(4, 4), (3, 6)]:
        W, b, x = rng.normal(size=(n, m)), rng.normal(size=n), rng.normal(size=m)
        out = call_student(hidden_jacobian, W, b, x)
        expect_array(out, (n, m), what, shape_hints={
            (m, n): f"{TRANSPOSED}: one row per hidden unit h_i (n = {n}) and one column per input x_j "
                    f"(m = {m}): ∂h/∂x = diag(σ'(z)) W, not its transpose.",
            (n, n): f"{DIAGONAL_FOR_FULL}: an (n, n) matrix is ∂h/∂z = diag(σ'(z)) alone. The chain rule "
                    "multiplies it by ∂z/∂x = W, which gives (n, m).",
            (n,): f"{DIAGONAL_FOR_FULL}: these are the n numbers σ'(z); the Jacobian ∂h/∂x is the "
                  "(n, m) matrix diag(σ'(z)) W.",
        })
        z = W @ x + b
        s = sigmoid(z)
        d = s * (1 - s)
        want = d[:, None] * W
        mistakes = [
            ("This is ∂z/∂x = W alone: the activation is missing. By the chain rule "
             "∂h/∂x = diag(σ'(z)) W.", W),
            ("The rows of W are scaled by σ(z); they must be scaled by its derivative "
             "σ'(z) = σ(z)(1 − σ(z)).", s[:, None] * W),
        ]
        if n == m:  # mistakes whose shapes only fit a square W
            mistakes += [
                (f"{DIAGONAL_FOR_FULL}: this is ∂h/∂z = diag(σ'(z)) alone. By the chain rule "
                 "∂h/∂x = (∂h/∂z)(∂z/∂x) = diag(σ'(z)) W.", np.diag(d)),
                (f"{DIAGONAL_FOR_FULL}: only the diagonal of W survived. `*` multiplies entry by entry; "
                 "the chain rule multiplies Jacobians as matrices, with `@`.", np.diag(d * np.diag(W))),
                (f"{TRANSPOSED}: row i must be ∂h_i/∂x, i.e. row i of W scaled by σ'(z_i).", want.T),
                ("The Jacobians are multiplied in the wrong order: W diag(σ'(z)) scales the columns of W. "
                 "∂h/∂x = (∂h/∂z)(∂z/∂x) = diag(σ'(z)) W scales its rows.", W * d[None, :]),
            ]
        expect_close(out, want, what, mistakes=mistakes)
    passed(what)


def _window_reference(x: np.ndarray, W: np.ndarray, b: np.ndarray, u: np.ndarray) -> dict:
    z = W @ x + b
    h = sigmoid(z)
    delta = u * h * (1 - h)
    return {"z": z, "h": h, "delta": delta}


def check_window_gradients(window_gradients: Callable) -> None:
    what = "`window_gradients(x, W, b, u)`"
    rng = np.random.default_rng(13)
    n, m = 4, 10
    W, b, u, x = rng.normal(size=(n, m)), rng.normal(size=n), rng.normal(size=n), rng.normal(size=m)
    names = ["grad_b", "grad_W", "grad_x", "grad_u"]
    grad_b, grad_W, grad_x, grad_u = _unpack(call_student(window_gradients, x, W, b, u), names, what)
    r = _window_reference(x, W, b, u)
    z, h, delta = r["z"], r["h"], r["delta"]
    no_derivative = ("δ uses σ(z) where it needs the derivative σ'(z): δ = u ∘ σ'(z) = u ∘ h ∘ (1 − h).",
                     u * h)
    no_u = ("δ is missing u: s = uᵀh, so ∂s/∂h = u, and δ = ∂s/∂z = u ∘ σ'(z).", h * (1 - h))
    row = f"{JACOBIAN_FORM}: as a Jacobian the derivative of the scalar s is a 1×{{k}} row; in the shape " \
          "convention the gradient has the parameter's own shape ({k},)."

    expect_array(grad_b, (n,), f"{what}: grad_b", shape_hints={
        (1, n): row.format(k=n) + " Here ∂s/∂b = δ.",
        (n, 1): "b has shape (n,), so its gradient must too. The lecture's column vector is a 1-D array "
                "in NumPy: drop the extra axis.",
        (n, n): "This is a (diagonal) matrix where the vector δ was meant. uᵀ diag(σ'(z)) is one row of n "
                "numbers; in NumPy it is the elementwise product u * σ'(z).",
    })
    expect_close(grad_b, delta, f"{what}: grad_b", mistakes=[
        no_derivative, no_u,
        ("δ is missing σ'(z): between s and b sits the activation, so δ = u ∘ σ'(z).", u),
    ])

    want_W = np.outer(delta, x)
    expect_array(grad_W, (n, m), f"{what}: grad_W", shape_hints={
        (m, n): f"This is the transposed gradient: ∂s/∂W has W's shape ({n}, {m}); it is δ xᵀ = "
                "np.outer(delta, x), not x δᵀ.",
        (n * m,): f"{JACOBIAN_FORM}: the Jacobian of s with respect to W is one row of n·m = {n * m} "
                  f"numbers; the update W − α·∂s/∂W needs W's shape ({n}, {m}): δ xᵀ.",
        (1, n * m): f"{JACOBIAN_FORM}: the Jacobian of s with respect to W is one row of n·m = {n * m} "
                    f"numbers; the update W − α·∂s/∂W needs W's shape ({n}, {m}): δ xᵀ.",
    })
    expect_close(grad_W, want_W, f"{what}: grad_W", mistakes=[
        (no_derivative[0], np.outer(no_derivative[1], x)),
        (no_u[0], np.outer(no_u[1], x)),
        ("Entry (i, j) must be δ_i x_j, the error signal of unit i times input j: np.outer(delta, x).",
         delta[:, None] * W),
    ])

    expect_array(grad_x, (m,), f"{what}: grad_x", shape_hints={
        (1, m): row.format(k=m) + " δᵀW is that row; the gradient is its transpose Wᵀδ (W.T @ delta).",
        (m, 1): "x has shape (m,), so its gradient must too: drop the extra axis.",
        (n,): "That has the shape of b and u, not of x: ∂s/∂x = Wᵀδ has one entry per input (m).",
    })
    expect_close(grad_x, W.T @ delta, f"{what}: grad_x", mistakes=[
        (no_derivative[0], W.T @ no_derivative[1]),
        ("∂s/∂x must pass through the activation: use δ = u ∘ σ'(z), not u: Wᵀδ.", W.T @ u),
    ])

    expect_array(grad_u, (n,), f"{what}: grad_u", shape_hints={
        (1, n): row.format(k=n) + " Here ∂s/∂u = h.",
        (n, 1): "u has shape (n,), so its gradient must too: drop the extra axis.",
    })
    expect_close(grad_u, h, f"{what}: grad_u", mistakes=[
        ("s = uᵀh, so ∂s/∂u = h = σ(z): take the activation's output, not z.", z),
        ("∂s/∂u is h, not δ: u multiplies h directly, after the activation, so no σ' appears.", delta),
    ])
    passed(what)


def _test_function(x: np.ndarray) -> np.ndarray:
    """A smooth function from R^4 to R^3 whose Jacobian has no zero entries near the test point."""
    return np.array([np.sin(x[0]) * x[1] + x[2], np.exp(0.5 * x[2]) + x[3] ** 3 - x[0],
                     x[0] * x[1] * x[3] + np.cos(x[2])])


def check_numerical_jacobian(numerical_jacobian: Callable) -> None:
    what = "`numerical_jacobian(f, x, h)`"
    x = np.array([0.3, -1.2, 0.8, 0.5])
    h = 1e-3  # large enough that forward and central differences disagree visibly
    out = call_student(numerical_jacobian, _test_function, x, h)
    n, m = 3, len(x)
    expect_array(out, (n, m), what, shape_hints={
        (m, n): f"{TRANSPOSED}: J[i, j] = ∂f_i/∂x_j has one row per output ({n}) and one column per input "
                f"({m}). Fill column j with the differences for x_j: J[:, j] = ...",
        (m,): "One number per input is the gradient of a scalar function; this f returns a vector of "
              f"{n} outputs, so its Jacobian is ({n}, {m}).",
    })
    want = _reference_jacobian(_test_function, x, h)
    forward = np.stack([(_test_function(x + h * e) - _test_function(x)) / h for e in np.eye(m)], axis=1)
    expect_close(out, want, what, rtol=1e-7, atol=1e-10, mistakes=[
        ("These are forward differences, (f(x + h) − f(x)) / h, whose error shrinks only like h. Use "
         "central differences, (f(x + h) − f(x − h)) / 2h: the error terms proportional to h cancel, "
         "leaving ones proportional to h².",
         forward),
        ("f(x + h) and f(x − h) are 2h apart: divide their difference by 2h, not by h.", 2 * want),
        (f"{TRANSPOSED}: J[i, j] = ∂f_i/∂x_j; column j holds the differences for x_j.", want.T),
    ])
    passed(what)


def check_batch_gradients(batch_gradients: Callable) -> None:
    what = "`batch_gradients(X, y, W, b, u)`"
    rng = np.random.default_rng(14)
    N, n, m = 6, 3, 5
    X, W, b, u = rng.normal(size=(N, m)), rng.normal(size=(n, m)), rng.normal(size=n), rng.normal(size=n)
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 1.0])
    names = ["grad_W", "grad_b", "grad_u"]
    grad_W, grad_b, grad_u = _unpack(call_student(batch_gradients, X, y, W, b, u), names, what)
    H = sigmoid(X @ W.T + b)                      # (N, n)
    p = sigmoid(H @ u)                            # (N,)
    g = (p - y) / N                                # ∂J/∂s_k for the mean loss J
    Delta = g[:, None] * u * H * (1 - H)           # (N, n)
    Delta_s = u * H * (1 - H)                      # the same without the loss: gradients of the scores
    summed = f"{SUMMED} (it is N = {N} times too large): the loss is the mean over the N windows, so " \
             "divide the sum by N."
    no_loss = "These are the gradients of the scores s, summed or averaged, not of the loss: each window's " \
              "δ must be multiplied by ∂ℓ/∂s = p − y (and divided by N for the mean)."
    sign = "The sign is flipped: ∂ℓ/∂s = p − y (prediction minus label), so gradient descent lowers p " \
           "when y = 0."
    per_window = "One gradient per window: the batch's gradient is their mean over the windows (axis 0)."

    expect_array(grad_W, (n, m), f"{what}: grad_W", shape_hints={
        (m, n): f"This is the transposed gradient: ∂J/∂W has W's shape ({n}, {m}): Δᵀ X, not Xᵀ Δ.",
        (N, n, m): per_window + " The matrix product Δᵀ X adds up the N outer products δ_k x_kᵀ for you.",
        (n * m,): f"{JACOBIAN_FORM}: as a Jacobian, ∂J/∂W is one row of n·m = {n * m} numbers; the "
                  f"update W − α·∂J/∂W needs W's shape ({n}, {m}): Δᵀ X.",
    })
    want_W = Delta.T @ X
    expect_close(grad_W, want_W, f"{what}: grad_W", mistakes=[
        (summed, N * want_W), (no_loss, Delta_s.T @ X), (no_loss, Delta_s.T @ X / N), (sign, -want_W),
        ("This is the transposed gradient: Δᵀ X, not Xᵀ Δ.", want_W.T),
    ])

    expect_array(grad_b, (n,), f"{what}: grad_b", shape_hints={
        (N, n): per_window,
        (N,): "This has one entry per window: sum Δ over the windows (axis 0), not over the hidden units.",
        (1, n): f"{JACOBIAN_FORM}: b has shape ({n},), so its gradient must too.",
    })
    want_b = Delta.sum(axis=0)
    expect_close(grad_b, want_b, f"{what}: grad_b", mistakes=[
        (summed, N * want_b), (no_loss, Delta_s.sum(axis=0)), (no_loss, Delta_s.mean(axis=0)), (sign, -want_b),
    ])

    expect_array(grad_u, (n,), f"{what}: grad_u", shape_hints={
        (N, n): per_window,
        (N,): "This has one entry per window: ∂J/∂u = Hᵀ g sums over the windows, one entry per hidden unit.",
        (1, n): f"{JACOBIAN_FORM}: u has shape ({n},), so its gradient must too.",
    })
    want_u = H.T @ g
    expect_close(grad_u, want_u, f"{what}: grad_u", mistakes=[
        (summed, N * want_u), (no_loss, H.sum(axis=0)), (no_loss, H.mean(axis=0)), (sign, -want_u),
    ])
    expect_no_loops(batch_gradients)
    passed(what)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


OVERFLOW = ("exp(1000) overflows to inf, and inf / inf is NaN. Compute p with the stable softmax of lesson 1: "
            "subtract the largest score before exp.")


def check_softmax_jacobian(softmax_jacobian: Callable) -> None:
    what = "`softmax_jacobian(z)`"
    z = np.random.default_rng(15).normal(scale=2.0, size=5)
    n = len(z)
    out = call_student(softmax_jacobian, z)
    expect_array(out, (n, n), what, shape_hints={
        (n,): f"{DIAGONAL_FOR_FULL}: n numbers, one per output. The softmax is not elementwise: every p_i "
              "depends on every z_j through the shared sum, so its Jacobian is the full n×n matrix.",
        (1, n): f"{DIAGONAL_FOR_FULL}: a row of n numbers is not the n×n Jacobian of the softmax.",
    })
    p = _softmax(z)
    want = np.diag(p) - np.outer(p, p)
    expect_close(out, want, what, mistakes=[
        (f"{DIAGONAL_FOR_FULL}: p_i(1 − p_i) is ∂p_i/∂z_i only. The softmax is not elementwise: for i ≠ j, "
         "∂p_i/∂z_j = −p_i p_j, so J = diag(p) − p pᵀ.", np.diag(p * (1 - p))),
        ("The diagonal term is missing: ∂p_i/∂z_i = p_i − p_i², so J = diag(p) − p pᵀ, not −p pᵀ.",
         -np.outer(p, p)),
        ("p pᵀ is the outer product, an n×n matrix (np.outer(p, p)), not the dot product pᵀp, one number.",
         np.diag(p) - p @ p),
        ("This is diag(p) alone: all the p_i share one denominator, Σ_j exp(z_j), so each depends on every "
         "z_j. Subtract p pᵀ.", np.diag(p)),
    ])
    big = np.array([1000.0, 1001.0, 1002.0])
    out = call_student(softmax_jacobian, big)
    expect_array(out, (3, 3), what)
    expect_finite(out, what, OVERFLOW)
    p = _softmax(big)
    expect_close(out, np.diag(p) - np.outer(p, p), what)
    passed(what)


def check_softmax_vjp(softmax_vjp: Callable) -> None:
    what = "`softmax_vjp(z, g)`"
    rng = np.random.default_rng(16)
    n = 5
    z, g = rng.normal(scale=2.0, size=n), rng.normal(size=n)
    out = call_student(softmax_vjp, z, g)
    expect_array(out, (n,), what, shape_hints={
        (n, n): "This is a matrix. The vector–Jacobian product gᵀ(∂p/∂z) is a vector with z's shape (n,).",
        (1, n): f"{JACOBIAN_FORM}: gᵀJ is a 1×n row; as a gradient it has z's shape ({n},).",
    })
    p = _softmax(z)
    want = p * (g - g @ p)
    expect_close(out, want, what, mistakes=[
        (f"{DIAGONAL_FOR_FULL}: g ∘ p(1 − p) uses only the diagonal of the Jacobian. Its off-diagonal "
         "entries −p_i p_j add −(g·p) p: the product is p ∘ (g − g·p).", g * p * (1 - p)),
        ("The term −(g·p) p is missing: gᵀ(diag(p) − p pᵀ) = p ∘ g − (g·p) p.", g * p),
        ("g·p is a dot product, one number: subtract Σ_i g_i p_i from every entry of g, not the plain sum "
         "of g.", p * (g - g.sum())),
        ("Multiply by p as well: gᵀ(diag(p) − p pᵀ) = p ∘ (g − g·p).", g - g @ p),
    ])
    big, g = np.array([1000.0, 1001.0, 1002.0]), np.array([1.0, -2.0, 0.5])
    out = call_student(softmax_vjp, big, g)
    expect_array(out, (3,), what)
    expect_finite(out, what, OVERFLOW)
    p = _softmax(big)
    expect_close(out, p * (g - g @ p), what)
    n = 1000
    z, g = rng.normal(size=n), rng.normal(size=n)
    used = peak_bytes(call_student, softmax_vjp, z, g)
    if used > n * n * 8 // 4:
        raise CheckFailed(what, f"{BUILDS_JACOBIAN} (it needed {format_bytes(used)} for n = {n} scores).",
                          f"An n×n matrix of floats takes {format_bytes(n * n * 8)} here. The point of a "
                          "vector–Jacobian product is never to build the Jacobian: p ∘ (g − g·p) needs only "
                          "a few vectors of n numbers.")
    passed(what)
