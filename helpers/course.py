"""The `course` command: release student notebooks and validate a notebook, with nbgrader doing the work.

    course release [LESSON ...] [--out DIR]   regenerate notebooks/ (or DIR) from solutions/
    course validate NOTEBOOK                  run a notebook's tests; exit 1 if any fails
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
    """Run nbgrader's generate_assignment for each lesson into notebooks/ (or `out`)."""
    for name in names:
        command = [sys.executable, "-m", "nbgrader", "generate_assignment", name, "--force", "--no-db",
                   "--log-level=ERROR"]
        if out is not None:
            command.append(f"--CourseDirectory.release_directory={out.resolve()}")
        subprocess.run(command, cwd=ROOT, check=True)


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
    args = parser.parse_args(argv)
    if args.command == "release":
        unknown = set(args.lessons) - set(lessons())
        if unknown:
            parser.error(f"no such lesson in solutions/: {', '.join(sorted(unknown))} "
                         f"(lessons: {', '.join(lessons())})")
        release(args.lessons or lessons(), args.out)
        return 0
    return 0 if validate(args.notebook) else 1


if __name__ == "__main__":
    sys.exit(main())
