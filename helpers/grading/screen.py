"""Reading a submission before it runs: can it be graded, is every test cell intact, is anything suspicious.

`screen(path, released, other_lessons)` compares a student's notebook with the released one (the cells
nbgrader grades, by grade_id) and reads the code the student wrote, without running it, for ways of
gaining points other than solving the exercise: changing NumPy or the course's helpers, touching
builtins or sys.modules, leaving the process, catching signals, reading or writing files, shell
escapes, objects that compare equal to anything. Findings do not change a score; they send the
submission to a person ("needs manual grading") with the reason. The screen is advisory: scores come
from the judge, outside the kernel, whatever the code does; no list of suspicious names can be complete.
"""
from __future__ import annotations

import ast
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from helpers.grading.cells import python_of

# Kinds of problem, as grades.csv reports them.
INVALID = "invalid notebook"
WRONG_LESSON = "wrong lesson's notebook"
CELLS = "missing or altered test cell"
STRIPPED = "nbgrader metadata stripped"
SUSPICIOUS = "suspicious code"

PROTECTED_MODULES = {"np", "numpy", "helpers", "builtins", "__builtins__", "sys", "os", "math", "IPython",
                     "get_ipython"}
DANGEROUS_NAMES = {
    "__builtins__": "touches __builtins__", "builtins": "touches builtins", "exit": "leaves the kernel (exit)",
    "quit": "leaves the kernel (quit)", "open": "opens a file", "exec": "runs generated code (exec)",
    "eval": "runs generated code (eval)", "compile": "compiles generated code", "__import__": "imports by name",
    "get_ipython": "reaches into IPython (get_ipython)", "setattr": "sets attributes by name (setattr)",
    "delattr": "deletes attributes by name (delattr)", "globals": "edits globals()", "vars": "edits vars()",
    "In": "reads the input history (In)", "Out": "reads the output history (Out)",
}
# Attributes no exercise needs, on whatever object.
DANGEROUS_ATTRIBUTES = {
    "_exit": "kills the kernel (os._exit)", "showtraceback": "changes how errors are shown (showtraceback)",
    "system": "runs a shell command", "popen": "runs a shell command", "fork": "forks a process",
    "read_text": "reads a file", "read_bytes": "reads a file", "write_text": "writes a file",
    "write_bytes": "writes a file", "unlink": "deletes a file", "rmtree": "deletes files",
    "run_line_magic": "runs a magic", "run_cell_magic": "runs a magic", "system_piped": "runs a shell command",
    "setrecursionlimit": "changes limits", "settrace": "traces the interpreter",
    "setprofile": "profiles the interpreter",
    "register": "registers a hook (IPython's events?)", "input_transformers_post": "transforms IPython's input",
    "input_transformers_cleanup": "transforms IPython's input", "ast_transformers": "transforms IPython's code",
    "user_ns": "reaches IPython's namespace", "_getframe": "reads the interpreter's frames",
    "f_globals": "reads a frame's globals", "__globals__": "reads a function's globals",
}
# Attributes that are harmless on the student's own objects (`values.remove(x)`), not on a module.
MODULE_ATTRIBUTES = {
    "exit": "leaves the kernel (sys.exit)", "modules": "touches sys.modules", "kill": "sends a signal",
    "signal": "handles signals", "remove": "deletes a file", "walk": "lists folders", "listdir": "lists a folder",
    "scandir": "lists a folder", "glob": "lists files", "fromfile": "reads a file", "load": "reads a file",
    "loadtxt": "reads a file",
}
DANGEROUS_MODULES = {"builtins", "signal", "ctypes", "subprocess", "multiprocessing", "socket", "zmq", "jupyter_client",
                     "sqlite3", "shutil", "glob", "importlib", "pickle", "marshal", "gc", "inspect", "resource",
                     "threading", "asyncio", "pty", "nbformat", "nbgrader", "urllib", "http", "requests"}
DUNDER_TRICKS = {"__eq__", "__ne__", "__bool__", "__array_ufunc__", "__array_function__", "__array_finalize__",
                 "__array_priority__", "__instancecheck__", "__class__", "__getattr__", "__getattribute__"}
GRADING_WORDS = ("solutions", "gradebook", ".db", "submitted", "autograded", "feedback", "HIDDEN TESTS",
                 "nbgrader", "/proc", "../")


@dataclass
class Screening:
    """What was found: problems by kind (each a list of plain-language details)."""
    problems: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, detail: str) -> None:
        self.problems.setdefault(kind, []).append(detail)

    @property
    def gradable(self) -> bool:
        return not {INVALID, WRONG_LESSON, STRIPPED} & set(self.problems)


