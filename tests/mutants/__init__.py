"""Known-wrong answers ("mutants") to every exercise, one module per lesson.

Each module names its NOTEBOOK (in solutions/) and maps every exercise function to at least three
mutants. tests/test_mutants.py runs each mutant through the exercise's visible check, which must
raise CheckFailed with a message containing `says`, and through its hidden tests, which must fail.
A mutant with `visible=False` stands for a class of mistake only the hidden tests are meant to catch
(an extreme value, a degenerate shape): the visible check is not required to name it.
"""
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Mutant:
    fn: Callable
    says: str = ""         # a phrase the visible check's explanation must contain
    visible: bool = True   # False: only the hidden tests must reject it

    def __repr__(self) -> str:
        return self.fn.__name__
