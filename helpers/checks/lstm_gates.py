"""Visible checks for lesson 5, "RNNs, vanishing gradients, and the LSTM's gates".

Each `check_*` runs the student's function on the lesson's stored cases (helpers.checks.visible) and
compares with `ANSWERS`, the same comparison the grader makes outside the kernel. Nothing here
computes a right answer.

`clip_by_global_norm` is called through the procedure "clip", which also sends the gradients it was
given as they are after the call: a clipping that changes them in place is wrong however right its
result. Its list of clipped arrays may come as a list or a tuple, like every group of results.
"""
from __future__ import annotations

from numpy import array_equal as _array_equal
from numpy import ndarray as _ndarray

from helpers.checks.answers import Answer, Array, Number, Parts, check_parts
from helpers.checks.core import CheckFailed, describe
from helpers.checks.visible import checker

MODULE = "lstm_gates"

OVERFLOW = ("exp of a large number overflows (beyond about 709): use np.tanh for tanh, and write "
            "σ(a) = 1 / (1 + np.exp(−a)), which comes out as exactly 0 or 1 at the extremes, never NaN.")


class ArrayList(Answer):
    """A list (or tuple) of arrays, one per expected array, each compared by `each`."""

    def __init__(self, each: Answer | None = None) -> None:
        self.each = each or Array()

    def check(self, got, want, what, mistakes=()):
        if type(got) not in (list, tuple):
            raise CheckFailed(what, f"is a {describe(got)}; expected a list of {len(want)} arrays.",
                              "One array per gradient, in the order they were given.")
        if len(got) != len(want):
            raise CheckFailed(what, f"holds {len(got)} arrays; expected {len(want)}.",
                              "One array per gradient, in the order they were given.")
        mistakes = [(e, w) for e, w in mistakes if type(w) in (list, tuple) and len(w) == len(want)]
        check_parts([(k, self.each, f"array {k} of {what}") for k in range(len(want))], got, want, mistakes)


class Clipping(Answer):
    """What the procedure "clip" sends: {"returned": (clipped, norm), "grads after the call": [...]}."""

    def __init__(self) -> None:
        self.returned = Parts(clipped=ArrayList(), norm=Number())

    def check(self, got, want, what, mistakes=()):
        if type(got) is not dict or set(got) != set(want):
            raise CheckFailed(what, "sent an answer the check cannot read.",
                              "Something in the notebook changed how answers are sent.")
        after, before = got["grads after the call"], want["grads after the call"]
        if type(after) is not list or len(after) != len(before) or not all(
                type(a) is _ndarray and _array_equal(a, b) for a, b in zip(after, before)):
            raise CheckFailed(what, "changed the gradient arrays it was given, in place.",
                              "Return new arrays (g * scale) in a new list, and leave the list and the arrays you "
                              "were given as they are: `g *= scale` changes the caller's gradients too.")
        self.returned.check(got["returned"], want["returned"], what,
                            [(e, w["returned"]) for e, w in mistakes if type(w) is dict and "returned" in w])


def _clip(clip_by_global_norm, grads, max_norm) -> dict:
    """Call clip_by_global_norm(grads, max_norm); what it returned, and `grads` as they are afterwards."""
    returned = clip_by_global_norm(grads, max_norm)
    return {"returned": returned, "grads after the call": list(grads)}


PROCEDURES = {"clip": _clip}

ANSWERS = {
    "rnn_step": Array(finite_hint=OVERFLOW),
    "rnn_step_backward": Parts(dx=Array(), dh_prev=Array(), dWx=Array(), dWh=Array(), db=Array()),
    "rnn_backward": Parts(dxs=Array(), dh0=Array(), dWx=Array(), dWh=Array(), db=Array()),
    "clip_by_global_norm": Clipping(),
    "lstm_step": Parts(h=Array(finite_hint=OVERFLOW), c=Array(finite_hint=OVERFLOW)),
    "lstm_step_backward": Parts(**{name: Array(finite_hint=OVERFLOW) for name in ("dx", "dh_prev", "dc_prev", "dW",
                                                                                  "db")}),
    "lstm_forward": Parts(hs=Array(), cs=Array()),
    "lstm_backward": Parts(dxs=Array(), dh0=Array(), dc0=Array(), dW=Array(), db=Array()),
}

check_rnn_step = checker(MODULE, "rnn_step")
check_rnn_step_backward = checker(MODULE, "rnn_step_backward")
check_rnn_backward = checker(MODULE, "rnn_backward")
check_clip_by_global_norm = checker(MODULE, "clip_by_global_norm")
check_lstm_step = checker(MODULE, "lstm_step")
check_lstm_step_backward = checker(MODULE, "lstm_step_backward")
check_lstm_forward = checker(MODULE, "lstm_forward")
check_lstm_backward = checker(MODULE, "lstm_backward")
