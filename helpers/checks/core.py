"""The check toolkit: run a student's function, compare its answer, explain the difference.

Visible checks and hidden tests both use these functions. NumPy's comparison functions are bound
here at import time and types are checked exactly (`type(x) is np.ndarray`), so a notebook that
reassigns `np.allclose` or returns an array subclass cannot talk its way past a test.
"""
from __future__ import annotations

import inspect
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from helpers.checks.wire import Opaque

from numpy import abs as _abs
from numpy import allclose as _allclose
from numpy import errstate as _errstate
from numpy import argmax as _argmax
from numpy import finfo as _finfo
from numpy import array_equal as _array_equal
from numpy import isfinite as _isfinite
from numpy import isinf as _isinf
from numpy import isnan as _isnan
from numpy import maximum as _maximum
from numpy import ndarray as _ndarray
from numpy import unravel_index as _unravel_index
from numpy import vdot as _vdot

NOT_A_GUARANTEE = "Visible checks catch common mistakes; hidden tests try more cases when grading."
RED, BOLD, RESET = "\x1b[31m", "\x1b[1m", "\x1b[0m"


class CheckFailed(AssertionError):
    """A wrong answer, explained. Jupyter shows the explanation instead of a traceback."""

    def __init__(self, what: str, problem: str, hint: str = "") -> None:
        self.what, self.problem, self.hint = what, problem, hint
        super().__init__(f"{what} {problem}" + (f"\n{hint}" if hint else ""))

    def _render_traceback_(self) -> list[str]:  # IPython's hook for custom error display
        lines = [f"{RED}{BOLD}✗ {self.what} {self.problem}{RESET}"]
        lines += [f"  {line}" for line in self.hint.splitlines()]
        return lines


def passed(what: str, detail: str = "") -> None:
    """Print the success line of a visible check."""
    print(f"✓ {what}: all visible checks passed{detail}. {NOT_A_GUARANTEE}")


def describe(value: Any) -> str:
    """A short description of a value for messages: 'float64 array of shape (6, 15)'."""
    if type(value) is _ndarray:
        return f"{value.dtype} array of shape {value.shape}"
    if isinstance(value, (list, tuple)):
        return f"{type(value).__name__} of length {len(value)}"
    if isinstance(value, Opaque):
        return f"{value.type_name} object"
    return f"{type(value).__name__} {value!r}"[:200]


def not_written(name: str) -> CheckFailed:
    return CheckFailed(name, "is not written yet.",
                       "Replace `raise NotImplementedError()` with your code, run that cell, then run this "
                       "check again.")


def crashed(name: str, error: str, called: str, line: str = "") -> CheckFailed:
    """`name` raised `error` ("TypeError: ...") when called with `called` (arguments and their shapes)."""
    return CheckFailed(name, f"raised {error}",
                       f"It was called with {called}.{line}\n"
                       "Print the shape of each intermediate array to find the step that breaks.")


def changed_input(name: str, label: str) -> CheckFailed:
    return CheckFailed(name, f"changed its input `{label}` in place.",
                       "Operations like `x -= ...` or `x[...] = ...` on an argument change the "
                       "caller's array too. Work on a new array (e.g. `x = x - ...`).")


def arguments(fn: Callable, args: tuple) -> list[str]:
    """The names of `fn`'s parameters for `args` ("argument 3" where it has no name)."""
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        params = []
    return params[:len(args)] + [f"argument {i + 1}" for i in range(len(params), len(args))]


def called_with(labels: list[str], args: tuple) -> str:
    return "; ".join(f"{label} = {describe(a)}" for label, a in zip(labels, args))


def _student_line(tb) -> str:
    """The last line of the traceback that is the student's own code (a notebook cell)."""
    for frame in reversed(traceback.extract_tb(tb)):
        if "site-packages" not in frame.filename and "/helpers/" not in frame.filename:
            return f"\nIt failed at: {frame.line}" if frame.line else ""
    return ""


