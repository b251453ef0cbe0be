"""`course grade LESSON SUBMISSIONS`: import, screen, autograde, judge, give feedback and report, for a class.

The grading folder `out` is an nbgrader course folder: submitted/, autograded/, feedback/ (so
`nbgrader release_feedback` works there), gradebook.db (the formgrader reads it), and
reports/<LESSON>/ with grades.csv, class_report.md, results.json and the grading logs.

Trust: the students' code runs only in sandboxed kernels (helpers.grading.sandbox); everything here,
the judge included, runs in the grader's own processes, which run no student code.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from tqdm import tqdm

from helpers.grading import allowed, autograde, judge, report, sandbox, verdicts
from helpers.grading.collect import DEFAULT_PATTERN, Submission, collect
from helpers.grading.screen import screen


class GradingError(Exception):
    """The grader could not do its job (as opposed to a submission being broken)."""


def grade(lesson: str, submissions: Path, out: Path, *, root: Path, jobs: int = 1, student: str | None = None,
          limits: sandbox.Limits = sandbox.Limits(), pattern: str = DEFAULT_PATTERN,
          unsandboxed: bool = False) -> list[report.Row]:
    """Grade every submission of `lesson` (or only `student`'s) into the course folder `out`; return the rows.

    Refuses, unless `unsandboxed`, where kernels cannot be isolated (not root, no user namespaces)."""
    started = time.perf_counter()
    if sandbox.mode() == "none" and not unsandboxed:
        raise GradingError("this machine gives the kernels no sandbox (not root, and no user namespaces): they "
                           "could read the hidden tests and write the gradebook. Grade as root, or where user "
                           "namespaces are allowed; --no-sandbox grades anyway (only for submissions you trust)")
    source = root / "solutions"
    notebooks = sorted((source / lesson).glob("*.ipynb"))
    if len(notebooks) != 1:
        raise GradingError(f"{source / lesson} should hold exactly one notebook, found {len(notebooks)}")
    name = notebooks[0].name
    out, submissions = out.resolve(), submissions.resolve()
    reports = out / "reports" / lesson
    reports.mkdir(parents=True, exist_ok=True)
    found = collect(submissions, lesson, pattern)
    if student is not None:
        found = [s for s in found if s.student == student]
        if not found:
            raise GradingError(f"no submission from {student!r} in {submissions}")

    runtime = Path(tempfile.mkdtemp(prefix="l2a-grade-"))
    runtime.chmod(0o711)                              # kernels' launchers reach their own folders inside
    environment = {"JUPYTER_RUNTIME_DIR": str(runtime / "runtime"), "JUPYTER_PATH": str(runtime),
                   "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    saved = {key: os.environ.get(key) for key in [*environment, sandbox.CONFIG_VARIABLE]}
    os.environ.update(environment)
    try:
        (runtime / "runtime").mkdir(mode=0o700)
        (runtime / "sockets").mkdir(mode=0o711)
        sandbox.install_kernelspec(runtime)
        release = out / ".l2a" / "release"
        created = autograde.api_for(autograde.grading_config(out, source, release, None, None),
                                    autograde.quiet_logger("l2a.grading")).generate_assignment(lesson)
        if not created["success"]:
            raise GradingError("nbgrader generate_assignment failed:\n" + (created.get("error") or created["log"]))
        released = nbformat.read(release / lesson / name, as_version=4)
        _check_hidden_tests(lesson, released)
        run = autograde.Run(lesson, limits, str(sandbox.copy_helpers(allowed.files(), runtime / "view" / "helpers")),
                            str(runtime / "cases"), str(runtime / "sockets"))
        verdicts.write_cases(lesson, Path(run.cases))
        rows, runnable = _screen_and_import(found, lesson, name, released, out, root)
        crashed = _autograde(run, runnable, rows, out, reports, source, release, released, jobs)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(runtime, ignore_errors=True)
        shutil.rmtree(out / ".l2a" / "shards", ignore_errors=True)

    if student is not None:
        rows = [r for r in report.load(reports) if r.student != student] + rows
    report.save(rows, reports)
    full_marks = {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"]) for c in released.cells
                  if c.metadata.get("nbgrader", {}).get("grade")}
    (reports / "class_report.md").write_text(report.class_report(rows, lesson, full_marks))
    print(report.summary(rows, time.perf_counter() - started, sandbox.enforced()))
    print(f"grades: {reports / 'grades.csv'}\nclass report: {reports / 'class_report.md'}\n"
          f"feedback: {out / 'feedback'}")
    if crashed:
        raise GradingError(f"grading processes crashed ({', '.join(crashed)}); their students are marked; "
                           f"see {reports}/grading-*.log")
    return rows


def _check_hidden_tests(lesson: str, released: nbformat.NotebookNode) -> None:
    """Every test cell of the lesson has hidden tests to judge it by."""
    tests = {c.metadata["nbgrader"]["grade_id"].removeprefix("test_") for c in released.cells
             if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")}
    try:
        judged = set(judge.plan(lesson))
    except ModuleNotFoundError as error:
        raise GradingError(f"{lesson} has no hidden tests ({error})") from None
    if tests - judged:
        raise GradingError(f"no hidden tests for {', '.join(sorted(tests - judged))} in {judge.hidden_tests(lesson).__name__}")


def _screen_and_import(found: list[Submission], lesson: str, name: str, released: nbformat.NotebookNode, out: Path,
                       root: Path) -> tuple[list[report.Row], list[str]]:
    """Screen each submission; copy the ones that can run into out/submitted/<student>/<lesson>/<name>.

    Returns every student's row and the students whose notebooks will run. Screening is advisory: what it
    finds sends a submission to a person, and a submission it cannot read is still graded if nbgrader can.
    """
    other_lessons = {p.parent.name: {c.metadata["nbgrader"]["grade_id"] for c in nbformat.read(p, as_version=4).cells
                                     if "grade_id" in c.metadata.get("nbgrader", {})}
                     for p in sorted((root / "solutions").glob("*/*.ipynb")) if p.parent.name != lesson}
    rows, runnable = [], []
    for submission in found:
        row = report.Row(submission.student, str(submission.path or ""), reasons=list(submission.problems))
        rows.append(row)
        if submission.path is None:
            continue
        try:
            screening = screen(submission.path, released, other_lessons)
            row.reasons += [f"{kind}: {'; '.join(details)}" for kind, details in screening.problems.items()]
            gradable = screening.gradable
        except Exception as error:  # noqa: BLE001 — a notebook the screen cannot read is a person's to look at
            row.reasons.append(f"could not be screened: {type(error).__name__}: {str(error)[:200]}")
            gradable = True
        target = out / "submitted" / submission.student / lesson
        try:
            if submission.path.resolve() != (target / name).resolve():
                shutil.rmtree(target, ignore_errors=True)
                target.mkdir(parents=True)
                shutil.copyfile(submission.path, target / name)
        except OSError as error:
            row.reasons.append(f"could not be copied for grading: {error}")
            continue
        if gradable:
            runnable.append(submission.student)
    return rows, runnable


def _autograde(run: autograde.Run, students: list[str], rows: list[report.Row], out: Path, reports: Path,
               source: Path, release: Path, released: nbformat.NotebookNode, jobs: int) -> list[str]:
    """Autograde `students` in shards; fill in their rows; record them in the main gradebook; return the
    names of crashed shards."""
    shards = autograde.prepare_shards(out, run.lesson, students, jobs) if students else []
    configs = [autograde.grading_config(shard, source, release, run, released) for shard, _ in shards]
    bar = tqdm(total=len(students), desc="grading", unit="notebook", file=sys.stderr)
    by_student = {row.student: row for row in rows}
    shard_of = {student: shard for shard, mine in shards for student in mine}
    reported: set[str] = set()
    main = autograde.MainGradebook(out, run.lesson)
    try:
        def on_graded(outcome: autograde.Outcome) -> None:
            """Record each student in the main gradebook while the others are being graded."""
            row = by_student[outcome.student]
            row.reasons += outcome.problems
            reported.add(outcome.student)
            if outcome.graded:
                row.errors, row.mistakes = outcome.errors, outcome.mistakes
                main.record(outcome, flagged=bool(row.reasons))
                autograde.MainGradebook.move_files(shard_of[outcome.student], out, run.lesson, outcome.student)
                row.score, row.max_score, row.points = main.scores(outcome.student)
            bar.update()

        crashed = autograde.run_shards(run, shards, configs, reports, on_graded) if shards else []
        bar.close()
        for student in set(students) - reported:
            by_student[student].reasons.append("the grading process crashed before finishing this notebook")
        for row in rows:
            if row.score is None and row.file:            # a person grades it: flagged in the gradebook too
                main.flag_ungraded(row.student)
        main.commit()
    except BaseException:
        main.abandon()
        raise
    return crashed
