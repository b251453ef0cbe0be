"""The `course` command: release, validate and grade, with nbgrader doing the work.

    course release [LESSON ...] [--out DIR]   regenerate notebooks/ (or DIR) from solutions/
    course validate NOTEBOOK                  run a notebook's tests; exit 1 if any fails
    course grade LESSON SUBMISSIONS [--out DIR] [--jobs N] [--student ID]
                                              grade a class: grades.csv, feedback, a class report
    course progress [NOTEBOOKS_DIR]           which exercises pass their visible checks (default: notebooks/)
"""
from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"


def lessons() -> list[str]:
    """Lesson folders in solutions/, in course order."""
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and not p.name.startswith("."))


def release(names: list[str], out: Path | None = None) -> None:
    """Run nbgrader's generate_assignment for each lesson into notebooks/ (or `out`), and store the data of
    its visible checks (helpers/checks/visible/, made from its hidden tests); then the course overview, which
    lists every lesson (helpers/overview.py)."""
    from helpers import overview
    from helpers.grading import visible_data

    for name in names:
        command = [sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force", "--no-db",
                   "--log-level=ERROR"]
        if out is not None:
            command.append(f"--CourseDirectory.release_directory={out.resolve()}")
        subprocess.run(command, cwd=ROOT, check=True)
        if out is None and visible_data.has_hidden_tests(name):
            visible_data.write(name)
    overview.release(out if out is not None else ROOT / "notebooks")


@contextlib.contextmanager
def _chdir(path: Path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def validate(notebook: Path) -> bool:
    """Execute `notebook` the way nbgrader's Validate button does; print what failed; True if all passed."""
    from nbgrader.apps import ValidateApp
    from nbgrader.validator import Validator

    notebook = notebook.resolve()
    if not notebook.is_file():
        raise SystemExit(f"course validate: no such notebook: {notebook}")
    with _chdir(ROOT):  # so nbgrader reads the course's nbgrader_config.py
        app = ValidateApp()
        app.initialize([])
        results = Validator(parent=app).validate(str(notebook))
    problems = {
        "type_changed": "cell(s) changed type (e.g. a code cell turned into markdown); undo that",
        "changed": "test cell(s) were edited; grading restores them, so your edits will not count",
        "failed": "test cell(s) failed",
    }
    ok = True
    for key, text in problems.items():
        cells = results.get(key, [])
        if cells:
            ok = False
            print(f"✗ {len(cells)} {text}:\n")
            for cell in cells:
                print("    " + cell["source"].splitlines()[0] if cell["source"] else "    (empty cell)")
                if cell.get("raw_error"):
                    print("\n".join("      " + line for line in cell["raw_error"].splitlines()) + "\n")
    if ok:
        print(f"✓ {notebook.name}: every test cell passed.")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="course", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    rel = commands.add_parser("release", help="regenerate student notebooks from solutions/ with nbgrader")
    rel.add_argument("lessons", nargs="*", help="lesson folders (default: all)")
    rel.add_argument("--out", type=Path, help="write here instead of notebooks/")
    val = commands.add_parser("validate", help="run a notebook's tests; exit 1 if any fails")
    val.add_argument("notebook", type=Path)
    _add_grade_parser(commands)
    prog = commands.add_parser("progress", help="which exercises pass their visible checks, lesson by lesson",
                               description="Run a copy of each lesson notebook in NOTEBOOKS_DIR (never the notebook "
                                           "itself) and print, per exercise, whether it passes its visible check.")
    prog.add_argument("notebooks", nargs="?", type=Path, default=Path("notebooks"), metavar="NOTEBOOKS_DIR",
                      help="the folder of lesson folders (default: notebooks)")
    args = parser.parse_args(argv)
    if args.command == "grade":
        return _grade(args, parser)
    if args.command == "progress":
        from helpers.progress import course_progress

        try:
            print(course_progress(args.notebooks))
        except ValueError as error:             # no such folder, or no course around the helpers
            parser.error(str(error))
        return 0
    if args.command == "release":
        unknown = set(args.lessons) - set(lessons())
        if unknown:
            parser.error(f"no such lesson in solutions/: {', '.join(sorted(unknown))} "
                         f"(lessons: {', '.join(lessons())})")
        release(args.lessons or lessons(), args.out)
        return 0
    return 0 if validate(args.notebook) else 1


def _add_grade_parser(commands) -> None:
    from helpers.grading.collect import DEFAULT_PATTERN
    from helpers.grading.sandbox import Limits

    default = Limits()
    grade = commands.add_parser(
        "grade", help="grade a class's submissions: grades.csv, feedback, a class report",
        description="Import, screen, autograde (in a sandbox) and give feedback to every submission of a lesson. "
                    "Exit status 0 when every submission got a row in grades.csv (broken ones are marked "
                    "'needs manual grading'), 1 when the grader itself could not do its job.")
    grade.add_argument("lesson", help="lesson folder in solutions/, e.g. 01_matrix_vs_loop")
    grade.add_argument("submissions", type=Path,
                       help="nbgrader's submitted/ tree, or a folder or .zip of notebooks (student id in names)")
    grade.add_argument("--out", type=Path, default=Path("grading"),
                       help="the nbgrader course folder to grade in (default: ./grading)")
    grade.add_argument("--course", type=Path, default=None,
                       help="the course checkout whose solutions/ holds the lesson (default: the current folder "
                            "if it has solutions/, else this repository)")
    grade.add_argument("--jobs", type=int, default=1, help="grade in N processes (default 1)")
    grade.add_argument("--student", help="regrade only this student")
    grade.add_argument("--pattern", default=DEFAULT_PATTERN,
                       help="regular expression with a student_id group, matched against each file's path")
    grade.add_argument("--cell-timeout", type=int, default=default.cell_seconds, help="seconds per cell")
    grade.add_argument("--notebook-timeout", type=int, default=default.notebook_seconds, help="seconds per notebook")
    grade.add_argument("--memory", type=int, default=default.memory_mb, help="MiB per kernel")
    grade.add_argument("--processes", type=int, default=default.processes, help="processes per kernel")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="grade even where kernels cannot be isolated (only for submissions you trust)")


def _grade(args, parser) -> int:
    from helpers.grading.grade import GradingError, grade
    from helpers.grading.sandbox import Limits

    course = (args.course or (Path.cwd() if (Path.cwd() / "solutions").is_dir() else ROOT)).resolve()
    available = sorted(p.name for p in (course / "solutions").glob("*") if p.is_dir())
    if args.lesson not in available:
        parser.error(f"no such lesson in {course / 'solutions'}: {args.lesson} (lessons: {', '.join(available)})")
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, not {args.jobs}")
    limits = Limits(cell_seconds=args.cell_timeout, notebook_seconds=args.notebook_timeout, memory_mb=args.memory,
                    processes=args.processes)
    try:
        grade(args.lesson, args.submissions, args.out, root=course, jobs=args.jobs, student=args.student,
              limits=limits, pattern=args.pattern, unsandboxed=args.no_sandbox)
    except (GradingError, FileNotFoundError, ValueError) as error:
        print(f"course grade: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
