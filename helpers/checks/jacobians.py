"""Visible checks for lesson 2, "Jacobians and the gradients of a window classifier".

Each `check_*` runs the student's function on the lesson's stored cases (helpers.checks.visible) and
compares with `ANSWERS`, the same comparison the grader makes outside the kernel. Nothing here
computes a right answer.

Layout mistakes get fixed names, the same in every check, so a student learns to recognise them;
`Shaped` names them from the shapes alone:

* a transposed Jacobian (or gradient);
* a full matrix where a diagonal was meant, and only the diagonal where the full matrix was meant;
* the Jacobian form (a row, or a flattened vector) where the shape convention was asked;
* a gradient summed over the batch where it should be averaged (off by a factor N).

`numerical_jacobian` receives a function: a case names one of `FUNCTIONS`, and the procedure
"jacobian" hands the student's function that Python function. `check_softmax_vjp` also measures, in
the student's kernel only, the memory one call with 1000 scores takes; the grader, which cannot trust
what a kernel says about itself, tries so many scores instead (the procedure "repeated") that an n×n
matrix cannot be allocated at all, and checks the answer.
"""
from __future__ import annotations

import tracemalloc

import numpy as np

from helpers.checks.answers import Array, Parts
from helpers.checks.core import CheckFailed
from helpers.checks.visible import checker

MODULE = "jacobians"

TRANSPOSED = "This is the transposed Jacobian"
FULL_FOR_DIAGONAL = "This is a full matrix where a diagonal was meant"
DIAGONAL_FOR_FULL = "This is only the diagonal where the full matrix was meant"
JACOBIAN_FORM = "This is the Jacobian form where the shape convention was asked"
SUMMED = "This is summed over the batch where it should be averaged"
BUILDS_JACOBIAN = "builds an n×n matrix"

SIGMOID_OVERFLOW = ("exp overflows to inf beyond ±709 (exp(710) is inf), and forms such as e^(−t) / (1 + e^(−t))² "
                    "or e^t / (1 + e^t) then compute inf / inf = NaN. Compute h = σ(t) = 1 / (1 + e^(−t)), which only "
                    "goes to 0 there, and σ'(t) as h (1 − h).")
SOFTMAX_OVERFLOW = ("exp(1000) overflows to inf, and inf / inf is NaN; scores that are all very negative "
                    "underflow to 0, and 0 / 0 is NaN too. Compute p with the stable softmax of lesson 1: "
                    "subtract the largest score before exp.")


class Shaped(Array):
    """An array answer whose layout mistakes are named from the shapes alone.

    `name` is what the answer is taken with respect to and `of` what is differentiated: a "gradient" of the
    scalar `of` has `name`'s own shape; a "jacobian" of `of` has a row per output and a column per input.
    `diagonal`: the right answer is a diagonal matrix (the Jacobian of an elementwise function).
    """

    def __init__(self, name: str, of: str = "s", kind: str = "gradient", *, diagonal: bool = False,
                 **options) -> None:
        super().__init__(**options)
        self.name, self.of, self.kind, self.diagonal = name, of, kind, diagonal

    def check(self, got, want, what, mistakes=()):
        if type(got) is np.ndarray and type(want) is np.ndarray and got.shape != want.shape:
            for explanation, wrong in mistakes:          # a known mistake of this very shape names it best
                if type(wrong) is np.ndarray and wrong.shape == got.shape:
                    raise CheckFailed(what, f"has shape {got.shape}; expected {want.shape}.", explanation)
            hint = self.layout(got.shape, want.shape)
            if hint:
                raise CheckFailed(what, f"has shape {got.shape}; expected {want.shape}.", hint)
        if (self.diagonal and type(got) is np.ndarray and got.shape == want.shape and got.dtype.kind == "f"
                and np.isfinite(got).all() and np.abs(got - np.diag(np.diag(got))).max(initial=0) > self.atol):
            raise CheckFailed(what, "has non-zero entries off the diagonal.",
                              f"{FULL_FOR_DIAGONAL}. Output i of an elementwise function depends only on input i, "
                              f"so ∂{self.of}_i/∂{self.name}_j = 0 whenever i ≠ j. Did you broadcast the vector of "
                              "derivatives over a whole matrix? Put it on the diagonal with np.diag.")
        super().check(got, want, what, mistakes)

    def layout(self, got: tuple, want: tuple) -> str:
        """What a wrong shape says about the layout, or "" if it says nothing we can name."""
        of, name = self.of, self.name
        if len(want) == 1 and self.kind == "gradient":
            (k,) = want
            if got == (1, k):
                return (f"{JACOBIAN_FORM}: as a Jacobian the derivative of the scalar {of} is a 1×{k} row; in the "
                        f"shape convention the gradient has {name}'s own shape ({k},).")
            if got == (k, 1):
                return (f"{name} has shape ({k},), so its gradient must too. The lecture's column vector is a 1-D "
                        "array in NumPy: drop the extra axis.")
        if len(want) == 2:
            n, m = want
            if got == (m, n) and n != m:
                if self.kind == "jacobian":
                    return (f"{TRANSPOSED}: J[i, j] = ∂{of}_i/∂{name}_j has one row per output ({n}) and one "
                            f"column per input ({m}).")
                return f"This is the transposed gradient: ∂{of}/∂{name} has {name}'s shape ({n}, {m})."
            if got in ((n * m,), (1, n * m)) and self.kind == "gradient":
                return (f"{JACOBIAN_FORM}: as a Jacobian, ∂{of}/∂{name} is one row of n·m = {n * m} numbers; the "
                        f"update {name} − α·∂{of}/∂{name} needs {name}'s own shape ({n}, {m}).")
        return ""


