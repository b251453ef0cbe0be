"""Does an exercise's hidden test, or its visible check, reject a function given as the answer?

The one adapter between mutation testing and the course's judges: nothing else in tests/mutation
knows how they work. Today they are the test cell of the exercise in its solution notebook, split
at `### BEGIN HIDDEN TESTS`, run beside the reference answers of the other exercises, as
tests/test_mutants.py runs them. A reject is any exception: CheckFailed, a failed assert, or a crash.
"""
from __future__ import annotations

import contextlib
import functools
import io
import warnings

from tests.notebooks import SOLUTIONS, exercises, reference_namespace, run_source, split_test


def hidden_rejects(lesson: str, exercise: str, fn) -> tuple[bool, str]:
    """(rejected, message) of the hidden tests of `exercise` in lesson folder `lesson` with `fn` as the answer."""
    return _rejects(lesson, exercise, fn, hidden=True)


def visible_rejects(lesson: str, exercise: str, fn) -> tuple[bool, str]:
    """(rejected, message) of the visible check of `exercise` in lesson folder `lesson` with `fn` as the answer."""
    return _rejects(lesson, exercise, fn, hidden=False)


@functools.cache
def _lesson(lesson: str) -> tuple[dict, dict[str, tuple[str, str]]]:
    notebook = next((SOLUTIONS / lesson).glob("*.ipynb"))
    tests = {name: split_test(test) for name, (_, test) in exercises(notebook).items()}
    return reference_namespace(notebook), tests


def _rejects(lesson: str, exercise: str, fn, hidden: bool) -> tuple[bool, str]:
    namespace, tests = _lesson(lesson)
    source = tests[exercise][hidden]
    try:
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # wrong answers overflow
            run_source(source, {**namespace, exercise: fn}, f"<{'hidden tests' if hidden else 'visible check'}>")
    except Exception as error:  # noqa: BLE001 - a crash of the tests on this answer rejects it too
        return True, f"{type(error).__name__}: {error}"
    return False, ""