def call_student(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call a student's function; turn a crash, an unwritten stub or a changed input into CheckFailed."""
    if not callable(fn):
        raise CheckFailed("The check", f"was given a {describe(fn)}, not a function.",
                          "Pass the function itself, without calling it: `check_name(name)`, "
                          "not `check_name(name(...))`.")
    name = f"`{getattr(fn, '__name__', 'your function')}`"
    labels = arguments(fn, args)
    before = [a.copy() if type(a) is _ndarray else None for a in args]
    try:
        result = fn(*args, **kwargs)
    except NotImplementedError:
        raise not_written(name) from None
    except CheckFailed:
        raise
    except Exception as error:
        raise crashed(name, f"{type(error).__name__}: {error}", called_with(labels, args),
                      _student_line(error.__traceback__)) from None
    for label, old, new in zip(labels, before, args):
        if old is not None and not _array_equal(old, new, equal_nan=True):
            raise changed_input(name, label)
    return result


def expect_array(value: Any, shape: tuple, what: str, *, shape_hints: dict | None = None,
                 integer: bool = False) -> None:
    """Require a plain np.ndarray of the given shape, of floats (or of integers if `integer`)."""
    if value is None:
        raise CheckFailed(what, "is None.", "Did you forget the `return` statement?")
    if type(value) is not _ndarray:
        kind = type(value).__name__
        raise CheckFailed(what, f"is a {kind}, not a NumPy array (np.ndarray).",
                          "Compute the result with NumPy operations on arrays and return that array.")
    if value.shape != shape:
        hint = (shape_hints or {}).get(value.shape, "")
        if not hint and value.shape == shape[::-1] and len(shape) == 2:
            hint = "It looks transposed: rows and columns are swapped."
        elif not hint and tuple(d for d in value.shape if d != 1) == tuple(d for d in shape if d != 1):
            hint = "The numbers may be right, but there is an extra or missing axis of length 1."
        raise CheckFailed(what, f"has shape {value.shape}; expected {shape}.", hint)
    kind = value.dtype.kind
    if integer and kind not in "iu":
        raise CheckFailed(what, f"has dtype {value.dtype}; expected integers.",
                          "Indices must be integers: build them from np.arange, not from floats.")
    if not integer and kind != "f":
        raise CheckFailed(what, f"has dtype {value.dtype}; expected floating-point numbers.",
                          "Integer arithmetic truncates: make sure the computation works on floats.")


def expect_finite(value: _ndarray, what: str, hint: str = "") -> None:
    """Require no NaN or inf entries; say how many there are."""
    if not _isfinite(value).all():
        nans, infs = int(_isnan(value).sum()), int(_isinf(value).sum())
        raise CheckFailed(what, f"contains {nans} NaN and {infs} inf values.", hint)


def _close(a: _ndarray, b: _ndarray, rtol: float, atol: float) -> bool:
    return a.shape == b.shape and bool(_allclose(a, b, rtol=rtol, atol=atol))


def tolerance(got: _ndarray, rtol: float) -> float:
    """The relative tolerance for an answer in `got`'s precision: float32 (or float16) cannot do better
    than a few of its own rounding steps, so it is held to that, never to float64's (and, absolutely, to
    that many steps of the largest expected value: small entries computed from large ones err as much)."""
    if got.dtype.kind == "f" and got.dtype.itemsize < 8:
        return max(rtol, 16 * float(_finfo(got.dtype).eps))
    return rtol


def expect_close(got: _ndarray, want: _ndarray, what: str, *,
                 mistakes: Iterable[tuple[str, _ndarray]] = (), rtol: float = 1e-6,
                 atol: float = 1e-9) -> None:
    """Require `got` ≈ `want` (|got − want| ≤ atol + rtol·|want| everywhere, NumPy's allclose); if not,
    name the mistake that explains the difference.

    `mistakes` are (explanation, the answer that mistake would give) pairs, tried in order; then
    generic ones: transposed, wrong sign, off by a constant factor, off by a constant. Otherwise the
    message says where and by how much the answer differs, and whether that is about float32's precision.
    """
    expect_array(got, want.shape, what)
    if got.dtype.kind == "f" and got.dtype.itemsize < 8 and want.size:      # float32: its error scales with the
        atol = max(atol, tolerance(got, 0.0) * float(_abs(want[_isfinite(want)]).max(initial=0)))  # largest value
    rtol = tolerance(got, rtol)
    if _close(got, want, rtol, atol):
        return
    for explanation, wrong in mistakes:
        if type(wrong) is _ndarray and _close(got, wrong, rtol, atol):
            raise CheckFailed(what, "is not right.", explanation)
    if got.ndim == 2 and want.ndim == 2 and _close(got, want.T, rtol, atol):
        raise CheckFailed(what, "is transposed.", "Rows and columns are swapped; check which axis is which.")
    if _close(got, -want, rtol, atol) and _isfinite(want).all() and _abs(want).max(initial=0) > atol:
        raise CheckFailed(what, "has the wrong sign everywhere.", "Look for a minus sign.")
    if _isfinite(got).all() and _isfinite(want).all() and _vdot(want, want) > 0:
        factor = float(_vdot(got, want) / _vdot(want, want))
        if factor != 0 and abs(factor - 1) > 1e-3 and _close(got, factor * want, rtol, atol):
            raise CheckFailed(what, f"is {factor:.4g} times the right answer everywhere.",
                              "A constant factor is missing or extra.")
        shift = float((got - want).mean())
        if abs(shift) > atol and _close(got, want + shift, rtol, atol):
            raise CheckFailed(what, f"is off by a constant {shift:+.4g} everywhere.",
                              "A constant term is missing or extra.")
    if not _isfinite(got).all() and _isfinite(want).all():
        nans, infs = int(_isnan(got).sum()), int(_isinf(got).sum())
        raise CheckFailed(what, f"contains {nans} NaN and {infs} inf values where the answer is finite.",
                          "Something overflowed or divided by zero: look for exp of a large number, log of 0, "
                          "or a division by a value that can be 0.")
    raise CheckFailed(what, "differs from the expected answer.", _difference(got, want, rtol, atol))


def _difference(got: _ndarray, want: _ndarray, rtol: float, atol: float) -> str:
    """Where and by how much `got` differs from `want`, and what that size suggests."""
    with _errstate(invalid="ignore", over="ignore"):
        excess = _abs(got - want) - (atol + rtol * _abs(want))
    excess[_isnan(excess)] = float("inf")
    index = _unravel_index(_argmax(excess), want.shape)
    at = f" at index {tuple(int(i) for i in index)}" if want.ndim else ""
    g, w = got[index], want[index]
    text = f"For example{at}: got {g:.10g}, expected {w:.10g}"
    if _isfinite(g) and _isfinite(w):
        error = abs(float(g) - float(w))
        relative = error / max(abs(float(w)), 1e-300)
        text += f" (off by {error:.2g}, {relative:.1g} of the value; allowed: {atol:g} + {rtol:g} × |expected|)."
        if relative < 1e-3:
            text += ("\nThat is small: the formula may be right but computed with less precision"
                     + (" (float32 keeps about 7 digits; compute in float64)" if got.dtype.itemsize < 8 else
                        ", e.g. a difference of nearly equal large numbers, or an approximation") + ".")
    else:
        text += "."
    return text