# --- numerical_jacobian: the functions a case may name ----------------------------------------------------

def _waves(x):
    return np.array([np.sin(x[0]) * x[1] + x[2], np.exp(0.5 * x[2]) + x[3] ** 3 - x[0],
                     x[0] * x[1] * x[3] + np.cos(x[2])])


def _cubic(x):
    return np.array([x[0] ** 2 * x[1], np.sin(x[1]), x[0] * x[2] - x[1] ** 3])


def _ring(x):
    return np.array([x[0] * x[1], x[1] * x[2], x[2] * x[3], x[3] * x[0], x[0] + x[1]])


def _exp(x):
    return np.exp(x)


def _scalar(x):
    return np.array([np.sum(np.sin(x) * np.arange(1, len(x) + 1)) + np.prod(x[:2])])


def _curve(x):
    return np.array([np.cos(x[0]), x[0] ** 3, np.exp(-x[0] ** 2), np.log1p(x[0] ** 2)])


FUNCTIONS = {
    "f(x) = (sin x₀ · x₁ + x₂, e^(x₂/2) + x₃³ − x₀, x₀ x₁ x₃ + cos x₂)": _waves,
    "f(x) = (x₀² x₁, sin x₁, x₀ x₂ − x₁³)": _cubic,
    "f(x) = (x₀ x₁, x₁ x₂, x₂ x₃, x₃ x₀, x₀ + x₁)": _ring,
    "f(x) = exp(x), entry by entry": _exp,
    "f(x) = Σⱼ (j + 1) sin xⱼ + x₀ x₁, one output": _scalar,
    "f(x) = (cos x₀, x₀³, exp(−x₀²), log(1 + x₀²)), one input": _curve,
}


def _jacobian(numerical_jacobian, f: str, x, *h):
    """numerical_jacobian(f, x[, h]) for the function that FUNCTIONS names `f`."""
    return numerical_jacobian(FUNCTIONS[f], x, *h)


def _repeated(softmax_vjp, z, g, copies: int):
    """softmax_vjp on `copies` copies of z and of g end to end (so the grader's case stays small)."""
    return softmax_vjp(np.tile(z, copies), np.tile(g, copies))


PROCEDURES = {"jacobian": _jacobian, "repeated": _repeated}


ANSWERS = {
    "sigmoid_jacobian": Shaped("z", of="σ", kind="jacobian", diagonal=True, finite_hint=SIGMOID_OVERFLOW),
    "affine_derivatives": Parts(J=Shaped("x", of="z", kind="jacobian"), grad_W=Shaped("W")),
    "hidden_jacobian": Shaped("x", of="h", kind="jacobian", finite_hint=SIGMOID_OVERFLOW),
    "window_gradients": Parts(**{f"grad_{p}": Shaped(p, finite_hint=SIGMOID_OVERFLOW) for p in "bWxu"}),
    "numerical_jacobian": Shaped("x", of="f", kind="jacobian", rtol=1e-7, atol=1e-10),
    "softmax_jacobian": Shaped("z", of="p", kind="jacobian", finite_hint=SOFTMAX_OVERFLOW),
    "softmax_vjp": Shaped("z", of="ℓ", finite_hint=SOFTMAX_OVERFLOW),
    "batch_gradients": Parts(**{f"grad_{p}": Shaped(p, of="J", finite_hint=SIGMOID_OVERFLOW) for p in "Wbu"}),
}


check_sigmoid_jacobian = checker(MODULE, "sigmoid_jacobian")
check_affine_derivatives = checker(MODULE, "affine_derivatives")
check_hidden_jacobian = checker(MODULE, "hidden_jacobian")
check_window_gradients = checker(MODULE, "window_gradients")
check_numerical_jacobian = checker(MODULE, "numerical_jacobian")
check_softmax_jacobian = checker(MODULE, "softmax_jacobian")
check_batch_gradients = checker(MODULE, "batch_gradients")
_check_softmax_vjp_cases = checker(MODULE, "softmax_vjp")


def _peak_bytes(fn, *args) -> int | None:
    """The most memory the call fn(*args) held at once, as tracemalloc counts it (NumPy reports its arrays to it);
    None when the call fails (the stored cases then say why)."""
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    start, _ = tracemalloc.get_traced_memory()
    try:
        fn(*args)
        return max(tracemalloc.get_traced_memory()[1] - start, 0)
    except Exception:  # noqa: BLE001 — the stored cases report a crash, with the student's line
        return None
    finally:
        if not tracing:
            tracemalloc.stop()


def check_softmax_vjp(softmax_vjp) -> None:
    """The visible check of `softmax_vjp`: the memory of one call with n = 1000 scores, then the stored cases."""
    n = 1000
    rng = np.random.default_rng(16)
    used = _peak_bytes(softmax_vjp, rng.normal(size=n), rng.normal(size=n)) if callable(softmax_vjp) else None
    if used is not None and used > n * n * 8 // 4:
        raise CheckFailed("`softmax_vjp(z, g)`", f"{BUILDS_JACOBIAN} (it needed {used / 2 ** 20:.1f} MiB for "
                          f"n = {n} scores).",
                          f"An n×n matrix of floats takes {n * n * 8 / 2 ** 20:.1f} MiB here, and the grader tries "
                          "n = 524 288 scores, for which it would take 2 TiB. The point of a vector–Jacobian product "
                          "is never to build the Jacobian: p ∘ (g − g·p) needs only a few vectors of n numbers.")
    _check_softmax_vjp_cases(softmax_vjp)
