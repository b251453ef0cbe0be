"""What an exercise's answer may be, and how it is compared: one rule for the visible checks and the grader.

Each lesson's check module says, per exercise, which kind of answer it returns (`ANSWERS`); the
visible check in the student's notebook and the grader outside it compare with the same object, so
whatever one accepts the other accepts.

* `Array`: a NumPy array (`np.ndarray` itself: not a list, not a subclass such as np.matrix) of the
  expected shape. Floating-point unless the exercise asks for integers; float32 or float16 answers
  are held to their own precision. Compared as NumPy's allclose: |got − want| ≤ atol + rtol·|want|.
* `Number`: one real number: a Python float or int, a NumPy scalar, or an array holding one number.
* `Parts`: several results returned together, as a tuple or a list, each compared by its own kind.
* `Keys`: a dict with exactly the named keys, each compared by its own kind.

A wrong answer is explained: first by the exercise's known mistakes (each an explanation and the
answer that mistake gives on the same inputs), then by the generic ones of `expect_close`.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from numpy import asarray as _asarray
from numpy import float64 as _float64
from numpy import floating as _floating
from numpy import integer as _integer
from numpy import ndarray as _ndarray

from helpers.checks import wire
from helpers.checks.core import (CheckFailed, called_with, changed_input, crashed, describe, expect_array,
                                 expect_close, expect_finite, not_written)

Mistakes = Iterable[tuple[str, Any]]


class Answer:
    """How one kind of answer is checked against the expected one."""

    def check(self, got: Any, want: Any, what: str, mistakes: Mistakes = ()) -> None:
        raise NotImplementedError


class Array(Answer):
    """A NumPy array of `want`'s shape and values (see the module docstring)."""

    def __init__(self, rtol: float = 1e-6, atol: float = 1e-9, *, integer: bool = False,
                 shape_hints: dict | None = None, finite_hint: str = "") -> None:
        self.rtol, self.atol, self.integer = rtol, atol, integer
        self.shape_hints, self.finite_hint = shape_hints or {}, finite_hint

    def check(self, got, want, what, mistakes=()):
        for explanation, wrong in mistakes:             # a mistake with its own shape, e.g. a missing axis
            if type(got) is _ndarray and type(wrong) is _ndarray and wrong.shape == got.shape != want.shape:
                raise CheckFailed(what, f"has shape {got.shape}; expected {want.shape}.", explanation)
        expect_array(got, want.shape, what, shape_hints=self.shape_hints, integer=self.integer)
        if self.integer:
            if not (got == want).all():
                wrong = [(e, w) for e, w in mistakes if type(w) is _ndarray and w.shape == got.shape]
                for explanation, answer in wrong:
                    if (got == answer).all():
                        raise CheckFailed(what, "is not right.", explanation)
                raise CheckFailed(what, "differs from the expected answer.",
                                  f"Expected {want.tolist()!s:.200}, got {got.tolist()!s:.200}.")
            return
        if self.finite_hint:
            expect_finite(got, what, self.finite_hint)
        expect_close(got, want, what, mistakes=mistakes, rtol=self.rtol, atol=self.atol)


class Number(Answer):
    """One real number (see the module docstring)."""

    def __init__(self, rtol: float = 1e-6, atol: float = 1e-9, finite_hint: str = "") -> None:
        self.rtol, self.atol, self.finite_hint = rtol, atol, finite_hint

    def check(self, got, want, what, mistakes=()):
        value = as_number(got, what)
        if self.finite_hint:
            expect_finite(value, what, self.finite_hint)
        expect_close(value, _asarray(float(want)), what, rtol=self.rtol, atol=self.atol,
                     mistakes=[(e, _asarray(float(w))) for e, w in mistakes if _is_number(w)])


def _is_number(value) -> bool:
    return (type(value) in (int, float) or isinstance(value, (_floating, _integer))) and type(value) is not bool


def as_number(value, what: str) -> _ndarray:
    """`value` as a 0-d float array, if it is one real number; else CheckFailed."""
    if _is_number(value):
        return _asarray(value, dtype=_float64 if type(value) in (int, float) or isinstance(value, _integer)
                        else value.dtype)
    if type(value) is _ndarray and value.size == 1 and value.dtype.kind in "fiu":
        return _asarray(value.reshape(()), dtype=value.dtype if value.dtype.kind == "f" else _float64)
    raise CheckFailed(what, f"is a {describe(value)}; expected one number.",
                      "Return a single float, e.g. the mean of the per-example values (`.mean()`).")


