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

from numpy import abs as _abs
from numpy import allclose as _allclose
from numpy import argmax as _argmax
from numpy import array_equal as _array_equal
from numpy import isfinite as _isfinite
from numpy import isinf as _isinf
from numpy import isnan as _isnan
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
    return f"{type(value).__name__} {value!r}"


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
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        params = []
    labels = params + [f"argument {i + 1}" for i in range(len(params), len(args))]
    before = [a.copy() if type(a) is _ndarray else None for a in args]
    try:
        result = fn(*args, **kwargs)
    except NotImplementedError:
        raise CheckFailed(name, "is not written yet.",
                          "Replace `raise NotImplementedError()` with your code, run that cell, "
                          "then run this check again.") from None
    except CheckFailed:
        raise
    except Exception as error:
        called = "; ".join(f"{label} = {describe(a)}" for label, a in zip(labels, args))
        raise CheckFailed(name, f"raised {type(error).__name__}: {error}",
                          f"It was called with {called}.{_student_line(error.__traceback__)}\n"
                          "Print the shape of each intermediate array to find the step that breaks."
                          ) from None
    for label, old, new in zip(labels, before, args):
        if old is not None and not _array_equal(old, new, equal_nan=True):
            raise CheckFailed(name, f"changed its input `{label}` in place.",
                              "Operations like `x -= ...` or `x[...] = ...` on an argument change the "
                              "caller's array too. Work on a new array (e.g. `x = x - ...`).")
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


def expect_close(got: _ndarray, want: _ndarray, what: str, *,
                 mistakes: Iterable[tuple[str, _ndarray]] = (), rtol: float = 1e-6,
                 atol: float = 1e-9) -> None:
    """Require `got` ≈ `want`; if not, name the mistake that explains the difference.

    `mistakes` are (explanation, the answer that mistake would give) pairs, tried in order; then
    generic ones: transposed, wrong sign, off by a constant factor, off by a constant.
    """
    expect_array(got, want.shape, what)
    if _close(got, want, rtol, atol):
        return
    for explanation, wrong in mistakes:
        if _close(got, wrong, rtol, atol):
            raise CheckFailed(what, "is not right.", explanation)
    if got.ndim == 2 and want.ndim == 2 and _close(got, want.T, rtol, atol):
        raise CheckFailed(what, "is transposed.", "Rows and columns are swapped; check which axis is which.")
    if _close(got, -want, rtol, atol):
        raise CheckFailed(what, "has the wrong sign everywhere.", "Look for a minus sign.")
    if _isfinite(got).all() and _vdot(want, want) > 0:
        factor = float(_vdot(got, want) / _vdot(want, want))
        if factor != 0 and _close(got, factor * want, rtol, atol):
            raise CheckFailed(what, f"is {factor:.4g} times the right answer everywhere.",
                              "A constant factor is missing or extra.")
        shift = float((got - want).mean())
        if _close(got, want + shift, rtol, atol):
            raise CheckFailed(what, f"is off by a constant {shift:+.4g} everywhere.",
                              "A constant term is missing or extra.")
    expect_finite(got, what)
    index = _unravel_index(_argmax(_abs(got - want)), want.shape)
    at = f" at index {tuple(int(i) for i in index)}" if want.ndim else ""
    raise CheckFailed(what, "differs from the expected answer.",
                      f"For example{at}: got {got[index]:.6g}, expected {want[index]:.6g}.")
