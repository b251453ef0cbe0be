"""No answer within a graded kernel's reach: nothing it can import from `helpers` solves an exercise.

While a notebook is graded, its kernel sees only the allowed files of `helpers` (helpers.grading.allowed).
Every function and class in them, and the visible checks' stored data used as a lookup table, is tried
here as the answer to every exercise the grader judges; the judge must reject every one.
"""
from __future__ import annotations

import importlib
import inspect
import warnings

import numpy as np
import pytest

from helpers.checks import visible, wire
from helpers.grading import allowed, judge
from helpers.grading.visible_data import has_hidden_tests
from tests.notebooks import solution_notebooks

LESSONS = [p.parent.name for p in solution_notebooks() if has_hidden_tests(p.parent.name)]


def _allowed_modules() -> list:
    names = [f.removesuffix(".py").replace("/", ".") for f in allowed.files() if f.endswith(".py")]
    return [importlib.import_module("helpers" if n == "__init__" else f"helpers.{n.removesuffix('.__init__')}")
            for n in names]


def _callables() -> dict[str, object]:
    found = {}
    for module in _allowed_modules():
        for name, value in vars(module).items():
            if callable(value) and getattr(value, "__module__", "").startswith("helpers"):
                found[f"{module.__name__}.{name}"] = value
                for attribute, method in inspect.getmembers(value, callable) if inspect.isclass(value) else []:
                    if not attribute.startswith("__") and getattr(method, "__module__", "").startswith("helpers"):
                        found[f"{module.__name__}.{name}.{attribute}"] = method
    return found


def _lookup_table(*args, **kwargs):
    """An answer that looks its inputs up among every stored visible case and returns that case's answer."""
    sent = wire.encode(tuple(args))
    for path in visible.FOLDER.glob("*.json.gz"):
        for exercise in visible.stored(path.name.removesuffix(".json.gz")).values():
            for case in exercise["cases"]:
                if case["case"]["args"] == sent:
                    return wire.decode(case["want"])
    raise LookupError("not a stored case")


def test_the_allowed_modules_are_the_answer_free_ones():
    modules = {m.__name__ for m in _allowed_modules()}
    assert "helpers.courier" in modules and "helpers.checks.core" in modules
    assert not {"helpers.graph", "helpers.gradcheck", "helpers.attention", "helpers.lstm", "helpers.word2vec",
                "helpers.grading", "helpers.activations"} & modules


@pytest.mark.parametrize("lesson", LESSONS)
def test_nothing_a_graded_kernel_can_import_solves_an_exercise(lesson):
    candidates = {**_callables(), "the visible checks' data as a lookup table": _lookup_table}
    solved = []
    for exercise in judge.plan(lesson):
        for name, candidate in candidates.items():
            def answer(*args, _candidate=candidate, **kwargs):
                return _candidate(*args, **kwargs)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                if judge.judge_function(lesson, exercise, answer).passed:
                    solved.append(f"{exercise} <- {name}")
    assert len(candidates) > 30 and not solved, solved