class Parts(Answer):
    """Several results returned together: `Parts(dx=Array(), dy=Array())` expects `return dx, dy`."""

    def __init__(self, **parts: Answer) -> None:
        self.names, self.parts = list(parts), list(parts.values())

    def check(self, got, want, what, mistakes=()):
        together = f"({', '.join(self.names)})"
        if type(got) not in (tuple, list) or len(got) != len(self.parts):
            raise CheckFailed(what, f"returned a {describe(got)}; expected {len(self.parts)} results {together}.",
                              f"End with `return {', '.join(self.names)}` (a tuple, in this order).")
        mistakes = [(e, w) for e, w in mistakes if isinstance(w, (tuple, list)) and len(w) == len(self.parts)]
        check_parts([(i, part, f"{name} of {what}") for i, (name, part) in enumerate(zip(self.names, self.parts))],
                    got, want, mistakes)


class Keys(Answer):
    """A dict with exactly these keys, `Keys(W=Array(), b=Array())`; or with the expected answer's keys,
    each compared the same way, `Keys(each=Array())`."""

    def __init__(self, each: Answer | None = None, **parts: Answer) -> None:
        self.each, self.parts = each, parts

    def check(self, got, want, what, mistakes=()):
        parts = self.parts or {key: self.each for key in want}
        if type(got) is not dict:
            raise CheckFailed(what, f"is a {describe(got)}; expected a dict with keys {sorted(parts)}.",
                              "Return a dict, e.g. `{" + ", ".join(f'"{k}": d{k}' for k in parts) + "}`.")
        missing, extra = set(parts) - set(got), set(got) - set(parts)
        if missing or extra:
            raise CheckFailed(what, f"has keys {sorted(map(str, got))}; expected {sorted(parts)}.",
                              "One result per name, under that name.")
        mistakes = [(e, w) for e, w in mistakes if type(w) is dict and set(w) == set(parts)]
        check_parts([(key, part, f"[{key!r}] of {what}") for key, part in parts.items()], got, want, mistakes)


def _agrees(answer: Answer, got, wrong) -> bool:
    try:
        answer.check(got, wrong, "")
    except CheckFailed:
        return False
    except Exception:  # noqa: BLE001 — a mistake's answer of another form agrees with nothing
        return False
    return True


def check_parts(parts: list[tuple[Any, Answer, str]], got, want, mistakes: list[tuple[str, Any]]) -> None:
    """Check got[key] against want[key] for every (key, answer, label) of `parts`, naming known mistakes.

    A mistake is named for the part it explains; mistakes that also agree with the student's other parts
    are tried first, so "dZ is not divided by N" is not explained by a mistake that also gets the loss wrong.
    """
    def agreement(mistake) -> int:
        return sum(_agrees(answer, got[key], mistake[1][key]) for key, answer, _ in parts)

    ranked = sorted(mistakes, key=agreement, reverse=True)
    for key, answer, label in parts:
        answer.check(got[key], want[key], label, [(e, w[key]) for e, w in ranked])


def answer_from(record, name: str, labels: list[str], args: tuple):
    """The answer in a record of helpers.courier.run_case, or CheckFailed saying what went wrong instead.

    name: the function's name in backquotes; labels: its parameters' names; args: the case's arguments.
    """
    if type(record) is not dict:
        raise CheckFailed(name, "sent no answer for this case.",
                          "The kernel stopped, or something in the notebook changed how answers are sent.")
    if record.get("not_written"):
        raise not_written(name)
    if "timeout" in record:
        seconds = record["timeout"] if type(record["timeout"]) in (int, float) else 0
        raise CheckFailed(name, f"did not finish in time ({seconds:.3g} s left for this call).",
                          "An endless loop, or a much slower method than the exercise needs? The grader's calls of "
                          "an exercise share half the cell time limit.")
    if "raised" in record:
        kind, message, line = (list(record["raised"]) + ["", "", ""])[:3]
        raise crashed(name, f"{str(kind)[:80]}: {str(message)[:300]}", called_with(labels, args),
                      f"\nIt failed at: {str(line)[:200]}" if line else "")
    changed = record.get("changed") or []
    if type(changed) is list and changed and type(changed[0]) is int and 0 <= changed[0] < len(labels):
        raise changed_input(name, labels[changed[0]])
    try:
        return wire.decode(record.get("value"))
    except (wire.WireError, RecursionError, ValueError, TypeError) as error:
        raise CheckFailed(name, "sent an answer that is not plain data.", str(error)[:200]) from None
