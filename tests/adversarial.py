"""Synthetic submissions that try to break or cheat `course grade`, and what grading each must give.

Every case is one student's notebook for lesson 3, built from the released notebook: honest ones
(solved, unfilled, typical wrong answers); attacks on the kernel (infinite loop, a notebook over its
time limit, memory bomb, fork bomb, os._exit, sys.exit, SIGINT ignored); attacks on the checks
(monkeypatched NumPy or helpers, an object equal to anything, an ndarray subclass, a silenced
showtraceback); attacks on the files (reading the hidden tests, writing the gradebook or another
student's notebook); huge output; and broken notebooks (deleted, duplicated, split, retyped and
metadata-stripped cells, invalid JSON, another lesson's notebook).

    python -m tests.adversarial [--jobs N]    grade them all with `course grade` and print the table
"""
from __future__ import annotations

import argparse
import copy
import csv
import inspect
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from tests.notebooks import COURSE, RELEASED, ROOT, nbgrader, read, solved

LESSON = "03_backprop_nodes"
NAME = "backprop_nodes.ipynb"
STUB = "raise NotImplementedError()"
# Tight limits keep the suite short; the lesson's graded cells take well under a second.
LIMITS = ["--cell-timeout", "10", "--notebook-timeout", "30", "--memory", "1024", "--processes", "64"]


@dataclass(frozen=True)
class Case:
    """A submission, the status grading must give it, a word its reasons must contain, and the most it may score."""
    build: Callable[[Path], nbformat.NotebookNode | bytes]   # given the grading folder
    status: str
    reason: str = ""
    full_marks_allowed: bool = False                         # built on a solved notebook; else it may earn 0


def _released() -> nbformat.NotebookNode:
    return read(RELEASED / LESSON / NAME)


def _answers(body: str) -> nbformat.NotebookNode:
    """The released notebook with every exercise's stub replaced by `body` (indented as the stub is)."""
    notebook = _released()
    for cell in notebook.cells:
        if nbgrader(cell).get("solution"):
            cell.source = cell.source.replace(STUB, body.replace("\n", "\n    "))
    return notebook


def _with_cell(notebook: nbformat.NotebookNode, source: str, before_first_exercise: bool = True):
    """Insert a code cell the student wrote (before the first exercise, or at the end)."""
    where = next(i for i, c in enumerate(notebook.cells) if nbgrader(c).get("solution")) \
        if before_first_exercise else len(notebook.cells)
    notebook.cells.insert(where, nbformat.v4.new_code_cell(source))
    return notebook


def _first_answer(body: str) -> nbformat.NotebookNode:
    """Only the first exercise is (mis)answered with `body`; the others stay unfilled."""
    notebook = _released()
    cell = next(c for c in notebook.cells if nbgrader(c).get("solution"))
    cell.source = cell.source.replace(STUB, body.replace("\n", "\n    "))
    return notebook


def _cells(transform: Callable[[list], list]) -> Callable[[Path], nbformat.NotebookNode]:
    def build(_out: Path) -> nbformat.NotebookNode:
        notebook = solved(LESSON)
        notebook.cells = transform(notebook.cells)
        return notebook
    return build


def _test_cells(cells: list) -> list[int]:
    return [i for i, c in enumerate(cells) if nbgrader(c).get("grade") and not nbgrader(c).get("solution")]


def _delete_a_test(cells):
    return [c for i, c in enumerate(cells) if i != _test_cells(cells)[0]]


def _duplicate_a_test(cells):
    i = _test_cells(cells)[0]
    return cells[:i + 1] + [copy.deepcopy(cells[i])] + cells[i + 1:]


def _split_an_answer(cells):
    """JupyterLab's split: the helper function below the answer moves to a new cell without metadata."""
    i = next(i for i, c in enumerate(cells) if nbgrader(c).get("solution"))
    extra = nbformat.v4.new_code_cell("def _unused_helper(value):\n    return value")
    return cells[:i + 1] + [extra] + cells[i + 1:]


def _retype_a_test(cells):
    cell = cells[_test_cells(cells)[0]]
    cells[_test_cells(cells)[0]] = nbformat.v4.new_markdown_cell(cell.source, metadata=cell.metadata)
    return cells


def _strip_metadata(cells):
    for cell in cells:
        cell.metadata.pop("nbgrader", None)
    return cells


def with_mutant(exercise: str, index: int) -> nbformat.NotebookNode:
    """A solved notebook whose `exercise` is one of the lesson's known-wrong answers (tests/mutants)."""
    from tests.mutants.backprop_nodes import MUTANTS

    wrong = MUTANTS[exercise][index].fn
    notebook = solved(LESSON)
    cell = next(c for c in notebook.cells if nbgrader(c).get("grade_id") == exercise)
    cell.source = inspect.getsource(wrong).replace(f"def {wrong.__name__}(", f"def {exercise}(")
    return notebook


