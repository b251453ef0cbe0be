"""python -m tests.mutation [LESSON ...] [--exercise NAME] [--survivors]

Prints, per exercise, how many mutants of the reference solution the hidden tests and the visible
check reject, and lists the mutants the hidden tests accept (with --survivors, also those only the
visible check accepts). Exits with 1 when a lesson fails the criteria of tests/mutation/report.py.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

from tests.mutation.equivalents import recorded
from tests.mutation.isolation import in_processes, judge
from tests.mutation.mutants import mutants
from tests.mutation.report import ExerciseScore, Judged, LessonScore, VISIBLE_SHARE, survivors, table
from tests.notebooks import SOLUTIONS, exercises


def lessons(names: list[str]) -> list[str]:
    """Lesson folders matching each name ("03_backprop_nodes", "backprop_nodes", "03"); all when none."""
    folders = sorted(path.parent.name for path in SOLUTIONS.glob("*/*.ipynb"))
    chosen = [folder for folder in folders if not names or any(name in folder for name in names)]
    if not chosen:
        raise SystemExit(f"no lesson matches {names}; the lessons are {folders}")
    return chosen


def solutions(lesson: str, exercise: str | None) -> dict[str, str]:
    """Exercise name -> its reference solution cell, in notebook order."""
    notebook = next((SOLUTIONS / lesson).glob("*.ipynb"))
    return {name: cell for name, (cell, _) in exercises(notebook).items() if exercise in (None, name)}


def score(lesson_names: list[str], exercise: str | None, processes: int) -> list[LessonScore]:
    """Generate every mutant of the chosen exercises, judge each in a worker process, and score them."""
    cells = {lesson: solutions(lesson, exercise) for lesson in lesson_names}
    todo = [(lesson, name, cell) for lesson, named in cells.items() for name, cell in named.items()]
    if not todo:
        raise SystemExit(f"no exercise {exercise!r} in {lesson_names}")
    # The references are judged here, before any fork, so the workers inherit the judges' loaded state.
    references = {(lesson, name): judge(lesson, name, cell) for lesson, name, cell in todo}
    generated = in_processes(mutants, [(name, cell) for _, name, cell in todo], processes)
    found = {(lesson, name): mutated for (lesson, name, _), mutated in zip(todo, generated)}
    tasks = [(lesson, m) for (lesson, _), mutated in found.items() for m in mutated]
    outcomes = in_processes(judge, [(lesson, m.exercise, m.source) for lesson, m in tasks], processes)
    equivalent = recorded()
    judged = {key: [] for key in found}
    for (lesson, m), outcome in zip(tasks, outcomes):
        judged[lesson, m.exercise].append(Judged(m, outcome, m.key in equivalent))
    keys = {m.key for mutated in found.values() for m in mutated}
    return [LessonScore(lesson, [ExerciseScore(lesson, name, references[lesson, name], judged[lesson, name])
                                 for name in named],
                        stale=[str(key) for key in equivalent if key[0] in named and key not in keys])
            for lesson, named in cells.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lesson", nargs="*", help="lesson folders (or parts of their names); all when none")
    parser.add_argument("--exercise", help="only this exercise")
    parser.add_argument("--survivors", action="store_true",
                        help="also list the mutants only the visible check accepts")
    parser.add_argument("--processes", type=int, default=os.cpu_count(),
                        help="worker processes (default: one per core)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    scores = score(lessons(args.lesson), args.exercise, args.processes)
    problems = [line for lesson in scores for line in lesson.problems()]
    for lesson in scores:
        print("\n".join(table(lesson)), end="\n\n")
    listed = [line for lesson in scores for line in survivors(lesson, args.survivors)]
    if listed:
        print("Surviving mutants ([passes ...] names the judges that accept it):")
        print("\n".join(listed), end="\n\n")
    total = sum(len(e.judged) for lesson in scores for e in lesson.exercises)
    print(f"{total} mutants judged in {time.perf_counter() - start:.0f} s by {args.processes} processes. Criteria: "
          f"hidden tests reject every non-equivalent mutant, visible checks ≥ {VISIBLE_SHARE:.0%} per lesson.")
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
