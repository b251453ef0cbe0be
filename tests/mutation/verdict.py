"""Does an exercise's hidden test, or its visible check, reject a function given as the answer?

The one adapter between mutation testing and the course's judges: nothing else in tests/mutation
knows how they work. A lesson with trusted hidden tests (helpers/grading/hidden_tests/) is judged as
`course grade` judges it: the judge's verdict on the function's answers to every case, and the
lesson's visible check. A lesson not yet converted keeps its tests in the notebook: the test cell of
the exercise, split at `### BEGIN HIDDEN TESTS`, run beside the reference answers of the other
exercises. A reject is a failed verdict or any exception: CheckFailed, a failed assert, or a crash.
"""
from __future__ import annotations

import contextlib
import functools
import io
import warnings

from helpers.grading import judge
from helpers.grading.visible_data import has_hidden_tests
from tests.notebooks import SOLUTIONS, exercises, reference_namespace, run_source, split_test


def hidden_rejects(lesson: str, exercise: str, fn) -> tuple[bool, str]:
    """(rejected, message) of the hidden tests of `exercise` in lesson folder `lesson` with `fn` as the answer."""
    if has_hidden_tests(lesson):
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # wrong answers overflow
            verdict = judge.judge_function(lesson, exercise, fn)
        return not verdict.passed, "" if verdict.passed else verdict.message
    return _rejects(lesson, exercise, fn, hidden=True)


def visible_rejects(lesson: str, exercise: str, fn) -> tuple[bool, str]:
    """(rejected, message) of the visible check of `exercise` in lesson folder `lesson` with `fn` as the answer."""
    if has_hidden_tests(lesson):
        check = getattr(judge.check_module(lesson), f"check_{exercise}")
        try:
            with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                check(fn)
        except Exception as error:  # noqa: BLE001 - a crash of the check on this answer rejects it too
            return True, f"{type(error).__name__}: {error}"
        return False, ""
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