ALWAYS_EQUAL = '''class Anything:
    """Equal to everything, true, of any shape."""
    shape = property(lambda self: Anything())
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __bool__(self): return True
    def __getattr__(self, name): return Anything()
    def __getitem__(self, key): return Anything()
    def __iter__(self): return iter([Anything(), Anything()])
    def __array__(self, *args, **kwargs): return np.zeros(1)
    def __call__(self, *args, **kwargs): return Anything()'''

SUBCLASS = '''class Sneaky(np.ndarray):
    def __eq__(self, other): return np.ones(np.shape(other), dtype=bool)
    def __array_ufunc__(self, *args, **kwargs): return True'''

STEAL_SOLUTIONS = '''import json, pathlib, helpers
for path in (pathlib.Path(helpers.__file__).resolve().parents[1] / "solutions").rglob("*.ipynb"):
    for cell in json.loads(path.read_text())["cells"]:
        if "### BEGIN SOLUTION" in "".join(cell["source"]):
            exec("".join(cell["source"]))'''

LOOP = "while True:\n    pass"
IGNORE_SIGINT = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n" + LOOP
MEMORY_BOMB = "blocks = []\nwhile True:\n    blocks.append(np.ones(10**7))"
FORK_BOMB = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
SLOW = "import time\ntime.sleep(8)\n" + STUB
PATCH_NUMPY = "\n".join(f"np.{f} = lambda *args, **kwargs: True" for f in ("allclose", "array_equal", "isclose", "all"))
PATCH_HELPERS = "import helpers.checks.core as core\ncore._allclose = core._array_equal = lambda *args, **kwargs: True"
HUGE_OUTPUT = "print('x' * 10**7)\nfor i in range(20_000):\n    print(i, 'y' * 50)"
MANUAL = "needs manual grading"


def _read_gradebook(out: Path) -> str:
    return f"import sqlite3\nrows = sqlite3.connect(r'{out}/gradebook.db').execute('select * from grade').fetchall()"


def _write_gradebook(out: Path) -> str:
    return (f"import sqlite3\ndb = sqlite3.connect(r'{out}/gradebook.db')\n"
            "db.execute('update grade set auto_score = 9')\ndb.commit()")


def _overwrite_another_student(out: Path) -> str:
    return f"open(r'{out}/submitted/correct/{LESSON}/{NAME}', 'w').write('{{}}')"


CASES: dict[str, Case] = {
    "correct": Case(lambda out: solved(LESSON), "graded", full_marks_allowed=True),
    "empty-stub": Case(lambda out: _released(), "graded"),
    "infinite-loop": Case(lambda out: _first_answer(LOOP), MANUAL, "timed out"),
    "slow-notebook": Case(lambda out: _answers(SLOW), MANUAL, "time limit"),
    # ipykernel restores its SIGINT handler before each cell, so the answer itself ignores SIGINT, then loops.
    "sigint-ignored": Case(lambda out: _first_answer(IGNORE_SIGINT), MANUAL, "ignored the interrupt"),
    "memory-bomb": Case(lambda out: _with_cell(_released(), MEMORY_BOMB), MANUAL, "kernel"),
    "fork-bomb": Case(lambda out: _with_cell(_released(), FORK_BOMB), MANUAL, "fork"),
    "os-exit": Case(lambda out: _with_cell(solved(LESSON), "import os\nos._exit(0)", before_first_exercise=False),
                    MANUAL, "os._exit", full_marks_allowed=True),
    "sys-exit": Case(lambda out: _with_cell(_released(), "import sys\nsys.exit(0)"), MANUAL, "sys.exit"),
    "showtraceback": Case(lambda out: _with_cell(_answers("return np.zeros(1)"),
                                                 "get_ipython().showtraceback = lambda *args, **kwargs: None"),
                          MANUAL, "showtraceback"),
    "patch-numpy": Case(lambda out: _with_cell(_answers("return np.zeros(1)"), PATCH_NUMPY), MANUAL,
                        "changes np.allclose"),
    "patch-helpers": Case(lambda out: _with_cell(_answers("return np.zeros(1)"), PATCH_HELPERS), MANUAL,
                          "changes core._allclose"),
    "always-equal": Case(lambda out: _with_cell(_answers("return Anything()"), ALWAYS_EQUAL), MANUAL, "__eq__"),
    "ndarray-subclass": Case(lambda out: _with_cell(_answers("return np.zeros(3).view(Sneaky)"), SUBCLASS), MANUAL,
                             "subclasses ndarray"),
    "read-hidden-tests": Case(lambda out: _with_cell(_released(), STEAL_SOLUTIONS), MANUAL, "reads a file"),
    "read-gradebook": Case(lambda out: _with_cell(_released(), _read_gradebook(out)), MANUAL, "sqlite3"),
    "write-gradebook": Case(lambda out: _with_cell(_released(), _write_gradebook(out)), MANUAL, "sqlite3"),
    "write-other-student": Case(lambda out: _with_cell(_released(), _overwrite_another_student(out)), MANUAL,
                                "opens a file"),
    "huge-output": Case(lambda out: _with_cell(solved(LESSON), HUGE_OUTPUT), "graded", full_marks_allowed=True),
    "deleted-test-cell": Case(_cells(_delete_a_test), MANUAL, "missing", full_marks_allowed=True),
    "duplicated-cell": Case(_cells(_duplicate_a_test), MANUAL, "appears 2 times", full_marks_allowed=True),
    "split-cell": Case(_cells(_split_an_answer), "graded", full_marks_allowed=True),
    "retyped-cell": Case(_cells(_retype_a_test), MANUAL, "turned from code into markdown", full_marks_allowed=True),
    "metadata-stripped": Case(_cells(_strip_metadata), MANUAL, "metadata stripped", full_marks_allowed=True),
    "invalid-json": Case(lambda out: b'{"cells": [{"cell_type": "code", "source": ', MANUAL, "invalid notebook"),
    "wrong-lesson": Case(lambda out: read(RELEASED / "01_matrix_vs_loop" / "matrix_vs_loop.ipynb"), MANUAL,
                         "it is 01_matrix_vs_loop"),
    "correct-after-attacks": Case(lambda out: solved(LESSON), "graded", full_marks_allowed=True),
    # Typical wrong answers, for the class report: two students make the same mistake, one another.
    "mutant-a1": Case(lambda out: with_mutant("add_backward", 0), "graded", full_marks_allowed=True),
    "mutant-a2": Case(lambda out: with_mutant("add_backward", 0), "graded", full_marks_allowed=True),
    "mutant-b": Case(lambda out: with_mutant("add_backward", 1), "graded", full_marks_allowed=True),
}


