"""Synthetic submissions that try to break or cheat `course grade`, and what grading each must give.

Every case is one student's notebook for lesson 3, built from the released notebook, in one of three kinds:

* honest: solved, partly solved, unfilled, typical wrong answers; each must score exactly what its
  code deserves, next to the attackers;
* attack, by class: on the kernel (infinite loop, time limit, memory and fork bombs, os._exit,
  sys.exit, SIGINT ignored); on the checks (monkeypatched NumPy or helpers, reached directly, through
  an alias, a parameter, a module's __dict__, attrgetter or type.__setattr__; an object equal to
  anything, an ndarray subclass, a silenced showtraceback); on IPython (input and AST transformers
  reached without the bare name get_ipython); behaviour that depends on detecting the grader;
  answers delegated to course code or looked up in the checks' data; printing test code; driving the
  other kernels; code pathological for a parser; huge cells and output; files (reading hidden tests,
  writing the gradebook, another student's notebook, the checkout, planting symlinks); script in
  markdown. An attack may never score more than the honest code it contains (`allowed`), must be
  flagged or score 0, and must not change anyone else's grade;
* broken: deleted, duplicated, split, retyped and metadata-stripped cells, invalid JSON, another
  lesson's notebook: flagged, never silently scored.

    python -m tests.adversarial [--jobs N]    grade them all with `course grade` and print the table
"""
from __future__ import annotations

import argparse
import copy
import csv
import hashlib
import html
import inspect
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from tests.notebooks import COURSE, RELEASED, ROOT, nbgrader, read, solved

LESSON = "03_backprop_nodes"
NAME = "backprop_nodes.ipynb"
STUB = "raise NotImplementedError()"
FULL = 22.0
# Tight limits keep the suite short; the lesson's graded cells take well under a second.
LIMITS = ["--cell-timeout", "10", "--notebook-timeout", "40", "--memory", "1024", "--processes", "64"]
MANUAL = "needs manual grading"


@dataclass(frozen=True)
class Case:
    """A submission and what grading must give it."""
    build: Callable[[Path], nbformat.NotebookNode | bytes]   # given the grading folder
    kind: str                       # "honest", "attack" or "broken"
    status: str | None = None       # the status it must get (None: either)
    reason: str = ""                # a word its reasons must contain
    score: float | None = None      # honest: exactly this; attack: at most this (None: no score at all)


def _released() -> nbformat.NotebookNode:
    return read(RELEASED / LESSON / NAME)


def _answers(body: str, notebook: nbformat.NotebookNode | None = None) -> nbformat.NotebookNode:
    """The notebook with every exercise's stub replaced by `body` (indented as the stub is)."""
    notebook = notebook or _released()
    for cell in notebook.cells:
        if nbgrader(cell).get("solution"):
            cell.source = cell.source.replace(STUB, body.replace("\n", "\n    "))
    return notebook


WRONG = "return np.zeros(1)"


def _with_cell(notebook: nbformat.NotebookNode, source: str, before_first_exercise: bool = True,
               markdown: bool = False) -> nbformat.NotebookNode:
    """Insert a cell the student wrote (before the first exercise, or at the end)."""
    where = next(i for i, c in enumerate(notebook.cells) if nbgrader(c).get("solution")) \
        if before_first_exercise else len(notebook.cells)
    cell = nbformat.v4.new_markdown_cell(source) if markdown else nbformat.v4.new_code_cell(source)
    notebook.cells.insert(where, cell)
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


def with_mutants(*wrong: tuple[str, int]) -> nbformat.NotebookNode:
    """A solved notebook whose named exercises are known-wrong answers (tests/mutants: exercise, index)."""
    from tests.mutants.backprop_nodes import MUTANTS

    notebook = solved(LESSON)
    for exercise, index in wrong:
        fn = MUTANTS[exercise][index].fn
        cell = next(c for c in notebook.cells if nbgrader(c).get("grade_id") == exercise)
        cell.source = inspect.getsource(fn).replace(f"def {fn.__name__}(", f"def {exercise}(")
    return notebook


def with_mutant(exercise: str, index: int) -> nbformat.NotebookNode:
    return with_mutants((exercise, index))


def _partly_solved() -> nbformat.NotebookNode:
    """The first five exercises (one point each) solved, the rest unfilled."""
    answers = {nbgrader(c)["grade_id"]: c.source for c in solved(LESSON).cells if nbgrader(c).get("solution")}
    notebook = _released()
    for cell in [c for c in notebook.cells if nbgrader(c).get("solution")][:5]:
        cell.source = answers[nbgrader(cell)["grade_id"]]
    return notebook


