"""Grading throughput: `course grade` with 1 and 2 jobs against nbgrader's own serial autograde.

A synthetic class of lesson submissions (solved, unfilled, and each of the lesson's known-wrong
answers in turn) is graded four ways in the same run, each from scratch: stock nbgrader
(`generate_assignment`, `autograde`, `generate_feedback`, one notebook at a time, every cell run),
then `course grade` (sandboxed kernels, screening, only the cells grades depend on, feedback without
hidden tests) with `--jobs 1`, with `--jobs 1` held to one core, and with `--jobs 2`. The three
`course grade` runs are repeated in rounds (`--rounds`, each round in a rotated order), because a
shared machine's speed drifts from minute to minute: each ratio is taken within a round, and the
medians are reported with their range. Reports seconds per submission and the ratios:

- 2 jobs vs 1 job, both free to use every core. One job already keeps part of a second core busy
  (the next kernel starts and grades are recorded while a notebook runs), so on a 2-core machine
  this ratio stays well below 2.
- 2 cores vs 1 core: `--jobs 2` against `--jobs 1` held to one core (its processes, kernels
  included, inherit the CPU affinity), the usual measure of how grading scales with cores.

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


def course_grade(out: Path, submissions: Path, jobs: int, cores: set[int] | None = None) -> float:
    """Seconds for `course grade --jobs jobs` into the new folder `out`, its processes held to `cores` if given."""
    started = time.perf_counter()
    subprocess.run([str(BIN / "course"), "grade", LESSON, str(submissions), "--out", str(out), "--jobs", str(jobs)],
                   cwd=out.parent, check=True, capture_output=True,
                   preexec_fn=None if cores is None else lambda: os.sched_setaffinity(0, cores))
    return time.perf_counter() - started


SERIAL, ONE_CORE, TWO_JOBS = "course grade --jobs 1", "course grade --jobs 1, one core", "course grade --jobs 2"


def grading_round(work: Path, submissions: Path, number: int) -> dict[str, float]:
    """Seconds for each `course grade` pipeline, run one after another from scratch, in a rotated order."""
    runs = {SERIAL: (1, None), ONE_CORE: (1, {min(os.sched_getaffinity(0))}), TWO_JOBS: (2, None)}
    names = list(runs)
    order = names[number % 3:] + names[:number % 3]
    return {name: course_grade(work / f"round{number}-{names.index(name)}", submissions, *runs[name])
            for name in order}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 students, one round (for the test suite)")
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the three course grade runs")
    args = parser.parse_args()
    students, rounds = (6, 1) if args.quick else (args.students, args.rounds)
    with tempfile.TemporaryDirectory(prefix="l2a-grading-bench-") as folder:
        work = Path(folder)
        make_class(work / "class", students)
        stock = stock_nbgrader(work, work / "class")
        measured = [grading_round(work, work / "class", number) for number in range(rounds)]
    seconds = {"stock nbgrader (serial)": stock} | {name: statistics.median(r[name] for r in measured)
                                                    for name in (SERIAL, ONE_CORE, TWO_JOBS)}
    per = {name: s / students for name, s in seconds.items()}
    by_jobs = [r[SERIAL] / r[TWO_JOBS] for r in measured]
    by_cores = [r[ONE_CORE] / r[TWO_JOBS] for r in measured]
    print(f"\nGrading {students} submissions of {LESSON} on {os.cpu_count()} cores, {rounds} round(s) "
          f"(load {os.getloadavg()[0]:.1f}):\n")
    print(f"{'pipeline':32} {'median s':>9} {'s/submission':>13} {'range s/submission':>19}")
    for name in seconds:
        spread = [r[name] / students for r in measured] if name in measured[0] else []
        span = f"{min(spread):9.2f} – {max(spread):.2f}" if spread else f"{'(one run)':>16}"
        print(f"{name:32} {seconds[name]:9.1f} {per[name]:13.2f} {span}")
    print()
    for name, values in (("2 jobs vs 1", by_jobs), ("2 cores vs 1 (--jobs 2 vs --jobs 1 on one core)", by_cores)):
        print(f"{name}: {statistics.median(values):.2f}× faster (rounds: {', '.join(f'{v:.2f}' for v in values)})")
    versus_stock = stock / seconds[SERIAL]
    print(f"course grade --jobs 1 vs stock nbgrader: {versus_stock:.2f}× faster")
    save_report({"benchmark": "grading_throughput", "quick": args.quick, "lesson": LESSON, "students": students,
                 "cores": os.cpu_count(), "load": os.getloadavg()[0], "python": platform.python_version(),
                 "rounds": measured, "seconds": seconds, "seconds_per_submission": per,
                 "speedup_2_jobs": statistics.median(by_jobs), "speedup_2_cores_vs_1": statistics.median(by_cores),
                 "speedup_vs_stock_nbgrader": versus_stock})


if __name__ == "__main__":
    main()
