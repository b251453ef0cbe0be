"""Visible checks for lesson 6, "Self-attention: queries, keys, values, masks and heads".

Each `check_*` runs the student's function on the lesson's stored cases (helpers.checks.visible) and
compares with `ANSWERS`, the same comparison the grader makes outside the kernel. Nothing here
computes a right answer.

A causal mask is a boolean array, compared entry by entry. `scaled_dot_product_attention` is also
called through the procedure "later_changed": twice with a causal mask, the second time with the keys
and values of the later tokens changed, so that the check sees whether the future leaks into the past
whatever the mistake that lets it.
"""
from __future__ import annotations

from numpy import all as _all
from numpy import allclose as _allclose
from numpy import array_equal as _array_equal
from numpy import bool_ as _bool
from numpy import isfinite as _isfinite
from numpy import ndarray as _ndarray

from helpers.checks.answers import Answer, Array, Parts
from helpers.checks.core import CheckFailed, describe
from helpers.checks.visible import checker

MODULE = "self_attention"
FIRST, LATER = "first", "later changed"
NOT_FINITE = ("Three ways to get NaN or inf from a softmax: exp of a score above about 709 overflows; a row whose "
              "scores are all very negative has every exp round to 0, and 0/0 is NaN (subtract each row's own "
              "maximum before exp, axis=-1, keepdims=True, to avoid both); and -inf as the blocked score gives "
              "0/0 on a query whose keys are all blocked: use -1e9, and set such a row's weights to 0 by "
              "multiplying them by mask.any(axis=-1, keepdims=True).")
LEAK = ("With a causal mask, changing the keys and values of later tokens changed the outputs of earlier ones. "
        "The mask is wrong, or applied after the softmax: blocked scores must be replaced by a large negative "
        "number (e.g. -1e9) BEFORE the softmax, so that exp gives them exactly 0 weight and they do not enter "
        "the normalising sum.")


class BoolMask(Answer):
    """A boolean array of the expected shape, equal entry by entry."""

    def check(self, got, want, what, mistakes=()):
        if type(got) is not _ndarray:
            raise CheckFailed(what, f"is a {describe(got)}, not a NumPy array.",
                              "Build the mask with NumPy, e.g. from np.tril or a comparison of np.arange.")
        if got.shape != want.shape:
            raise CheckFailed(what, f"has shape {got.shape}; expected {want.shape}.",
                              "Rows are queries and columns are keys: one entry per (query, key) pair.")
        if got.dtype != _bool:
            raise CheckFailed(what, f"has dtype {got.dtype}; expected bool (True/False).",
                              "A mask says yes or no per (query, key) pair. Numbers 0/1 are easy to add or multiply "
                              "by mistake; make it boolean, e.g. `np.tril(np.ones((T, T), dtype=bool))`.")
        if _array_equal(got, want):
            return
        for explanation, wrong in mistakes:
            if type(wrong) is _ndarray and wrong.shape == got.shape and _array_equal(got, wrong):
                raise CheckFailed(what, "is not right.", explanation)
        shown = f" For T={len(want)} you returned\n{got.astype(int)}" if len(want) <= 8 else ""
        raise CheckFailed(what, "is not the causal mask.", f"Entry [i, j] must be True exactly when j ≤ i.{shown}")


def _readable(got, want) -> bool:
    """Whether `got` is an (out, weights) pair of arrays of the expected shapes."""
    return type(got) in (tuple, list) and len(got) == 2 and all(
        type(g) is _ndarray and g.shape == w.shape for g, w in zip(got, want))


class Attention(Answer):
    """(out, weights); or, for the procedure "later_changed", {FIRST: (out, weights), LATER: (out, weights)}:
    the same queries before and after the keys and values of the later tokens changed. Queries whose right
    outputs are the same in both must get the same outputs."""

    def __init__(self) -> None:
        self.pair = Parts(out=Array(finite_hint=NOT_FINITE), weights=Array(finite_hint=NOT_FINITE))

    def check(self, got, want, what, mistakes=()):
        if type(want) is not dict:
            self.pair.check(got, want, what, mistakes)
            return
        if type(got) is not dict or set(got) != set(want):
            raise CheckFailed(what, "sent an answer the check cannot read.",
                              "Something in the notebook changed how answers are sent.")
        if self._agrees(got, want):
            return
        for explanation, wrong in mistakes:
            if type(wrong) is dict and set(wrong) == set(want) and self._agrees(got, wrong):
                raise CheckFailed(what, "is not right.", explanation)
        if _readable(got[FIRST], want[FIRST]) and _readable(got[LATER], want[LATER]):
            before, after = got[FIRST][0], got[LATER][0]
            past = _all(want[FIRST][0] == want[LATER][0], axis=-1)     # the queries the change must not reach
            if _isfinite(before[past]).all() and _isfinite(after[past]).all() and \
                    not _allclose(before[past], after[past], rtol=1e-9, atol=1e-12):
                raise CheckFailed(what, "lets the future leak into the past: changing future tokens changed past "
                                  "outputs.", LEAK)
        for key, label in ((FIRST, what), (LATER, f"{what}, called again with the later keys and values changed,")):
            self.pair.check(got[key], want[key], label,
                            [(e, w[key]) for e, w in mistakes if type(w) is dict and key in w])

    def _agrees(self, got, want) -> bool:
        try:
            for key in (FIRST, LATER):
                self.pair.check(got[key], want[key], "")
        except CheckFailed:
            return False
        return True


class Composed(Parts):
    """Parts computed with the student's other exercises: a difference no known mistake explains says so."""

    def __init__(self, uses: str, **parts: Answer) -> None:
        super().__init__(**parts)
        self.uses = uses

    def check(self, got, want, what, mistakes=()):
        try:
            super().check(got, want, what, mistakes)
        except CheckFailed as failure:
            if any(failure.hint == explanation for explanation, _ in mistakes):
                raise
            raise CheckFailed(failure.what, failure.problem, (failure.hint + "\n" if failure.hint else "") +
                              f"It goes through your {self.uses}: make sure their checks pass first.") from None


def _later_changed(scaled_dot_product_attention, Q, K, V, mask, K_later, V_later) -> dict:
    """Call the attention twice with the same queries and mask, the second time with later keys and values
    changed; both results."""
    return {FIRST: scaled_dot_product_attention(Q, K, V, mask),
            LATER: scaled_dot_product_attention(Q, K_later, V_later, mask)}


PROCEDURES = {"later_changed": _later_changed}

ANSWERS = {
    "causal_mask": BoolMask(),
    "scaled_dot_product_attention": Attention(),
    "attention_backward": Parts(dQ=Array(), dK=Array(), dV=Array()),
    "split_heads": Array(),
    "merge_heads": Array(),
    "multi_head_attention": Composed("split_heads, scaled_dot_product_attention and merge_heads",
                                     out=Array(finite_hint=NOT_FINITE), weights=Array(finite_hint=NOT_FINITE)),
    "positional_encoding": Array(),
}

check_causal_mask = checker(MODULE, "causal_mask")
check_scaled_dot_product_attention = checker(MODULE, "scaled_dot_product_attention")
check_attention_backward = checker(MODULE, "attention_backward")
check_split_heads = checker(MODULE, "split_heads")
check_merge_heads = checker(MODULE, "merge_heads")
check_multi_head_attention = checker(MODULE, "multi_head_attention")
check_positional_encoding = checker(MODULE, "positional_encoding")