def _delegating(module: str) -> nbformat.NotebookNode:
    """Every exercise hands its arguments to the function of the same name in `module`."""
    notebook = _released()
    for cell in notebook.cells:
        info = nbgrader(cell)
        if info.get("solution"):
            cell.source = (f"def {info['grade_id']}(*args, **kwargs):\n    import importlib\n"
                           f"    return getattr(importlib.import_module({module!r}), {info['grade_id']!r})(*args, **kwargs)")
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

# IPython reached without the bare name get_ipython: every later cell (tests and the grader's) emptied.
INPUT_TRANSFORMER = "import IPython\nIPython.get_ipython().input_transformers_post.append(lambda lines: [])"
AST_TRANSFORMER = '''import ast, sys
class Emptier(ast.NodeTransformer):
    def visit_Module(self, node):
        node.body = []
        return node
sys._getframe(0).f_globals["get" + "_ipython"]().ast_transformers.append(Emptier())'''
CLEANUP_VIA_GLOBALS = '''def probe():
    pass
probe.__globals__["get" + "_ipython"]().input_transformers_cleanup.append(lambda lines: ["pass\\n"])'''
# The checks reached in ways no list of names foresees.
CHECK_ALIAS = "import helpers.checks.visible as v\nalias = v\nalias.check = lambda *args, **kwargs: print('✓ passed')"
CHECK_PARAMETER = '''import helpers.checks.answers
def loosen(module):
    module.__dict__.update(expect_array=lambda *a, **k: None, expect_close=lambda *a, **k: None)
loosen(helpers.checks.answers)'''
CHECK_ATTRGETTER = '''import operator, helpers.checks.visible
target = operator.attrgetter("checks.visible")(__import__("helpers"))
type(target).__setattr__(target, "check", lambda *args, **kwargs: None)'''
DETECT_GRADER = '''import os
if os.environ.get("NBGRADER_EXECUTION") or os.getuid() != 0 or not os.path.exists("/etc/hostname"):
    import helpers.checks.visible as v
    v.check = lambda *args, **kwargs: None'''
LOOKUP_VISIBLE = '''from helpers.checks import visible, wire
def lookup(exercise, *args):
    sent = wire.encode(tuple(args))
    for case in visible.stored("backprop_nodes")[exercise]["cases"]:
        if case["case"]["args"] == sent:
            return wire.decode(case["want"])
    return np.zeros(1)'''
PRINT_TEST_CODE = '''import IPython, linecache
shell = IPython.get_ipython()
shell.events.register("pre_run_cell", lambda info: print("CELL:", info.raw_cell))
shell.events.register("post_run_cell", lambda result: print("LAST:", shell.user_ns["In"][-1]))
print("CACHE:", list(linecache.cache))'''
DRIVE_OTHERS = '''import glob, json, os, time
found = []
deadline = time.time() + 15
while time.time() < deadline:
    for path in glob.glob("/tmp/**/*.json", recursive=True) + glob.glob("/tmp/**/k-*", recursive=True):
        try:
            found.append(json.load(open(path)).get("key", path))
        except Exception:
            found.append(path)
    time.sleep(1)
try:
    from jupyter_client import BlockingKernelClient
    for path in glob.glob("/tmp/**/*.json", recursive=True):
        client = BlockingKernelClient(connection_file=path)
        client.load_connection_file()
        client.start_channels()
        client.execute("import helpers.courier\\nhelpers.courier.deliver = lambda *a, **k: None")
except Exception as error:
    print(error)
print(len(found))'''
DEEP = "x = " + "+".join(["1"] * 100_000)
HUGE_CELL = "x = 1\n" * 300_000
PLANT = '''import os
for target in ("/tmp/l2a-0.pid", "/tmp/gradebook.db", "/tmp/kernel.json"):
    try:
        os.symlink("/etc/passwd", target)
    except OSError:
        pass
open("/tmp/standin.pid", "w").write("1")'''
SCRIPT_MARKDOWN = ('My notes <script>alert("from markdown")</script> <img src="x" onerror="alert(2)">'
                   ' <a href="javascript:alert(3)">link</a>')


def _read_gradebook(out: Path) -> str:
    return f"import sqlite3\nrows = sqlite3.connect(r'{out}/gradebook.db').execute('select * from grade').fetchall()"


def _write_gradebook(out: Path) -> str:
    return (f"import sqlite3\ndb = sqlite3.connect(r'{out}/gradebook.db')\n"
            "db.execute('update grade set auto_score = 9')\ndb.commit()")