def screen(path: Path, released: nbformat.NotebookNode, other_lessons: dict[str, set[str]]) -> Screening:
    """Screen the submission at `path` against the released notebook (as nbformat read it).

    other_lessons: lesson -> the grade_ids of its cells, to recognise a notebook from another lesson.
    """
    found = Screening()
    invalid: dict[str, nbformat.ValidationError] = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # e.g. duplicate cell ids, which nbformat repairs
            notebook = nbformat.read(path, as_version=4, capture_validation_error=invalid)
        if invalid:
            raise invalid["ValidationError"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, nbformat.ValidationError, ValueError,
            AttributeError, TypeError, KeyError) as error:
        found.add(INVALID, f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}")
        return found
    _check_cells(notebook, released, other_lessons, found)
    if found.gradable:
        _scan_code(notebook, released, found)
    return found


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _check_cells(notebook, released, other_lessons: dict[str, set[str]], found: Screening) -> None:
    """Every graded cell of the release once, with its type, and every test cell unchanged."""
    expected = {_grade_id(c): c for c in released.cells if _grade_id(c)}
    seen: dict[str, list] = {}
    for cell in notebook.cells:
        if _grade_id(cell):
            seen.setdefault(_grade_id(cell), []).append(cell)
    if expected and not seen:
        found.add(STRIPPED, "no cell carries nbgrader metadata (saved by another editor?), so nothing can be "
                            "matched to its test; a person must grade it")
        return
    if expected and not set(seen) & set(expected):
        lesson = next((name for name, ids in other_lessons.items() if set(seen) & ids), None)
        found.add(WRONG_LESSON, f"none of this lesson's cells; {'it is ' + lesson if lesson else 'no lesson matches'}")
        return
    for grade_id, original in expected.items():
        copies = seen.get(grade_id, [])
        if not copies:
            found.add(CELLS, f"{grade_id} is missing (deleted, or its metadata stripped); grading restores it")
            continue
        if len(copies) > 1:
            found.add(CELLS, f"{grade_id} appears {len(copies)} times")
        cell = copies[0]
        if cell.cell_type != original.cell_type:
            found.add(CELLS, f"{grade_id} was turned from {original.cell_type} into {cell.cell_type}")
        elif original.metadata["nbgrader"].get("grade") and not original.metadata["nbgrader"].get("solution") \
                and cell.source != original.source:
            found.add(CELLS, f"{grade_id} (a test cell) was edited; grading restores the original")
    for grade_id in sorted(set(seen) - set(expected)):
        found.add(CELLS, f"an unknown graded cell {grade_id!r}")


def _scan_code(notebook, released, found: Screening) -> None:
    """Read every code cell the student wrote or changed; report what could cheat the grader."""
    instructor = {c.source for c in released.cells if c.cell_type == "code"}
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != "code" or cell.source in instructor or not cell.source.strip():
            continue
        try:
            python = python_of(cell.source)
            if python != cell.source and ("get_ipython().system" in python or "run_cell_magic" in python):
                found.add(SUSPICIOUS, f"cell {number}: a shell escape or cell magic")
            hits = _suspicious(ast.parse(python))
        except SyntaxError:
            continue  # it fails when run, like any syntax error
        except (RecursionError, MemoryError, ValueError) as error:
            found.add(SUSPICIOUS, f"cell {number}: code the screen cannot read ({type(error).__name__}: nested too "
                                  "deeply or too large)")
            continue
        for line, what in hits:
            found.add(SUSPICIOUS, f"cell {number}, line {line}: {what}")


def _suspicious(tree: ast.AST) -> list[tuple[int, str]]:
    modules = set(PROTECTED_MODULES)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
    hits: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Delete):
            targets = node.targets if isinstance(node, ast.Assign | ast.Delete) else [node.target]
            for target in targets:
                root = _root_name(target)
                if isinstance(target, ast.Attribute | ast.Subscript) and root in modules:
                    hits.append((line, f"changes {ast.unparse(target)}"))
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            for name in names:
                if name.split(".")[0] in DANGEROUS_MODULES:
                    hits.append((line, f"imports {name}"))
        elif isinstance(node, ast.Name) and node.id in DANGEROUS_NAMES:
            hits.append((line, DANGEROUS_NAMES[node.id]))
        elif isinstance(node, ast.Attribute) and node.attr in DANGEROUS_ATTRIBUTES:
            hits.append((line, DANGEROUS_ATTRIBUTES[node.attr]))
        elif isinstance(node, ast.Attribute) and node.attr in MODULE_ATTRIBUTES and _root_name(node) in modules:
            hits.append((line, MODULE_ATTRIBUTES[node.attr]))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in DUNDER_TRICKS:
            hits.append((line, f"defines {node.name} (an object that can compare equal to anything)"))
        elif isinstance(node, ast.ClassDef) and any("ndarray" in ast.unparse(b) for b in node.bases):
            hits.append((line, f"subclasses ndarray ({node.name})"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and any(word in node.value for word in GRADING_WORDS):
            hits.append((line, f"mentions {node.value[:60]!r}"))
    return sorted(set(hits))


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.value if not isinstance(node, ast.Call) else node.func
    return node.id if isinstance(node, ast.Name) else None
