"""Visible checks: the stored cases of an exercise, run the way the grader runs its own.

`course release` stores, per lesson, the visible check's cases as data in helpers/checks/visible/:
each case's arguments, the right answer, and the answers the known mistakes give on them (all made
by the lesson's hidden tests, which no kernel can see). A check calls the student's function through
helpers.courier's `run_case`, sends the result through the same plain-data form the grader receives,
and compares it with the lesson's `ANSWERS`: so the check and the grader accept the same answers, and
a notebook holds no code that computes a right answer.
"""
from __future__ import annotations

import functools
import gzip
import importlib
import json
from pathlib import Path

from helpers.checks import wire
from helpers.checks.answers import answer_from
from helpers.checks.core import CheckFailed, arguments, describe, passed
from helpers.checks.loops import expect_loop_count, expect_no_loops
from helpers.courier import run_case

FOLDER = Path(__file__).with_name("visible")


def path(module: str) -> Path:
    return FOLDER / f"{module}.json.gz"


@functools.lru_cache(maxsize=None)
def stored(module: str) -> dict:
    """Exercise name -> {"what", "vectorized", "cases": [{"label", "case", "want", "mistakes"}]}, and "loops":
    {"least", "most", "hint"} for an exercise that asks for a number of loops."""
    return json.loads(gzip.decompress(path(module).read_bytes()))


def check(module: str, name: str, fn) -> None:
    """The visible check of exercise `name` of the lesson whose check module is helpers.checks.<module>."""
    if not callable(fn):
        raise CheckFailed("The check", f"was given a {describe(fn)}, not a function.",
                          "Pass the function itself, without calling it: `check_name(name)`, "
                          "not `check_name(name(...))`.")
    lesson = importlib.import_module(f"helpers.checks.{module}")
    data = stored(module)[name]
    shown = f"`{getattr(fn, '__name__', name)}`"
    for case in data["cases"]:
        record = json.loads(json.dumps(run_case(fn, case["case"], getattr(lesson, "PROCEDURES", {}))))
        args = wire.decode(case["case"]["args"], allow_rng=True)
        got = answer_from(record, shown, arguments(fn, args), args)
        mistakes = [(says, wire.decode(answer)) for says, answer in case["mistakes"]]
        lesson.ANSWERS[name].check(got, wire.decode(case["want"]), data["what"], mistakes)
    if data["vectorized"]:
        expect_no_loops(fn)
    if data.get("loops"):
        expect_loop_count(fn, **data["loops"])
    passed(data["what"])


def checker(module: str, name: str):
    """The visible check of one exercise, as a function of the student's function: `check_<name>(fn)`."""
    def check_exercise(fn) -> None:
        check(module, name, fn)
    check_exercise.__name__ = check_exercise.__qualname__ = f"check_{name}"
    check_exercise.__doc__ = f"The visible check of `{name}`: its stored cases, compared as the grader compares."
    return check_exercise
