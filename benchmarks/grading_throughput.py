"""Grading throughput: `course grade` with 1 and 2 jobs against nbgrader's own serial autograde.

A synthetic class of lesson submissions (solved, unfilled, and each of the lesson's known-wrong
answers in turn) is graded three ways in the same run, each from scratch: stock nbgrader
(`generate_assignment`, `autograde`, `generate_feedback`, one notebook at a time, every cell run),
then `course grade --jobs 1` and `course grade --jobs 2` (sandboxed kernels, screening, only the cells
grades depend on, feedback without hidden tests). Reports seconds per submission and the ratios.
Writes benchmarks/results/grading_throughput.json.

    python benchmarks/grading_throughput.py [--quick] [--students N]
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))          # the class is built from the tests' solved notebooks and mutants

from helpers.benchmarking import save_report  # noqa: E402
from tests.adversarial import with_mutant  # noqa: E402
from tests.notebooks import RELEASED, solved  # noqa: E402

BIN = Path(sys.executable).parent
LESSON, NAME = "03_backprop_nodes", "backprop_nodes.ipynb"


def make_class(folder: Path, students: int) -> None:
    """students notebooks: a third solved, a third unfilled, a third with a known-wrong answer."""
    from tests.mutants.backprop_nodes import MUTANTS

    wrong = [(exercise, i) for exercise, mutants in MUTANTS.items() for i in range(len(mutants))
             if exercise in ("add_backward", "mul_backward", "max_backward")]
    folder.mkdir(parents=True)
    for number in range(students):
        kind = number % 3
        notebook = solved(LESSON) if kind == 0 else nbformat.read(RELEASED / LESSON / NAME, 4) if kind == 1 \
            else with_mutant(*wrong[number % len(wrong)])
        nbformat.write(notebook, folder / f"s{number:03d}_{NAME}")


def stock_nbgrader(work: Path, submissions: Path) -> float:
    """nbgrader's own pipeline, serial, in a copy of the course: seconds from import to feedback."""
    course = work / "stock"
    shutil.copytree(ROOT / "solutions" / LESSON, course / "solutions" / LESSON)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for path in sorted(submissions.glob("*.ipynb")):
        target = course / "submitted" / path.name.split("_")[0] / LESSON
        target.mkdir(parents=True)
        shutil.copy(path, target / NAME)
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    started = time.perf_counter()
    for step in (["generate_assignment", LESSON, "--force"], ["autograde", LESSON], ["generate_feedback", LESSON]):
        subprocess.run([str(BIN / "nbgrader"), *step, "--log-level=ERROR"], cwd=course, env=env, check=True,
                       capture_output=True)
    return time.perf_counter() - started


def course_grade(work: Path, submissions: Path, jobs: int) -> float:
    started = time.perf_counter()
    subprocess.run([str(BIN / "course"), "grade", LESSON, str(submissions), "--out", str(work / f"jobs{jobs}"),
                    "--jobs", str(jobs)], cwd=work, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 students (for the test suite)")
    parser.add_argument("--students", type=int, default=40)
    args = parser.parse_args()
    students = 6 if args.quick else args.students
    with tempfile.TemporaryDirectory(prefix="l2a-grading-bench-") as folder:
        work = Path(folder)
        make_class(work / "class", students)
        seconds = {"stock nbgrader (serial)": stock_nbgrader(work, work / "class"),
                   "course grade --jobs 1": course_grade(work, work / "class", 1),
                   "course grade --jobs 2": course_grade(work, work / "class", 2)}
    per = {name: s / students for name, s in seconds.items()}
    print(f"\nGrading {students} submissions of {LESSON} on {os.cpu_count()} cores "
          f"(load {os.getloadavg()[0]:.1f}):\n")
    print(f"{'pipeline':28} {'seconds':>8} {'s/submission':>13}")
    for name in seconds:
        print(f"{name:28} {seconds[name]:8.1f} {per[name]:13.2f}")
    speedup = seconds["course grade --jobs 1"] / seconds["course grade --jobs 2"]
    versus_stock = seconds["stock nbgrader (serial)"] / seconds["course grade --jobs 1"]
    print(f"\n2 jobs vs 1: {speedup:.2f}× faster; course grade --jobs 1 vs stock nbgrader: {versus_stock:.2f}× faster")
    save_report({"benchmark": "grading_throughput", "quick": args.quick, "lesson": LESSON, "students": students,
                 "cores": os.cpu_count(), "load": os.getloadavg()[0], "python": platform.python_version(),
                 "seconds": seconds, "seconds_per_submission": per, "speedup_2_jobs": speedup,
                 "speedup_vs_stock_nbgrader": versus_stock})


if __name__ == "__main__":
    main()