def write_class(folder: Path, out: Path) -> None:
    """One file per case, named <student>_backprop_nodes.ipynb as an LMS export would name them."""
    folder.mkdir(parents=True, exist_ok=True)
    for student, case in CASES.items():
        built = case.build(out)
        path = folder / f"{student}_{NAME}"
        if isinstance(built, bytes):
            path.write_bytes(built)
        else:
            nbformat.write(built, path)


@dataclass
class Verdict:
    student: str
    status: str
    score: float | None
    max_score: float | None
    reasons: str

    def flagged(self) -> bool:
        return self.status == "needs manual grading"

    def gained(self, case: Case) -> bool:
        """More points than the honest answers it contains are worth."""
        allowed = self.max_score if case.full_marks_allowed else 0
        return self.score is not None and self.score > (allowed or 0)


def grade_class(work: Path, jobs: int = 2) -> tuple[subprocess.CompletedProcess, dict[str, Verdict], float]:
    """Write the class into work/class, grade it with the real command; return the run and a verdict per student."""
    out = work / "out"
    write_class(work / "class", out)
    started = time.perf_counter()
    run = subprocess.run([COURSE, "grade", LESSON, str(work / "class"), "--out", str(out), "--jobs", str(jobs),
                          *LIMITS], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    verdicts = {}
    grades = out / "reports" / LESSON / "grades.csv"
    if grades.exists():
        with grades.open() as rows:
            for row in csv.DictReader(rows):
                verdicts[row["student"]] = Verdict(row["student"], row["status"], _float(row["score"]),
                                                   _float(row["max_score"]), row["reasons"])
    return run, verdicts, seconds


def _float(text: str) -> float | None:
    return float(text) if text else None


def table(run: subprocess.CompletedProcess, verdicts: dict[str, Verdict], seconds: float) -> str:
    lines = [f"{'case':24} {'status':22} {'score':>7}  flagged gained  reasons", "-" * 110]
    for student, case in CASES.items():
        v = verdicts.get(student)
        if v is None:
            lines.append(f"{student:24} LOST")
            continue
        score = "" if v.score is None else f"{v.score:g}/{v.max_score:g}"
        lines.append(f"{student:24} {v.status:22} {score:>7}  {'yes' if v.flagged() else 'no':7} "
                     f"{'YES' if v.gained(case) else 'no':6}  {v.reasons[:70]}")
    tried = len(CASES)
    lines += ["-" * 110, f"tried {tried}, flagged {sum(v.flagged() for v in verdicts.values())}, "
              f"gained {sum(verdicts[s].gained(c) for s, c in CASES.items() if s in verdicts)}, "
              f"crashed {0 if run.returncode == 0 else 1} (grader exit status {run.returncode}), "
              f"lost {tried - len(verdicts)}; {seconds:.0f} s"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="l2a-adversarial-") as work:
        print(table(*grade_class(Path(work), args.jobs)))


if __name__ == "__main__":
    sys.exit(main())
