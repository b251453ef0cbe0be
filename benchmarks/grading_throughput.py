"""Grading throughput: `course grade` with 1 and 2 jobs against stock nbgrader, on the same class.

A synthetic class of lesson submissions (solved, unfilled, and the lesson's known-wrong answers in
turn) is graded three ways in each round, each from scratch and in a rotated order: stock nbgrader
(`generate_assignment`, `autograde`, `generate_feedback`, one notebook at a time, every cell run, no
sandbox), then `course grade` (screening, a sandboxed kernel per notebook, only the cells grades depend
on, the judge outside the kernel, sanitised feedback) with `--jobs 1` and with `--jobs 2`. A shared
machine's speed drifts, so each ratio is taken within a round; the medians are reported with their
range. The ratio the issue asks for: `course grade --jobs 2` against stock nbgrader.

Writes benchmarks/results/grading_throughput.json.

    python benchmarks/grading_throughput.py [--quick] [--students N] [--rounds N]
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
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

    wrong = [(exercise, i) for exercise, mutants in MUTANTS.items() for i in range(len(mutants))]
    folder.mkdir(parents=True)
    for number in range(students):
        kind = number % 3
        notebook = solved(LESSON) if kind == 0 else nbformat.read(RELEASED / LESSON / NAME, 4) if kind == 1 \
            else with_mutant(*wrong[number % len(wrong)])
        nbformat.write(notebook, folder / f"s{number:03d}_{NAME}")


def stock_nbgrader(work: Path, submissions: Path) -> float:
    """nbgrader's own pipeline, serial, in a copy of the course: seconds from import to feedback."""
    course = work
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


def course_grade(out: Path, submissions: Path, jobs: int) -> float:
    """Seconds for `course grade --jobs jobs` into the new folder `out`."""
    started = time.perf_counter()
    subprocess.run([str(BIN / "course"), "grade", LESSON, str(submissions), "--out", str(out), "--jobs", str(jobs)],
                   cwd=out.parent, check=True, capture_output=True)
    return time.perf_counter() - started


STOCK, SERIAL, TWO_JOBS = "stock nbgrader", "course grade --jobs 1", "course grade --jobs 2"


def grading_round(work: Path, submissions: Path, number: int) -> dict[str, float]:
    """Seconds for each pipeline, run one after another from scratch, in a rotated order."""
    runs = {STOCK: lambda folder: stock_nbgrader(folder, submissions),
            SERIAL: lambda folder: course_grade(folder, submissions, 1),
            TWO_JOBS: lambda folder: course_grade(folder, submissions, 2)}
    names = list(runs)
    order = names[number % 3:] + names[:number % 3]
    seconds = {}
    for name in order:
        folder = work / f"round{number}-{names.index(name)}"
        folder.mkdir()
        seconds[name] = runs[name](folder)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 students, one round (for the test suite)")
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    students, rounds = (6, 1) if args.quick else (args.students, args.rounds)
    with tempfile.TemporaryDirectory(prefix="l2a-grading-bench-") as folder:
        work = Path(folder)
        make_class(work / "class", students)
        measured = [grading_round(work, work / "class", number) for number in range(rounds)]
    seconds = {name: statistics.median(r[name] for r in measured) for name in (STOCK, SERIAL, TWO_JOBS)}
    ratios = {f"{name} vs {STOCK}": [r[STOCK] / r[name] for r in measured] for name in (SERIAL, TWO_JOBS)}
    print(f"\nGrading {students} submissions of {LESSON} on {os.cpu_count()} cores, {rounds} round(s) "
          f"(load {os.getloadavg()[0]:.1f}):\n")
    print(f"{'pipeline':24} {'median s':>9} {'s/submission':>13} {'range s/submission':>19}")
    for name in seconds:
        spread = [r[name] / students for r in measured]
        print(f"{name:24} {seconds[name]:9.1f} {seconds[name] / students:13.2f} {min(spread):9.2f} – {max(spread):.2f}")
    print()
    for name, values in ratios.items():
        print(f"{name}: {statistics.median(values):.2f}× as fast (rounds: {', '.join(f'{v:.2f}' for v in values)})")
    save_report({"benchmark": "grading_throughput", "quick": args.quick, "lesson": LESSON, "students": students,
                 "cores": os.cpu_count(), "load": os.getloadavg()[0], "python": platform.python_version(),
                 "rounds": measured, "seconds": seconds,
                 "seconds_per_submission": {name: s / students for name, s in seconds.items()},
                 "ratios": {name: statistics.median(values) for name, values in ratios.items()}})


if __name__ == "__main__":
    main()
