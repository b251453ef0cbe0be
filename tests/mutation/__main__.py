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


def score(lesson_names: list[str], exercise: str | None, processes: int) -> list[LessonScore]:
    """Generate every mutant of the chosen exercises, judge each in its own process, and score them."""
    cells = {lesson: {name: solution for name, (solution, _) in exercises(next((SOLUTIONS / lesson).glob("*.ipynb"))).items()
                      if exercise in (None, name)} for lesson in lesson_names}
    todo = [(lesson, name, solution) for lesson, named in cells.items() for name, solution in named.items()]
    if not todo:
        raise SystemExit(f"no exercise {exercise!r} in {lesson_names}")
    references = {(lesson, name): judge(lesson, name, solution) for lesson, name, solution in todo}  # warms caches before forking
    generated = dict(zip([(lesson, name) for lesson, name, _ in todo],
                         in_processes(mutants, [(name, solution) for _, name, solution in todo], processes)))
    tasks = [(lesson, m) for (lesson, _), found in generated.items() for m in found]
    outcomes = in_processes(judge, [(lesson, m.exercise, m.source) for lesson, m in tasks], processes)
    equivalent = recorded()
    judged = {}
    for (lesson, m), outcome in zip(tasks, outcomes):
        judged.setdefault((lesson, m.exercise), []).append(Judged(m, outcome, m.key in equivalent))
    found_keys = {m.key for found in generated.values() for m in found}
    return [LessonScore(lesson,
                        [ExerciseScore(lesson, name, references[lesson, name], judged.get((lesson, name), []))
                         for name in named],
                        [str(key) for key in equivalent if key[0] in named and key not in found_keys])
            for lesson, named in cells.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__.splitlines()[2])
    parser.add_argument("lesson", nargs="*", help="lesson folders (or parts of their names); all when none")
    parser.add_argument("--exercise", help="only this exercise")
    parser.add_argument("--survivors", action="store_true", help="also list the mutants only the visible check accepts")
    parser.add_argument("--processes", type=int, default=os.cpu_count(), help="worker processes (default: one per core)")
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
    print(f"{total} mutants judged in {time.perf_counter() - start:.0f} s by {args.processes} processes. "
          f"Criteria: hidden tests reject every non-equivalent mutant, visible checks ≥ {VISIBLE_SHARE:.0%} per lesson.")
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