def _overwrite_another_student(out: Path) -> str:
    return f"open(r'{out}/submitted/correct/{LESSON}/{NAME}', 'w').write('{{}}')"


def _write_the_checkout(_out: Path) -> str:
    return "\n".join(f"try:\n    open(r'{path}', 'a').write('# changed by a student')\nexcept OSError:\n    pass"
                     for path in (ROOT / "helpers" / "checks" / "core.py", ROOT / "solutions" / LESSON / NAME,
                                  ROOT / "helpers" / "grading" / "judge.py"))


def _lookup_answers() -> nbformat.NotebookNode:
    """Every exercise answered from the visible checks' stored data (right on those cases only)."""
    notebook = _with_cell(_released(), LOOKUP_VISIBLE)
    for cell in notebook.cells:
        info = nbgrader(cell)
        if info.get("solution"):
            cell.source = f"def {info['grade_id']}(*args):\n    return lookup({info['grade_id']!r}, *args)"
    return notebook


CASES: dict[str, Case] = {
    # honest
    "correct": Case(lambda out: solved(LESSON), "honest", "graded", score=FULL),
    "empty-stub": Case(lambda out: _released(), "honest", "graded", score=0),
    "partly-solved": Case(lambda out: _partly_solved(), "honest", "graded", score=5),
    "typical-wrong": Case(lambda out: with_mutants(("softmax_with_loss", 2), ("topological_order", 0),
                                                   ("backward_pass", 0)), "honest", "graded", score=15),
    # a wrong add_backward loses its point and mlp's two: mlp's gradients go through it
    "mutant-a1": Case(lambda out: with_mutant("add_backward", 0), "honest", "graded", score=19),
    "mutant-a2": Case(lambda out: with_mutant("add_backward", 0), "honest", "graded", score=19),
    "mutant-b": Case(lambda out: with_mutant("add_backward", 1), "honest", "graded", score=19),
    "split-cell": Case(_cells(_split_an_answer), "honest", "graded", score=FULL),
    "huge-output": Case(lambda out: _with_cell(solved(LESSON), HUGE_OUTPUT), "honest", "graded", score=FULL),

    # attacks on the kernel
    "infinite-loop": Case(lambda out: _first_answer(LOOP), "attack", MANUAL, "did not finish", 0),
    "slow-notebook": Case(lambda out: _answers(SLOW), "attack", MANUAL, "time limit", None),
    "sigint-ignored": Case(lambda out: _first_answer(IGNORE_SIGINT), "attack", MANUAL, "signal", None),
    "memory-bomb": Case(lambda out: _with_cell(_released(), MEMORY_BOMB), "attack", MANUAL, "", 0),
    "fork-bomb": Case(lambda out: _with_cell(_released(), FORK_BOMB), "attack", MANUAL, "fork", None),
    "os-exit": Case(lambda out: _with_cell(solved(LESSON), "import os\nos._exit(0)", before_first_exercise=False),
                    "attack", MANUAL, "os._exit", FULL),
    "sys-exit": Case(lambda out: _with_cell(_released(), "import sys\nsys.exit(0)"), "attack", MANUAL, "sys.exit", 0),
    # attacks on the checks
    "showtraceback": Case(lambda out: _with_cell(_answers(WRONG), "get_ipython().showtraceback = lambda *a, **k: None"),
                          "attack", MANUAL, "showtraceback", 0),
    "patch-numpy": Case(lambda out: _with_cell(_answers(WRONG), PATCH_NUMPY), "attack", MANUAL, "np.allclose", 0),
    "patch-helpers": Case(lambda out: _with_cell(_answers(WRONG), PATCH_HELPERS), "attack", MANUAL, "", 0),
    "patch-check-alias": Case(lambda out: _with_cell(_answers(WRONG), CHECK_ALIAS), "attack", MANUAL, "tampered", 0),
    "patch-check-parameter": Case(lambda out: _with_cell(_answers(WRONG), CHECK_PARAMETER), "attack", MANUAL,
                                  "tampered", 0),
    "patch-check-attrgetter": Case(lambda out: _with_cell(_answers(WRONG), CHECK_ATTRGETTER), "attack", MANUAL,
                                   "tampered", 0),
    "always-equal": Case(lambda out: _with_cell(_answers("return Anything()"), ALWAYS_EQUAL), "attack", MANUAL,
                         "__eq__", 0),
    "ndarray-subclass": Case(lambda out: _with_cell(_answers("return np.zeros(3).view(Sneaky)"), SUBCLASS),
                             "attack", MANUAL, "ndarray", 0),
    # attacks on IPython
    "input-transformer": Case(lambda out: _with_cell(_answers(WRONG), INPUT_TRANSFORMER), "attack", MANUAL, "", 0),
    "ast-transformer-via-frame": Case(lambda out: _with_cell(_answers(WRONG), AST_TRANSFORMER), "attack", MANUAL,
                                      "", 0),
    "cleanup-via-globals": Case(lambda out: _with_cell(_answers(WRONG), CLEANUP_VIA_GLOBALS), "attack", MANUAL,
                                "", 0),
    # behaviour that depends on the grader, answers from course code or the checks' data
    "detects-the-grader": Case(lambda out: _with_cell(_answers(WRONG), DETECT_GRADER), "attack", None, "", 0),
    "delegates-to-helpers-graph": Case(lambda out: _delegating("helpers.graph"), "attack", None, "", 0),
    "delegates-to-the-grader": Case(lambda out: _delegating("helpers.grading.hidden_tests.backprop_nodes"),
                                    "attack", None, "", 0),
    "looks-up-visible-data": Case(lambda out: _lookup_answers(), "attack", None, "", 0),
    # reading, printing and writing what it should not
    "prints-test-code": Case(lambda out: _with_cell(solved(LESSON), PRINT_TEST_CODE), "attack", None, "", FULL),
    "read-hidden-tests": Case(lambda out: _with_cell(_released(), STEAL_SOLUTIONS), "attack", MANUAL, "", 0),
    "read-gradebook": Case(lambda out: _with_cell(_released(), _read_gradebook(out)), "attack", MANUAL, "sqlite3", 0),
    "write-gradebook": Case(lambda out: _with_cell(_released(), _write_gradebook(out)), "attack", MANUAL, "sqlite3", 0),
    "write-other-student": Case(lambda out: _with_cell(_released(), _overwrite_another_student(out)), "attack",
                                MANUAL, "", 0),
    "write-the-checkout": Case(lambda out: _with_cell(_released(), _write_the_checkout(out)), "attack", MANUAL, "", 0),
    "plants-symlinks": Case(lambda out: _with_cell(_released(), PLANT), "attack", None, "", 0),
    "drives-other-kernels": Case(lambda out: _with_cell(solved(LESSON), DRIVE_OTHERS), "attack", None, "", FULL),
    "huge-cell": Case(lambda out: _with_cell(solved(LESSON), HUGE_CELL), "attack", None, "", FULL),
    "deep-expression": Case(lambda out: _with_cell(solved(LESSON), DEEP), "attack", MANUAL, "cannot read", FULL),
    "script-in-markdown": Case(lambda out: _with_cell(solved(LESSON), SCRIPT_MARKDOWN, markdown=True), "attack",
                               None, "", FULL),
    # broken notebooks
    "deleted-test-cell": Case(_cells(_delete_a_test), "broken", MANUAL, "missing", FULL),
    "duplicated-cell": Case(_cells(_duplicate_a_test), "broken", MANUAL, "appears 2 times", FULL),
    "retyped-cell": Case(_cells(_retype_a_test), "broken", MANUAL, "turned from code into markdown", FULL),
    "metadata-stripped": Case(_cells(_strip_metadata), "broken", MANUAL, "metadata stripped", None),
    "invalid-json": Case(lambda out: b'{"cells": [{"cell_type": "code", "source": ', "broken", MANUAL,
                         "invalid notebook", None),
    "wrong-lesson": Case(lambda out: read(RELEASED / "01_matrix_vs_loop" / "matrix_vs_loop.ipynb"), "broken", MANUAL,
                         "it is 01_matrix_vs_loop", None),
    "correct-after-attacks": Case(lambda out: solved(LESSON), "honest", "graded", score=FULL),
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
    leaked: bool = False

    def flagged(self) -> bool:
        return self.status == MANUAL

    def gained(self, case: Case) -> bool:
        """More points than the honest code in it deserves."""
        if case.kind == "honest":
            return self.score is not None and case.score is not None and self.score > case.score
        return self.score is not None and self.score > (case.score or 0)

    def right(self, case: Case) -> bool:
        """What this case must get: an honest one its exact score; an attack flagged or 0, never more than
        `allowed`; a broken one flagged; every one the status and reason asked for."""
        if case.status is not None and self.status != case.status or case.reason not in self.reasons:
            return False
        if case.kind == "honest":
            return self.score == case.score
        if case.kind == "attack":
            return not self.gained(case) and (self.flagged() or self.score == 0)
        return self.flagged()


def _fingerprint() -> str:
    """A hash of the course's helpers and solutions, to prove no kernel wrote them."""
    digest = hashlib.sha256()
    for path in sorted([*(ROOT / "helpers").rglob("*.py"), *(ROOT / "solutions").rglob("*.ipynb")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def hidden_lines() -> list[str]:
    """Lines of the lesson's hidden tests that appear nowhere a student sees: the released notebook, the
    solutions a student writes, the visible checks."""
    from helpers.grading import judge

    source = Path(inspect.getfile(judge.hidden_tests(LESSON))).read_text()
    shown = "".join(c.source for c in solved(LESSON).cells) + (RELEASED / LESSON / NAME).read_text() + \
        Path(inspect.getfile(judge.check_module(LESSON))).read_text()
    lines = {line.strip() for line in source.splitlines() if len(line.strip()) > 25 and not line.strip().startswith(
        ("#", '"', "'", "Mistake(", "Exercise(", "yield Case(f\"", "yield Case(\""))}
    return sorted(line for line in lines if line not in shown)


def grade_class(work: Path, jobs: int = 2) -> tuple[subprocess.CompletedProcess, dict[str, Verdict], float, bool]:
    """Write the class into work/class, grade it with the real command; return the run, a verdict per
    student, the seconds it took and whether the course's files are untouched."""
    out = work / "out"
    write_class(work / "class", out)
    before = _fingerprint()
    started = time.perf_counter()
    run = subprocess.run([COURSE, "grade", LESSON, str(work / "class"), "--out", str(out), "--jobs", str(jobs),
                          *LIMITS], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    verdicts = {}
    grades = out / "reports" / LESSON / "grades.csv"
    hidden = hidden_lines()
    if grades.exists():
        with grades.open() as rows:
            for row in csv.DictReader(rows):
                pages = list((out / "feedback" / row["student"] / LESSON).glob("*.html"))
                shown = html.unescape(pages[0].read_text()) if pages else ""
                verdicts[row["student"]] = Verdict(row["student"], row["status"], _float(row["score"]),
                                                   _float(row["max_score"]), row["reasons"],
                                                   any(line in shown for line in hidden))
    return run, verdicts, seconds, _fingerprint() == before


def gradebook_scores(out: Path) -> dict[str, float]:
    """Each graded submission's score in the main gradebook."""
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", "loops-to-attention") as gradebook:
        return {s.student_id: s.score for s in gradebook.assignment_submissions(LESSON)
                if not any(g.needs_manual_grade for nb in s.notebooks for g in nb.grades)}


def _float(text: str) -> float | None:
    return float(text) if text else None


def table(run: subprocess.CompletedProcess, verdicts: dict[str, Verdict], seconds: float, untouched: bool) -> str:
    lines = [f"{'case':28} {'kind':7} {'status':21} {'score':>7}  flagged gained leaked right  reasons", "-" * 120]
    for student, case in CASES.items():
        v = verdicts.get(student)
        if v is None:
            lines.append(f"{student:28} {case.kind:7} LOST")
            continue
        score = "" if v.score is None else f"{v.score:g}/{v.max_score:g}"
        lines.append(f"{student:28} {case.kind:7} {v.status:21} {score:>7}  {'yes' if v.flagged() else 'no':7} "
                     f"{'YES' if v.gained(case) else 'no':6} {'YES' if v.leaked else 'no':6} "
                     f"{'yes' if v.right(case) else 'NO':5}  {v.reasons[:60]}")
    tried = len(CASES)
    attacks = [s for s, c in CASES.items() if c.kind != "honest"]
    lines += ["-" * 120, f"tried {tried} ({len(attacks)} attacks or broken), "
              f"flagged {sum(v.flagged() for v in verdicts.values())}, "
              f"gained {sum(verdicts[s].gained(c) for s, c in CASES.items() if s in verdicts)}, "
              f"crashed {0 if run.returncode == 0 else 1} (grader exit status {run.returncode}), "
              f"lost {tried - len(verdicts)}, leaked {sum(v.leaked for v in verdicts.values())}, "
              f"wrong outcomes {sum(not verdicts[s].right(c) for s, c in CASES.items() if s in verdicts)}, "
              f"course files {'untouched' if untouched else 'CHANGED'}; {seconds:.0f} s"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="l2a-adversarial-") as work:
        print(table(*grade_class(Path(work), args.jobs)))


if __name__ == "__main__":
    sys.exit(main())
