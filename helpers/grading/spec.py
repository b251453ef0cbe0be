"""How a lesson's hidden tests are written: a plain reference, cases by class, and the mistakes to name.

A lesson's hidden tests are the module `helpers/grading/hidden_tests/<lesson>.py` (lesson 3's is
`backprop_nodes.py`), holding `EXERCISES = [Exercise(...), ...]`. They are trusted code: the grader
runs them outside the student's kernel, and a kernel being graded cannot see them. Nothing in them
is sent to a kernel but the cases' arguments.

For each exercise:

* `reference(*args)` computes the right answer, written plainly (loops are fine, and welcome: an
  implementation unlike the solution's catches mistakes in both);
* `cases(rng)` yields the hidden cases, each labelled with the class of input it stands for (extreme
  values, degenerate and higher-rank shapes, zeros, ties, duplicates...), drawn from the seeded
  generator so that every run, and every regrade, tries the same ones;
* `visible(rng)` yields the few cases the visible check in the notebook tries; `course release`
  stores them, with the reference's answers and the mistakes' answers, as data the check reads
  (helpers/checks/visible/), so no answer-computing code is within a kernel's reach;
* `mistakes`: the wrong answers students really give, each with the explanation a student reads
  when their answer equals that mistake's on the same inputs;
* `vectorized=True` when the exercise must have no Python loop (the loop rule of helpers.checks.loops), or
  `loops=LoopCount(...)` when it must have a number of them;
* `judge(cases, answers, what)`, when comparing with one right answer does not fit (a sampler, whose
  right answers are many): raise CheckFailed for the first case that fails, naming that case in its
  hint. It is called twice, with the visible check's cases and then with the grader's own, so that a
  failure in the grader's cases is not taken for a visible check tampered with.

How an answer is compared (its kind and tolerance) is not here but in the lesson's check module
(`ANSWERS` in helpers/checks/<lesson>.py), since the visible check uses it too.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

Cases = Callable[[np.random.Generator], Iterable["Case"]]


@dataclass(frozen=True)
class Case:
    """One call of the student's function: its arguments, and the class of input it stands for."""
    label: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    kind: str = "call"          # or the name of a procedure in the lesson check module's PROCEDURES


@dataclass(frozen=True)
class Mistake:
    """A wrong answer students give: `answer(*args)` is what it returns, `says` what a student reads."""
    name: str
    says: str
    answer: Callable


@dataclass(frozen=True)
class LoopCount:
    """How many Python loops an exercise that is a loop on purpose must have (a two-loop baseline, say),
    counted as the loop rule counts them (helpers.checks.loops): at least `least`, at most `most` (None: no
    limit). `hint` says how to write it, for a student whose count is off."""
    least: int
    most: int | None = None
    hint: str = ""


@dataclass(frozen=True)
class Exercise:
    name: str
    reference: Callable
    cases: Cases
    visible: Cases
    mistakes: tuple[Mistake, ...] = ()
    vectorized: bool = False    # the loop rule of helpers.checks.loops applies
    loops: LoopCount | None = None  # or: the exercise must have this many loops
    judge: Callable | None = None
    seed: int = 0
    call: str = ""              # how messages show a call, e.g. "backward_pass(output, order)" (default: the
                                # reference's parameters)
