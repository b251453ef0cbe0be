"""The visible checks' data: each exercise's visible cases, the right answers and the known mistakes' answers.

Written by `course release` from the lesson's hidden tests into helpers/checks/visible/<lesson>.json.gz
(byte-stable: the same hidden tests give the same file), read by helpers.checks.visible.
"""
from __future__ import annotations

import dataclasses
import gzip
import importlib.util
import json
from pathlib import Path

from helpers.checks import visible, wire
from helpers.grading import judge


def has_hidden_tests(lesson: str) -> bool:
    return importlib.util.find_spec(f"helpers.grading.hidden_tests.{judge.lesson_module(lesson)}") is not None


def build(lesson: str) -> bytes:
    """The gzipped JSON of every exercise's visible cases."""
    exercises = {}
    for name, planned in judge.plan(lesson).items():
        cases = []
        for case in planned.cases[:planned.visible]:
            args, kwargs = judge.arguments(case)
            want = planned.exercise.reference(*args, **kwargs)
            mistakes = [[says, wire.encode(answer)] for says, answer in judge.mistaken_answers(planned.exercise, case)]
            cases.append({"label": case.label, "case": judge.wire_case(case), "want": wire.encode(want),
                          "mistakes": mistakes})
        exercises[name] = {"what": planned.what, "vectorized": planned.exercise.vectorized, "cases": cases}
        if planned.exercise.loops is not None:
            exercises[name]["loops"] = dataclasses.asdict(planned.exercise.loops)
    text = json.dumps(exercises, sort_keys=True, separators=(",", ":"))
    return gzip.compress(text.encode(), compresslevel=9, mtime=0)


def write(lesson: str, folder: Path | None = None) -> Path:
    """Write the lesson's visible data (into `folder`, by default where the checks read it); return its path."""
    path = (folder or visible.FOLDER) / visible.path(judge.lesson_module(lesson)).name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(build(lesson))
    return path
